//! The portal session: kept in an encrypted, HttpOnly, SameSite=Lax cookie
//! (Secure whenever the public URL is https) holding the session id, the access
//! token, the user's name, role and scope, and the CSRF token every form
//! carries. The cookie opens a page only while the session's server-side
//! record is live ([`crate::session_store`]).

use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use base64::Engine;
use kumppani_platform::auth::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "kumppani_session";

/// The signed-in portal user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The id of the session's server-side record.
    pub sid: String,
    pub token: String,
    pub subject: String,
    pub name: String,
    pub role: Role,
    pub customer_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub csrf: String,
    pub exp: i64,
}

impl Session {
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::EnterpriseAdmin | Role::EnterpriseStaff)
    }

    /// Reads the session from the cookie; `None` when absent, undecryptable or
    /// expired. Whether it is still live is the store's answer.
    pub fn read(jar: &PrivateCookieJar) -> Option<Self> {
        let s: Self = serde_json::from_str(jar.get(SESSION_COOKIE)?.value()).ok()?;
        (s.exp > chrono::Utc::now().timestamp()).then_some(s)
    }
}

/// The session cookie key from config: base64 (or raw) of at least 64 bytes;
/// empty means a random key (sessions end when the process restarts).
pub fn cookie_key(configured: &str) -> anyhow::Result<Key> {
    if configured.is_empty() {
        return Ok(Key::generate());
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(configured.trim()).unwrap_or_else(|_| configured.as_bytes().to_vec());
    Key::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("KUMPPANI_COOKIE_KEY must be at least 64 bytes"))
}

/// An HttpOnly, SameSite=Lax cookie for the whole site.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).path("/").http_only(true).secure(secure).same_site(SameSite::Lax).build()
}

/// `n` random bytes, base64url: CSRF tokens, PKCE verifiers, OIDC state and nonce.
pub fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
