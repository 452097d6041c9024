//! The gateway's configuration, from environment variables only.

use crate::backend::Backend;
use crate::registry::BACKENDS;
use crate::session_store::SessionLimits;
use kumppani_platform::config::{ConfigError, DEFAULT_NATS_URL, Secret, parse_or, var_or};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Typed configuration of the gateway.
#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    /// The URL browsers use to reach the gateway (for the OIDC redirect URI).
    pub public_url: String,
    /// gRPC URL of each backend service by registry name (`contracts`, `pricing`, …);
    /// a registered backend missing here uses its default URL.
    pub backend_urls: BTreeMap<String, String>,
    pub oidc_issuer: String,
    pub oidc_audience: String,
    pub portal_client_id: String,
    /// Key for the encrypted session cookies (at least 64 bytes, base64 or raw).
    pub cookie_key: Secret,
    /// NATS, whose key-value bucket keeps the portal sessions (`NATS_URL`, `KUMPPANI_NATS_PREFIX`).
    pub nats_url: String,
    pub nats_prefix: String,
    /// Idle timeout and absolute lifetime of portal sessions.
    pub sessions: SessionLimits,
    /// Load shedding of each backend's REST API (`KUMPPANI_API_MAX_CONCURRENCY`,
    /// `KUMPPANI_API_QUEUE_TIMEOUT_MS`).
    pub api_limit: crate::shed::ApiLimit,
}

impl Config {
    /// Reads `KUMPPANI_HTTP_ADDR`, `KUMPPANI_PUBLIC_URL`, the URL variable of every
    /// registered backend (`KUMPPANI_CONTRACTS_URL`, …), the OIDC settings, the cookie key, NATS and the session limits.
    pub fn from_env() -> Result<Self, ConfigError> {
        let http_addr = parse_or("KUMPPANI_HTTP_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)))?;
        Ok(Self {
            http_addr,
            public_url: var_or("KUMPPANI_PUBLIC_URL", &format!("http://127.0.0.1:{}", http_addr.port())),
            backend_urls: BACKENDS.iter().map(|b| (b.name.to_owned(), var_or(b.url_env, b.default_url))).collect(),
            oidc_issuer: var_or("KUMPPANI_OIDC_ISSUER", "http://127.0.0.1:8080/dev-idp"),
            oidc_audience: var_or("KUMPPANI_OIDC_AUDIENCE", "kumppani"),
            portal_client_id: var_or("KUMPPANI_PORTAL_CLIENT_ID", "kumppani-portal"),
            cookie_key: Secret::new(var_or("KUMPPANI_COOKIE_KEY", "")),
            nats_url: var_or("NATS_URL", DEFAULT_NATS_URL),
            nats_prefix: var_or("KUMPPANI_NATS_PREFIX", "kumppani"),
            sessions: SessionLimits::from_env()?,
            api_limit: crate::shed::ApiLimit::from_env()?,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// A registered backend's URL: as configured, else its default.
    pub fn backend_url(&self, backend: &Backend) -> &str {
        self.backend_urls.get(backend.name).map_or(backend.default_url, String::as_str)
    }
}
