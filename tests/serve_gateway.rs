//! `kumppani serve gateway` as production runs it (the real binary): no dev
//! issuer, so no password grant and no demo client, and no secret in its output.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

const COOKIE_KEY: &str = "c2VydmUtbmV2ZXItcHJpbnRzLXRoaXMtY29va2llLWtleS0wMTIzNDU2Nzg5LWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6";

#[tokio::test]
async fn serve_mounts_no_dev_issuer_and_prints_no_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kumppani"))
        .args(["serve", "gateway"])
        .env("KUMPPANI_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("KUMPPANI_COOKIE_KEY", COOKIE_KEY)
        .env("KUMPPANI_OIDC_ISSUER", "http://127.0.0.1:9/realms/city")
        .env("RUST_LOG", "debug")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !http.get(format!("{base}/livez")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(30), "serve gateway did not start");
        assert!(child.try_wait().unwrap().is_none(), "serve gateway stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let discovery = http.get(format!("{base}/dev-idp/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(discovery.status(), reqwest::StatusCode::NOT_FOUND, "no issuer is mounted");
    for grant in [
        &[("grant_type", "password"), ("username", "staff"), ("password", "demo")][..],
        &[("grant_type", "client_credentials"), ("client_id", "ordering-system"), ("client_secret", "dev-ordering-secret")][..],
    ] {
        let res = http.post(format!("{base}/dev-idp/token")).form(grant).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND, "{grant:?} is refused");
        assert!(!res.text().await.unwrap().contains("access_token"));
    }
    let login = http.get(format!("{base}/dev-idp/authorize")).send().await.unwrap();
    assert!(!login.text().await.unwrap().contains("paivakoti"), "no demo login page");

    child.start_kill().unwrap();
    let _ = child.wait().await;
    let mut output = String::new();
    child.stdout.take().unwrap().read_to_string(&mut output).await.unwrap();
    child.stderr.take().unwrap().read_to_string(&mut output).await.unwrap();
    assert!(output.contains("gateway HTTP listening"), "the output was read: {output}");
    for secret in [COOKIE_KEY, "dev-ordering-secret", "password", "demo logins"] {
        assert!(!output.contains(secret), "serve printed {secret:?}: {output}");
    }
}
