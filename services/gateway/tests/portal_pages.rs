//! The portal's shared machinery over HTTP, without backends: the page context,
//! error pages in the user's language and frame, the CSRF-checked forms and the
//! sign-in redirect. Backends are configured at a closed port, so every call to
//! them fails as unavailable.

#![allow(clippy::unwrap_used)]

use axum::response::IntoResponse;
use axum_extra::extract::cookie::SameSite;
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar};
use base64::Engine;
use kumppani_gateway::{AppState, Config};
use kumppani_platform::config::Secret;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

const KEY: [u8; 64] = [7; 64];

struct Portal {
    url: String,
    http: reqwest::Client,
}

async fn start() -> Portal {
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
        api_limit: Default::default(),
    };
    let state = AppState::new(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, kumppani_gateway::router(state, None)).await.unwrap() });
    Portal { url: format!("http://{addr}"), http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap() }
}

/// The `Cookie` header of a signed-in user (`site_user` or `enterprise_staff`).
fn session_cookie(role: &str) -> String {
    let session = serde_json::json!({
        "token": "test-token", "subject": "u1", "name": "Testi Käyttäjä", "role": role,
        "customer_id": null, "site_id": null, "csrf": "good-token",
        "exp": chrono::Utc::now().timestamp() + 3600,
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
        .header("cookie", format!("{}; kumppani_lang=en", session_cookie("enterprise_staff")))
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
    let res = p.http.get(format!("{}/portal/production", p.url)).header("cookie", session_cookie("site_user")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Tämä sivu on vain palvelujen tuottajan henkilöstölle."));
}

#[tokio::test]
async fn forms_with_a_wrong_csrf_token_are_refused() {
    let p = start().await;
    let post = |csrf: &'static str| {
        p.http
            .post(format!("{}/portal/language", p.url))
            .header("cookie", format!("{}; kumppani_lang=sv", session_cookie("site_user")))
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
        .header("cookie", session_cookie("site_user"))
        .form(&[("csrf", "forged"), ("site", "x"), ("day", "2027-03-01"), ("q:LOUNAS:", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_missing_choice_says_what_to_choose() {
    let p = start().await;
    let res = p.http.get(format!("{}/portal/orders", p.url)).header("cookie", session_cookie("enterprise_staff")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Valitse ensin kohde"));
}
