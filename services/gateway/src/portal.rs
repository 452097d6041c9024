//! The portal's shared pages: home, the language switch, unknown paths and the
//! vendored static assets. Each backend's pages are in its folder (`portal.rs`);
//! what they share is in [`crate::page`].

use crate::i18n::{I18n, LANG_COOKIE};
use crate::page::{CsrfForm, Layout, Page, PageError, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
}

#[tracing::instrument(skip_all)]
async fn home(page: Page) -> Response {
    render(StatusCode::OK, &HomePage { l: &page.l, i: &page.i })
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

async fn set_language(State(s): State<AppState>, CsrfForm(f): CsrfForm<LanguageForm>) -> Response {
    let lang = I18n::new(&f.lang).lang;
    let cookie =
        Cookie::build((LANG_COOKIE, lang)).path("/").http_only(true).secure(s.secure_cookies).same_site(SameSite::Lax).permanent().build();
    let back = if f.back.starts_with("/portal") && !f.back.starts_with("//") { f.back } else { "/portal/".to_owned() };
    (CookieJar::new().add(cookie), Redirect::to(&back)).into_response()
}

/// Unknown paths: a real page, in the user's language.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/", get(home))
        .route("/portal/language", post(set_language))
}

const HDS_BASE: &[u8] = include_bytes!("../assets/hds/base.min.css");
const HDS_COMPONENTS: &[u8] = include_bytes!("../assets/hds/components.min.css");
const PORTAL_CSS: &[u8] = include_bytes!("../assets/portal.css");

/// Vendored static assets, cached for a day.
pub async fn static_file(Path(path): Path<String>) -> Response {
    let body: &'static [u8] = match path.as_str() {
        "hds/base.min.css" => HDS_BASE,
        "hds/components.min.css" => HDS_COMPONENTS,
        "portal.css" => PORTAL_CSS,
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_body_rows_are_ruled_across_every_column() {
        let css = std::str::from_utf8(super::PORTAL_CSS).unwrap_or_default();
        let rule = css.split('}').find(|r| r.contains(".hds-table tbody td")).unwrap_or_default();
        assert!(
            rule.contains(".hds-table tbody th") && rule.contains("border-bottom: 1px solid"),
            "row headers and cells are ruled alike: {rule:?}"
        );
    }
}
