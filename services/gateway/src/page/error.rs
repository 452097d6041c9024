//! Error pages: what the portal shows when a page cannot be shown, in the
//! user's language and page frame. Every text comes from Fluent; what a backend
//! said (developer English) goes to the log, never onto the page.

use crate::i18n::I18n;
use crate::page::layout::{Layout, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kumppani_platform::{AppError, ErrorCode};

/// Why a portal page cannot be shown. Handlers return it with `?`; the portal's
/// [`layer`](crate::page::context::layer) renders it in the request's frame.
#[derive(Debug, Clone)]
pub enum PageError {
    /// A backend refused or failed the call (its gRPC status read back).
    Call(AppError),
    /// The form's CSRF token does not match the session's.
    Csrf,
    /// A page for the producer's staff only.
    StaffOnly,
    /// The page needs a choice the request does not carry: the Fluent key saying which.
    Missing(&'static str),
    /// A query parameter or form field that does not fit (a year that is not a
    /// number, a missing field): its name, shown with its label (`param-<name>`).
    BadParam(String),
    /// No such page.
    NotFound,
    /// Not signed in (or the session's token was refused): to the sign-in.
    SignIn,
    /// The identity provider's answer does not prove this sign-in (a foreign
    /// nonce, another client's token): no session, start again.
    SignInRefused,
}

pub type PageResult = Result<Response, PageError>;

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::Call(e)
    }
}

impl From<tonic::Status> for PageError {
    fn from(s: tonic::Status) -> Self {
        Self::Call(AppError::from_status(&s))
    }
}

/// The status and the Fluent keys of the title and the text of an error page.
pub(crate) struct Shown {
    pub status: StatusCode,
    pub title: &'static str,
    pub text: &'static str,
}

const fn shown(status: StatusCode, title: &'static str, text: &'static str) -> Option<Shown> {
    Some(Shown { status, title, text })
}

impl PageError {
    /// What the page says; `None` when the answer is the sign-in instead.
    pub(crate) fn shown(&self) -> Option<Shown> {
        match self {
            Self::Csrf => shown(StatusCode::FORBIDDEN, "error-forbidden", "error-csrf-text"),
            Self::StaffOnly => shown(StatusCode::FORBIDDEN, "error-forbidden", "error-staff-only-text"),
            Self::Missing(text) => shown(StatusCode::BAD_REQUEST, "error-missing", text),
            Self::BadParam(_) => shown(StatusCode::BAD_REQUEST, "error-bad-request", "error-param-text"),
            Self::NotFound => shown(StatusCode::NOT_FOUND, "error-not-found", "error-not-found-text"),
            Self::SignIn => None,
            Self::SignInRefused => shown(StatusCode::FORBIDDEN, "error-sign-in-refused", "error-sign-in-refused-text"),
            Self::Call(e) => match e.code {
                ErrorCode::Unauthenticated => None,
                ErrorCode::PermissionDenied => shown(StatusCode::FORBIDDEN, "error-forbidden", "error-forbidden-text"),
                ErrorCode::NotFound => shown(StatusCode::NOT_FOUND, "error-not-found", "error-not-found-text"),
                ErrorCode::InvalidArgument => shown(StatusCode::BAD_REQUEST, "error-bad-request", "error-bad-request-text"),
                ErrorCode::Aborted => shown(StatusCode::CONFLICT, "error-conflict", "error-conflict-changed-text"),
                ErrorCode::FailedPrecondition => shown(StatusCode::CONFLICT, "error-conflict", "error-conflict-state-text"),
                ErrorCode::AlreadyExists => shown(StatusCode::CONFLICT, "error-conflict", "error-conflict-exists-text"),
                ErrorCode::Unavailable | ErrorCode::Overloaded => {
                    shown(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable", "error-unavailable-text")
                }
                ErrorCode::Internal => shown(StatusCode::INTERNAL_SERVER_ERROR, "error-internal", "error-internal-text"),
            },
        }
    }

    /// The error page in the user's language and frame; the sign-in goes to `sign_in`.
    pub fn render(&self, i: &I18n, l: &Layout, sign_in: &str) -> Response {
        if let Self::Call(e) = self {
            match e.code {
                ErrorCode::Unavailable | ErrorCode::Overloaded | ErrorCode::Internal => tracing::warn!(error = %e, "portal page failed"),
                _ => tracing::info!(error = %e, "portal page refused"),
            }
        }
        match self.shown() {
            Some(s) => render(s.status, &ErrorPage { l, i, title: i.t(s.title), message: self.message(i, s.text) }),
            None => Redirect::to(sign_in).into_response(),
        }
    }
}

impl PageError {
    /// The page's text: a bad parameter is named by its label in the user's language.
    fn message(&self, i: &I18n, text: &str) -> String {
        match self {
            Self::BadParam(name) => i.t_args(text, &[("name", i.param(name))]),
            _ => i.t(text),
        }
    }
}

impl IntoResponse for PageError {
    /// On portal routes the layer replaces this with the page in the user's
    /// language and frame; elsewhere it is the Finnish page without a frame.
    fn into_response(self) -> Response {
        let mut res = self.render(&I18n::new("fi"), &Layout::signed_out("/portal/"), "/auth/login");
        res.extensions_mut().insert(self);
        res
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    title: String,
    message: String,
}

#[cfg(test)]
mod tests {
    use super::PageError;
    use axum::http::StatusCode;
    use kumppani_platform::{AppError, ErrorCode};

    fn status_of(code: ErrorCode) -> Option<StatusCode> {
        PageError::Call(AppError::new(code, "developer text")).shown().map(|s| s.status)
    }

    #[test]
    fn conflicts_are_409_not_unavailable() {
        for code in [ErrorCode::FailedPrecondition, ErrorCode::Aborted, ErrorCode::AlreadyExists] {
            assert_eq!(status_of(code), Some(StatusCode::CONFLICT), "{code:?}");
        }
        assert_eq!(status_of(ErrorCode::Unavailable), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(status_of(ErrorCode::NotFound), Some(StatusCode::NOT_FOUND));
        assert_eq!(status_of(ErrorCode::PermissionDenied), Some(StatusCode::FORBIDDEN));
        assert_eq!(status_of(ErrorCode::Unauthenticated), None, "sign in again");
    }

    #[test]
    fn error_pages_speak_the_users_language_only() {
        use crate::i18n::I18n;
        use crate::page::layout::Layout;
        let errors = [
            PageError::Call(AppError::new(ErrorCode::Aborted, "version mismatch: expected 3")),
            PageError::Call(AppError::invalid("site_id", "must be a UUID")),
            PageError::Call(AppError::new(ErrorCode::Unavailable, "connection refused")),
            PageError::Csrf,
            PageError::StaffOnly,
            PageError::Missing("error-pick-site-text"),
            PageError::BadParam("year".into()),
            PageError::SignInRefused,
        ];
        for lang in crate::i18n::LANGUAGES {
            let i = I18n::new(lang);
            for e in &errors {
                let s = e.shown().unwrap_or_else(|| panic!("{e:?} shows a page"));
                assert_ne!(i.t(s.title), s.title, "{lang}: {} has no message", s.title);
                let text = e.message(&i, s.text);
                assert!(text != s.text && !text.contains('{'), "{lang}: {} has no message: {text}", s.text);
                let l = Layout::signed_out("/portal/");
                let res = e.render(&i, &l, "/auth/login");
                assert_eq!(res.status(), s.status);
            }
            for e in &errors[..3] {
                let PageError::Call(err) = e else { continue };
                let text = i.t(e.shown().map(|s| s.text).unwrap_or_default());
                assert!(!text.contains(&err.message), "{lang}: backend text leaked");
            }
        }
        let conflict = I18n::new("fi").t("error-conflict-changed-text");
        assert!(conflict.contains("uudelleen"), "says what to do: {conflict}");
    }
}
