//! The server-side record of every portal session, shared by all gateway
//! replicas: a NATS JetStream key-value bucket (`<PREFIX>_SESSIONS`) keyed by
//! the random session id the encrypted cookie carries. A session is live while
//! its record exists, was used within the idle timeout and has not reached its
//! end (the absolute lifetime or the access token's expiry, whichever comes
//! first). Signing out purges the record, so a copied cookie is worthless
//! afterwards. The bucket's `max_age` (= the absolute lifetime) removes
//! records nobody signed out of.
//!
//! Fails closed: when the store cannot be reached, no session is live (the
//! portal shows the sign-in) and no new one starts (the sign-in shows "not
//! available right now").

use async_nats::jetstream::kv;
use kumppani_platform::config::{ConfigError, parse_or};
use kumppani_platform::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long a session lasts: idle and absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Unused this long, a session ends (`KUMPPANI_SESSION_IDLE_TIMEOUT_SECS`, default 30 min).
    pub idle: Duration,
    /// A session ends this long after the sign-in at the latest, or when its
    /// access token expires if sooner (`KUMPPANI_SESSION_MAX_LIFETIME_SECS`, default 8 h).
    pub lifetime: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self { idle: Duration::from_secs(30 * 60), lifetime: Duration::from_secs(8 * 3600) }
    }
}

impl SessionLimits {
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            idle: Duration::from_secs(parse_or("KUMPPANI_SESSION_IDLE_TIMEOUT_SECS", d.idle.as_secs())?.max(1)),
            lifetime: Duration::from_secs(parse_or("KUMPPANI_SESSION_MAX_LIFETIME_SECS", d.lifetime.as_secs())?.max(1)),
        })
    }

    /// A record's last use is written again after this much of the idle timeout
    /// has passed (not on every page: one write per minute at most).
    fn touch_after(&self) -> Duration {
        (self.idle / 10).min(Duration::from_secs(60))
    }
}

/// One session's record (times in Unix milliseconds).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    started: i64,
    seen: i64,
    ends: i64,
}

const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// The session records, connected on first use (and again after a failure).
#[derive(Clone)]
pub struct SessionStore {
    nats_url: String,
    bucket: String,
    pub(crate) limits: SessionLimits,
    kv: std::sync::Arc<OnceCell<kv::Store>>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "session store: {what} failed");
    AppError::new(ErrorCode::Unavailable, "session store")
}

impl SessionStore {
    pub fn new(nats_url: &str, nats_prefix: &str, limits: SessionLimits) -> Self {
        Self { nats_url: nats_url.to_owned(), bucket: bucket_name(nats_prefix), limits, kv: std::sync::Arc::new(OnceCell::new()) }
    }

    async fn kv(&self) -> Result<&kv::Store, AppError> {
        let connect = async {
            let client =
                kumppani_platform::nats::connect(&self.nats_url, "kumppani-gateway").await.map_err(|e| unavailable("connect", e))?;
            let js = async_nats::jetstream::new(client);
            // The bucket's stream, made by hand: the key-value API's own creation
            // is not understood by the NATS 2.9 servers of Debian stable.
            let stream = async_nats::jetstream::stream::Config {
                name: format!("KV_{}", self.bucket),
                subjects: vec![format!("$KV.{}.>", self.bucket)],
                max_messages_per_subject: 1,
                max_age: self.limits.lifetime,
                storage: async_nats::jetstream::stream::StorageType::File,
                discard: async_nats::jetstream::stream::DiscardPolicy::New,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                ..Default::default()
            };
            js.get_or_create_stream(stream).await.map_err(|e| unavailable("bucket", e))?;
            js.get_key_value(&self.bucket).await.map_err(|e| unavailable("bucket", e))
        };
        tokio::time::timeout(STORE_TIMEOUT, self.kv.get_or_try_init(|| connect)).await.map_err(|e| unavailable("connect", e))?
    }

    /// Records a new session ending at `token_exp` (Unix seconds) at the latest; its id.
    pub async fn start(&self, token_exp: i64) -> Result<String, AppError> {
        let now = now_ms();
        let lifetime = i64::try_from(self.limits.lifetime.as_millis()).unwrap_or(i64::MAX);
        let record = Record { started: now, seen: now, ends: now.saturating_add(lifetime).min(token_exp.saturating_mul(1000)) };
        let id = crate::session::random_b64(24);
        self.put(&id, &record).await?;
        Ok(id)
    }

    async fn put(&self, id: &str, record: &Record) -> Result<(), AppError> {
        let value = serde_json::to_vec(record).unwrap_or_default();
        let kv = self.kv().await?;
        tokio::time::timeout(STORE_TIMEOUT, kv.put(id, value.into()))
            .await
            .map_err(|e| unavailable("put", e))?
            .map_err(|e| unavailable("put", e))?;
        Ok(())
    }

    /// Is the session live? A live session's last use is recorded; an ended one's record removed.
    pub async fn is_live(&self, id: &str) -> Result<bool, AppError> {
        if id.is_empty() {
            return Ok(false);
        }
        let kv = self.kv().await?;
        let value =
            tokio::time::timeout(STORE_TIMEOUT, kv.get(id)).await.map_err(|e| unavailable("get", e))?.map_err(|e| unavailable("get", e))?;
        let Some(mut record) = value.and_then(|v| serde_json::from_slice::<Record>(&v).ok()) else {
            return Ok(false);
        };
        let now = now_ms();
        let idle = i64::try_from(self.limits.idle.as_millis()).unwrap_or(i64::MAX);
        if now >= record.ends || now.saturating_sub(record.seen) > idle {
            tracing::info!(idle = now - record.seen > idle, "portal session ended by its time limit");
            self.end(id).await?;
            return Ok(false);
        }
        if now.saturating_sub(record.seen) >= i64::try_from(self.limits.touch_after().as_millis()).unwrap_or(0) {
            record.seen = now;
            self.put(id, &record).await?;
        }
        Ok(true)
    }

    /// Ends the session: its record is gone, a copy of its cookie opens nothing.
    pub async fn end(&self, id: &str) -> Result<(), AppError> {
        if id.is_empty() {
            return Ok(());
        }
        let kv = self.kv().await?;
        tokio::time::timeout(STORE_TIMEOUT, kv.purge(id)).await.map_err(|e| unavailable("purge", e))?.map_err(|e| unavailable("purge", e))
    }
}

/// The bucket of a deployment prefix: `KUMPPANI_SESSIONS`.
pub fn bucket_name(nats_prefix: &str) -> String {
    kumppani_platform::nats::stream_name(nats_prefix, "sessions")
}
