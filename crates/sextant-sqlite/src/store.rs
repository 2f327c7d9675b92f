//! `SqliteStore`: a directory in the luml layout (meta.db + one exp.db per experiment).

use sextant_luml::sql::SqlContext;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use sextant_core::{
    validate, Annotation, AttachmentInfo, Batch, Error, EvalSample, ExperimentInfo,
    ExperimentUpdate, GroupInfo, MetricPoint, MetricSummary, ModelInfo, NewExperiment, ParamValue,
    Record, Result, Span, Status, StepRange, Store,
};
use sextant_luml::time::{iso_from_millis, millis_from_iso};

use crate::blocks;
use crate::fs::{Entry, FsHost, NativeFs};
use crate::search::SqlValue;
use sextant_core::search::Query;
use sextant_luml::expdb;
use sextant_luml::schema;
use sextant_luml::sql::begin;

mod tokens;

/// Key of the creating token's name in luml's `experiments.metadata` object.
const CREATED_BY: &str = "created_by";

/// Open exp.db connections kept at once; more are closed and reopened on demand.
const MAX_OPEN_EXPERIMENTS: usize = 32;

/// Each metric key's (highest step, value there).
type Latest = BTreeMap<String, (i64, f64)>;

#[derive(Debug)]
struct ExpConn {
    conn: Connection,
    path: PathBuf,
    /// Opened for reading only (the store is read-only, or a Node process holds the file).
    read_only: bool,
    /// Each key's (highest step, value there), for the meta.db cache; loaded on first write.
    latest: Option<BTreeMap<String, (i64, f64)>>,
    /// `PRAGMA data_version` when `latest` was last made current: another connection's
    /// commit (luml, another process) changes it, and `latest` is then read again.
    data_version: Option<i64>,
}

/// The luml-compatible SQLite store. Safe to share between threads and, through SQLite's
/// locking, between processes.
#[derive(Debug)]
pub struct SqliteStore {
    /// Files outside SQLite (folders, attachments) and how connections are opened.
    fs: Arc<dyn FsHost>,
    root: PathBuf,
    meta_path: PathBuf,
    meta: Mutex<Connection>,
    /// Held for a whole write, so one process writes its batches in order.
    exps: Mutex<HashMap<String, ExpConn>>,
    /// Why the store was opened read-only (a read-only mount or folder), if it was.
    read_only: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| Error::storage("sqlite store lock poisoned by a panic"))
}

impl SqliteStore {
    /// Opens (creating if needed) the store directory. A `meta.db` that is not a SQLite
    /// database is reported as corrupt and left as it is.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_on(Arc::new(NativeFs), dir)
    }

    /// [`SqliteStore::open`] over another file system (Node's, from wasm).
    pub fn open_on(fs: Arc<dyn FsHost>, dir: impl AsRef<Path>) -> Result<Self> {
        let root = dir.as_ref().to_path_buf();
        if root.as_os_str().is_empty() {
            return Err(Error::InvalidInput {
                what: "sqlite store directory",
                value: String::new(),
                reason: "is empty: use sqlite://./experiments or sqlite:///abs/dir".into(),
            });
        }
        if fs.entry(&root) == Entry::File {
            return Err(Error::InvalidInput {
                what: "sqlite store directory",
                value: root.display().to_string(),
                reason: "exists and is not a directory".into(),
            });
        }
        let meta_path = root.join("meta.db");
        // Writing beside a Node process that holds the files would corrupt them (SQLite's
        // locks cannot see each other across the two), so such a store is only read.
        if let Some(why) = fs.held_elsewhere(&meta_path) {
            let conn = open_read_only(fs.as_ref(), &meta_path)?;
            return Ok(Self::over(fs, root, conn, Some(why)));
        }
        match Self::open_writable(fs.as_ref(), &root, &meta_path) {
            Ok(conn) => Ok(Self::over(fs, root, conn, None)),
            // A store on a read-only mount (or in a folder we may not write) can still be
            // read; writes then say why they cannot happen.
            Err(e @ (Error::ReadOnly { .. } | Error::Storage { .. }))
                if fs.entry(&meta_path) == Entry::File =>
            {
                match open_read_only(fs.as_ref(), &meta_path) {
                    Ok(conn) => Ok(Self::over(fs, root, conn, Some(e.to_string()))),
                    Err(_) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The store over an open meta.db connection; `read_only` says why writes are refused.
    fn over(
        fs: Arc<dyn FsHost>,
        root: PathBuf,
        meta: Connection,
        read_only: Option<String>,
    ) -> Self {
        SqliteStore {
            fs,
            meta_path: root.join("meta.db"),
            root,
            meta: Mutex::new(meta),
            exps: Mutex::new(HashMap::new()),
            read_only,
        }
    }

    /// Opens an existing store for reading only: nothing is created, changed or locked
    /// for writing (a store on a read-only mount, or someone else's). Writes fail with
    /// [`Error::ReadOnly`].
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_read_only_on(Arc::new(NativeFs), dir)
    }

    /// [`SqliteStore::open_read_only`] over another file system.
    pub fn open_read_only_on(fs: Arc<dyn FsHost>, dir: impl AsRef<Path>) -> Result<Self> {
        let root = dir.as_ref().to_path_buf();
        let meta_path = root.join("meta.db");
        if fs.entry(&meta_path) != Entry::File {
            return Err(Error::InvalidInput {
                what: "sqlite store directory",
                value: root.display().to_string(),
                reason: "has no meta.db to read".into(),
            });
        }
        let conn = open_read_only(fs.as_ref(), &meta_path)?;
        Ok(Self::over(fs, root, conn, Some("opened read-only".into())))
    }

    fn open_writable(fs: &dyn FsHost, root: &Path, meta_path: &Path) -> Result<Connection> {
        fs.create_dir_all(root)?;
        let conn = open_writable(fs, meta_path)?;
        schema::create_meta(&conn, meta_path)?;
        Ok(conn)
    }

    /// True when the store could only be opened for reading.
    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    fn check_writable(&self) -> Result<()> {
        match &self.read_only {
            Some(why) => Err(Error::read_only(format!(
                "{} was opened read-only ({why}); nothing can be written to it",
                self.root.display()
            ))),
            None => Ok(()),
        }
    }

    /// Folds the write-ahead logs into the database files, so copying only the `.db`
    /// files (or opening them read-only elsewhere) sees everything. Done on drop too.
    pub fn checkpoint(&self) -> Result<()> {
        if self.read_only.is_some() {
            return Ok(());
        }
        let exps = lock(&self.exps)?;
        for ec in exps.values() {
            checkpoint(&ec.conn, &ec.path)?;
        }
        let meta = lock(&self.meta)?;
        checkpoint(&meta, &self.meta_path)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where an experiment's exp.db lives; `id` must already be validated.
    pub fn exp_db_path(&self, id: &str) -> PathBuf {
        self.root.join(id).join("exp.db")
    }

    fn attachments_dir(&self, id: &str) -> PathBuf {
        self.root.join(id).join("attachments")
    }

    /// The file for an attachment name, refusing anything that would leave the folder
    /// (including through a symlink planted inside it).
    fn attachment_path(&self, id: &str, name: &str, create_parent: bool) -> Result<PathBuf> {
        validate::attachment_name(name)?;
        let base = self.attachments_dir(id);
        let path = base.join(name);
        if create_parent {
            if let Some(parent) = path.parent() {
                self.fs.create_dir_all(parent)?;
            }
        }
        let outside = || Error::InvalidInput {
            what: "attachment name",
            value: name.to_string(),
            reason: "resolves outside the attachments folder".into(),
        };
        let parent = path.parent().and_then(|p| self.fs.canonicalize(p));
        if let (Some(b), Some(p)) = (self.fs.canonicalize(&base), parent) {
            if !p.starts_with(&b) {
                return Err(outside());
            }
            // On read the file itself may be a symlink planted in the folder.
            if !create_parent {
                if let Some(f) = self.fs.canonicalize(&path) {
                    if !f.starts_with(&b) {
                        return Err(outside());
                    }
                }
            }
        }
        Ok(path)
    }

    fn exists(&self, meta: &Connection, id: &str) -> Result<bool> {
        meta.prepare_cached("SELECT 1 FROM experiments WHERE id = ?1")
            .and_then(|mut s| s.exists(params![id]))
            .at(&self.meta_path)
    }

    /// The open connection to an experiment's exp.db, opening it (after checking the
    /// experiment exists) when needed. Locks meta.db for the check: not for write paths,
    /// which hold meta.db already and use [`SqliteStore::open_exp`].
    fn exp<'a>(&self, exps: &'a mut HashMap<String, ExpConn>, id: &str) -> Result<&'a mut ExpConn> {
        validate::experiment_id(id)?;
        if !exps.contains_key(id) {
            {
                let meta = lock(&self.meta)?;
                if !self.exists(&meta, id)? {
                    return Err(Error::ExperimentNotFound(id.to_string()));
                }
            }
            if exps.len() >= MAX_OPEN_EXPERIMENTS {
                exps.clear();
            }
            self.connect_exp(exps, id)?;
        }
        exps.get_mut(id)
            .ok_or_else(|| Error::storage(format!("experiment {id} connection vanished")))
    }

    /// Opens exp.db for a write, checking existence through the caller's meta.db
    /// transaction (which sees experiments it has just created). Never evicts: the
    /// caller may hold transactions on other open connections.
    fn open_exp(
        &self,
        exps: &mut HashMap<String, ExpConn>,
        meta: &Connection,
        id: &str,
    ) -> Result<()> {
        if exps.contains_key(id) {
            return Ok(());
        }
        if !self.exists(meta, id)? {
            return Err(Error::ExperimentNotFound(id.to_string()));
        }
        self.connect_exp(exps, id)
    }

    fn connect_exp(&self, exps: &mut HashMap<String, ExpConn>, id: &str) -> Result<()> {
        let path = self.exp_db_path(id);
        let held = if self.read_only.is_none() {
            self.fs.held_elsewhere(&path)
        } else {
            None
        };
        let read_only = self.read_only.is_some() || held.is_some();
        let conn = if read_only {
            if self.fs.entry(&path) != Entry::File {
                return Err(Error::corrupt(format!(
                    "{} is missing (the store is read-only, so it cannot be created)",
                    path.display()
                )));
            }
            open_read_only(self.fs.as_ref(), &path)?
        } else {
            if let Some(dir) = path.parent() {
                self.fs.create_dir_all(dir)?;
            }
            let conn = open_writable(self.fs.as_ref(), &path)?;
            schema::create_exp(&conn, &path)?;
            schema::create(&conn, &path, blocks::DDL)?;
            conn
        };
        exps.insert(
            id.to_string(),
            ExpConn {
                conn,
                path,
                read_only,
                latest: None,
                data_version: None,
            },
        );
        Ok(())
    }

    /// Inserts an experiment's meta.db rows inside the caller's transaction.
    fn insert_experiment(&self, tx: &Connection, new: &NewExperiment) -> Result<()> {
        let exists = tx
            .prepare_cached("SELECT 1 FROM experiments WHERE id = ?1")
            .and_then(|mut s| s.exists(params![new.id]))
            .at(&self.meta_path)?;
        if exists {
            return Err(Error::ExperimentExists(new.id.clone()));
        }
        let now = iso_from_millis(new.created_at);
        let group_id: Option<String> = tx
            .query_row(
                "SELECT id FROM experiment_groups WHERE name = ?1",
                params![new.group],
                |r| r.get(0),
            )
            .optional()
            .at(&self.meta_path)?;
        let group_id = match group_id {
            Some(g) => {
                tx.execute(
                    "UPDATE experiment_groups SET last_modified = ?1 WHERE id = ?2",
                    params![now, g],
                )
                .at(&self.meta_path)?;
                g
            }
            None => {
                // Group ids are uuids in luml; derive one from the experiment id's randomness.
                let g = group_uuid(&new.id, &new.group);
                tx.execute(
                    "INSERT INTO experiment_groups(id, name, description, created_at, tags, last_modified)
                     VALUES (?1, ?2, NULL, ?3, '[]', ?3)",
                    params![g, new.group, now],
                )
                .at(&self.meta_path)?;
                g
            }
        };
        let tags = serde_json::to_string(&new.tags).unwrap_or_else(|_| "[]".into());
        // luml's free-form `metadata` object carries the creating token's name.
        let metadata = match &new.created_by {
            Some(by) => serde_json::json!({ CREATED_BY: by }).to_string(),
            None => "{}".to_string(),
        };
        tx.execute(
            "INSERT INTO experiments(id, name, created_at, status, tags, group_id, static_params,
                dynamic_params, duration, description, source, metadata, upload_status)
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, '{}', '{}', NULL, ?6, ?7, ?8, 'not_uploaded')",
            params![
                new.id,
                new.name,
                now,
                tags,
                group_id,
                new.description,
                new.source,
                metadata
            ],
        )
        .at(&self.meta_path)?;
        Ok(())
    }

    /// Writes one experiment's data records inside the caller's exp.db transaction
    /// `tx`. Attachment bytes go to temporary files in `staged`, moved into place only
    /// once every database has committed. Returns the key → (highest step, value) map
    /// after the write, kept by the caller only if the batch commits. `trusted`: no other
    /// connection has written since the cached map was made.
    fn write_data(
        &self,
        tx: &Connection,
        ec: &ExpConn,
        id: &str,
        records: &[&Record],
        staged: &mut StagedFiles,
        trusted: bool,
    ) -> Result<(Touched, Latest)> {
        let mut touched = Touched::default();
        let path = &ec.path;
        let mut latest = match (&ec.latest, trusted) {
            (Some(l), true) => l.clone(),
            _ => expdb::latest_values(tx, path)?,
        };
        for r in records {
            match r {
                Record::Params { params, .. } => {
                    expdb::write_params(tx, path, params)?;
                    touched.params = true;
                }
                Record::Metrics { key, points, .. } => {
                    let appended = latest
                        .get(key)
                        .is_none_or(|(top, _)| points.iter().all(|p| p.step > *top));
                    let first = !latest.contains_key(key);
                    let fresh = appended && points.windows(2).all(|w| w[0].step < w[1].step);
                    expdb::write_metrics(tx, path, key, points, fresh)?;
                    blocks::after_write(tx, path, key, points, fresh, first)?;
                    if let Some(top) = points.iter().max_by_key(|p| p.step) {
                        if latest.get(key).is_none_or(|(s, _)| top.step >= *s) {
                            latest.insert(key.clone(), (top.step, top.value));
                        }
                    }
                    touched.metrics = true;
                }
                Record::Spans { spans, .. } => expdb::write_spans(tx, path, spans)?,
                Record::SpanRecords { spans, .. } => expdb::write_span_records(tx, path, spans)?,
                Record::EvalSample { .. }
                | Record::EvalTraceLink { .. }
                | Record::Annotation { .. }
                | Record::UpdateAnnotation { .. }
                | Record::DeleteAnnotation { .. } => sextant_luml::evals::write(tx, path, r)?,
                Record::Attachment {
                    name,
                    data,
                    created_at,
                    ..
                } => {
                    let file = self.attachment_path(id, name, true)?;
                    staged.stage(self.fs.as_ref(), file, data)?;
                    let row_id = attachment_row_id(id, name, *created_at);
                    expdb::write_attachment_row(
                        tx,
                        path,
                        &row_id,
                        name,
                        data.len() as u64,
                        *created_at,
                    )?;
                }
                _ => {}
            }
        }
        Ok((touched, latest))
    }

    fn read_info(
        &self,
        meta: &Connection,
        id: Option<&str>,
    ) -> Result<Vec<(ExperimentInfo, CacheState)>> {
        let id = id.map(|i| SqlValue::Text(i.to_string()));
        self.read_where(
            meta,
            "?1 IS NULL OR e.id = ?1",
            &[id.unwrap_or(SqlValue::Null)],
        )
    }

    /// The rows of experiments meeting `condition` (over `e`, the experiment, and `g`, its
    /// group), with the placeholders `?1`… bound to `binds`.
    fn read_where(
        &self,
        meta: &Connection,
        condition: &str,
        binds: &[SqlValue],
    ) -> Result<Vec<(ExperimentInfo, CacheState)>> {
        let mut stmt = meta
            .prepare_cached(&format!(
                "SELECT e.id, e.name, e.created_at, e.status, e.tags, g.name, e.static_params,
                    e.dynamic_params, e.duration, e.description, e.source, e.metadata
                 FROM experiments e LEFT JOIN experiment_groups g ON g.id = e.group_id
                 WHERE {condition}"
            ))
            .at(&self.meta_path)?;
        let binds: Vec<&dyn rusqlite::ToSql> =
            binds.iter().map(|b| b as &dyn rusqlite::ToSql).collect();
        let rows = stmt
            .query_map(binds.as_slice(), |r| {
                let created: Option<String> = r.get(2)?;
                let status: Option<String> = r.get(3)?;
                let tags: Option<String> = r.get(4)?;
                let group: Option<String> = r.get(5)?;
                let statics: Option<String> = r.get(6)?;
                let dynamics: Option<String> = r.get(7)?;
                let params = statics.as_deref().and_then(parse_param_cache);
                let metrics = dynamics.as_deref().and_then(parse_metric_cache);
                let metadata: Option<String> = r.get(11)?;
                let created_by = metadata
                    .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
                    .and_then(|m| m.get(CREATED_BY)?.as_str().map(str::to_string));
                let cache = CacheState {
                    params: params.is_some(),
                    metrics: metrics.is_some(),
                };
                Ok((
                    ExperimentInfo {
                        id: r.get(0)?,
                        name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        group: group.unwrap_or_else(|| sextant_core::DEFAULT_GROUP.to_string()),
                        status: Status::parse_lenient(status.as_deref().unwrap_or("active")),
                        tags: tags
                            .and_then(|t| serde_json::from_str(&t).ok())
                            .unwrap_or_default(),
                        created_at: created.as_deref().and_then(millis_from_iso).unwrap_or(0),
                        duration: r.get(8)?,
                        description: r.get(9)?,
                        source: r.get(10)?,
                        params: params.unwrap_or_default(),
                        metrics: metrics.unwrap_or_default(),
                        unreadable: None,
                        created_by,
                    },
                    cache,
                ))
            })
            .at(&self.meta_path)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .at(&self.meta_path)
    }

    /// Fills params and latest metrics from exp.db (exact types; luml leaves the caches
    /// empty for running and failed runs).
    fn fill_from_exp_db(
        &self,
        info: &mut ExperimentInfo,
        params: bool,
        metrics: bool,
    ) -> Result<()> {
        let mut exps = lock(&self.exps)?;
        if self.fs.entry(&self.exp_db_path(&info.id)) == Entry::Missing {
            return Ok(());
        }
        let ec = self.exp(&mut exps, &info.id)?;
        if params {
            info.params = expdb::read_params(&ec.conn, &ec.path)?;
        }
        if metrics {
            info.metrics = expdb::latest_values(&ec.conn, &ec.path)?
                .into_iter()
                .map(|(k, (_, v))| (k, v))
                .collect();
        }
        Ok(())
    }

    /// Fills what the meta.db caches lack from exp.db, newest first.
    fn complete(&self, rows: Vec<(ExperimentInfo, CacheState)>) -> Vec<ExperimentInfo> {
        let mut out = Vec::with_capacity(rows.len());
        for (mut info, cache) in rows {
            if !cache.params || !cache.metrics {
                // One unreadable exp.db must not hide every other run: list it, say why.
                if let Err(e) = self.fill_from_exp_db(&mut info, !cache.params, !cache.metrics) {
                    info.unreadable = Some(e.to_string());
                }
            }
            out.push(info);
        }
        sextant_core::query::newest_first(&mut out);
        out
    }

    fn with_exp<T>(&self, id: &str, f: impl FnOnce(&ExpConn) -> Result<T>) -> Result<T> {
        let mut exps = lock(&self.exps)?;
        let ec = self.exp(&mut exps, id)?;
        f(ec)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Touched {
    params: bool,
    metrics: bool,
}

#[derive(Debug, Clone, Copy)]
struct CacheState {
    params: bool,
    metrics: bool,
}

fn group_uuid(seed_a: &str, seed_b: &str) -> String {
    // FNV-1a over both strings, spread into 128 bits and shaped as a v4 uuid.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut g: u64 = 0x8422_2325_cbf2_9ce4;
    for b in seed_a.bytes().chain([0]).chain(seed_b.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        g = (g ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x5bd1_e995);
    }
    let bytes = ((u128::from(h) << 64) | u128::from(g)).to_le_bytes();
    uuid_from(bytes)
}

fn attachment_row_id(exp: &str, name: &str, at: i64) -> String {
    group_uuid(&format!("{exp}/{at}"), name)
}

/// 16 well-mixed bytes shaped as a v4 uuid, as luml's ids are.
fn uuid_from(b: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(b)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Attachment bytes written to temporary files beside their targets, renamed into place
/// by [`StagedFiles::publish`]; whatever was not published is removed on drop, so a failed
/// batch leaves no files behind. Temporary names are short and fixed-length, so a name
/// whose last segment is as long as the file system allows still fits, and they never
/// depend on the attachment's own extension (`..x` stays a file name).
#[derive(Debug)]
struct StagedFiles<'f> {
    fs: &'f dyn FsHost,
    files: Vec<(PathBuf, PathBuf)>,
}

impl<'f> StagedFiles<'f> {
    fn new(fs: &'f dyn FsHost) -> Self {
        StagedFiles {
            fs,
            files: Vec::new(),
        }
    }

    /// Writes `data` to a new temporary file for `target`, and returns its path.
    fn stage(&mut self, fs: &dyn FsHost, target: PathBuf, data: &[u8]) -> Result<PathBuf> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = target.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".sextant-{}-{n}.tmp", fs.process_id()));
        self.files.push((tmp.clone(), target));
        fs.write(&tmp, data)?;
        Ok(tmp)
    }

    fn publish(&mut self) -> Result<()> {
        for (tmp, target) in std::mem::take(&mut self.files) {
            self.fs.rename(&tmp, &target)?;
        }
        Ok(())
    }
}

impl Drop for StagedFiles<'_> {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            self.fs.remove_file(tmp);
        }
    }
}

/// Opens (creating) a store file for writing, through the host's VFS, configured.
fn open_writable(fs: &dyn FsHost, path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = connect(fs, path, flags)?;
    schema::configure(&conn, path)?;
    no_wait(fs, &conn, path)?;
    Ok(conn)
}

/// An exclusive host's lock is held until the holding connection closes: waiting for it
/// would only stall the process, so its connections fail at once.
fn no_wait(fs: &dyn FsHost, conn: &Connection, path: &Path) -> Result<()> {
    if fs.exclusive() {
        conn.busy_timeout(std::time::Duration::ZERO).at(path)?;
    }
    Ok(())
}

/// A connection through the host's VFS. Exclusive hosts take their lock on the first read
/// and keep it, so WAL files need no shared memory; waiting for such a lock is pointless
/// (it is held until that connection closes), so they do not wait.
fn connect(fs: &dyn FsHost, path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = match fs.vfs() {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs),
        None => Connection::open_with_flags(path, flags),
    }
    .at(path)?;
    if fs.exclusive() {
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE;")
            .at(path)?;
    }
    Ok(conn)
}

fn open_read_only(fs: &dyn FsHost, path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = connect(fs, path, flags)?;
    schema::configure_read_only(&conn, path)?;
    no_wait(fs, &conn, path)?;
    // Without write access SQLite may not be able to open a WAL file's index; reading
    // the database file alone (`immutable`) still shows everything checkpointed.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(conn),
        Err(_) => {
            let uri = format!("file:{}?immutable=1", path.display());
            let conn = connect(fs, Path::new(&uri), flags | OpenFlags::SQLITE_OPEN_URI)?;
            schema::configure_read_only(&conn, path)?;
            no_wait(fs, &conn, path)?;
            Ok(conn)
        }
    }
}

fn checkpoint(conn: &Connection, path: &Path) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .at(path)
}

impl Drop for SqliteStore {
    /// A clean close leaves no data only in `-wal` files. Best effort: another process
    /// still reading keeps its WAL, which SQLite folds in later.
    fn drop(&mut self) {
        let _ = self.checkpoint();
    }
}

/// luml's `static_params` cache: a JSON object of plain values.
fn parse_param_cache(text: &str) -> Option<BTreeMap<String, ParamValue>> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    Some(
        v.into_iter()
            .map(|(k, v)| (k, ParamValue::from_json(v)))
            .collect(),
    )
}

/// luml's `dynamic_params` cache. Python writes `NaN`/`Infinity` bare, which JSON parsers
/// reject; those rows fall back to exp.db.
fn parse_metric_cache(text: &str) -> Option<BTreeMap<String, f64>> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    v.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::Number(n) => n.as_f64().map(|f| (k, f)),
            serde_json::Value::Null => Some((k, f64::NAN)),
            serde_json::Value::String(s) => {
                sextant_core::lossless_f64::parse_name(&s).map(|f| (k, f))
            }
            _ => None,
        })
        .collect()
}

/// Writes the metric cache as Python's json.dumps would, non-finite values included.
fn metric_cache_json(latest: &BTreeMap<String, (i64, f64)>) -> String {
    let parts: Vec<String> = latest
        .iter()
        .map(|(k, (_, v))| {
            let key = serde_json::Value::String(k.clone()).to_string();
            let val = if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                if *v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
            } else {
                serde_json::Number::from_f64(*v)
                    .map_or_else(|| "NaN".to_string(), |n| n.to_string())
            };
            format!("{key}: {val}")
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Store for SqliteStore {
    fn location(&self) -> String {
        format!("sqlite://{}", self.root.display())
    }

    /// All or nothing: the batch is validated first, then every database it touches gets
    /// one immediate transaction, and they commit together at the end (exp.db files first,
    /// then meta.db with the caches), so a failure anywhere before the commits leaves no
    /// trace, caches included.
    fn takes_span_records(&self) -> bool {
        true
    }

    fn writes_one_at_a_time(&self) -> bool {
        true
    }

    async fn write(&self, batch: &Batch) -> Result<()> {
        batch.validate()?;
        self.check_writable()?;
        let mut exps = lock(&self.exps)?;
        let meta_guard = lock(&self.meta)?;
        let mut order: Vec<&str> = Vec::new();
        for r in &batch.records {
            let has_data = matches!(
                r,
                Record::Create(_)
                    | Record::Params { .. }
                    | Record::Metrics { .. }
                    | Record::Spans { .. }
                    | Record::SpanRecords { .. }
                    | Record::Attachment { .. }
                    | Record::EvalSample { .. }
                    | Record::EvalTraceLink { .. }
                    | Record::Annotation { .. }
                    | Record::UpdateAnnotation { .. }
                    | Record::DeleteAnnotation { .. }
            );
            if has_data && !order.contains(&r.experiment()) {
                order.push(r.experiment());
            }
        }
        if exps.len() + order.len() > MAX_OPEN_EXPERIMENTS {
            exps.retain(|id, _| order.contains(&id.as_str()));
        }
        let meta = begin(&meta_guard, &self.meta_path)?;
        for r in &batch.records {
            if let Record::Create(new) = r {
                self.insert_experiment(&meta, new)?;
            }
        }
        for id in &order {
            self.open_exp(&mut exps, &meta, id)?;
        }

        let mut staged = StagedFiles::new(self.fs.as_ref());
        let mut exp_txs = Vec::with_capacity(order.len());
        let mut latest_after = Vec::with_capacity(order.len());
        for id in &order {
            let ec = exps
                .get(*id)
                .ok_or_else(|| Error::storage(format!("experiment {id} connection vanished")))?;
            let tx = begin(&ec.conn, &ec.path)?;
            let data_version: i64 = tx
                .query_row("PRAGMA data_version", [], |r| r.get(0))
                .at(&ec.path)?;
            let records: Vec<&Record> = batch
                .records
                .iter()
                .filter(|r| r.experiment() == *id)
                .collect();
            let trusted = ec.data_version == Some(data_version);
            let (touched, latest) = self.write_data(&tx, ec, id, &records, &mut staged, trusted)?;
            if touched.params {
                let p = expdb::read_params(&tx, &ec.path)?;
                let obj: serde_json::Map<String, serde_json::Value> =
                    p.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                meta.execute(
                    "UPDATE experiments SET static_params = ?1 WHERE id = ?2",
                    params![serde_json::Value::Object(obj).to_string(), id],
                )
                .at(&self.meta_path)?;
            }
            if touched.metrics {
                meta.execute(
                    "UPDATE experiments SET dynamic_params = ?1 WHERE id = ?2",
                    params![metric_cache_json(&latest), id],
                )
                .at(&self.meta_path)?;
            }
            exp_txs.push((tx, ec.path.clone()));
            latest_after.push((id.to_string(), latest, data_version));
        }
        for r in &batch.records {
            match r {
                Record::SetStatus {
                    experiment,
                    status,
                    duration,
                } => {
                    let n = meta
                        .execute(
                            "UPDATE experiments SET status = ?1, duration = COALESCE(?2, duration) WHERE id = ?3",
                            params![status.luml_name(), duration, experiment],
                        )
                        .at(&self.meta_path)?;
                    if n == 0 {
                        return Err(Error::ExperimentNotFound(experiment.clone()));
                    }
                }
                Record::Model { experiment, model } => {
                    if !self.exists(&meta, experiment)? {
                        return Err(Error::ExperimentNotFound(experiment.clone()));
                    }
                    let path = self.relative_to_root(&model.path);
                    meta.execute(
                        "INSERT OR REPLACE INTO models(id, name, created_at, tags, path, experiment_id, size, source, description)
                         VALUES (?1, ?2, ?3, '[]', ?4, ?5, ?6, NULL, NULL)",
                        params![model.id, model.name, iso_from_millis(model.created_at), path, experiment, model.size.map(|s| s as i64)],
                    )
                    .at(&self.meta_path)?;
                }
                _ => {}
            }
        }
        for (tx, path) in exp_txs {
            tx.commit().at(&path)?;
        }
        staged.publish()?;
        meta.commit().at(&self.meta_path)?;
        drop(meta_guard);
        for (id, latest, data_version) in latest_after {
            if let Some(ec) = exps.get_mut(&id) {
                ec.latest = Some(latest);
                ec.data_version = Some(data_version);
            }
        }
        Ok(())
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentInfo>> {
        let rows = {
            let meta = lock(&self.meta)?;
            self.read_info(&meta, None)?
        };
        Ok(self.complete(rows))
    }

    /// The filter as SQL over meta.db's caches (`crate::search`), which keeps every run the
    /// filter keeps and few others; the in-memory evaluation over those rows decides and sorts.
    async fn search_experiments(&self, query: &Query) -> Result<Vec<ExperimentInfo>> {
        let Some(filter) = &query.filter else {
            return Ok(query.apply(self.list_experiments().await?));
        };
        let (condition, binds) = crate::search::condition(filter);
        let binds: Vec<SqlValue> = binds.into_iter().map(SqlValue::from).collect();
        let rows = {
            let meta = lock(&self.meta)?;
            self.read_where(&meta, &condition, &binds)?
        };
        Ok(query.apply(self.complete(rows)))
    }

    async fn get_experiment(&self, id: &str) -> Result<ExperimentInfo> {
        validate::experiment_id(id).map_err(|_| Error::ExperimentNotFound(id.to_string()))?;
        let rows = {
            let meta = lock(&self.meta)?;
            self.read_info(&meta, Some(id))?
        };
        let (mut info, _) = rows
            .into_iter()
            .next()
            .ok_or_else(|| Error::ExperimentNotFound(id.to_string()))?;
        self.fill_from_exp_db(&mut info, true, true)?;
        Ok(info)
    }

    async fn list_groups(&self) -> Result<Vec<GroupInfo>> {
        let meta = lock(&self.meta)?;
        let mut stmt = meta
            .prepare_cached(
                "SELECT g.id, g.name, g.description, g.created_at, COUNT(e.id)
                 FROM experiment_groups g LEFT JOIN experiments e ON e.group_id = g.id
                 GROUP BY g.id ORDER BY g.name",
            )
            .at(&self.meta_path)?;
        let rows = stmt
            .query_map([], |r| {
                let created: Option<String> = r.get(3)?;
                Ok(GroupInfo {
                    id: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    description: r.get(2)?,
                    created_at: created.as_deref().and_then(millis_from_iso).unwrap_or(0),
                    experiment_count: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .at(&self.meta_path)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .at(&self.meta_path)
    }

    /// From each key's pyramid when it is current (a wide series' count and extremes
    /// without reading its points), else by scanning the points.
    async fn list_metrics(&self, id: &str) -> Result<Vec<MetricSummary>> {
        self.with_exp(id, |ec| {
            let (conn, path) = (&ec.conn, &ec.path);
            let mut out = Vec::new();
            for key in expdb::metric_keys(conn, path)? {
                let summary = match blocks::summary(conn, path, &key)? {
                    Some(agg) => MetricSummary {
                        last_value: expdb::value_at(conn, path, &key, agg.last_step)?,
                        count: agg.count.unsigned_abs(),
                        first_step: agg.first_step,
                        last_step: agg.last_step,
                        min: (!agg.min.1.is_nan()).then_some(agg.min.1),
                        max: (!agg.max.1.is_nan()).then_some(agg.max.1),
                        key,
                    },
                    None => expdb::key_summary(conn, path, key)?,
                };
                out.push(summary);
            }
            Ok(out)
        })
    }

    async fn metric_points(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
    ) -> Result<Vec<MetricPoint>> {
        self.with_exp(id, |ec| expdb::read_points(&ec.conn, &ec.path, key, range))
    }

    /// From the min/max pyramid when the range is wide, from the points when narrow.
    async fn metric_series(
        &self,
        id: &str,
        key: &str,
        range: StepRange,
        max_points: usize,
    ) -> Result<Vec<MetricPoint>> {
        self.with_exp(id, |ec| {
            let writable = !ec.read_only;
            match blocks::series(&ec.conn, &ec.path, key, range, max_points, writable)? {
                Some(points) => Ok(points),
                None => {
                    let points = expdb::read_points(&ec.conn, &ec.path, key, range)?;
                    Ok(sextant_core::downsample::downsample(&points, max_points))
                }
            }
        })
    }

    async fn list_attachments(&self, id: &str) -> Result<Vec<AttachmentInfo>> {
        self.with_exp(id, |ec| {
            Ok(expdb::read_attachments(&ec.conn, &ec.path)?
                .into_iter()
                .map(|(info, _)| info)
                .collect())
        })
    }

    async fn get_attachment(&self, id: &str, name: &str) -> Result<Vec<u8>> {
        validate::attachment_name(name)?;
        let rows = self.with_exp(id, |ec| expdb::read_attachments(&ec.conn, &ec.path))?;
        let (_, file) = rows
            .into_iter()
            .find(|(info, _)| info.name == name)
            .ok_or_else(|| Error::AttachmentNotFound {
                experiment: id.to_string(),
                name: name.to_string(),
            })?;
        // The stored path is data from disk, so it gets the same scrutiny as a name.
        let path = self.attachment_path(id, &file, false)?;
        self.fs
            .read(&path)?
            .ok_or_else(|| Error::AttachmentNotFound {
                experiment: id.to_string(),
                name: name.to_string(),
            })
    }

    /// Chunk by chunk into a temporary file beside the target, then the row and the
    /// rename, as a batch's attachments: memory stays at one chunk whatever the size.
    async fn put_attachment(
        &self,
        id: &str,
        name: &str,
        created_at: i64,
        mut chunks: sextant_core::ByteStream,
    ) -> Result<u64> {
        validate::attachment_name(name)?;
        validate::millis("created_at", created_at)?;
        self.check_writable()?;
        // No bytes land for an experiment that does not exist.
        self.with_exp(id, |_| Ok(()))?;
        let mut staged = StagedFiles::new(self.fs.as_ref());
        let tmp = staged.stage(self.fs.as_ref(), self.attachment_path(id, name, true)?, &[])?;
        let mut size = 0u64;
        while let Some(chunk) = sextant_core::chunks::next_chunk(&mut chunks).await {
            let chunk = chunk?;
            self.fs.append(&tmp, &chunk)?;
            size += chunk.len() as u64;
        }
        self.with_exp(id, |ec| {
            let tx = begin(&ec.conn, &ec.path)?;
            let row_id = attachment_row_id(id, name, created_at);
            expdb::write_attachment_row(&tx, &ec.path, &row_id, name, size, created_at)?;
            tx.commit().at(&ec.path)
        })?;
        staged.publish()?;
        Ok(size)
    }

    async fn read_attachment(
        &self,
        id: &str,
        name: &str,
    ) -> Result<(u64, sextant_core::ByteStream)> {
        validate::attachment_name(name)?;
        let rows = self.with_exp(id, |ec| expdb::read_attachments(&ec.conn, &ec.path))?;
        let missing = || Error::AttachmentNotFound {
            experiment: id.to_string(),
            name: name.to_string(),
        };
        let (info, file) = rows
            .into_iter()
            .find(|(info, _)| info.name == name)
            .ok_or_else(missing)?;
        let path = self.attachment_path(id, &file, false)?;
        if self.fs.entry(&path) != Entry::File {
            return Err(missing());
        }
        let fs = self.fs.clone();
        let mut offset = 0u64;
        let stream = sextant_core::chunks::from_fn(move || {
            let chunk = fs
                .read_at(&path, offset, sextant_core::chunks::CHUNK)?
                .unwrap_or_default();
            if chunk.is_empty() {
                return Ok(None);
            }
            offset += chunk.len() as u64;
            Ok(Some(chunk))
        });
        Ok((info.size, stream))
    }

    async fn list_spans(&self, id: &str, trace_id: Option<&str>) -> Result<Vec<Span>> {
        self.with_exp(id, |ec| expdb::read_spans(&ec.conn, &ec.path, trace_id))
    }

    async fn list_eval_samples(&self, id: &str) -> Result<Vec<EvalSample>> {
        self.with_exp(id, |ec| {
            sextant_luml::evals::read_samples(&ec.conn, &ec.path)
        })
    }

    async fn list_annotations(&self, id: &str) -> Result<Vec<Annotation>> {
        self.with_exp(id, |ec| {
            sextant_luml::evals::read_annotations(&ec.conn, &ec.path)
        })
    }

    async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>> {
        validate::experiment_id(id).map_err(|_| Error::ExperimentNotFound(id.to_string()))?;
        let meta = lock(&self.meta)?;
        if !self.exists(&meta, id)? {
            return Err(Error::ExperimentNotFound(id.to_string()));
        }
        let mut stmt = meta
            .prepare_cached("SELECT id, name, path, created_at, size FROM models WHERE experiment_id = ?1 ORDER BY created_at")
            .at(&self.meta_path)?;
        let rows = stmt
            .query_map(params![id], |r| {
                let created: Option<String> = r.get(3)?;
                Ok(ModelInfo {
                    id: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    path: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    created_at: created.as_deref().and_then(millis_from_iso).unwrap_or(0),
                    size: r.get::<_, Option<i64>>(4)?.map(|s| s.max(0) as u64),
                })
            })
            .at(&self.meta_path)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .at(&self.meta_path)
    }

    async fn update_experiment(&self, id: &str, update: &ExperimentUpdate) -> Result<()> {
        validate::experiment_id(id).map_err(|_| Error::ExperimentNotFound(id.to_string()))?;
        if let Some(n) = &update.name {
            validate::label("experiment name", n)?;
        }
        for t in update.tags.iter().flatten() {
            validate::label("tag", t)?;
        }
        self.check_writable()?;
        let guard = lock(&self.meta)?;
        let meta = begin(&guard, &self.meta_path)?;
        if !self.exists(&meta, id)? {
            return Err(Error::ExperimentNotFound(id.to_string()));
        }
        let tags = update
            .tags
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".into()));
        meta.execute(
            "UPDATE experiments SET name = COALESCE(?1, name), description = COALESCE(?2, description),
                tags = COALESCE(?3, tags) WHERE id = ?4",
            params![update.name, update.description, tags, id],
        )
        .at(&self.meta_path)?;
        meta.commit().at(&self.meta_path)
    }

    async fn checkpoint(&self) -> Result<()> {
        SqliteStore::checkpoint(self)
    }

    async fn delete_experiment(&self, id: &str) -> Result<()> {
        validate::experiment_id(id).map_err(|_| Error::ExperimentNotFound(id.to_string()))?;
        self.check_writable()?;
        let mut exps = lock(&self.exps)?;
        exps.remove(id);
        {
            let meta = lock(&self.meta)?;
            let tx = begin(&meta, &self.meta_path)?;
            tx.execute("DELETE FROM models WHERE experiment_id = ?1", params![id])
                .at(&self.meta_path)?;
            let n = tx
                .execute("DELETE FROM experiments WHERE id = ?1", params![id])
                .at(&self.meta_path)?;
            if n == 0 {
                return Err(Error::ExperimentNotFound(id.to_string()));
            }
            tx.commit().at(&self.meta_path)?;
        }
        self.fs.remove_dir_all(&self.root.join(id))
    }

    fn tokens(&self) -> Option<&dyn sextant_core::TokenStore> {
        Some(self)
    }
}

impl SqliteStore {
    /// luml keeps model paths relative to the store root when the model lives inside it.
    fn relative_to_root(&self, path: &str) -> String {
        let p = Path::new(path);
        match (self.fs.canonicalize(p), self.fs.canonicalize(&self.root)) {
            (Some(abs), Some(root)) => abs
                .strip_prefix(&root)
                .map(|rel| rel.to_string_lossy().into_owned())
                .unwrap_or_else(|_| path.to_string()),
            _ => path.to_string(),
        }
    }
}
