//! Reading an API request body within two bounds: at most `MAX_BODY_BYTES` per body, and at
//! most the body memory budget (`--max-body-memory`) across all bodies held at once. A body
//! with a `Content-Length` (what the SDKs send) is reserved whole before it is read, so
//! concurrent bodies never each hold a part and starve one another; a chunked body is
//! reserved as it arrives, and a gzip body by its decoded bytes. A client that announces a
//! body and stalls holds its reservation at most until the body timeout. The reservation lasts
//! until the answer is written. A body that waits longer than `BUDGET_WAIT` for room is refused
//! with `ThrottlingException`, which the SDKs retry with backoff; one larger than the whole
//! budget with `RequestEntityTooLargeException`.

use super::MAX_BODY_BYTES;
use crate::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use codecommit_model::ErrorCode;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a body may wait for room in the budget.
pub const BUDGET_WAIT: Duration = Duration::from_secs(2);

/// The bytes of request bodies the server holds at once.
pub struct BodyBudget {
    permits: Semaphore,
    total: usize,
}

impl BodyBudget {
    pub fn new(bytes: usize) -> BodyBudget {
        let total = bytes.clamp(1, Semaphore::MAX_PERMITS);
        BodyBudget {
            permits: Semaphore::new(total),
            total,
        }
    }

    /// Bytes reserved right now.
    pub fn in_use(&self) -> usize {
        self.total - self.permits.available_permits()
    }
}

/// Bytes of one body reserved against the budget; released when dropped.
pub struct Reservation<'a> {
    budget: &'a BodyBudget,
    permit: Option<SemaphorePermit<'a>>,
    bytes: usize,
}

impl<'a> Reservation<'a> {
    fn new(budget: &'a BodyBudget) -> Self {
        Reservation {
            budget,
            permit: None,
            bytes: 0,
        }
    }

    /// Grows the reservation by `n` bytes, waiting up to `BUDGET_WAIT` for room.
    async fn grow(&mut self, n: usize) -> Result<(), ApiError> {
        if n == 0 {
            return Ok(());
        }
        let total = self.budget.total;
        if self.bytes + n > total {
            return Err(crate::err!(
                RequestEntityTooLarge,
                "Request body exceeds the server's body memory limit of {total} bytes"
            ));
        }
        let Ok(count) = u32::try_from(n) else {
            return Err(too_large());
        };
        let sem = &self.budget.permits;
        let permit = match sem.try_acquire_many(count) {
            Ok(p) => p,
            Err(_) => match tokio::time::timeout(BUDGET_WAIT, sem.acquire_many(count)).await {
                Ok(Ok(p)) => p,
                _ => {
                    tracing::warn!(
                        body_bytes = self.bytes + n,
                        in_use = self.budget.in_use(),
                        limit = total,
                        "request refused (ThrottlingException): the body memory budget is full"
                    );
                    return Err(crate::err!(
                        Throttling,
                        "Rate exceeded: the server is holding as many request bodies as it allows ({total} bytes); retry shortly."
                    ));
                }
            },
        };
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
        self.bytes += n;
        Ok(())
    }
}

fn too_large() -> ApiError {
    crate::err!(
        RequestEntityTooLarge,
        "Request body exceeds the maximum of {MAX_BODY_BYTES} bytes"
    )
}

fn unreadable(e: &dyn std::fmt::Display) -> ApiError {
    crate::err!(Serialization, "The request body could not be read: {e}")
}

/// The request body, at most `MAX_BODY_BYTES` once decoded, and its reservation. A
/// `Content-Encoding: gzip` body (HTTP clients and proxies that compress uploads) is gunzipped
/// as it is read, like git request bodies; one that does not gunzip is not JSON, so a
/// `SerializationException`. A body that cannot be read whole (cut short, a malformed chunk,
/// nothing arriving for the body timeout) is a `SerializationException` too: only a body that
/// is really too large gets the 413. With `hash`, also the hex SHA-256 of the bytes as they
/// arrived (what a SigV4 signature covers, compressed or not).
pub async fn read<'a>(
    headers: &HeaderMap,
    body: Body,
    budget: &'a BodyBudget,
    hash: bool,
) -> Result<(Bytes, Option<String>, Reservation<'a>), ApiError> {
    use futures_util::StreamExt as _;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip")
        });
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut reserved = Reservation::new(budget);
    if gzip {
        let (bytes, digest) = read_gzip(body, &mut reserved, hash).await?;
        return Ok((bytes, digest, reserved));
    }
    if let Some(n) = declared {
        if n > MAX_BODY_BYTES as u64 {
            return Err(too_large());
        }
        reserved.grow(n as usize).await?;
    }
    let mut stream = body.into_data_stream();
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    let mut len = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| unreadable(&e))?;
        if chunk.is_empty() {
            continue;
        }
        len += chunk.len();
        if len > MAX_BODY_BYTES {
            return Err(too_large());
        }
        // Without a Content-Length (chunked), the reservation follows the bytes.
        if len > reserved.bytes {
            reserved.grow(len - reserved.bytes).await?;
        }
        let Some(head) = &first else {
            first = Some(chunk);
            continue;
        };
        if rest.is_empty() {
            rest.reserve(declared.map_or(head.len() * 2, |n| n as usize));
            rest.extend_from_slice(head);
        }
        rest.extend_from_slice(&chunk);
    }
    let bytes = match first {
        // A body that arrived in one piece is not copied.
        Some(head) if rest.is_empty() => head,
        Some(_) => rest.into(),
        None => Bytes::new(),
    };
    let digest = hash.then(|| crate::identity::verify::sha256_hex(&bytes));
    Ok((bytes, digest, reserved))
}

/// A gzip body, gunzipped as it arrives; the decoded bytes are what the budget counts.
async fn read_gzip(
    body: Body,
    reserved: &mut Reservation<'_>,
    hash: bool,
) -> Result<(Bytes, Option<String>), ApiError> {
    use futures_util::TryStreamExt as _;
    use tokio::io::AsyncReadExt as _;
    // The compressed bytes are hashed as they stream past the decoder.
    let hasher = std::sync::Arc::new(parking_lot::Mutex::new(
        hash.then(|| ring::digest::Context::new(&ring::digest::SHA256)),
    ));
    let feed = hasher.clone();
    let raw = tokio_util::io::StreamReader::new(
        body.into_data_stream()
            .map_ok(move |chunk| {
                if let Some(ctx) = feed.lock().as_mut() {
                    ctx.update(&chunk);
                }
                chunk
            })
            .map_err(std::io::Error::other),
    );
    let mut decoder = async_compression::tokio::bufread::GzipDecoder::new(raw);
    decoder.multiple_members(true);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match decoder.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            // The connection failed (the body is not there), or the bytes do not gunzip.
            Err(e) if e.get_ref().is_some_and(|inner| inner.is::<axum::Error>()) => {
                return Err(unreadable(&e));
            }
            Err(_) => return Err(ApiError::client(ErrorCode::Serialization, "")),
        };
        if out.len() + n > MAX_BODY_BYTES {
            return Err(too_large());
        }
        reserved.grow(n).await?;
        out.extend_from_slice(&buf[..n]);
    }
    let digest = hasher
        .lock()
        .take()
        .map(|ctx| crate::identity::verify::hex(ctx.finish().as_ref()));
    Ok((out.into(), digest))
}
