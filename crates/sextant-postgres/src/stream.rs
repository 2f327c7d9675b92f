//! Attachments streamed in and out of object storage (`?artifacts=`), so the server never
//! holds a large file whole; with bytes in the database they are kept whole, up to
//! [`sextant_core::store::WHOLE_ATTACHMENT_LIMIT`].

use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use sextant_core::chunks::Stream;
use sextant_core::{ByteStream, Result};
use tokio::sync::mpsc;

use crate::errors::query_error;
use crate::Inner;

/// Uploads the chunks as a new object, then records it in one transaction (replacing the
/// attachment of that name, whose old object is removed once that commits). A failure
/// leaves neither row nor object.
pub async fn put(
    inner: &Inner,
    id: &str,
    name: &str,
    created_at: i64,
    mut chunks: ByteStream,
) -> Result<Option<u64>> {
    // The experiment must exist before any bytes are uploaded.
    {
        let client = inner.conn().await?;
        crate::read::seq(&client, id).await?;
    }
    let Some((key, size)) = inner.artifacts.put_stream(id, name, &mut chunks).await? else {
        return Ok(None);
    };
    match record(inner, id, name, created_at, &key, size).await {
        Ok(old) => {
            inner.artifacts.delete_all(&old).await;
            Ok(Some(size))
        }
        Err(e) => {
            inner.artifacts.delete_all(&[key]).await;
            Err(e)
        }
    }
}

async fn record(
    inner: &Inner,
    id: &str,
    name: &str,
    created_at: i64,
    key: &str,
    size: u64,
) -> Result<Vec<String>> {
    let mut client = inner.conn().await?;
    let tx = client.transaction().await.map_err(query_error)?;
    let seq = crate::read::seq(&tx, id).await?;
    let old: Vec<String> = tx
        .query_opt(
            "SELECT object_key FROM attachments WHERE experiment = $1 AND name = $2",
            &[&seq, &name],
        )
        .await
        .map_err(query_error)?
        .and_then(|r| r.get(0))
        .into_iter()
        .collect();
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO attachments (experiment, name, size, created_at, data, object_key)
         VALUES ($1, $2, $3, $4, NULL, $5)
         ON CONFLICT (experiment, name) DO UPDATE SET size = excluded.size,
           created_at = excluded.created_at, data = NULL, object_key = excluded.object_key",
        &[&seq, &name, &size, &created_at, &key],
    )
    .await
    .map_err(query_error)?;
    crate::notify::announce(
        &tx,
        &inner.cfg,
        &inner.origin,
        vec![(id.to_string(), BTreeMap::new())],
    )
    .await?;
    tx.commit().await.map_err(query_error)?;
    Ok(old)
}

/// The attachment's size and where its bytes are: in the row, or an object key.
pub async fn locate(inner: &Inner, id: &str, name: &str) -> Result<(u64, Option<String>)> {
    let row = crate::read::attachment_row(inner, id, name, "size, object_key").await?;
    Ok((u64::try_from(row.get::<_, i64>(0)).unwrap_or(0), row.get(1)))
}

/// Chunks read by a task on the store's own runtime (where the object store's client
/// lives), handed over through a small channel so the reader may be on any runtime.
pub struct Pumped(pub mpsc::Receiver<Result<Vec<u8>>>);

impl Stream for Pumped {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
