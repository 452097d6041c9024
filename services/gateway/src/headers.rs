//! The security headers of every portal and sign-in response: a strict
//! Content-Security-Policy (no inline script or style, no framing, forms post
//! only to this site or the identity provider) and `Cache-Control: no-store`
//! unless the handler chose otherwise (pages and downloads show one user's
//! data). `X-Content-Type-Options`, `X-Frame-Options` and `Referrer-Policy`
//! are set on every gateway response (crate root).

use axum::Router;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use tower_http::set_header::SetResponseHeaderLayer;

/// The portal's policy. `form-action` also admits the identity provider's
/// origin when it is another site: a form posted after the session ended is
/// redirected to the sign-in, which redirects to the provider, and browsers
/// check `form-action` on every redirect of a form submission.
pub fn content_security_policy(public_url: &str, oidc_issuer: &str) -> HeaderValue {
    let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin().ascii_serialization()).filter(|o| o != "null");
    let mut form_action = "'self'".to_owned();
    if let Some(issuer) = origin(oidc_issuer).filter(|i| origin(public_url).as_ref() != Some(i)) {
        form_action = format!("{form_action} {issuer}");
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"))
}

/// Adds the portal's headers to every response of `pages` (error pages included).
pub fn portal<S: Clone + Send + Sync + 'static>(pages: Router<S>, csp: HeaderValue) -> Router<S> {
    pages
        .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, csp))
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn forms_may_go_to_an_external_identity_provider_only() {
        let same = content_security_policy("http://127.0.0.1:8080", "http://127.0.0.1:8080/dev-idp");
        assert!(same.to_str().unwrap_or_default().ends_with("form-action 'self'"), "{same:?}");
        let external = content_security_policy("https://kumppani.example", "https://login.example/realms/city");
        assert!(external.to_str().unwrap_or_default().ends_with("form-action 'self' https://login.example"), "{external:?}");
    }
}
