//! Where attachment bytes live. Metadata is always in PostgreSQL; the bytes are in the
//! database itself (the default: every replica reaches them with no more set-up, and the
//! database's backups include them) or, with `?artifacts=URL`, in an object store through
//! the `object_store` crate, under `[PREFIX/]EXPERIMENT/VERSION/NAME`: `file:///DIR`,
//! `s3://BUCKET/PREFIX`, `gs://BUCKET/PREFIX` or `az://CONTAINER/PREFIX`. Cloud
//! credentials and settings come from the usual environment variables (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`) and from `artifacts_KEY=VALUE` parameters of the connection
//! string, which win (`artifacts_endpoint=http://127.0.0.1:9000&artifacts_allow_http=true`
//! for an S3-compatible server).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use object_store::{path::Path as ObjPath, ObjectStore, ObjectStoreExt, PutPayload};
use sextant_core::{Error, Result};

#[derive(Debug, Clone)]
pub enum Artifacts {
    /// `bytea` in the `attachments` row.
    Database,
    Objects {
        store: Arc<dyn ObjectStore>,
        /// The `?artifacts=` value, for messages.
        url: String,
    },
}

fn bad(spec: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what: "artifacts location",
        value: spec.to_string(),
        reason: reason.into(),
    }
}

fn unknown_option(spec: &str, key: &str) -> Error {
    bad(
        spec,
        format!("artifacts_{key} is not a setting of this object store (e.g. artifacts_endpoint, artifacts_region, artifacts_allow_http, artifacts_access_key_id)"),
    )
}

impl Artifacts {
    /// Parses `?artifacts=` and its `artifacts_*` options: absent or `postgres` → in the
    /// database; `file:///DIR` → a directory (created if missing; on a shared mount when
    /// several hosts serve); `s3://`, `gs://`, `az://` → that bucket or container.
    pub fn open(spec: Option<&str>, options: &[(String, String)]) -> Result<Artifacts> {
        let Some(spec) = spec.filter(|s| !s.is_empty() && *s != "postgres") else {
            return Ok(Artifacts::Database);
        };
        let url = url::Url::parse(spec).map_err(|e| bad(spec, e.to_string()))?;
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "file" => {
                if let Some((key, _)) = options.first() {
                    return Err(bad(spec, format!("artifacts_{key} is for cloud object stores, not file://")));
                }
                let dir = url
                    .to_file_path()
                    .map_err(|_| bad(spec, "expected file:///ABSOLUTE/DIR"))?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| bad(spec, format!("cannot create {}: {e}", dir.display())))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| bad(spec, e.to_string()))?;
                return Ok(Artifacts::Objects {
                    store: Arc::new(store),
                    url: spec.to_string(),
                });
            }
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_url(spec);
                for (key, value) in options {
                    let k = key.parse().map_err(|_| unknown_option(spec, key))?;
                    b = b.with_config(k, value);
                }
                Arc::new(b.build().map_err(|e| bad(spec, e.to_string()))?)
            }
            "gs" => {
                let mut b =
                    object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(spec);
                for (key, value) in options {
                    let k = key.parse().map_err(|_| unknown_option(spec, key))?;
                    b = b.with_config(k, value);
                }
                Arc::new(b.build().map_err(|e| bad(spec, e.to_string()))?)
            }
            "az" | "azure" | "abfs" | "abfss" => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(spec);
                for (key, value) in options {
                    let k = key.parse().map_err(|_| unknown_option(spec, key))?;
                    b = b.with_config(k, value);
                }
                Arc::new(b.build().map_err(|e| bad(spec, e.to_string()))?)
            }
            other => {
                return Err(bad(
                    spec,
                    format!("{other}:// is not an object store Sextant knows; use file:///DIR, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, az://CONTAINER/PREFIX, or leave artifacts out to keep them in PostgreSQL"),
                ))
            }
        };
        // The path after the bucket is a prefix every key lives under.
        let prefix = url.path().trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Artifacts::Objects {
            store,
            url: spec.to_string(),
        })
    }

    fn storage(&self, key: &str, e: object_store::Error) -> Error {
        let url = match self {
            Artifacts::Objects { url, .. } => url.as_str(),
            Artifacts::Database => "postgres",
        };
        Error::storage(format!("artifact store {url}: object {key:?}: {e}"))
    }

    /// Stores the bytes of a new attachment version; returns its object key.
    pub async fn put(&self, experiment: &str, name: &str, data: &[u8]) -> Result<Option<String>> {
        let Artifacts::Objects { store, .. } = self else {
            return Ok(None);
        };
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let version = format!("{nanos:x}{:x}", N.fetch_add(1, Ordering::Relaxed));
        let key = format!("{experiment}/{version}/{name}");
        let path = ObjPath::parse(&key).map_err(|e| self.storage(&key, e.into()))?;
        store
            .put(&path, PutPayload::from(data.to_vec()))
            .await
            .map_err(|e| self.storage(&key, e))?;
        Ok(Some(key))
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let Artifacts::Objects { store, .. } = self else {
            return Err(Error::corrupt(format!(
                "attachment bytes are in an object store ({key:?}) but this store has no ?artifacts= location"
            )));
        };
        let path = ObjPath::parse(key).map_err(|e| self.storage(key, e.into()))?;
        let got = store.get(&path).await.map_err(|e| self.storage(key, e))?;
        Ok(got
            .bytes()
            .await
            .map_err(|e| self.storage(key, e))?
            .to_vec())
    }

    /// Best effort: an object left behind wastes space but loses nothing.
    pub async fn delete_all(&self, keys: &[String]) {
        if let Artifacts::Objects { store, .. } = self {
            for key in keys {
                if let Ok(path) = ObjPath::parse(key) {
                    let _ = store.delete(&path).await;
                }
            }
        }
    }
}
