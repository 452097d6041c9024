//! The frame around every portal page (`templates/base.html`) and rendering.

use crate::i18n::I18n;
use crate::session::Session;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub user: String,
    pub role_label: String,
    pub csrf: String,
    pub is_staff: bool,
    pub own_customer: String,
    pub own_site: String,
    /// The page's path: marks the current navigation entry; the language switch returns here.
    pub path: String,
    pub signed_in: bool,
}

impl Layout {
    pub fn signed_in(s: &Session, i: &I18n, path: &str) -> Self {
        Self {
            user: s.name.clone(),
            role_label: i.t(&format!("role-{}", s.role.as_str().replace('_', "-"))),
            csrf: s.csrf.clone(),
            is_staff: s.is_staff(),
            own_customer: s.customer_id.map(|c| c.to_string()).unwrap_or_default(),
            own_site: s.site_id.map(|c| c.to_string()).unwrap_or_default(),
            path: path.to_owned(),
            signed_in: true,
        }
    }

    pub fn signed_out(path: &str) -> Self {
        Self {
            user: String::new(),
            role_label: String::new(),
            csrf: String::new(),
            is_staff: false,
            own_customer: String::new(),
            own_site: String::new(),
            path: path.to_owned(),
            signed_in: false,
        }
    }

    /// The same frame for another page: a form posted to a sub-path shows the page it belongs to.
    pub fn at(&self, path: &str) -> Self {
        Self { path: path.to_owned(), ..self.clone() }
    }
}

/// Renders a page; never cached (pages show one user's data).
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}
