//! The portal's shared pages: the language switch, unknown paths and the
//! vendored static assets. Each backend's pages are in its folder (`portal.rs`);
//! what they share is in [`crate::page`].

use crate::i18n::{I18n, LANG_COOKIE};
use crate::page::{CsrfForm, PageError};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

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
    (CookieJar::new().add(cookie), Redirect::to(back_target(&f.back))).into_response()
}

/// Where the language switch returns: a portal page of this site, else the
/// portal's home. Another host (`//evil`), control characters (a CR/LF would
/// split the `Location` header) and anything else are not a target.
fn back_target(back: &str) -> &str {
    let local = back.starts_with("/portal") && !back.starts_with("//");
    let clean = !back.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if local && clean && axum::http::HeaderValue::from_str(back).is_ok() { back } else { "/portal/" }
}

/// Unknown paths: a real page, in the user's language.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/", get(crate::home::home))
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
    fn the_language_switch_returns_only_to_clean_local_pages() {
        use super::back_target;
        assert_eq!(back_target("/portal/prices?year=2027"), "/portal/prices?year=2027");
        for bad in [
            "//evil.example/portal",
            "https://evil.example/",
            "/portal/\r\nSet-Cookie: x=1",
            "/portal/\n",
            "/portal/\\evil",
            "",
            "/auth/login",
        ] {
            assert_eq!(back_target(bad), "/portal/", "{bad:?}");
        }
    }

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
