//! The portal's security end to end, signed in through the dev issuer against
//! the real services on PostgreSQL and NATS: sessions that end (sign-out, idle
//! timeout, absolute lifetime), the response headers of personal downloads, the
//! OIDC nonce of the sign-in.
#![allow(clippy::unwrap_used)]

mod support;

use kumppani_gateway::SessionLimits;
use kumppani_proto::contracts::v1 as contracts;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use support::TestEnv;
use support::portal::{Browser, sign_in, sign_in_answer, try_cookie_of};

/// Is the browser's session cookie still signed in? (Else the portal sends it to the sign-in.)
async fn signed_in(b: &Browser) -> bool {
    let res = b.fetch("/portal/", "fi").await;
    match res.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(res.headers()["location"].to_str().unwrap().starts_with("/auth/login"), "to the sign-in");
            false
        }
        other => panic!("neither the page nor the sign-in: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_copied_before_sign_out_opens_nothing_after_it() {
    let env = TestEnv::start(false).await;
    let b = sign_in(&env, "staff").await;
    let copy = Browser { http: b.http.clone(), base: b.base.clone(), cookie: b.cookie.clone(), csrf: b.csrf.clone() };
    assert!(signed_in(&copy).await);
    let res =
        b.http.post(format!("{}/auth/logout", b.base)).header("cookie", &b.cookie).form(&[("csrf", b.csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/auth/signed-out");
    assert!(!signed_in(&copy).await, "the replayed cookie gets the sign-in page");
    let (status, _) = copy.get("/portal/prices.csv?year=2027", "fi").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "and no download");
    // Another sign-in is a new session.
    assert!(signed_in(&sign_in(&env, "staff").await).await);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_when_unused_for_the_idle_timeout() {
    let limits = SessionLimits { idle: Duration::from_secs(2), lifetime: Duration::from_secs(3600) };
    let env = TestEnv::start_with(false, limits).await;
    let b = sign_in(&env, "staff").await;
    // Used every half second, it stays open past the idle timeout...
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        assert!(signed_in(&b).await, "in use after {:?}", start.elapsed());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // ...left alone longer than it, it ends.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!signed_in(&b).await, "idle for longer than the timeout");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_absolute_lifetime_even_in_use() {
    let limits = SessionLimits { idle: Duration::from_secs(3600), lifetime: Duration::from_secs(3) };
    let env = TestEnv::start_with(false, limits).await;
    let b = sign_in(&env, "staff").await;
    let start = Instant::now();
    assert!(signed_in(&b).await);
    while start.elapsed() < Duration::from_millis(4500) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let open = signed_in(&b).await;
        if start.elapsed() < Duration::from_millis(2000) {
            assert!(open, "within the lifetime");
        }
    }
    assert!(!signed_in(&b).await, "past the lifetime, though used all along");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_downloads_are_never_cached_and_carry_the_portals_policy() {
    let mut env = TestEnv::start(false).await;
    let customer = env.internal_customer("SEC").await.id;
    let site = env.site(&customer, "SEC-A", contracts::SiteKind::School).await.id;
    let staff = sign_in(&env, "staff").await;
    let csv = format!("/portal/prices.csv?year=2027&site={site}");
    support::wait_until("pricing knows the site", std::time::Duration::from_secs(30), || async {
        staff.fetch(&csv, "fi").await.status() == StatusCode::OK
    })
    .await;
    let res = staff.fetch(&csv, "fi").await;
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(res.headers()["cache-control"], "no-store", "a personal download is not kept by browsers or proxies");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_with_another_nonce_does_not_sign_in() {
    let env = TestEnv::start(false).await;
    // The issuer answers an authorization carrying a nonce other than the one the portal sent.
    let res = sign_in_answer(&env, "staff", |form| {
        for (name, value) in form.iter_mut() {
            if name == "nonce" {
                *value = "a-nonce-of-another-sign-in".into();
            }
        }
    })
    .await;
    assert!(try_cookie_of(&res, "kumppani_session").is_none(), "no session from a foreign ID token");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.text().await.unwrap();
    assert!(body.contains("Kirjautuminen ei onnistunut"), "the portal's page in Finnish: {body}");
    // The same sign-in with the portal's nonce works.
    let res = sign_in_answer(&env, "staff", |_| ()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(try_cookie_of(&res, "kumppani_session").is_some());
    env.cleanup().await;
}
