//! A signed-in portal browser for the end-to-end tests: the real sign-in
//! through the dev issuer (its login form, the callback, the session cookie)
//! and the session's form token.
#![allow(dead_code, clippy::unwrap_used)]

use super::TestEnv;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

/// A signed-in browser: its session cookie and the form token of the session.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

/// The `name=value` of the cookie `name` the response sets.
pub fn cookie_of(res: &reqwest::Response, name: &str) -> String {
    try_cookie_of(res, name).unwrap_or_else(|| panic!("no {name} cookie"))
}

pub fn try_cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// The portal's sign-in up to the callback: /auth/login → the dev issuer's login
/// form (its fields changed by `tamper`) → /auth/callback; the callback's answer.
pub async fn sign_in_answer(env: &TestEnv, username: &str, tamper: impl FnOnce(&mut Vec<(String, String)>)) -> reqwest::Response {
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let res = http.get(format!("{}/auth/login", env.http)).send().await.unwrap();
    let pending = cookie_of(&res, "kumppani_auth");
    let authorize = url::Url::parse(&location(&res)).unwrap();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("username".into(), username.into()));
    tamper(&mut form);
    let res = http.post(format!("{}{}", env.http, authorize.path())).form(&form).send().await.unwrap();
    http.get(location(&res)).header("cookie", pending).send().await.unwrap()
}

/// The portal's sign-in as a demo user.
pub async fn sign_in(env: &TestEnv, username: &str) -> Browser {
    let res = sign_in_answer(env, username, |_| ()).await;
    let cookie = cookie_of(&res, "kumppani_session");
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let mut b = Browser { http, base: env.http.clone(), cookie, csrf: String::new() };
    let (_, home) = b.get("/portal/", "fi").await;
    b.csrf = home.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    b
}

impl Browser {
    /// The raw answer to a GET with the session cookie in `lang`.
    pub async fn fetch(&self, path: &str, lang: &str) -> reqwest::Response {
        let cookie = format!("{}; kumppani_lang={lang}", self.cookie);
        self.http.get(format!("{}{path}", self.base)).header("cookie", cookie).send().await.unwrap()
    }

    pub async fn get(&self, path: &str, lang: &str) -> (StatusCode, String) {
        let res = self.fetch(path, lang).await;
        (res.status(), res.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let res = self.http.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).form(&fields).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }
}
