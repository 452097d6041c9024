//! Portal sign-in and sign-out: the OIDC authorization-code flow with PKCE
//! ([`crate::oidc`]) ending in the encrypted session cookie ([`crate::session`]).

use crate::i18n::I18n;
use crate::oidc::{IdClaims, IdTokenRefused};
use crate::page::{CsrfForm, Layout, PageError, render};
use crate::session::{SESSION_COOKIE, Session, cookie, random_b64};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar};
use base64::Engine;
use kumppani_platform::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use sha2::Digest;

const AUTH_COOKIE: &str = "kumppani_auth";

/// A sign-in under way, kept in its own encrypted cookie until the callback.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    state: String,
    verifier: String,
    nonce: String,
    next: String,
}

/// Only same-site portal paths are valid return targets.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/portal") && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/portal/".to_owned(),
    }
}

fn identity_provider_unavailable(e: &anyhow::Error) -> PageError {
    tracing::warn!(error = %e, "identity provider unreachable or refused the sign-in");
    PageError::Call(AppError::new(ErrorCode::Unavailable, "identity provider"))
}

#[derive(Deserialize)]
struct LoginParams {
    next: Option<String>,
}

async fn login(State(s): State<AppState>, jar: PrivateCookieJar, Query(p): Query<LoginParams>) -> Result<Response, PageError> {
    let pending =
        PendingLogin { state: random_b64(24), verifier: random_b64(48), nonce: random_b64(24), next: safe_next(p.next.as_deref()) };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pending.verifier.as_bytes()));
    let url = s.oidc.authorize_url(&pending.state, &pending.nonce, &challenge).await.map_err(|e| identity_provider_unavailable(&e))?;
    let jar = jar.add(cookie(AUTH_COOKIE, serde_json::to_string(&pending).unwrap_or_default(), s.secure_cookies));
    Ok((jar, Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
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
    match establish(&s, &code, &pending).await {
        Ok(session) => {
            tracing::info!(subject = %session.subject, role = session.role.as_str(), "portal sign-in");
            let jar = jar.add(cookie(SESSION_COOKIE, serde_json::to_string(&session).unwrap_or_default(), s.secure_cookies));
            (jar, Redirect::to(&pending.next)).into_response()
        }
        Err(e) => (jar, e).into_response(),
    }
}

/// The session of a completed sign-in: the code exchanged, the access token
/// verified, and the ID token proving it answers this sign-in (its nonce, our
/// client as the authorized party, the same subject).
async fn establish(s: &AppState, code: &str, pending: &PendingLogin) -> Result<Session, PageError> {
    let tokens = s.oidc.exchange(code, &pending.verifier).await.map_err(|e| identity_provider_unavailable(&e))?;
    let claims = s.verifier.verify(&tokens.access_token).await.map_err(|e| identity_provider_unavailable(&e.into()))?;
    let refused = |why: &dyn std::fmt::Debug| {
        tracing::warn!(reason = ?why, subject = %claims.sub, "sign-in refused: the ID token does not answer this sign-in");
        PageError::SignInRefused
    };
    let id_token = tokens.id_token.as_deref().ok_or_else(|| refused(&IdTokenRefused::Missing))?;
    let id: IdClaims = match s.verifier.verify_for(id_token, s.oidc.client_id()).await {
        Ok(id) => id,
        Err(e) if e.code == ErrorCode::Unavailable => return Err(identity_provider_unavailable(&e.into())),
        Err(e) => return Err(refused(&e)),
    };
    s.oidc.check_id_token(&id, &pending.nonce, &claims.sub).map_err(|why| refused(&why))?;
    let sid = s.sessions.start(claims.exp).await?;
    Ok(Session {
        sid,
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

/// Signing out needs no fields beyond the CSRF token.
#[derive(Deserialize)]
struct NoFields {}

/// Ends the session's server-side record (a copy of the cookie opens nothing
/// afterwards) and removes the cookie.
async fn logout(State(s): State<AppState>, jar: PrivateCookieJar, _: CsrfForm<NoFields>) -> Response {
    if let Some(session) = Session::read(&jar) {
        if let Err(e) = s.sessions.end(&session.sid).await {
            // The record ends by its idle timeout; until the store is back no session is live anyway.
            tracing::warn!(error = %e, subject = %session.subject, "sign-out could not end the session's record");
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    (jar, Redirect::to("/auth/signed-out")).into_response()
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
}

async fn signed_out(headers: HeaderMap) -> Response {
    let i = I18n::from_headers(&headers);
    render(StatusCode::OK, &SignedOutPage { l: &Layout::signed_out("/portal/"), i: &i })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/signed-out", get(signed_out))
}
