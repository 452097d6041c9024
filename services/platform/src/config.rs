//! Typed configuration read from environment variables. Every service builds
//! its own struct from these helpers; secrets are wrapped in [`Secret`] so they
//! never end up in logs.

use std::fmt;
use std::str::FromStr;

/// A configuration error names the variable and the reason.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {var}: {reason}")]
pub struct ConfigError {
    pub var: String,
    pub reason: String,
}

/// Reads `var`, falling back to `default`.
pub fn var_or(var: &str, default: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// Reads an optional variable (empty counts as unset).
pub fn var_opt(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// Reads and parses `var`, falling back to `default`.
pub fn parse_or<T: FromStr>(var: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match var_opt(var) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError { var: var.to_owned(), reason: format!("cannot parse {v:?}: {e}") }),
    }
}

/// A secret value: `Debug` and `Display` print `***`.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Settings every service process shares.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// PostgreSQL URL. For a service in production: its own role. For `dev`,
    /// `migrate` and tests: an admin URL from which per-service role URLs are derived.
    pub database_url: Secret,
    pub nats_url: String,
    /// Subject prefix, `kumppani` in production; tests use a unique one each.
    pub nats_prefix: String,
    /// OIDC issuer URL whose JWKS verifies bearer tokens.
    pub oidc_issuer: String,
    pub oidc_audience: String,
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection before it is answered
    /// "busy, retry" (`KUMPPANI_DB_ACQUIRE_TIMEOUT_MS`, default 5000).
    pub database_acquire_timeout: std::time::Duration,
    /// Largest gRPC message a service sends or accepts (`KUMPPANI_GRPC_MAX_MESSAGE_BYTES`, default 64 MiB).
    pub grpc_max_message_bytes: usize,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/kumppani";
/// 64 MiB: a month of an Oulu-sized city's price lookups fits in one call.
pub const DEFAULT_GRPC_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

impl CommonConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            database_url: Secret::new(var_or("DATABASE_URL", DEFAULT_DATABASE_URL)),
            nats_url: var_or("NATS_URL", DEFAULT_NATS_URL),
            nats_prefix: var_or("KUMPPANI_NATS_PREFIX", "kumppani"),
            oidc_issuer: var_or("KUMPPANI_OIDC_ISSUER", "http://127.0.0.1:8080/dev-idp"),
            oidc_audience: var_or("KUMPPANI_OIDC_AUDIENCE", "kumppani"),
            database_max_connections: parse_or("KUMPPANI_DB_MAX_CONNECTIONS", 10)?,
            database_acquire_timeout: std::time::Duration::from_millis(parse_or("KUMPPANI_DB_ACQUIRE_TIMEOUT_MS", 5000)?),
            grpc_max_message_bytes: parse_or("KUMPPANI_GRPC_MAX_MESSAGE_BYTES", DEFAULT_GRPC_MAX_MESSAGE_BYTES)?,
        })
    }
}
