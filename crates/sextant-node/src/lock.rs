//! Lock files: Node has no POSIX advisory locks, so a Node process marks each database it
//! holds with `<db>-nodelock` (its pid inside), created exclusively. A second Node process
//! (or the native store, through `FsHost::held_elsewhere`) sees it and only reads. A lock
//! file whose process is gone, or that a crashed wasm instance of this very process left,
//! is stale and taken over.

use std::cell::RefCell;
use std::collections::HashSet;

use crate::nodefs;

thread_local! {
    /// Lock files this wasm instance holds.
    static HELD: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

pub fn lock_path(db: &str) -> String {
    format!("{db}-nodelock")
}

/// The pid of another live Node process holding `db`, if one does.
pub fn holder(db: &str) -> Option<u32> {
    let text = nodefs::read_text_sync(&lock_path(db), "utf8").ok()?;
    let pid: u32 = text.trim().parse().ok()?;
    (pid != nodefs::pid() && nodefs::alive(pid)).then_some(pid)
}

/// Why `db` cannot be locked.
#[derive(Debug)]
pub enum Refused {
    /// Another connection of this instance holds it.
    Here,
    /// Another live Node process holds it.
    Process(u32),
    /// The lock file could not be written.
    Io(String),
}

pub fn acquire(db: &str) -> Result<(), Refused> {
    let path = lock_path(db);
    if HELD.with(|h| h.borrow().contains(&path)) {
        return Err(Refused::Here);
    }
    let me = nodefs::pid().to_string();
    let mut tries = 0;
    loop {
        match nodefs::write_file(&path, me.as_bytes(), true) {
            Ok(()) => {
                HELD.with(|h| h.borrow_mut().insert(path));
                return Ok(());
            }
            Err(e) if nodefs::code(&e) == "EEXIST" && tries == 0 => {
                if let Some(pid) = holder(db) {
                    return Err(Refused::Process(pid));
                }
                // Stale: remove it and try once more (another process may win the race,
                // and then holds it).
                let _ = nodefs::unlink_sync(&path);
                tries += 1;
            }
            Err(e) if nodefs::code(&e) == "EEXIST" => {
                return Err(holder(db).map_or_else(
                    || Refused::Io(format!("{path} keeps reappearing")),
                    Refused::Process,
                ));
            }
            Err(e) => return Err(Refused::Io(format!("{path}: {}", nodefs::message(&e)))),
        }
    }
}

pub fn release(db: &str) {
    let path = lock_path(db);
    if HELD.with(|h| h.borrow_mut().remove(&path)) {
        remove_if_mine(&path);
    }
}

fn remove_if_mine(path: &str) {
    let mine = nodefs::read_text_sync(path, "utf8")
        .ok()
        .is_some_and(|t| t.trim() == nodefs::pid().to_string());
    if mine {
        let _ = nodefs::unlink_sync(path);
    }
}

/// Removes every lock file this instance holds: the process is exiting.
pub fn release_all() {
    let held: Vec<String> = HELD.with(|h| h.borrow_mut().drain().collect());
    for path in held {
        remove_if_mine(&path);
    }
}
