//! The customer portal: server-rendered pages (askama templates, HDS styles, no
//! JavaScript). Every page is fetched from the owning service with the signed-in
//! user's token, so the service's scope rules decide what the user sees.

use crate::AppState;
use crate::i18n::I18n;
use crate::session::{CsrfForm, LANG_COOKIE, Session};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kumppani_platform::{AppError, ErrorCode};
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

/// What every page's frame needs.
pub struct Layout {
    pub user: String,
    pub role_label: String,
    pub csrf: String,
    pub is_staff: bool,
    pub own_customer: String,
    pub own_site: String,
    pub path: String,
    pub signed_in: bool,
}

pub(crate) fn language(headers: &HeaderMap) -> I18n {
    let jar = CookieJar::from_headers(headers);
    if let Some(c) = jar.get(LANG_COOKIE) {
        return I18n::new(c.value());
    }
    // First visit: honour the browser's preference among fi / sv / en.
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let first = accept
        .split(',')
        .filter_map(|p| p.split(';').next())
        .map(|p| p.trim().get(..2).unwrap_or(""))
        .find(|p| crate::i18n::LANGUAGES.contains(p));
    I18n::new(first.unwrap_or("fi"))
}

pub(crate) fn layout(s: &Session, i: &I18n, path: &str) -> Layout {
    Layout {
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

fn signed_out_layout() -> Layout {
    Layout {
        user: String::new(),
        role_label: String::new(),
        csrf: String::new(),
        is_staff: false,
        own_customer: String::new(),
        own_site: String::new(),
        path: "/".into(),
        signed_in: false,
    }
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    i: I18n,
    title: String,
    message: String,
}

fn error_page(status: StatusCode, i: I18n, l: Layout, title_key: &str, message: String) -> Response {
    let title = i.t(title_key);
    render(status, &ErrorPage { l, i, title, message })
}

/// The page for a failed call: 403 / 404 / 400 / sign in again / 503.
pub(crate) fn failure(e: AppError, i: I18n, l: Layout) -> Response {
    match e.code {
        ErrorCode::PermissionDenied => error_page(StatusCode::FORBIDDEN, i.clone(), l, "error-forbidden", i.t("error-forbidden-text")),
        ErrorCode::NotFound => error_page(StatusCode::NOT_FOUND, i.clone(), l, "error-not-found", i.t("error-not-found-text")),
        ErrorCode::Unauthenticated => Redirect::to("/auth/login").into_response(),
        ErrorCode::InvalidArgument => {
            let details: Vec<String> = e.violations.iter().map(|v| format!("{}: {}", v.field, v.reason)).collect();
            error_page(StatusCode::BAD_REQUEST, i, l, "error-bad-request", details.join("; "))
        }
        _ => error_page(StatusCode::SERVICE_UNAVAILABLE, i.clone(), l, "error-unavailable", i.t("error-unavailable-text")),
    }
}

pub fn unavailable_page(lang: &str) -> Response {
    let i = I18n::new(lang);
    error_page(StatusCode::SERVICE_UNAVAILABLE, i.clone(), signed_out_layout(), "error-unavailable", i.t("error-unavailable-text"))
}

pub fn forbidden_csrf() -> Response {
    let i = I18n::new("fi");
    error_page(StatusCode::FORBIDDEN, i.clone(), signed_out_layout(), "error-forbidden", i.t("error-csrf-text"))
}

macro_rules! call {
    ($client:expr, $session:expr, $i:expr, $l:expr, $rpc:ident, $msg:expr) => {{
        let request = match $crate::rest::grpc_request($msg, &$session.token) {
            Ok(r) => r,
            Err(e) => return $crate::portal::failure(e, $i, $l),
        };
        match $client.clone().$rpc(request).await {
            Ok(r) => r.into_inner(),
            Err(status) => return $crate::portal::failure(kumppani_platform::AppError::from_status(&status), $i, $l),
        }
    }};
}
pub(crate) use call;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    i: I18n,
}

#[tracing::instrument(skip_all)]
async fn home(session: Session, headers: HeaderMap) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/");
    render(StatusCode::OK, &HomePage { l, i })
}

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    l: Layout,
    i: I18n,
    q: String,
    customers: Vec<pb::Customer>,
    next: String,
}

#[tracing::instrument(skip_all)]
async fn customers(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<ListParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/customers");
    let r = call!(
        s.contracts,
        session,
        i.clone(),
        l,
        list_customers,
        pb::ListCustomersRequest { query: p.q.clone(), page_size: 100, page_token: p.page.clone(), ..Default::default() }
    );
    let l = layout(&session, &i, "/portal/customers");
    let next = if r.next_page_token.is_empty() {
        String::new()
    } else {
        format!(
            "/portal/customers?q={}&page={}",
            url::form_urlencoded::byte_serialize(p.q.as_bytes()).collect::<String>(),
            r.next_page_token
        )
    };
    render(StatusCode::OK, &CustomersPage { l, i, q: p.q, customers: r.customers, next })
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    l: Layout,
    i: I18n,
    d: pb::CustomerDetail,
    c: pb::Customer,
    sites: Vec<pb::Site>,
}

#[tracing::instrument(skip_all)]
async fn customer(State(s): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let i = language(&headers);
    let path = format!("/portal/customers/{id}");
    let l = layout(&session, &i, &path);
    let d = call!(s.contracts, session, i.clone(), l, get_customer, pb::GetCustomerRequest { id: id.clone() });
    let l = layout(&session, &i, &path);
    let sites = call!(
        s.contracts,
        session,
        i.clone(),
        l,
        list_sites,
        pb::ListSitesRequest { customer_id: id.clone(), page_size: 500, ..Default::default() }
    )
    .sites;
    let l = layout(&session, &i, &path);
    let c = d.customer.clone().unwrap_or_default();
    render(StatusCode::OK, &CustomerPage { l, i, d, c, sites })
}

#[derive(Template)]
#[template(path = "site.html")]
struct SitePage {
    l: Layout,
    i: I18n,
    d: pb::SiteDetail,
    site: pb::Site,
}

#[tracing::instrument(skip_all)]
async fn site(State(s): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let i = language(&headers);
    let path = format!("/portal/sites/{id}");
    let l = layout(&session, &i, &path);
    let d = call!(s.contracts, session, i.clone(), l, get_site, pb::GetSiteRequest { id });
    let l = layout(&session, &i, &path);
    let site = d.site.clone().unwrap_or_default();
    render(StatusCode::OK, &SitePage { l, i, d, site })
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    l: Layout,
    i: I18n,
    a: pb::Agreement,
    terms: pb::AgreementTerms,
    amendments: Vec<pb::Amendment>,
}

#[tracing::instrument(skip_all)]
async fn agreement(State(s): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let i = language(&headers);
    let path = format!("/portal/agreements/{id}");
    let l = layout(&session, &i, &path);
    let a = call!(s.contracts, session, i.clone(), l, get_agreement, pb::GetAgreementRequest { id: id.clone() });
    let l = layout(&session, &i, &path);
    let amendments = call!(s.contracts, session, i.clone(), l, list_amendments, pb::ListAmendmentsRequest { agreement_id: id }).amendments;
    let l = layout(&session, &i, &path);
    let terms = a.terms.clone().unwrap_or_default();
    render(StatusCode::OK, &AgreementPage { l, i, a, terms, amendments })
}

#[derive(Deserialize)]
struct ContactParams {
    #[serde(default)]
    site: String,
    #[serde(default)]
    topic: String,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    l: Layout,
    i: I18n,
    site_id: String,
    topic: i32,
    topics: Vec<(i32, String)>,
    answer: Option<pb::WhoToContactResponse>,
}

#[tracing::instrument(skip_all)]
async fn contact(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<ContactParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/contact");
    let site_id = if p.site.is_empty() { session.site_id.map(|s| s.to_string()).unwrap_or_default() } else { p.site.clone() };
    let topic = pb::Topic::from_str_name(&format!("TOPIC_{}", p.topic.to_uppercase())).unwrap_or(pb::Topic::Meals) as i32;
    let topics = [pb::Topic::Orders, pb::Topic::Meals, pb::Topic::Cleaning, pb::Topic::Invoices, pb::Topic::Agreement]
        .iter()
        .map(|t| (*t as i32, i.topic(&(*t as i32))))
        .collect();
    let answer = if site_id.is_empty() {
        None
    } else {
        Some(call!(s.contracts, session, i.clone(), l, who_to_contact, pb::WhoToContactRequest { site_id: site_id.clone(), topic }))
    };
    let l = layout(&session, &i, "/portal/contact");
    render(StatusCode::OK, &ContactPage { l, i, site_id, topic, topics, answer })
}

impl ContactPage {
    fn topic_param(&self, t: &i32) -> String {
        pb::Topic::try_from(*t).map(|t| t.as_str_name().trim_start_matches("TOPIC_").to_lowercase()).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

async fn set_language(State(s): State<AppState>, session: Option<Session>, Form(f): Form<LanguageForm>) -> Response {
    if let Some(session) = &session {
        if session.csrf != f.csrf {
            return forbidden_csrf();
        }
    }
    let lang = I18n::new(&f.lang).lang;
    let cookie = Cookie::build((LANG_COOKIE, lang))
        .path("/")
        .http_only(true)
        .secure(s.config.secure_cookies())
        .same_site(SameSite::Lax)
        .permanent()
        .build();
    let back = if f.back.starts_with("/portal") && !f.back.starts_with("//") { f.back } else { "/portal/".to_owned() };
    (CookieJar::new().add(cookie), Redirect::to(&back)).into_response()
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    l: Layout,
    i: I18n,
}

pub async fn signed_out(headers: HeaderMap) -> Response {
    let i = language(&headers);
    render(StatusCode::OK, &SignedOutPage { l: signed_out_layout(), i })
}

/// Unknown paths: a real page, in the user's language.
pub async fn not_found(headers: HeaderMap, session: Option<Session>) -> Response {
    let i = language(&headers);
    let l = match &session {
        Some(s) => layout(s, &i, "/portal/"),
        None => signed_out_layout(),
    };
    error_page(StatusCode::NOT_FOUND, i.clone(), l, "error-not-found", i.t("error-not-found-text"))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/", get(home))
        .route("/portal/customers", get(customers))
        .route("/portal/customers/{id}", get(customer))
        .route("/portal/sites/{id}", get(site))
        .route("/portal/agreements/{id}", get(agreement))
        .route("/portal/contact", get(contact))
        .route("/portal/language", post(set_language))
}

/// Logout form also lives on every page; this keeps its type in one place.
pub type LogoutForm = CsrfForm;

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
