//! The built-in OpenID Connect issuer of `kumppani dev` and the tests.
//!
//! Serves the discovery document, the JWKS (a fresh ES256 key per process), an
//! authorization endpoint (authorization-code flow with PKCE S256) whose login
//! page lists the demo users, and a token endpoint with the `authorization_code`,
//! `password` (demo users, password `demo`) and `client_credentials` (system
//! clients) grants. It is never started by `kumppani serve`.

use super::{Claims, Role};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Deserialize;
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A demo person who can sign in.
#[derive(Debug, Clone)]
pub struct DevUser {
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub customer_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    /// One line shown on the login page ("Päiväkodin johtaja, Pateniemen päiväkoti").
    pub description: String,
}

/// An OAuth2 client: the portal (public, PKCE) or a system client (secret).
#[derive(Debug, Clone)]
pub struct DevClient {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_prefixes: Vec<String>,
    /// For client-credentials tokens.
    pub grants: Vec<String>,
    pub customer_id: Option<Uuid>,
}

struct PendingCode {
    username: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    created: Instant,
}

pub struct DevIssuer {
    issuer: String,
    audience: String,
    kid: String,
    key: EncodingKey,
    jwk: serde_json::Value,
    users: Vec<DevUser>,
    clients: Vec<DevClient>,
    codes: Mutex<HashMap<String, PendingCode>>,
    token_ttl: Duration,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl DevIssuer {
    /// `issuer` is the absolute URL this issuer is served at (e.g. `http://127.0.0.1:8080/dev-idp`).
    pub fn new(issuer: &str, audience: &str, users: Vec<DevUser>, clients: Vec<DevClient>) -> anyhow::Result<Arc<Self>> {
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().map_err(|e| anyhow::anyhow!("encoding dev key: {e}"))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let kid = format!("dev-{}", &Uuid::new_v4().simple().to_string()[..12]);
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::ES256)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Arc::new(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience: audience.to_owned(),
            kid,
            key,
            jwk: serde_json::to_value(jwk)?,
            users,
            clients,
            codes: Mutex::new(HashMap::new()),
            token_ttl: Duration::from_secs(8 * 3600),
        }))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn users(&self) -> &[DevUser] {
        &self.users
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.key)?)
    }

    fn claims_for(&self, user: &DevUser, audience: &str, nonce: Option<String>) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            iss: self.issuer.clone(),
            sub: user.username.clone(),
            aud: audience.to_owned(),
            exp: now + self.token_ttl.as_secs() as i64,
            iat: now,
            name: user.name.clone(),
            email: user.email.clone(),
            kumppani_role: user.role,
            customer_id: user.customer_id,
            site_id: user.site_id,
            grants: Vec::new(),
            nonce,
        }
    }

    /// An access token for a demo user (tests and the `password` grant).
    pub fn token_for_user(&self, username: &str) -> anyhow::Result<String> {
        let user = self.users.iter().find(|u| u.username == username).ok_or_else(|| anyhow::anyhow!("no demo user {username}"))?;
        self.sign(&self.claims_for(user, &self.audience, None))
    }

    /// An access token with arbitrary claims signed by this issuer (tests).
    pub fn token_for(&self, role: Role, customer_id: Option<Uuid>, site_id: Option<Uuid>, grants: Vec<String>) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        self.sign(&Claims {
            iss: self.issuer.clone(),
            sub: format!("test-{}", role.as_str()),
            aud: self.audience.clone(),
            exp: now + 3600,
            iat: now,
            name: format!("Test {}", role.as_str()),
            email: String::new(),
            kumppani_role: role,
            customer_id,
            site_id,
            grants,
            nonce: None,
        })
    }

    /// An access token for a named person with an e-mail address (tests:
    /// notifications belong to the address).
    pub fn token_for_person(
        &self,
        role: Role,
        customer_id: Option<Uuid>,
        site_id: Option<Uuid>,
        name: &str,
        email: &str,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        self.sign(&Claims {
            iss: self.issuer.clone(),
            sub: format!("test-{email}"),
            aud: self.audience.clone(),
            exp: now + 3600,
            iat: now,
            name: name.to_owned(),
            email: email.to_owned(),
            kumppani_role: role,
            customer_id,
            site_id,
            grants: Vec::new(),
            nonce: None,
        })
    }

    fn client_token(&self, client: &DevClient) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        self.sign(&Claims {
            iss: self.issuer.clone(),
            sub: format!("client:{}", client.client_id),
            aud: self.audience.clone(),
            exp: now + 3600,
            iat: now,
            name: client.client_id.clone(),
            email: String::new(),
            kumppani_role: Role::SystemClient,
            customer_id: client.customer_id,
            site_id: None,
            grants: client.grants.clone(),
            nonce: None,
        })
    }

    /// The issuer's routes; mount them at the issuer URL's path.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize_page).post(authorize_submit))
            .route("/token", axum::routing::post(token))
            .with_state(self.clone())
    }
}

async fn discovery(State(s): State<Arc<DevIssuer>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuer": s.issuer,
        "authorization_endpoint": format!("{}/authorize", s.issuer),
        "token_endpoint": format!("{}/token", s.issuer),
        "jwks_uri": format!("{}/jwks", s.issuer),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
    }))
}

async fn jwks(State(s): State<Arc<DevIssuer>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "keys": [s.jwk] }))
}

#[derive(Debug, Deserialize)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><p>{}</p></main></body></html>",
        escape(msg)
    ))).into_response()
}

impl DevIssuer {
    fn check_authorize(&self, p: &AuthorizeParams) -> Result<(), String> {
        if p.response_type != "code" {
            return Err("response_type must be \"code\"".into());
        }
        let client = self.clients.iter().find(|c| c.client_id == p.client_id).ok_or("unknown client_id")?;
        if !client.redirect_prefixes.iter().any(|pre| p.redirect_uri.starts_with(pre.as_str())) {
            return Err("redirect_uri is not registered for this client".into());
        }
        if p.code_challenge_method != "S256" || p.code_challenge.len() < 43 {
            return Err("PKCE with code_challenge_method S256 is required".into());
        }
        Ok(())
    }
}

async fn authorize_page(State(s): State<Arc<DevIssuer>>, Query(p): Query<AuthorizeParams>) -> Response {
    if let Err(e) = s.check_authorize(&p) {
        return bad_request(&e);
    }
    let hidden = |name: &str, value: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
    let mut rows = String::new();
    for u in &s.users {
        rows.push_str(&format!(
            "<li><button type=\"submit\" name=\"username\" value=\"{}\"><strong>{}</strong></button> <span>{} ({})</span></li>",
            escape(&u.username),
            escape(&u.name),
            escape(&u.description),
            escape(&u.username)
        ));
    }
    let html = format!(
        r#"<!doctype html>
<html lang="fi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kirjaudu – Kumppani (kehitysympäristö)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
ul{{list-style:none;padding:0}}li{{margin:.5rem 0}}button{{font-size:1rem;padding:.5rem 1rem;min-width:16rem;text-align:left;border:2px solid #0000bf;background:#fff;color:#0000bf;cursor:pointer}}
button:focus{{outline:3px solid #0072c6;outline-offset:2px}}span{{color:#333}}</style></head>
<body><main>
<h1>Kirjaudu sisään</h1>
<p>Kehitysympäristön tunnistuspalvelu. Valitse demokäyttäjä. (Development identity provider: choose a demo user.)</p>
<form method="post" action="{action}">
{h1}{h2}{h3}{h4}{h5}{h6}
<ul>{rows}</ul>
</form>
</main></body></html>"#,
        action = escape(&format!("{}/authorize", url_path(&s.issuer))),
        h1 = hidden("response_type", &p.response_type),
        h2 = hidden("client_id", &p.client_id),
        h3 = hidden("redirect_uri", &p.redirect_uri),
        h4 = hidden("state", &p.state),
        h5 = hidden("code_challenge", &p.code_challenge),
        h6 =
            hidden("code_challenge_method", &p.code_challenge_method) + &p.nonce.as_deref().map(|n| hidden("nonce", n)).unwrap_or_default(),
    );
    Html(html).into_response()
}

fn url_path(url: &str) -> String {
    url::Url::parse(url).map(|u| u.path().trim_end_matches('/').to_owned()).unwrap_or_default()
}

async fn authorize_submit(State(s): State<Arc<DevIssuer>>, Form(p): Form<AuthorizeParams>) -> Response {
    if let Err(e) = s.check_authorize(&p) {
        return bad_request(&e);
    }
    let Some(username) = p.username.clone().filter(|u| s.users.iter().any(|x| &x.username == u)) else {
        return bad_request("unknown user");
    };
    let code = random_token();
    if let Ok(mut codes) = s.codes.lock() {
        codes.retain(|_, c| c.created.elapsed() < Duration::from_secs(300));
        codes.insert(
            code.clone(),
            PendingCode {
                username,
                client_id: p.client_id.clone(),
                redirect_uri: p.redirect_uri.clone(),
                challenge: p.code_challenge.clone(),
                nonce: p.nonce.clone(),
                created: Instant::now(),
            },
        );
    }
    let Ok(mut target) = url::Url::parse(&p.redirect_uri) else {
        return bad_request("redirect_uri is not a URL");
    };
    target.query_pairs_mut().append_pair("code", &code).append_pair("state", &p.state);
    Redirect::to(target.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response()
}

async fn token(State(s): State<Arc<DevIssuer>>, Form(r): Form<TokenRequest>) -> Response {
    let issued = |access: anyhow::Result<String>, id: Option<anyhow::Result<String>>| match (access, id.transpose()) {
        (Ok(access_token), Ok(id_token)) => {
            let mut body = serde_json::json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": s.token_ttl.as_secs(),
            });
            if let Some(id) = id_token {
                body["id_token"] = serde_json::Value::String(id);
            }
            Json(body).into_response()
        }
        _ => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "signing failed"),
    };
    match r.grant_type.as_str() {
        "authorization_code" => {
            let pending = s.codes.lock().ok().and_then(|mut c| c.remove(&r.code));
            let Some(p) = pending else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
            };
            if p.created.elapsed() > Duration::from_secs(300) || p.client_id != r.client_id || p.redirect_uri != r.redirect_uri {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code does not match client or redirect_uri");
            }
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(r.code_verifier.as_bytes()));
            if computed != p.challenge {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
            }
            let Some(user) = s.users.iter().find(|u| u.username == p.username) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "user gone");
            };
            let access = s.sign(&s.claims_for(user, &s.audience, None));
            let id = s.sign(&s.claims_for(user, &p.client_id, p.nonce.clone()));
            issued(access, Some(id))
        }
        "password" => {
            let Some(user) = s.users.iter().find(|u| u.username == r.username) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown user");
            };
            if r.password != "demo" {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "wrong password");
            }
            issued(s.sign(&s.claims_for(user, &s.audience, None)), None)
        }
        "client_credentials" => {
            let Some(client) = s.clients.iter().find(|c| c.client_id == r.client_id && c.secret.is_some()) else {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
            };
            if client.secret.as_deref() != Some(r.client_secret.as_str()) {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "wrong client secret");
            }
            issued(s.client_token(client), None)
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "use authorization_code, password or client_credentials"),
    }
}
