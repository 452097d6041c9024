//! Portal sign-in: the OIDC authorization-code flow with PKCE (S256) against
//! the configured issuer, and the session kept in an encrypted, HttpOnly,
//! SameSite=Lax cookie (Secure whenever the public URL is https). Every form
//! carries the session's CSRF token. Hand-written rather than pulling the
//! `openidconnect` crate: the flow is ~150 lines over reqwest + the platform's
//! JWT verifier, and the crate would add a second HTTP/crypto stack to the build.

use crate::AppState;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use base64::Engine;
use kumppani_platform::auth::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::sync::Arc;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "kumppani_session";
const AUTH_COOKIE: &str = "kumppani_auth";
pub const LANG_COOKIE: &str = "kumppani_lang";

/// The signed-in portal user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
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

fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Endpoints of the issuer, found by OpenID discovery on first use.
#[derive(Clone)]
pub struct OidcClient {
    issuer: String,
    http: reqwest::Client,
    endpoints: Arc<OnceCell<(String, String)>>,
}

impl OidcClient {
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default(),
            endpoints: Arc::new(OnceCell::new()),
        }
    }

    async fn endpoints(&self) -> anyhow::Result<(String, String)> {
        let e = self
            .endpoints
            .get_or_try_init(|| async {
                let d: serde_json::Value = self
                    .http
                    .get(format!("{}/.well-known/openid-configuration", self.issuer))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let get = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                match (get("authorization_endpoint"), get("token_endpoint")) {
                    (Some(a), Some(t)) => anyhow::Ok((a, t)),
                    _ => Err(anyhow::anyhow!("issuer discovery lacks endpoints")),
                }
            })
            .await?;
        Ok(e.clone())
    }
}

#[derive(Serialize, Deserialize)]
struct PendingLogin {
    state: String,
    verifier: String,
    nonce: String,
    next: String,
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).path("/").http_only(true).secure(secure).same_site(SameSite::Lax).build()
}

/// Only same-site portal paths are valid return targets.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/portal") && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/portal/".to_owned(),
    }
}

#[derive(Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

async fn login(State(s): State<AppState>, jar: PrivateCookieJar, Query(p): Query<LoginParams>) -> Response {
    let (authorize, _) = match s.oidc.endpoints().await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "identity provider unreachable");
            return crate::portal::unavailable_page("fi");
        }
    };
    let pending =
        PendingLogin { state: random_b64(24), verifier: random_b64(48), nonce: random_b64(24), next: safe_next(p.next.as_deref()) };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pending.verifier.as_bytes()));
    let Ok(mut url) = url::Url::parse(&authorize) else {
        return crate::portal::unavailable_page("fi");
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.config.portal_client_id)
        .append_pair("redirect_uri", &format!("{}/auth/callback", s.config.public_url))
        .append_pair("scope", "openid profile email")
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let jar = jar.add(cookie(AUTH_COOKIE, serde_json::to_string(&pending).unwrap_or_default(), s.config.secure_cookies()));
    (jar, Redirect::to(url.as_str())).into_response()
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

async fn callback(State(s): State<AppState>, jar: PrivateCookieJar, Query(p): Query<CallbackParams>) -> Response {
    let pending: Option<PendingLogin> = jar.get(AUTH_COOKIE).and_then(|c| serde_json::from_str(c.value()).ok());
    let jar = jar.remove(Cookie::build(AUTH_COOKIE).path("/").build());
    let (Some(pending), Some(code), Some(state)) = (pending, p.code, p.state) else {
        tracing::info!(error = ?p.error, "sign-in callback without a pending login");
        return (jar, Redirect::to("/auth/login")).into_response();
    };
    if state != pending.state {
        return (jar, Redirect::to("/auth/login")).into_response();
    }
    let result = async {
        let (_, token_endpoint) = s.oidc.endpoints().await?;
        let redirect_uri = format!("{}/auth/callback", s.config.public_url);
        let tokens: TokenResponse = s
            .oidc
            .http
            .post(token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
                ("client_id", s.config.portal_client_id.as_str()),
                ("code_verifier", pending.verifier.as_str()),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let claims = s.verifier.verify(&tokens.access_token).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok(Session {
            token: tokens.access_token,
            subject: claims.sub,
            name: claims.name,
            role: claims.kumppani_role,
            customer_id: claims.customer_id,
            site_id: claims.site_id,
            csrf: random_b64(24),
            exp: claims.exp,
        })
    }
    .await;
    match result {
        Ok(session) => {
            tracing::info!(subject = %session.subject, role = session.role.as_str(), "portal sign-in");
            let jar = jar.add(cookie(SESSION_COOKIE, serde_json::to_string(&session).unwrap_or_default(), s.config.secure_cookies()));
            (jar, Redirect::to(&pending.next)).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in failed");
            (jar, crate::portal::unavailable_page("fi")).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn logout(jar: PrivateCookieJar, session: Option<Session>, Form(f): Form<CsrfForm>) -> Response {
    if let Some(s) = &session {
        if s.csrf != f.csrf {
            return crate::portal::forbidden_csrf();
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    (jar, Redirect::to("/auth/signed-out")).into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/signed-out", get(crate::portal::signed_out))
}

/// Reads the session; `None` when absent, undecryptable or expired.
pub fn read_session(jar: &PrivateCookieJar) -> Option<Session> {
    let s: Session = serde_json::from_str(jar.get(SESSION_COOKIE)?.value()).ok()?;
    (s.exp > chrono::Utc::now().timestamp()).then_some(s)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = PrivateCookieJar::from_headers(&parts.headers, state.cookie_key.clone());
        match read_session(&jar) {
            Some(s) => Ok(s),
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/portal/");
                let target = format!("/auth/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        let jar = PrivateCookieJar::from_headers(&parts.headers, state.cookie_key.clone());
        Ok(read_session(&jar))
    }
}
