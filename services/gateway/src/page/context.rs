//! The page context: read once per request by [`layer`] (session, language,
//! layout), handed to handlers as [`Page`], and used again to render a
//! [`PageError`] in the same frame.

use crate::i18n::I18n;
use crate::page::error::PageError;
use crate::page::layout::Layout;
use crate::session::Session;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::PrivateCookieJar;
use std::sync::Arc;

/// What every portal page of one request shares.
#[derive(Debug)]
pub(crate) struct Frame {
    pub session: Option<Session>,
    pub i: I18n,
    pub l: Layout,
}

impl Frame {
    async fn read(state: &AppState, headers: &HeaderMap, path: &str) -> Self {
        let session = live_session(state, Session::read(&PrivateCookieJar::from_headers(headers, state.cookie_key.clone()))).await;
        let i = I18n::from_headers(headers);
        let l = match &session {
            Some(s) => Layout::signed_in(s, &i, path),
            None => Layout::signed_out(path),
        };
        Self { session, i, l }
    }

    /// The request's frame, as the layer read it (read here on routes without the layer).
    pub(crate) async fn of(parts: &Parts, state: &AppState) -> Arc<Self> {
        match parts.extensions.get::<Arc<Self>>() {
            Some(f) => f.clone(),
            None => Arc::new(Self::read(state, &parts.headers, parts.uri.path()).await),
        }
    }
}

/// The cookie's session if its server-side record is live. Fails closed: when
/// the store cannot answer, the user is not signed in.
async fn live_session(state: &AppState, session: Option<Session>) -> Option<Session> {
    let session = session?;
    match state.sessions.is_live(&session.sid).await {
        Ok(true) => Some(session),
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(error = %e, "session store unavailable: treating the request as signed out");
            None
        }
    }
}

/// Middleware of the portal and sign-in routes: reads the [`Frame`] once for
/// the extractors, and renders a [`PageError`] answer in it (keeping headers
/// such as cookies the handler set).
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let frame = Arc::new(Frame::read(&state, req.headers(), req.uri().path()).await);
    // After signing in, come back to the page (a form's target cannot be shown by GET).
    let sign_in = match req.uri().path_and_query() {
        Some(p) if req.method() == Method::GET => {
            format!("/auth/login?next={}", url::form_urlencoded::byte_serialize(p.as_str().as_bytes()).collect::<String>())
        }
        _ => "/auth/login".to_owned(),
    };
    req.extensions_mut().insert(frame.clone());
    let mut res = next.run(req).await;
    let Some(error) = res.extensions_mut().remove::<PageError>() else {
        return res;
    };
    let mut page = error.render(&frame.i, &frame.l, &sign_in);
    for (name, value) in res.headers() {
        if !matches!(*name, header::CONTENT_TYPE | header::CONTENT_LENGTH | header::LOCATION | header::CACHE_CONTROL) {
            page.headers_mut().append(name, value.clone());
        }
    }
    page
}

/// A signed-in user's page: the session, the user's language and the page's
/// frame. Without a session the request goes to the sign-in.
#[derive(Debug)]
pub struct Page {
    pub session: Session,
    pub i: I18n,
    pub l: Layout,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let frame = Frame::of(parts, state).await;
        let session = frame.session.clone().ok_or(PageError::SignIn)?;
        Ok(Self { session, i: frame.i.clone(), l: frame.l.clone() })
    }
}

impl Page {
    /// A gRPC request on the user's behalf (their token, the trace context).
    pub fn grpc<T>(&self, message: T) -> Result<tonic::Request<T>, PageError> {
        Ok(crate::rest::grpc_request(message, &self.session.token)?)
    }

    /// Staff pages refuse everyone else.
    pub fn require_staff(&self) -> Result<(), PageError> {
        if self.session.is_staff() { Ok(()) } else { Err(PageError::StaffOnly) }
    }
}
