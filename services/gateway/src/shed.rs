//! Load shedding of the REST API: each backend's part of `/api/v1` admits at
//! most [`ApiLimit::concurrency`] requests at a time. A request over the limit
//! waits up to [`ApiLimit::queue_timeout`] for a turn and is otherwise answered
//! `503` with `Retry-After` (code `OVERLOADED`) by the gateway itself, so a
//! burst is served as fast as the backend can and the rest is told to come
//! back, instead of exhausting the backend's database pool.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kumppani_platform::config::{ConfigError, parse_or};
use kumppani_platform::{AppError, ErrorCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How much of one backend's REST API a gateway replica runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLimit {
    /// Requests in flight per backend (`KUMPPANI_API_MAX_CONCURRENCY`, default 32:
    /// a few times a backend's default pool of 10 connections, far below what
    /// would make its pool time out).
    pub concurrency: usize,
    /// How long a request over the limit waits for a turn
    /// (`KUMPPANI_API_QUEUE_TIMEOUT_MS`, default 2000).
    pub queue_timeout: Duration,
}

impl Default for ApiLimit {
    fn default() -> Self {
        Self { concurrency: 32, queue_timeout: Duration::from_millis(2000) }
    }
}

impl ApiLimit {
    /// Reads `KUMPPANI_API_MAX_CONCURRENCY` and `KUMPPANI_API_QUEUE_TIMEOUT_MS`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let concurrency = parse_or("KUMPPANI_API_MAX_CONCURRENCY", d.concurrency)?;
        if concurrency == 0 {
            return Err(ConfigError { var: "KUMPPANI_API_MAX_CONCURRENCY".into(), reason: "must be at least 1".into() });
        }
        let wait_ms = parse_or("KUMPPANI_API_QUEUE_TIMEOUT_MS", d.queue_timeout.as_millis() as u64)?;
        Ok(Self { concurrency, queue_timeout: Duration::from_millis(wait_ms) })
    }

    /// Requests allowed to wait for a turn at once; beyond it they are shed at once.
    fn max_waiting(self) -> usize {
        self.concurrency.saturating_mul(16)
    }
}

/// The admission gate of one backend's REST routes.
#[derive(Clone)]
pub struct Gate {
    backend: &'static str,
    limit: ApiLimit,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

impl Gate {
    pub fn new(backend: &'static str, limit: ApiLimit) -> Self {
        Self { backend, limit, permits: Arc::new(Semaphore::new(limit.concurrency)), waiting: Arc::new(AtomicUsize::new(0)) }
    }

    fn shed(&self) -> Response {
        tracing::warn!(backend = self.backend, limit = self.limit.concurrency, "REST request shed: backend at its concurrency limit");
        let message =
            format!("the {} API is at its limit of {} concurrent requests; retry in a moment", self.backend, self.limit.concurrency);
        ApiError(AppError::new(ErrorCode::Overloaded, message)).into_response()
    }
}

/// Counts a waiting request for as long as it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware: runs the request when the gate admits it, else sheds it.
pub async fn admit(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let permit = match gate.permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            if gate.waiting.fetch_add(1, Ordering::Relaxed) >= gate.limit.max_waiting() {
                gate.waiting.fetch_sub(1, Ordering::Relaxed);
                return gate.shed();
            }
            let waiting = Waiting(&gate.waiting);
            let turn = tokio::time::timeout(gate.limit.queue_timeout, gate.permits.clone().acquire_owned()).await;
            drop(waiting);
            match turn {
                Ok(Ok(permit)) => permit,
                _ => return gate.shed(),
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    response
}
