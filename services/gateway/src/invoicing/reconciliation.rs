//! The year-end reconciliation page (vuositasaus, Liite 2): per service line
//! and product the budgeted, delivered and invoiced quantities, the difference
//! in quantity and euros and whose risk it is, with each site's rows under a
//! `<details>` (no JavaScript); the CSV download; for staff a form that adds
//! the adjustment line the agreement calls for (nothing reaches an invoice
//! otherwise).

use super::portal::{customer_scope, download};
use crate::i18n::I18n;
use crate::page::{Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    as_of: String,
}

/// A row as shown: numbers formatted, the risk in words.
struct Shown {
    product: String,
    site: String,
    budgeted: String,
    to_date: String,
    delivered: String,
    invoiced: String,
    difference: String,
    price: String,
    amount: String,
    risk: String,
}

/// A service line with its products and their sites.
struct Line {
    name: String,
    products: Vec<(Shown, Vec<Shown>)>,
}

#[derive(Template)]
#[template(path = "invoicing/reconciliation.html")]
struct ReconciliationPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    customers: Vec<contracts::Customer>,
    customer: String,
    year: i32,
    as_of: String,
    rec: Option<pb::Reconciliation>,
    lines: Vec<Line>,
    status: String,
    csv: String,
    /// For the staff's adjustment form: the month whose invoice carries the line, and a description.
    line_month: u32,
    line_year: i32,
    line_description: String,
    /// Internal (city) customers are outside the scope of VAT: "0"; external ones: the rate to be entered.
    line_vat: &'static str,
}

fn shown(i: &I18n, r: &pb::ReconciliationRow) -> Shown {
    let signed = |q: i64| if q > 0 { format!("+{}", i.integer(q)) } else { i.integer(q) };
    Shown {
        product: r.product_name.clone(),
        site: r.site_name.clone(),
        budgeted: i.integer(r.budgeted),
        to_date: i.integer(r.budgeted_to_date),
        delivered: i.integer(r.delivered),
        invoiced: i.decimal(&r.invoiced),
        difference: signed(r.difference),
        price: if r.unit_price.is_empty() { String::new() } else { format!("{} €", i.money(&r.unit_price)) },
        amount: format!("{} €", i.cents(&r.difference_amount)),
        risk: match pb::Risk::try_from(r.risk) {
            Ok(pb::Risk::Customer) => i.t("rec-risk-customer"),
            Ok(pb::Risk::Producer) => i.t("rec-risk-producer"),
            _ => i.t("rec-risk-none"),
        },
    }
}

fn grouped(i: &I18n, rec: &pb::Reconciliation) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for p in &rec.products {
        let name = i.t(&format!("service-line-{}", p.service_line.replace('_', "-")));
        let sites = rec.sites.iter().filter(|s| s.product_code == p.product_code).map(|s| shown(i, s)).collect();
        match lines.last_mut() {
            Some(l) if l.name == name => l.products.push((shown(i, p), sites)),
            _ => lines.push(Line { name, products: vec![(shown(i, p), sites)] }),
        }
    }
    lines
}

fn request(customer: &str, year: i32, as_of: Option<NaiveDate>) -> pb::GetReconciliationRequest {
    pb::GetReconciliationRequest { customer_id: customer.to_owned(), year, as_of: as_of.map(pb::Date::from) }
}

fn date_param(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

#[tracing::instrument(skip_all)]
async fn page_(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    let i = &page.i;
    let (customers, customer) = customer_scope(&s, &page, &p.customer).await?;
    let today = kumppani_platform::calendar::today();
    // Until the year's invoices are out, the year just ended is the one to reconcile.
    let year = p.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(if today.month() <= 2 { today.year() - 1 } else { today.year() });
    let as_of = date_param(&p.as_of).filter(|d| d.year() == year);
    let rec = if customer.is_empty() {
        None
    } else {
        Some(s.invoicing().get_reconciliation(page.grpc(request(&customer, year, as_of))?).await?.into_inner())
    };
    let lines = rec.as_ref().map(|r| grouped(i, r)).unwrap_or_default();
    let shown_as_of = rec.as_ref().and_then(|r| r.as_of);
    let status = match &rec {
        Some(r) if r.year_complete => i.t_args("rec-status-final", &[("year", year.to_string())]),
        Some(_) => i.t_args("rec-status-interim", &[("date", i.date(&shown_as_of))]),
        None => String::new(),
    };
    let iso = shown_as_of.and_then(|d| d.to_naive());
    let csv =
        format!("/portal/reconciliation.csv?customer={customer}&year={year}{}", iso.map(|d| format!("&as_of={d}")).unwrap_or_default());
    // The adjustment goes on the invoice of the reconciled month (the next open one if that is issued).
    let carry = iso.unwrap_or(today);
    let l = page.l.at("/portal/reconciliation");
    let line_description = i.t_args("rec-line-description", &[("year", year.to_string())]);
    let external = customers.iter().any(|c| c.id == customer && c.kind == contracts::CustomerKind::External as i32);
    let line_vat = if external { "" } else { "0" };
    let page_ = ReconciliationPage {
        l: &l,
        i,
        customers,
        customer,
        year,
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
        rec,
        lines,
        status,
        csv,
        line_month: carry.month(),
        line_year: carry.year(),
        line_description,
        line_vat,
    };
    Ok(render(StatusCode::OK, &page_))
}

#[tracing::instrument(skip_all)]
async fn csv(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    let customer =
        if page.session.is_staff() { p.customer.clone() } else { page.session.customer_id.map(|c| c.to_string()).unwrap_or_default() };
    if customer.is_empty() {
        return Err(PageError::NotFound);
    }
    let year = p.year.unwrap_or_else(|| kumppani_platform::calendar::today().year());
    let doc = s.invoicing().get_reconciliation_csv(page.grpc(request(&customer, year, date_param(&p.as_of)))?).await?.into_inner();
    Ok(download(doc))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/reconciliation", get(page_)).route("/portal/reconciliation.csv", get(csv))
}
