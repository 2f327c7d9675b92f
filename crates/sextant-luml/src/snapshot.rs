//! luml experiment snapshots: the tar `export` writes and `import` reads, and the copy that
//! `link_to_model` appends inside a `.luml` model (see store-layout.md).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::time::millis_from_iso;
use rusqlite::Connection;
use sextant_core::{
    validate, AttachmentInfo, Error, ExperimentDump, ExperimentInfo, Result, Status,
};

use crate::{expdb, schema};

const SNAPSHOT_TAG: &str = "luml.ai::experiment_snapshot:v1";
const MODEL_META_TAG: &str = "dataforce.studio::experiment_snapshot:v1";
/// Members bigger than this are refused rather than read into memory.
const MAX_MEMBER_BYTES: u64 = 8 << 30;

fn snap_err(what: impl std::fmt::Display) -> Error {
    Error::Snapshot(what.to_string())
}

/// Builds the four snapshot members, in luml's order.
fn members(dump: &ExperimentDump) -> Result<Vec<(String, Vec<u8>)>> {
    let info = &dump.info;
    let manifest = serde_json::json!({
        "artifact_type": "experiment",
        "variant": "default",
        "name": info.name,
        "description": info.description,
        "version": "1",
        "producer_name": "sextant",
        "producer_version": env!("CARGO_PKG_VERSION"),
        "producer_tags": [SNAPSHOT_TAG],
        "payload": {
            "local_experiment_id": info.id,
            "status": info.status.luml_name(),
            "group": info.group,
            "tags": info.tags,
            // Beyond luml's fields, so a Sextant import restores the whole overview.
            "group_name": info.group,
            "created_at": crate::time::iso_from_millis(info.created_at),
            "duration": info.duration,
            "source": info.source,
        }
    });
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(snap_err)?;
    let db = exp_db_bytes(dump)?;
    let mut zip_bytes = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut zip_bytes);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("exp.db", opts).map_err(snap_err)?;
        zip.write_all(&db).map_err(snap_err)?;
        zip.finish().map_err(snap_err)?;
    }
    let (attachments_tar, index) = attachments_tar(&dump.attachments)?;
    Ok(vec![
        ("manifest.json".to_string(), manifest),
        ("exp.db.zip".to_string(), zip_bytes.into_inner()),
        ("attachments.tar".to_string(), attachments_tar),
        ("attachments.index.json".to_string(), index),
    ])
}

/// The experiment as a standalone exp.db file image.
fn exp_db_bytes(dump: &ExperimentDump) -> Result<Vec<u8>> {
    let path = Path::new("exp.db (snapshot)");
    let sql = |e: rusqlite::Error| crate::sql::sql_err(path, e);
    let mut conn = Connection::open_in_memory().map_err(sql)?;
    schema::create_exp(&conn, path)?;
    {
        let tx = conn.transaction().map_err(sql)?;
        let params: Vec<_> = dump
            .info
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        expdb::write_params(&tx, path, &params)?;
        for (key, points) in &dump.metrics {
            expdb::write_metrics(&tx, path, key, points, false)?;
        }
        expdb::write_spans(&tx, path, &dump.spans)?;
        for (i, (a, _)) in dump.attachments.iter().enumerate() {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", i, a.size);
            expdb::write_attachment_row(&tx, path, &id, &a.name, a.size, a.created_at)?;
        }
        let evals = sextant_core::dump::eval_records(
            &dump.info.id,
            dump.evals.clone(),
            dump.annotations.clone(),
        );
        for r in &evals {
            crate::evals::write(&tx, path, r)?;
        }
        tx.commit().map_err(sql)?;
    }
    let data = conn.serialize(rusqlite::MAIN_DB).map_err(sql)?;
    Ok(data.to_vec())
}

fn header(size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(mtime);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// attachments.tar plus its index of `{member: [data offset, size]}`.
fn attachments_tar(attachments: &[(AttachmentInfo, Vec<u8>)]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    b.append_data(&mut dir, "attachments/", std::io::empty())
        .map_err(snap_err)?;
    for (a, data) in attachments {
        validate::attachment_name(&a.name)?;
        let mut h = header(data.len() as u64, (a.created_at.max(0) / 1000) as u64);
        b.append_data(&mut h, format!("attachments/{}", a.name), data.as_slice())
            .map_err(snap_err)?;
    }
    let bytes = b.into_inner().map_err(snap_err)?;
    let mut index = serde_json::Map::new();
    let mut archive = tar::Archive::new(Cursor::new(&bytes));
    for entry in archive.entries().map_err(snap_err)? {
        let entry = entry.map_err(snap_err)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry
            .path()
            .map_err(snap_err)?
            .to_string_lossy()
            .into_owned();
        index.insert(
            name,
            serde_json::json!([entry.raw_file_position(), entry.size()]),
        );
    }
    let index = serde_json::to_vec(&serde_json::Value::Object(index)).map_err(snap_err)?;
    Ok((bytes, index))
}

/// The snapshot tar (manifest.json, exp.db.zip, attachments.tar, attachments.index.json).
pub fn to_tar_bytes(dump: &ExperimentDump) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members(dump)? {
        b.append_data(&mut header(data.len() as u64, 0), name, data.as_slice())
            .map_err(snap_err)?;
    }
    b.into_inner().map_err(snap_err)
}

/// Reads a snapshot tar written by Sextant or luml-sdk.
pub fn from_tar_bytes(bytes: &[u8]) -> Result<ExperimentDump> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    for entry in archive
        .entries()
        .map_err(|e| snap_err(format!("not a tar file: {e}")))?
    {
        let mut entry = entry.map_err(|e| snap_err(format!("damaged tar: {e}")))?;
        let name = entry
            .path()
            .map_err(snap_err)?
            .to_string_lossy()
            .into_owned();
        if !["manifest.json", "exp.db.zip", "attachments.tar"].contains(&name.as_str()) {
            continue;
        }
        if entry.size() > MAX_MEMBER_BYTES {
            return Err(snap_err(format!(
                "{name} is larger than {MAX_MEMBER_BYTES} bytes"
            )));
        }
        let data = read_capped(&mut entry, &name)?;
        files.insert(name, data);
    }
    let need = |name: &str| {
        files
            .get(name)
            .ok_or_else(|| snap_err(format!("{name} is missing")))
    };
    let manifest: serde_json::Value = serde_json::from_slice(need("manifest.json")?)
        .map_err(|e| snap_err(format!("manifest.json is not JSON: {e}")))?;
    if manifest["artifact_type"] != "experiment" {
        return Err(snap_err("manifest.json does not describe an experiment"));
    }
    let payload = &manifest["payload"];
    let id = payload["local_experiment_id"]
        .as_str()
        .ok_or_else(|| snap_err("manifest.json has no payload.local_experiment_id"))?
        .to_string();
    validate::experiment_id(&id)?;
    let db = unzip_exp_db(need("exp.db.zip")?)?;
    let mut dump = read_exp_db(db, &id)?;
    let attachments = match files.get("attachments.tar") {
        Some(t) => read_attachments_tar(t)?,
        None => BTreeMap::new(),
    };
    for (info, data) in &mut dump.attachments {
        if let Some(d) = attachments.get(&info.name) {
            info.size = d.len() as u64;
            *data = d.clone();
        }
    }
    dump.attachments
        .retain(|(a, _)| attachments.contains_key(&a.name));
    let text = |k: &str| payload[k].as_str().map(str::to_string);
    let info = &mut dump.info;
    info.name = manifest["name"].as_str().unwrap_or(&id).to_string();
    info.description = manifest["description"].as_str().map(str::to_string);
    info.status = Status::parse_lenient(payload["status"].as_str().unwrap_or("completed"));
    info.tags = serde_json::from_value(payload["tags"].clone()).unwrap_or_default();
    // luml records only the group's id; without our group_name it lands in "imported".
    info.group = text("group_name").unwrap_or_else(|| "imported".to_string());
    info.source = text("source");
    info.duration = payload["duration"].as_f64();
    let earliest = dump
        .metrics
        .values()
        .flatten()
        .map(|p| p.logged_at)
        .filter(|t| *t > 0)
        .min();
    dump.info.created_at = text("created_at")
        .as_deref()
        .and_then(millis_from_iso)
        .or(earliest)
        .unwrap_or(0);
    Ok(dump)
}

fn unzip_exp_db(zip_bytes: &[u8]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes))
        .map_err(|e| snap_err(format!("exp.db.zip is not a zip: {e}")))?;
    let mut file = zip
        .by_name("exp.db")
        .map_err(|_| snap_err("exp.db.zip holds no exp.db"))?;
    if file.size() > MAX_MEMBER_BYTES {
        return Err(snap_err("exp.db is too large"));
    }
    let data = read_capped(&mut file, "exp.db")?;
    Ok(data)
}

/// Opens an exp.db image in memory and reads it all.
fn read_exp_db(mut db: Vec<u8>, id: &str) -> Result<ExperimentDump> {
    let path = Path::new("exp.db (snapshot)");
    let sql = |e: rusqlite::Error| crate::sql::sql_err(path, e);
    if db.len() < 100 || !db.starts_with(b"SQLite format 3\0") {
        return Err(snap_err(
            "exp.db inside the snapshot is not a SQLite database",
        ));
    }
    // A file saved in WAL mode says so in bytes 18-19; an in-memory image must not.
    db[18] = 1;
    db[19] = 1;
    let mut conn = Connection::open_in_memory().map_err(sql)?;
    let len = db.len();
    conn.deserialize_read_exact(rusqlite::MAIN_DB, db.as_slice(), len, true)
        .map_err(sql)?;
    let params = expdb::read_params(&conn, path)?;
    let mut metrics = BTreeMap::new();
    for m in expdb::list_metrics(&conn, path)? {
        let points = expdb::read_points(&conn, path, &m.key, sextant_core::StepRange::ALL)?;
        metrics.insert(m.key, points);
    }
    let spans = expdb::read_spans(&conn, path, None)?;
    let attachments = expdb::read_attachments(&conn, path)?
        .into_iter()
        .map(|(a, _)| (a, Vec::new()))
        .collect();
    let latest = metrics
        .iter()
        .filter_map(|(k, pts)| pts.last().map(|p| (k.clone(), p.value)))
        .collect();
    Ok(ExperimentDump {
        info: ExperimentInfo {
            id: id.to_string(),
            name: String::new(),
            group: String::new(),
            status: Status::Completed,
            tags: Vec::new(),
            created_at: 0,
            duration: None,
            description: None,
            source: None,
            params,
            metrics: latest,
            unreadable: None,
            created_by: None,
        },
        metrics,
        spans,
        attachments,
        models: Vec::new(),
        evals: crate::evals::read_samples(&conn, path)?,
        annotations: crate::evals::read_annotations(&conn, path)?,
    })
}

/// Reads a member as it arrives, up to [`MAX_MEMBER_BYTES`]. Sizes in tar and zip headers
/// are whatever the file claims, so nothing is allocated from them: a 1 KB file that says
/// it holds 7 GiB costs 1 KB.
fn read_capped(r: &mut impl Read, name: &str) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    r.take(MAX_MEMBER_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(snap_err)?;
    if data.len() as u64 > MAX_MEMBER_BYTES {
        return Err(snap_err(format!(
            "{name} is larger than {MAX_MEMBER_BYTES} bytes"
        )));
    }
    Ok(data)
}

/// Attachment contents by name; members whose names could escape are refused.
fn read_attachments_tar(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    for entry in archive.entries().map_err(snap_err)? {
        let mut entry = entry.map_err(snap_err)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry
            .path()
            .map_err(snap_err)?
            .to_string_lossy()
            .into_owned();
        let Some(name) = path.strip_prefix("attachments/") else {
            continue;
        };
        validate::attachment_name(name)?;
        let data = read_capped(&mut entry, name)?;
        out.insert(name.to_string(), data);
    }
    Ok(out)
}

/// Appends the snapshot inside a `.luml` model (an uncompressed tar) as luml does:
/// under `meta_artifacts/<snapshot id>/`, plus a `meta-<hex>.json` naming it. Returns the
/// snapshot id. The model's existing members are left byte for byte as they were.
pub fn append_to_model(model: &Path, dump: &ExperimentDump) -> Result<String> {
    let io = |e: std::io::Error| Error::storage(format!("{}: {e}", model.display()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(model)
        .map_err(io)?;
    let end = {
        let mut archive = tar::Archive::new(&mut file);
        let mut end = 0u64;
        for entry in archive.entries().map_err(|e| {
            snap_err(format!(
                "{} is not a tar (.luml) file: {e}",
                model.display()
            ))
        })? {
            let entry =
                entry.map_err(|e| snap_err(format!("{} is damaged: {e}", model.display())))?;
            end = entry.raw_file_position() + entry.size().div_ceil(512) * 512;
        }
        end
    };
    let hex = unique_hex(&dump.info.id, model);
    let snapshot_id = format!("dataforce.studio~c~~c~experiment_snapshot~c~v1~~et~~{hex}");
    file.set_len(end).map_err(io)?;
    file.seek(SeekFrom::Start(end)).map_err(io)?;
    let mut b = tar::Builder::new(&mut file);
    for (name, data) in members(dump)? {
        b.append_data(
            &mut header(data.len() as u64, 0),
            format!("meta_artifacts/{snapshot_id}/{name}"),
            data.as_slice(),
        )
        .map_err(snap_err)?;
    }
    let meta = serde_json::to_vec(&serde_json::json!([
        {"id": snapshot_id, "tags": [MODEL_META_TAG], "payload": {}}
    ]))
    .map_err(snap_err)?;
    b.append_data(
        &mut header(meta.len() as u64, 0),
        format!("meta-{hex}.json"),
        meta.as_slice(),
    )
    .map_err(snap_err)?;
    b.finish().map_err(snap_err)?;
    drop(b);
    file.sync_all().map_err(io)?;
    Ok(snapshot_id)
}

/// 32 hex digits unique to this experiment, model and moment.
fn unique_hex(id: &str, model: &Path) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in id
        .bytes()
        .chain(model.to_string_lossy().bytes())
        .chain(nanos.to_le_bytes())
    {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    format!("{h:032x}")
}
