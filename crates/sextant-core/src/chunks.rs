//! Attachment bytes as a stream of chunks, so a checkpoint of gigabytes moves between a
//! client, a server and object storage without ever being held whole in memory.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use futures_core::Stream;

use crate::error::{Error, Result};

/// Chunks of one attachment, in order: `Send` natively, not on wasm (see
/// [`crate::MaybeSend`]).
#[cfg(not(target_arch = "wasm32"))]
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>>> + Send>>;
/// Chunks of one attachment, in order (see the native definition).
#[cfg(target_arch = "wasm32")]
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>>>>>;

/// Chunk size for streams the stores make: large enough to keep system calls and HTTP
/// frames few, small enough that many transfers at once stay cheap.
pub const CHUNK: usize = 256 * 1024;

/// The next chunk, `None` at the end.
pub async fn next_chunk(stream: &mut ByteStream) -> Option<Result<Vec<u8>>> {
    poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}

/// All of a stream's bytes, refusing more than `limit` (for stores that keep attachments
/// whole: the memory and browser stores, PostgreSQL without object storage).
pub async fn collect(mut stream: ByteStream, limit: u64, name: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = next_chunk(&mut stream).await {
        let chunk = chunk?;
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Err(Error::InvalidInput {
                what: "attachment",
                value: name.to_string(),
                reason: format!(
                    "is over {limit} bytes, the most this store keeps in one piece: use a store with files or object storage for larger attachments"
                ),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A stream of the given bytes, in [`CHUNK`]-sized pieces.
pub fn from_bytes(data: Vec<u8>) -> ByteStream {
    Box::pin(Pieces { data, at: 0 })
}

struct Pieces {
    data: Vec<u8>,
    at: usize,
}

impl Stream for Pieces {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.at >= self.data.len() {
            return Poll::Ready(None);
        }
        let end = (self.at + CHUNK).min(self.data.len());
        let piece = self.data[self.at..end].to_vec();
        self.at = end;
        Poll::Ready(Some(Ok(piece)))
    }
}

/// A stream that pulls each chunk from `next` (a blocking reader: a file): `Ok(None)` ends
/// it, an error ends it after being passed on.
pub fn from_fn<F>(next: F) -> ByteStream
where
    F: FnMut() -> Result<Option<Vec<u8>>> + crate::MaybeSend + Unpin + 'static,
{
    Box::pin(Pull { next: Some(next) })
}

struct Pull<F> {
    next: Option<F>,
}

impl<F: FnMut() -> Result<Option<Vec<u8>>> + Unpin> Stream for Pull<F> {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(next) = self.next.as_mut() else {
            return Poll::Ready(None);
        };
        match next() {
            Ok(Some(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Ok(None) => {
                self.next = None;
                Poll::Ready(None)
            }
            Err(e) => {
                self.next = None;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_round_trip_and_limits() {
        let data: Vec<u8> = (0..CHUNK * 2 + 5).map(|i| (i % 251) as u8).collect();
        let back = pollster::block_on(collect(from_bytes(data.clone()), u64::MAX, "x")).unwrap();
        assert_eq!(back, data);
        let err =
            pollster::block_on(collect(from_bytes(data), CHUNK as u64, "big.bin")).unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
        assert!(err.to_string().contains("big.bin"), "{err}");
    }

    #[test]
    fn a_pulled_error_ends_the_stream() {
        let mut n = 0;
        let mut s = from_fn(move || {
            n += 1;
            match n {
                1 => Ok(Some(vec![1])),
                2 => Err(Error::storage("disk gone")),
                _ => Ok(Some(vec![9])),
            }
        });
        assert_eq!(
            pollster::block_on(next_chunk(&mut s)).unwrap().unwrap(),
            [1]
        );
        assert!(pollster::block_on(next_chunk(&mut s)).unwrap().is_err());
        assert!(pollster::block_on(next_chunk(&mut s)).is_none());
    }
}
