//! A SQLite VFS over Node's synchronous `fs`: files are file descriptors, reads and writes
//! are positioned (`readSync`/`writeSync` at an offset), syncs are `fsync`. There is no
//! shared memory, so connections run with `locking_mode=EXCLUSIVE` (WAL files then keep
//! their index in the connection's heap), and locking is a lock file per database held
//! from the first read until the connection closes (see `lock`).

use std::cell::RefCell;

use sqlite_wasm_rs::vfs::{
    AccessMode, FileKind, LockLevel, MemChunksFile, OpenAccess, OpenOptions, OpenRequest,
    OpenedFile, SQLiteIoMethods, SQLiteVfs, SyncOptions, VfsError, VfsErrorCode, VfsFile,
    VfsResult, VfsStore,
};
use sqlite_wasm_rs::WasmOsCallback;
use wasm_bindgen::JsValue;

use crate::lock::{self, Refused};
use crate::nodefs;

/// The name connections ask for.
pub const NAME: &str = "sextant-node";

fn failure(code: VfsErrorCode, what: &str, path: &str, e: &JsValue) -> VfsError {
    let node = nodefs::code(e);
    let code = match node.as_str() {
        "ENOSPC" | "EDQUOT" => VfsErrorCode::Full,
        "EROFS" | "EACCES" | "EPERM" if matches!(code, VfsErrorCode::IoWrite) => {
            VfsErrorCode::ReadOnly
        }
        _ => code,
    };
    VfsError::new(
        code,
        format!("{what} {path}: {}", nodefs::message(e)).into(),
    )
}

/// An open file: on disk, or (SQLite's anonymous temporary files) in memory.
pub enum Handle {
    Disk(DiskFile),
    Memory(MemChunksFile),
}

pub struct DiskFile {
    fd: i32,
    path: String,
    /// A main database opened for writing: it takes the lock file.
    lockable: bool,
    level: LockLevel,
}

impl VfsFile for Handle {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        let f = match self {
            Handle::Memory(m) => return m.read(buf, offset),
            Handle::Disk(f) => f,
        };
        let mut done = 0usize;
        while done < buf.len() {
            let want = (buf.len() - done) as u32;
            let n = nodefs::read_sync(
                f.fd,
                &mut buf[done..],
                0,
                want,
                (offset + done as u64) as f64,
            )
            .map_err(|e| failure(VfsErrorCode::IoRead, "reading", &f.path, &e))?;
            if n <= 0.0 {
                break;
            }
            done += n as usize;
        }
        Ok(done)
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        let f = match self {
            Handle::Memory(m) => return m.write(buf, offset),
            Handle::Disk(f) => f,
        };
        let mut done = 0usize;
        while done < buf.len() {
            let want = (buf.len() - done) as u32;
            let n = nodefs::write_sync(f.fd, &buf[done..], 0, want, (offset + done as u64) as f64)
                .map_err(|e| failure(VfsErrorCode::IoWrite, "writing", &f.path, &e))?;
            if n <= 0.0 {
                return Err(VfsError::new(
                    VfsErrorCode::IoWrite,
                    format!("writing {}: nothing was written", f.path).into(),
                ));
            }
            done += n as usize;
        }
        Ok(())
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        match self {
            Handle::Memory(m) => m.truncate(size),
            Handle::Disk(f) => nodefs::ftruncate_sync(f.fd, size as f64)
                .map_err(|e| failure(VfsErrorCode::IoTruncate, "truncating", &f.path, &e)),
        }
    }

    fn sync(&mut self, options: SyncOptions) -> VfsResult<()> {
        match self {
            Handle::Memory(m) => m.sync(options),
            Handle::Disk(f) => if options.data_only {
                nodefs::fdatasync_sync(f.fd)
            } else {
                nodefs::fsync_sync(f.fd)
            }
            .map_err(|e| failure(VfsErrorCode::IoSync, "syncing", &f.path, &e)),
        }
    }

    fn size(&self) -> VfsResult<u64> {
        match self {
            Handle::Memory(m) => m.size(),
            Handle::Disk(f) => nodefs::file_size(f.fd)
                .map(|s| s as u64)
                .map_err(|e| failure(VfsErrorCode::IoStat, "reading the size of", &f.path, &e)),
        }
    }

    fn lock(&mut self, level: LockLevel) -> VfsResult<()> {
        let f = match self {
            Handle::Memory(m) => return m.lock(level),
            Handle::Disk(f) => f,
        };
        if f.lockable && f.level == LockLevel::None && level > LockLevel::None {
            lock::acquire(&f.path).map_err(|r| match r {
                Refused::Here => VfsError::new(
                    VfsErrorCode::Busy,
                    format!("{} is open in another connection of this process", f.path).into(),
                ),
                Refused::Process(pid) => VfsError::new(
                    VfsErrorCode::Busy,
                    format!("{} is held by Node process {pid}", f.path).into(),
                ),
                Refused::Io(why) => VfsError::new(VfsErrorCode::IoLock, why.into()),
            })?;
        }
        f.level = f.level.max(level);
        Ok(())
    }

    fn unlock(&mut self, level: LockLevel) -> VfsResult<()> {
        let f = match self {
            Handle::Memory(m) => return m.unlock(level),
            Handle::Disk(f) => f,
        };
        if f.lockable && level == LockLevel::None && f.level > LockLevel::None {
            lock::release(&f.path);
        }
        f.level = f.level.min(level);
        Ok(())
    }

    fn check_reserved_lock(&self) -> VfsResult<bool> {
        match self {
            Handle::Memory(m) => m.check_reserved_lock(),
            Handle::Disk(f) => {
                Ok(f.level >= LockLevel::Reserved || lock::holder(&f.path).is_some())
            }
        }
    }
}

pub struct NodeData {
    os: WasmOsCallback,
    error: RefCell<Option<VfsError>>,
}

pub struct NodeStore;

fn open_fd(path: &str, options: OpenOptions) -> VfsResult<(i32, OpenAccess)> {
    let cant = |e: &JsValue| failure(VfsErrorCode::CantOpen, "opening", path, e);
    if options.access() == OpenAccess::ReadOnly {
        return nodefs::open_sync(path, "r")
            .map(|fd| (fd, OpenAccess::ReadOnly))
            .map_err(|e| cant(&e));
    }
    if options.exclusive() {
        return nodefs::open_sync(path, "wx+")
            .map(|fd| (fd, OpenAccess::ReadWrite))
            .map_err(|e| cant(&e));
    }
    match nodefs::open_sync(path, "r+") {
        Ok(fd) => Ok((fd, OpenAccess::ReadWrite)),
        Err(e) if nodefs::code(&e) == "ENOENT" && options.create() => {
            match nodefs::open_sync(path, "wx+") {
                Ok(fd) => Ok((fd, OpenAccess::ReadWrite)),
                Err(e) if nodefs::code(&e) == "EEXIST" => nodefs::open_sync(path, "r+")
                    .map(|fd| (fd, OpenAccess::ReadWrite))
                    .map_err(|e| cant(&e)),
                Err(e) => Err(cant(&e)),
            }
        }
        // A file we may not write (a read-only mount) is still read.
        Err(e) if matches!(nodefs::code(&e).as_str(), "EACCES" | "EPERM" | "EROFS") => {
            nodefs::open_sync(path, "r")
                .map(|fd| (fd, OpenAccess::ReadOnly))
                .map_err(|e| cant(&e))
        }
        Err(e) => Err(cant(&e)),
    }
}

impl VfsStore for NodeStore {
    type File = Handle;
    type AppData = NodeData;

    fn record_error(data: &NodeData, error: VfsError) {
        data.error.replace(Some(error));
    }

    fn last_error(data: &NodeData) -> Option<VfsError> {
        data.error.borrow().clone()
    }

    fn open_file(_data: &NodeData, request: OpenRequest<'_>) -> VfsResult<OpenedFile<Handle>> {
        let options = request.options;
        let Some(name) = request.filename else {
            return Ok(OpenedFile {
                file: Handle::Memory(MemChunksFile::default()),
                access: options.access(),
            });
        };
        let path = name.path();
        let (fd, access) = open_fd(path, options)?;
        Ok(OpenedFile {
            file: Handle::Disk(DiskFile {
                fd,
                path: path.to_string(),
                lockable: options.kind() == Some(FileKind::MainDb)
                    && access == OpenAccess::ReadWrite,
                level: LockLevel::None,
            }),
            access,
        })
    }

    fn close_file(
        _data: &NodeData,
        name: Option<&str>,
        file: Handle,
        options: OpenOptions,
    ) -> VfsResult<()> {
        let Handle::Disk(f) = file else {
            return Ok(());
        };
        if f.lockable && f.level > LockLevel::None {
            lock::release(&f.path);
        }
        let closed = nodefs::close_sync(f.fd)
            .map_err(|e| failure(VfsErrorCode::IoClose, "closing", &f.path, &e));
        if options.delete_on_close() {
            if let Some(name) = name {
                let _ = nodefs::unlink_sync(name);
            }
        }
        closed
    }

    fn access(_data: &NodeData, name: &str, mode: AccessMode) -> VfsResult<bool> {
        match mode {
            AccessMode::Exists => nodefs::is_dir(name)
                .map(|d| d.is_some())
                .map_err(|e| failure(VfsErrorCode::IoAccess, "checking", name, &e)),
            // fs.constants: R_OK = 4, W_OK = 2.
            AccessMode::Read => Ok(nodefs::access_sync(name, 4).is_ok()),
            AccessMode::ReadWrite => Ok(nodefs::access_sync(name, 6).is_ok()),
        }
    }

    fn full_pathname(_data: &NodeData, name: &str) -> VfsResult<String> {
        Ok(nodefs::resolve(name))
    }

    fn delete_file(_data: &NodeData, name: &str, _sync_dir: bool) -> VfsResult<()> {
        nodefs::unlink_sync(name).map_err(|e| {
            if nodefs::code(&e) == "ENOENT" {
                VfsError::new(
                    VfsErrorCode::IoDeleteNoEntry,
                    format!("{name} is gone").into(),
                )
            } else {
                failure(VfsErrorCode::IoDelete, "deleting", name, &e)
            }
        })
    }
}

pub struct NodeIo;

impl SQLiteIoMethods for NodeIo {
    type Store = NodeStore;
}

pub struct NodeVfs;

impl SQLiteVfs<NodeIo> for NodeVfs {
    type Os = WasmOsCallback;

    fn os(data: &NodeData) -> &WasmOsCallback {
        &data.os
    }
}

thread_local! {
    static INSTALLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Registers the VFS with SQLite once per instance (not as the default).
pub fn install() -> sextant_core::Result<()> {
    if INSTALLED.with(std::cell::Cell::get) {
        return Ok(());
    }
    let data = NodeData {
        os: WasmOsCallback,
        error: RefCell::new(None),
    };
    // SAFETY: NodeVfs and NodeIo are the crate's default callback tables over one store
    // type, so versions, file layout and app data agree; wasm is single-threaded, so
    // registration is serialized with every SQLite use; the registration is leaked below
    // and outlives every connection.
    #[allow(unsafe_code)]
    let registered =
        unsafe { sqlite_wasm_rs::vfs::register_vfs::<NodeIo, NodeVfs>(NAME, data, false) };
    match registered {
        Ok(r) => {
            r.into_raw();
            INSTALLED.with(|i| i.set(true));
            Ok(())
        }
        Err(e) => Err(sextant_core::Error::storage(format!(
            "cannot register the Node file system with SQLite: {e}"
        ))),
    }
}
