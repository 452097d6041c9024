//! The portal's security end to end, signed in through the dev issuer against
//! the real services on PostgreSQL and NATS: the response headers of personal
//! downloads, the OIDC nonce of the sign-in.
#![allow(clippy::unwrap_used)]

mod support;

use kumppani_proto::contracts::v1 as contracts;
use reqwest::StatusCode;
use support::TestEnv;
use support::portal::{sign_in, sign_in_answer, try_cookie_of};

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
