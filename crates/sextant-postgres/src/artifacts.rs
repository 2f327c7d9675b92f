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

use object_store::{
    path::Path as ObjPath, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
};
use sextant_core::chunks::next_chunk;
use sextant_core::{ByteStream, Error, Result};

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

fn no_object_store(key: &str) -> Error {
    Error::corrupt(format!(
        "attachment bytes are in an object store ({key:?}) but this store has no ?artifacts= location"
    ))
}

/// A key no other upload uses: `EXPERIMENT/VERSION/NAME`, so a replaced attachment's old
/// object stays readable until the replacing transaction commits.
fn new_key(experiment: &str, name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let version = format!("{nanos:x}{:x}", N.fetch_add(1, Ordering::Relaxed));
    format!("{experiment}/{version}/{name}")
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
        let key = new_key(experiment, name);
        let path = ObjPath::parse(&key).map_err(|e| self.storage(&key, e.into()))?;
        store
            .put(&path, PutPayload::from(data.to_vec()))
            .await
            .map_err(|e| self.storage(&key, e))?;
        Ok(Some(key))
    }

    /// Streams `chunks` into a new object (a multipart upload: memory stays at a few
    /// parts whatever the size); `None` when bytes are kept in the database. On error the
    /// upload is aborted and nothing is left.
    pub async fn put_stream(
        &self,
        experiment: &str,
        name: &str,
        chunks: &mut ByteStream,
    ) -> Result<Option<(String, u64)>> {
        let Artifacts::Objects { store, .. } = self else {
            return Ok(None);
        };
        let key = new_key(experiment, name);
        let path = ObjPath::parse(&key).map_err(|e| self.storage(&key, e.into()))?;
        let upload = store
            .put_multipart(&path)
            .await
            .map_err(|e| self.storage(&key, e))?;
        let mut writer = WriteMultipart::new(upload);
        let mut size = 0u64;
        loop {
            let chunk = match next_chunk(chunks).await {
                None => break,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    let _ = writer.abort().await;
                    return Err(e);
                }
            };
            // At most this many parts in flight, so a fast client cannot fill memory.
            if let Err(e) = writer.wait_for_capacity(4).await {
                let _ = writer.abort().await;
                return Err(self.storage(&key, e));
            }
            writer.write(&chunk);
            size += chunk.len() as u64;
        }
        writer.finish().await.map_err(|e| self.storage(&key, e))?;
        Ok(Some((key, size)))
    }

    /// The object's bytes as they arrive.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<impl futures_util::Stream<Item = Result<Vec<u8>>> + Send + 'static> {
        use futures_util::StreamExt;
        let Artifacts::Objects { store, url } = self else {
            return Err(no_object_store(key));
        };
        let path = ObjPath::parse(key).map_err(|e| self.storage(key, e.into()))?;
        let got = store.get(&path).await.map_err(|e| self.storage(key, e))?;
        let (url, key) = (url.clone(), key.to_string());
        Ok(got.into_stream().map(move |chunk| {
            chunk
                .map(|b| b.to_vec())
                .map_err(|e| Error::storage(format!("artifact store {url}: object {key:?}: {e}")))
        }))
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let Artifacts::Objects { store, .. } = self else {
            return Err(no_object_store(key));
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
