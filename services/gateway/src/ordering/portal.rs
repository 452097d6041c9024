//! Portal pages of the ordering service: the staff's late-change queue,
//! delivered quantities, production day, electronic-ordering rate and budgets;
//! the order week is in [`super::week`].

use super::budget::product_names;
use super::week::{self, date_param, next_working_day};
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, FormPairs, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate};
use kumppani_platform::calendar;
use kumppani_proto::ordering::v1 as pb;
use serde::Deserialize;
use std::collections::HashMap;

/// A product's name (its code when the catalogue does not know it) with the diet.
fn product_label(names: &HashMap<String, String>, code: &str, diet: &str) -> String {
    week::product_label(names.get(code).map_or("", String::as_str), code, diet)
}

#[derive(Template)]
#[template(path = "ordering/late_changes.html")]
struct LatePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    /// (product name with diet, request)
    pending: Vec<(String, pb::LateChange)>,
    error: Vec<String>,
}

async fn late_page(s: &AppState, page: &Page, form: FormError) -> PageResult {
    page.require_staff()?;
    let request = pb::ListLateChangesRequest { status: pb::LateChangeStatus::Pending as i32, site_id: String::new() };
    let pending = s.ordering().list_late_changes(page.grpc(request)?).await?.into_inner().late_changes;
    let names = product_names(s, page).await?;
    let pending = pending
        .into_iter()
        .map(|x| (x.line.as_ref().map(|ln| product_label(&names, &ln.product_code, &ln.diet)).unwrap_or_default(), x))
        .collect();
    Ok(render(form.status, &LatePage { l: &page.l, i: &page.i, pending, error: form.messages }))
}

#[tracing::instrument(skip_all)]
async fn late_changes(State(s): State<AppState>, page: Page) -> PageResult {
    late_page(&s, &page, FormError::none()).await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

#[tracing::instrument(skip_all)]
async fn decide(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<DecideForm>) -> PageResult {
    let request = pb::DecideLateChangeRequest { id: f.id, accept: f.action == "accept", reason: f.reason };
    match s.ordering().decide_late_change(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to("/portal/late-changes").into_response()),
        Err(status) => late_page(&s, &page, FormError::from_call(status, &page.i)?).await,
    }
}

#[derive(Template)]
#[template(path = "ordering/production.html")]
struct ProductionPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    day: String,
    day_label: String,
    /// (product, diet or "–", quantity, sites), counts in the language's style.
    totals: Vec<(String, String, String, String)>,
    /// (site, [(product with diet, quantity)]).
    sites: Vec<(String, Vec<(String, String)>)>,
    rates: Vec<pb::OrderingRate>,
    month: String,
}

#[derive(Deserialize, Default)]
struct ProductionParams {
    #[serde(default)]
    day: String,
}

#[tracing::instrument(skip_all)]
async fn production(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ProductionParams>) -> PageResult {
    page.require_staff()?;
    let day = date_param(&p.day).unwrap_or_else(|| next_working_day(calendar::today()));
    let prod = s.ordering().get_production_day(page.grpc(pb::GetProductionDayRequest { day: Some(day.into()) })?).await?.into_inner();
    let request = pb::GetOrderingRateRequest { year: day.year(), month: day.month() as i32 };
    let rates = s.ordering().get_ordering_rate(page.grpc(request)?).await?.into_inner().rates;
    let month = day.format("%-m/%Y").to_string();
    let (i, names) = (&page.i, product_names(&s, &page).await?);
    let count = |q: i32| i.integer(i64::from(q));
    let totals = prod
        .totals
        .iter()
        .map(|r| {
            let diet = if r.diet.is_empty() { "–".to_owned() } else { r.diet.clone() };
            (product_label(&names, &r.product_code, ""), diet, count(r.quantity), count(r.sites))
        })
        .collect();
    let sites = prod
        .sites
        .iter()
        .map(|x| {
            (x.site_name.clone(), x.rows.iter().map(|r| (product_label(&names, &r.product_code, &r.diet), count(r.quantity))).collect())
        })
        .collect();
    let page_data = ProductionPage { l: &page.l, i, day: day.to_string(), day_label: i.date(&prod.day), totals, sites, rates, month };
    Ok(render(StatusCode::OK, &page_data))
}

struct DeliveryRow {
    field: String,
    label: String,
    ordered: i32,
    delivered: String,
    version: i32,
}

#[derive(Template)]
#[template(path = "ordering/deliveries.html")]
struct DeliveriesPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    site: String,
    site_name: String,
    day: String,
    rows: Vec<DeliveryRow>,
    error: Vec<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct DeliveryParams {
    #[serde(default)]
    site: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    saved: String,
}

async fn deliveries_page(s: &AppState, page: &Page, site: String, day: NaiveDate, form: FormError, saved: bool) -> PageResult {
    page.require_staff()?;
    let (from, to) = (Some(day.into()), Some(day.into()));
    let request = pb::ListOrdersRequest { site_id: site.clone(), from, to, page_size: 500, ..Default::default() };
    let orders = s.ordering().list_orders(page.grpc(request)?).await?.into_inner().orders;
    let names = product_names(s, page).await?;
    let request = pb::ListDeliveriesRequest { site_id: site.clone(), from, to, page_size: 500, ..Default::default() };
    let delivered = s.ordering().list_deliveries(page.grpc(request)?).await?.into_inner().deliveries;
    let request = pb::GetOrderWeekRequest { site_id: site.clone(), day: from };
    let week = s.ordering().get_order_week(page.grpc(request)?).await?.into_inner();
    let mut rows: Vec<DeliveryRow> = orders
        .iter()
        .filter_map(|o| o.line.as_ref())
        .map(|ln| {
            let d = delivered.iter().find(|d| d.line.as_ref().is_some_and(|x| x.product_code == ln.product_code && x.diet == ln.diet));
            DeliveryRow {
                field: format!("d:{}:{}", ln.product_code, ln.diet),
                label: product_label(&names, &ln.product_code, &ln.diet),
                ordered: ln.quantity,
                delivered: d.and_then(|d| d.line.as_ref()).map(|x| x.quantity.to_string()).unwrap_or_default(),
                version: d.map(|d| d.version).unwrap_or(0),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.label.cmp(&b.label));
    let page_data =
        DeliveriesPage { l: &page.l, i: &page.i, site, site_name: week.site_name, day: day.to_string(), rows, error: form.messages, saved };
    Ok(render(form.status, &page_data))
}

#[tracing::instrument(skip_all)]
async fn deliveries(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<DeliveryParams>) -> PageResult {
    let day = date_param(&p.day).unwrap_or_else(|| calendar::today() - Duration::days(1));
    if p.site.is_empty() {
        return Err(PageError::Missing("error-pick-site-text"));
    }
    deliveries_page(&s, &page, p.site, day, FormError::none(), p.saved == "1").await
}

/// Saves delivered quantities of a site's day (`d:<product>:<diet>`), with a correction reason when changed.
#[tracing::instrument(skip_all)]
async fn save_deliveries(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    let i = &page.i;
    let site = f.get("site");
    let Some(day) = date_param(&f.get("day")) else {
        return deliveries_page(&s, &page, site, calendar::today(), FormError::invalid(vec![i.t("orders-bad-day")]), false).await;
    };
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (name, value) in f.iter() {
        let Some(rest) = name.strip_prefix("d:") else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let (product, diet) = rest.split_once(':').unwrap_or((rest, ""));
        match value.parse::<i32>() {
            Ok(q) if q >= 0 => lines.push(pb::OrderLine {
                site_id: site.clone(),
                service_day: Some(day.into()),
                product_code: product.to_owned(),
                diet: diet.to_owned(),
                quantity: q,
            }),
            _ => bad.push(format!("{rest}: {}", i.t("orders-not-a-count"))),
        }
    }
    if lines.is_empty() && bad.is_empty() {
        bad.push(i.t("deliveries-nothing"));
    }
    if !bad.is_empty() {
        return deliveries_page(&s, &page, site, day, FormError::invalid(bad), false).await;
    }
    let request = pb::ConfirmDeliveriesRequest { lines, correction_reason: f.get("reason"), idempotency_key: String::new() };
    match s.ordering().confirm_deliveries(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/deliveries?site={site}&day={day}&saved=1")).into_response()),
        Err(status) => deliveries_page(&s, &page, site, day, FormError::from_call(status, i)?, false).await,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/budget", get(super::budget::budget))
        .route("/portal/deliveries", get(deliveries).post(save_deliveries))
        .route("/portal/orders", get(week::orders).post(week::save_day))
        .route("/portal/late-changes", get(late_changes).post(decide))
        .route("/portal/production", get(production))
}
