//! Portal pages of the contracts service: customers (search, detail), sites,
//! agreements and "who do I contact". Every page is fetched with the signed-in
//! user's token, so the service's scope rules decide what the user sees.

use super::billing::{BillingView, Rejected};
use crate::i18n::I18n;
use crate::page::{Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "contracts/customers.html")]
struct CustomersPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    q: String,
    customers: Vec<pb::Customer>,
    next: String,
}

#[tracing::instrument(skip_all)]
async fn customers(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ListParams>) -> PageResult {
    let request = pb::ListCustomersRequest { query: p.q.clone(), page_size: 100, page_token: p.page.clone(), ..Default::default() };
    let r = s.contracts().list_customers(page.grpc(request)?).await?.into_inner();
    let next = if r.next_page_token.is_empty() {
        String::new()
    } else {
        format!(
            "/portal/customers?q={}&page={}",
            url::form_urlencoded::byte_serialize(p.q.as_bytes()).collect::<String>(),
            r.next_page_token
        )
    };
    Ok(render(StatusCode::OK, &CustomersPage { l: &page.l, i: &page.i, q: p.q, customers: r.customers, next }))
}

#[derive(Template)]
#[template(path = "contracts/customer.html")]
struct CustomerPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    d: pb::CustomerDetail,
    c: pb::Customer,
    sites: Vec<pb::Site>,
    billing: BillingView,
    /// A rejected billing form's messages (the summary above the section).
    error: Vec<String>,
}

impl CustomerPage<'_> {
    fn level(&self, level: &i32) -> String {
        super::billing::level_label(self.i, *level)
    }
    fn language(&self, language: &str) -> String {
        super::billing::language_label(self.i, language)
    }
    fn or_inherited(&self, value: &str) -> String {
        super::billing::override_text(self.i, value)
    }
    fn days(&self, days: &i32) -> String {
        if *days == 0 { self.or_inherited("") } else { self.i.t_args("billing-days", &[("days", days.to_string())]) }
    }
}

#[derive(Deserialize)]
struct CustomerParams {
    /// `billing` after the billing details were saved.
    #[serde(default)]
    saved: String,
}

#[tracing::instrument(skip_all)]
async fn customer(State(s): State<AppState>, page: Page, Path(id): Path<String>, PageQuery(p): PageQuery<CustomerParams>) -> PageResult {
    customer_page(&s, &page, id, None, p.saved == "billing").await
}

/// The customer page; a rejected billing form keeps what was typed.
pub(super) async fn customer_page(s: &AppState, page: &Page, id: String, rejected: Option<Rejected>, saved: bool) -> PageResult {
    let d = s.contracts().get_customer(page.grpc(pb::GetCustomerRequest { id: id.clone() })?).await?.into_inner();
    let sites = pb::ListSitesRequest { customer_id: id.clone(), page_size: 500, ..Default::default() };
    let sites = s.contracts().list_sites(page.grpc(sites)?).await?.into_inner().sites;
    let c = d.customer.clone().unwrap_or_default();
    let billing = BillingView::of(&d, page.l.is_staff, rejected.as_ref(), saved);
    let (status, error) = rejected.map_or((StatusCode::OK, Vec::new()), |r| (r.error.status, r.error.messages));
    let l = page.l.at(&format!("/portal/customers/{id}"));
    Ok(render(status, &CustomerPage { l: &l, i: &page.i, d, c, sites, billing, error }))
}

#[derive(Template)]
#[template(path = "contracts/site.html")]
struct SitePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    d: pb::SiteDetail,
    site: pb::Site,
}

#[tracing::instrument(skip_all)]
async fn site(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let d = s.contracts().get_site(page.grpc(pb::GetSiteRequest { id })?).await?.into_inner();
    let site = d.site.clone().unwrap_or_default();
    Ok(render(StatusCode::OK, &SitePage { l: &page.l, i: &page.i, d, site }))
}

#[derive(Template)]
#[template(path = "contracts/agreement.html")]
struct AgreementPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    a: pb::Agreement,
    terms: pb::AgreementTerms,
    amendments: Vec<pb::Amendment>,
}

#[tracing::instrument(skip_all)]
async fn agreement(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let a = s.contracts().get_agreement(page.grpc(pb::GetAgreementRequest { id: id.clone() })?).await?.into_inner();
    let amendments = pb::ListAmendmentsRequest { agreement_id: id };
    let amendments = s.contracts().list_amendments(page.grpc(amendments)?).await?.into_inner().amendments;
    let terms = a.terms.clone().unwrap_or_default();
    Ok(render(StatusCode::OK, &AgreementPage { l: &page.l, i: &page.i, a, terms, amendments }))
}

#[derive(Deserialize)]
struct ContactParams {
    #[serde(default)]
    site: String,
    #[serde(default)]
    topic: String,
}

#[derive(Template)]
#[template(path = "contracts/contact.html")]
struct ContactPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    site_id: String,
    topic: i32,
    topics: Vec<(i32, String)>,
    answer: Option<pb::WhoToContactResponse>,
    /// Without a site: a contract-level contact's customer, whose contacts are listed.
    customer: Option<pb::CustomerDetail>,
}

impl ContactPage<'_> {
    fn topic_param(&self, t: &i32) -> String {
        pb::Topic::try_from(*t).map(|t| t.as_str_name().trim_start_matches("TOPIC_").to_lowercase()).unwrap_or_default()
    }
}

#[tracing::instrument(skip_all)]
async fn contact(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ContactParams>) -> PageResult {
    let site_id = if p.site.is_empty() { page.session.site_id.map(|s| s.to_string()).unwrap_or_default() } else { p.site };
    let topic = pb::Topic::from_str_name(&format!("TOPIC_{}", p.topic.to_uppercase())).unwrap_or(pb::Topic::Meals) as i32;
    let topics = [pb::Topic::Orders, pb::Topic::Meals, pb::Topic::Cleaning, pb::Topic::Invoices, pb::Topic::Agreement]
        .iter()
        .map(|t| (*t as i32, page.i.topic(&(*t as i32))))
        .collect();
    let (answer, customer) = match (site_id.is_empty(), page.session.customer_id) {
        (false, _) => {
            let request = pb::WhoToContactRequest { site_id: site_id.clone(), topic };
            (Some(s.contracts().who_to_contact(page.grpc(request)?).await?.into_inner()), None)
        }
        // A contract-level contact sees their customer's contacts without picking a site first.
        (true, Some(c)) => {
            (None, Some(s.contracts().get_customer(page.grpc(pb::GetCustomerRequest { id: c.to_string() })?).await?.into_inner()))
        }
        (true, None) => (None, None),
    };
    Ok(render(StatusCode::OK, &ContactPage { l: &page.l, i: &page.i, site_id, topic, topics, answer, customer }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/customers", get(customers))
        .route("/portal/customers/{id}", get(customer))
        .route("/portal/customers/{id}/billing", post(super::billing::save))
        .route("/portal/sites/{id}", get(site))
        .route("/portal/agreements/{id}", get(agreement))
        .route("/portal/contact", get(contact))
        .merge(super::calendar::routes())
        .merge(super::disputes::routes())
        .merge(super::meetings::routes())
        .merge(super::projects::routes())
}
