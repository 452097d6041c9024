//! JWT verification against the issuer's JWKS (found through OpenID discovery),
//! with a key cache refreshed on an unknown `kid` at most every 30 seconds.

use super::Claims;
use crate::AppError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The largest bearer token accepted (our tokens are well under 2 KB). A larger
/// one is refused as unauthenticated before any parsing; the gateway refuses it
/// too, and gRPC servers accept header lists big enough for it to reach here.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    http: reqwest::Client,
    keys: RwLock<Keys>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (DecodingKey, jsonwebtoken::Algorithm)>,
    fetched_at: Option<Instant>,
}

impl Verifier {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                issuer: issuer.into().trim_end_matches('/').to_owned(),
                audience: audience.into(),
                http,
                keys: RwLock::new(Keys::default()),
            }),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Verifies signature, issuer, audience and expiry; returns the claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AppError> {
        self.verify_for(token, &self.inner.audience).await
    }

    /// Verifies a token of this issuer meant for `audience` (e.g. an ID token,
    /// whose audience is the client); returns its claims as `T`.
    pub async fn verify_for<T: serde::de::DeserializeOwned>(&self, token: &str, audience: &str) -> Result<T, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AppError::unauthenticated(format!("token is too large (over {MAX_TOKEN_BYTES} bytes)")));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|e| AppError::unauthenticated(format!("malformed token: {e}")))?;
        let kid = header.kid.ok_or_else(|| AppError::unauthenticated("token has no key id"))?;
        let (key, alg) = self.key(&kid).await?;
        if alg != header.alg {
            return Err(AppError::unauthenticated("token algorithm does not match the key"));
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = 30;
        let data =
            jsonwebtoken::decode::<T>(token, &key, &validation).map_err(|e| AppError::unauthenticated(format!("invalid token: {e}")))?;
        Ok(data.claims)
    }

    async fn key(&self, kid: &str) -> Result<(DecodingKey, jsonwebtoken::Algorithm), AppError> {
        {
            let keys = self.inner.keys.read().await;
            if let Some(k) = keys.by_kid.get(kid) {
                return Ok(k.clone());
            }
            if keys.fetched_at.is_some_and(|t| t.elapsed() < Duration::from_secs(30)) {
                return Err(AppError::unauthenticated("unknown signing key"));
            }
        }
        let mut keys = self.inner.keys.write().await;
        if let Some(k) = keys.by_kid.get(kid) {
            return Ok(k.clone());
        }
        if keys.fetched_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
            let fresh = self.fetch().await?;
            keys.by_kid = fresh;
            keys.fetched_at = Some(Instant::now());
        }
        keys.by_kid.get(kid).cloned().ok_or_else(|| AppError::unauthenticated("unknown signing key"))
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, jsonwebtoken::Algorithm)>, AppError> {
        let unavailable = |e: reqwest::Error| {
            tracing::warn!(error = %e, "cannot reach the identity provider");
            AppError::new(crate::ErrorCode::Unavailable, "identity provider unavailable")
        };
        let discovery: serde_json::Value = self
            .inner
            .http
            .get(format!("{}/.well-known/openid-configuration", self.inner.issuer))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| AppError::new(crate::ErrorCode::Unavailable, "issuer discovery has no jwks_uri"))?;
        let set: JwkSet = self
            .inner
            .http
            .get(jwks_uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let mut out = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (jwk.common.key_id.clone(), jwk.common.key_algorithm) else {
                continue;
            };
            let Ok(alg) = alg.to_string().parse::<jsonwebtoken::Algorithm>() else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                out.insert(kid, (key, alg));
            }
        }
        Ok(out)
    }
}
