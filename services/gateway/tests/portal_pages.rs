//! The portal's shared machinery over HTTP, without backends: the page context,
//! error pages in the user's language and frame, the CSRF-checked forms and the
//! sign-in redirect. Backends are configured at a closed port, so every call to
//! them fails as unavailable. Sessions are recorded in the real NATS key-value
//! store (`NATS_URL`, default `nats://127.0.0.1:4222`), under a prefix of each test.

#![allow(clippy::unwrap_used)]

use axum::response::IntoResponse;
use axum_extra::extract::cookie::SameSite;
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar};
use base64::Engine;
use kumppani_gateway::session_store::SessionStore;
use kumppani_gateway::{AppState, Config, SessionLimits};
use kumppani_platform::config::Secret;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

const KEY: [u8; 64] = [7; 64];

struct Portal {
    url: String,
    http: reqwest::Client,
    sessions: SessionStore,
}

async fn start() -> Portal {
    start_with_nats(std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())).await
}

async fn start_with_nats(nats_url: String) -> Portal {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Nothing listens on port 9 of localhost: every backend call is refused.
    let closed = "http://127.0.0.1:9".to_owned();
    let config = Config {
        http_addr: addr,
        public_url: format!("http://{addr}"),
        backend_urls: [("contracts", &closed), ("pricing", &closed), ("ordering", &closed)]
            .into_iter()
            .map(|(n, u)| (n.to_owned(), u.clone()))
            .collect(),
        oidc_issuer: "http://127.0.0.1:9/dev-idp".into(),
        oidc_audience: "kumppani".into(),
        portal_client_id: "kumppani-portal".into(),
        cookie_key: Secret::new(base64::engine::general_purpose::STANDARD.encode(KEY)),
        nats_url,
        nats_prefix: format!("gw{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        sessions: SessionLimits::default(),
        api_limit: Default::default(),
    };
    let sessions = SessionStore::new(&config.nats_url, &config.nats_prefix, config.sessions);
    let state = AppState::new(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, kumppani_gateway::router(state, None)).await.unwrap() });
    Portal { url: format!("http://{addr}"), http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(), sessions }
}

/// The `Cookie` header of a signed-in user (`site_user` or `enterprise_staff`),
/// whose session is recorded in the store.
async fn session_cookie(p: &Portal, role: &str) -> String {
    let exp = chrono::Utc::now().timestamp() + 3600;
    let sid = p.sessions.start(exp).await.unwrap();
    let session = serde_json::json!({
        "sid": sid, "token": "test-token", "subject": "u1", "name": "Testi Käyttäjä", "role": role,
        "customer_id": null, "site_id": null, "csrf": "good-token",
        "exp": exp,
    });
    let cookie = Cookie::build(("kumppani_session", session.to_string())).path("/").same_site(SameSite::Lax).build();
    let res = PrivateCookieJar::new(Key::from(&KEY)).add(cookie).into_response();
    let set = res.headers().get(http::header::SET_COOKIE).unwrap().to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn unknown_paths_get_a_page_in_the_browsers_language() {
    let p = start().await;
    let res = p.http.get(format!("{}/portal/no-such-page", p.url)).header("accept-language", "sv-FI,sv;q=0.9").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"<html lang="sv">"#), "{body}");
    assert!(body.contains("Sidan hittas inte"), "{body}");
}

#[tokio::test]
async fn pages_without_a_session_go_to_the_sign_in_and_back() {
    let p = start().await;
    let res = p.http.get(format!("{}/portal/customers?q=koulu", p.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/auth/login?next=%2Fportal%2Fcustomers%3Fq%3Dkoulu");
}

#[tokio::test]
async fn an_unreachable_backend_is_a_503_page_in_the_users_frame() {
    let p = start().await;
    let res = p
        .http
        .get(format!("{}/portal/customers", p.url))
        .header("cookie", format!("{}; kumppani_lang=en", session_cookie(&p, "enterprise_staff").await))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = res.text().await.unwrap();
    assert!(body.contains("The service is not available right now"), "{body}");
    assert!(body.contains("Testi Käyttäjä"), "the frame shows who is signed in: {body}");
    assert!(body.contains(r#"name="csrf" value="good-token""#), "forms in the frame keep working");
}

#[tokio::test]
async fn staff_pages_refuse_others_before_calling_a_backend() {
    let p = start().await;
    let res =
        p.http.get(format!("{}/portal/production", p.url)).header("cookie", session_cookie(&p, "site_user").await).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Tämä sivu on vain palvelujen tuottajan henkilöstölle."));
}

#[tokio::test]
async fn forms_with_a_wrong_csrf_token_are_refused() {
    let p = start().await;
    let cookie = format!("{}; kumppani_lang=sv", session_cookie(&p, "site_user").await);
    let post = |csrf: &'static str| {
        p.http
            .post(format!("{}/portal/language", p.url))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf), ("lang", "en"), ("back", "/portal/")])
            .send()
    };
    let refused = post("forged").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("set-cookie").is_none());
    let body = refused.text().await.unwrap();
    assert!(body.contains("Formulärets kontrollkod stämmer inte"), "in the user's language: {body}");
    let accepted = post("good-token").await.unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert!(accepted.headers()["set-cookie"].to_str().unwrap().starts_with("kumppani_lang=en"));
    // Orders posted with a forged token never reach the ordering service.
    let res = p
        .http
        .post(format!("{}/portal/orders", p.url))
        .header("cookie", session_cookie(&p, "site_user").await)
        .form(&[("csrf", "forged"), ("site", "x"), ("day", "2027-03-01"), ("q:LOUNAS:", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_missing_choice_says_what_to_choose() {
    let p = start().await;
    let res =
        p.http.get(format!("{}/portal/orders", p.url)).header("cookie", session_cookie(&p, "enterprise_staff").await).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Valitse ensin kohde"));
}

#[tokio::test]
async fn a_line_break_in_the_language_switchs_target_returns_home_not_a_500() {
    let p = start().await;
    for back in ["/portal/prices\r\nSet-Cookie: evil=1", "/portal/\n", "//evil.example/portal"] {
        let res = p
            .http
            .post(format!("{}/portal/language", p.url))
            .header("cookie", session_cookie(&p, "site_user").await)
            .form(&[("csrf", "good-token"), ("lang", "sv"), ("back", back)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(res.headers()["location"], "/portal/", "{back:?}");
        assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("kumppani_lang=sv"), "the language is still switched");
    }
}

/// A page asked for with `query` as staff in `lang`: its status and body.
async fn get_as_staff(p: &Portal, query: &str, lang: &str) -> (StatusCode, String) {
    let cookie = format!("{}; kumppani_lang={lang}", session_cookie(p, "enterprise_staff").await);
    let res = p.http.get(format!("{}{query}", p.url)).header("cookie", cookie).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_parameter_that_does_not_fit_gets_the_portals_page_naming_it_in_the_users_language() {
    let p = start().await;
    let expected = [
        ("fi", "Virheellinen pyyntö", "Kohdan ”Vuosi” arvo ei kelpaa"),
        ("sv", "Felaktig begäran", "Värdet för ”År” är ogiltigt"),
        ("en", "Invalid request", "The value of “Year” is not valid"),
    ];
    for (lang, title, text) in expected {
        for query in ["/portal/prices?year=abc", "/portal/budget?customer=c1&year=20x7", "/portal/prices.csv?year=1.5"] {
            let (status, body) = get_as_staff(&p, query, lang).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{lang} {query}");
            assert!(body.contains(&format!(r#"<html lang="{lang}">"#)), "the portal's page: {body}");
            assert!(body.contains(title) && body.contains(text), "{lang} {query}: {body}");
            assert!(body.contains("Testi Käyttäjä"), "in the user's frame");
            assert!(!body.contains("deserialize"), "no developer English: {body}");
        }
    }
    // An empty year is the default year and a typed space is forgiven: not a bad request
    // (the page then asks the backend, here unreachable).
    for query in ["/portal/budget?customer=c1&year=", "/portal/budget?customer=c1&year=2027%20", "/portal/prices?year=%202027&customer="] {
        let (status, body) = get_as_staff(&p, query, "fi").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{query}: {body}");
    }
}

#[tokio::test]
async fn portal_pages_and_error_pages_carry_the_security_headers() {
    let p = start().await;
    for (path, status) in
        [("/auth/signed-out", StatusCode::OK), ("/portal/no-such-page", StatusCode::NOT_FOUND), ("/portal/", StatusCode::OK)]
    {
        let res = p.http.get(format!("{}{path}", p.url)).header("cookie", session_cookie(&p, "site_user").await).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP")).to_str().unwrap();
        for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("<script") && !body.contains(" style=") && !body.contains("<style"), "{path}: nothing inline");
    }
}

#[tokio::test]
async fn without_the_session_store_nobody_is_signed_in() {
    let p = start().await;
    let cookie = session_cookie(&p, "enterprise_staff").await;
    // The same key and session, a gateway whose NATS does not answer: fail closed.
    let down = start_with_nats("nats://127.0.0.1:9".into()).await;
    let res = down.http.get(format!("{}/portal/customers", down.url)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/auth/login"));
}
