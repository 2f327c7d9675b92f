//! The store's few file-system calls besides SQLite's own, behind a trait so the same store
//! runs natively (`std::fs`) and in Node (wasm, where `std::fs` does not exist and the calls
//! go to Node's synchronous `fs` through `sextant-node`).

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use sextant_core::{MaybeSend, MaybeSync, Result};
use sextant_luml::sql::io_err;

/// What is at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File,
    Dir,
}

/// Directory and attachment-file operations, and how SQLite connections are opened.
pub trait FsHost: MaybeSend + MaybeSync + Debug {
    /// The SQLite VFS connections use; `None` for SQLite's default (the OS).
    fn vfs(&self) -> Option<&str> {
        None
    }

    /// True when connections must hold their files exclusively (`locking_mode=EXCLUSIVE`):
    /// a VFS without shared memory can only use WAL files that way.
    fn exclusive(&self) -> bool {
        false
    }

    /// Why another program holds `db` so that this one may only read it (a Node process
    /// writing it holds a lock file SQLite's own locks do not see), if one does.
    fn held_elsewhere(&self, db: &Path) -> Option<String>;

    fn entry(&self, path: &Path) -> Entry;
    fn create_dir_all(&self, path: &Path) -> Result<()>;
    /// The path with symlinks resolved, `None` when it does not exist.
    fn canonicalize(&self, path: &Path) -> Option<PathBuf>;
    /// Writes a whole new file.
    fn write(&self, path: &Path, data: &[u8]) -> Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// The whole file, `None` when there is none.
    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>>;
    /// Appends to a file, creating it: how streamed attachments are written. The default
    /// rewrites the whole file (hosts without appends); `std::fs` appends.
    fn append(&self, path: &Path, data: &[u8]) -> Result<()> {
        let mut all = self.read(path)?.unwrap_or_default();
        all.extend_from_slice(data);
        self.write(path, &all)
    }
    /// Up to `len` bytes from `offset` (empty past the end), `None` when there is no file:
    /// how attachments are streamed out. The default reads the whole file each time.
    fn read_at(&self, path: &Path, offset: u64, len: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.read(path)?.map(|all| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
            all[start..(start.saturating_add(len)).min(all.len())].to_vec()
        }))
    }
    /// Best effort: for cleaning up temporary files.
    fn remove_file(&self, path: &Path);
    /// Removes a directory tree; a missing one is fine.
    fn remove_dir_all(&self, path: &Path) -> Result<()>;
    /// A number telling this process's temporary files from other processes'.
    fn process_id(&self) -> u32;
}

/// `std::fs`: the native store.
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeFs;

/// The lock file a Node process writing `db` keeps beside it (see `sextant-node`).
pub fn node_lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-nodelock");
    PathBuf::from(name)
}

impl FsHost for NativeFs {
    fn held_elsewhere(&self, db: &Path) -> Option<String> {
        let lock = node_lock_path(db);
        let text = std::fs::read_to_string(&lock).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        // A lock file whose process is gone is stale (that process was killed); on systems
        // without /proc a lock file is taken at its word.
        let proc_dir = Path::new("/proc");
        if proc_dir.is_dir() && !proc_dir.join(pid.to_string()).exists() {
            return None;
        }
        Some(format!(
            "Node process {pid} is writing it ({} exists); it can be read, and written once that process ends",
            lock.display()
        ))
    }

    fn entry(&self, path: &Path) -> Entry {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::File,
            Err(_) => Entry::Missing,
        }
    }

    fn create_dir_all(&self, path: &Path) -> Result<()> {
        std::fs::create_dir_all(path).map_err(|e| io_err(path, e))
    }

    fn canonicalize(&self, path: &Path) -> Option<PathBuf> {
        path.canonicalize().ok()
    }

    fn write(&self, path: &Path, data: &[u8]) -> Result<()> {
        std::fs::write(path, data).map_err(|e| io_err(path, e))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        std::fs::rename(from, to).map_err(|e| io_err(to, e))
    }

    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(path, e)),
        }
    }

    fn append(&self, path: &Path, data: &[u8]) -> Result<()> {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(data))
            .map_err(|e| io_err(path, e))
    }

    fn read_at(&self, path: &Path, offset: u64, len: usize) -> Result<Option<Vec<u8>>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path, e)),
        };
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_err(path, e))?;
        let mut buf = Vec::with_capacity(len);
        file.take(len as u64)
            .read_to_end(&mut buf)
            .map_err(|e| io_err(path, e))?;
        Ok(Some(buf))
    }

    fn remove_file(&self, path: &Path) {
        let _ = std::fs::remove_file(path);
    }

    fn remove_dir_all(&self, path: &Path) -> Result<()> {
        match std::fs::remove_dir_all(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(path, e)),
        }
    }

    fn process_id(&self) -> u32 {
        std::process::id()
    }
}
