//! Portal pages of the ordering service: a site's order week (quick on a phone:
//! home → orders → change a count → save), and the staff's late-change queue,
//! production day and electronic-ordering rate.

use crate::AppState;
use crate::i18n::I18n;
use crate::portal::{Layout, call, failure, language, layout, render};
use crate::session::Session;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Datelike, NaiveDate};
use kumppani_platform::AppError;
use kumppani_proto::ordering::v1 as pb;
use serde::Deserialize;

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
}

/// The next Monday–Friday after today (production plans for it).
fn next_working_day() -> NaiveDate {
    let mut d = today() + chrono::Duration::days(1);
    while matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        d += chrono::Duration::days(1);
    }
    d
}

fn to_pb(d: NaiveDate) -> pb::Date {
    pb::Date { year: d.year(), month: d.month() as i32, day: d.day() as i32 }
}

fn from_pb(d: &Option<pb::Date>) -> Option<NaiveDate> {
    let d = d.as_ref()?;
    NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?)
}

/// Cut-off instant as local Helsinki weekday and time, in the user's language.
fn cutoff_text(i: &I18n, t: &Option<kumppani_proto::pbjson_types::Timestamp>) -> String {
    let Some(t) = t else { return String::new() };
    let Some(utc) = chrono::DateTime::from_timestamp(t.seconds, 0) else { return String::new() };
    let local = utc.with_timezone(&chrono_tz::Europe::Helsinki);
    let wd = weekday(i, local.date_naive());
    format!("{wd} {} {}", local.format("%-d.%-m."), local.format("%H:%M"))
}

fn weekday(i: &I18n, d: NaiveDate) -> String {
    i.t(&format!("weekday-{}", d.weekday().num_days_from_monday()))
}

pub struct DayRow {
    pub date: String,
    pub iso: String,
    pub label: String,
    pub holiday: String,
    pub open: bool,
    pub cutoff: String,
    pub cells: Vec<Cell>,
    pub late: Vec<pb::LateChange>,
    pub tomorrow: bool,
    /// Today or earlier: no more orders, deliveries are reported instead.
    pub past: bool,
}

pub struct Cell {
    pub field: String,
    /// Hidden field with the value shown, to send only what changed.
    pub orig: String,
    pub label: String,
    pub quantity: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    l: Layout,
    i: I18n,
    week: pb::OrderWeek,
    days: Vec<DayRow>,
    prev: String,
    next: String,
    notice: Vec<String>,
}

#[derive(Deserialize, Default)]
struct WeekParams {
    #[serde(default)]
    site: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    notice: String,
}

async fn week_page(s: &AppState, session: &Session, i: I18n, site: String, day: NaiveDate, notice: Vec<String>) -> Response {
    let l = layout(session, &i, "/portal/orders");
    let week =
        call!(s.ordering, session, i.clone(), l, get_order_week, pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(to_pb(day)) });
    let orderable: Vec<&pb::OrderableProduct> =
        week.products.iter().filter(|p| matches!(p.service_line.as_str(), "meals" | "staff_dining" | "coffee")).collect();
    // Show what the site orders this week; a site without orders sees everything it may order.
    let used: std::collections::HashSet<&str> = week.days.iter().flat_map(|d| d.products.iter().map(|p| p.product_code.as_str())).collect();
    let products: Vec<&pb::OrderableProduct> =
        if used.is_empty() { orderable } else { orderable.into_iter().filter(|p| used.contains(p.code.as_str())).collect() };
    let t = today();
    let days = week
        .days
        .iter()
        .filter_map(|d| {
            let date = from_pb(&d.date)?;
            let mut cells: Vec<Cell> = products
                .iter()
                .map(|p| {
                    let q = d
                        .products
                        .iter()
                        .find(|x| x.product_code == p.code && x.diet.is_empty())
                        .map(|x| x.quantity.to_string())
                        .unwrap_or_default();
                    Cell { field: format!("q:{}:", p.code), orig: format!("o:{}:", p.code), label: p.name.clone(), quantity: q }
                })
                .collect();
            for x in d.products.iter().filter(|x| !x.diet.is_empty()) {
                cells.push(Cell {
                    field: format!("q:{}:{}", x.product_code, x.diet),
                    orig: format!("o:{}:{}", x.product_code, x.diet),
                    label: format!("{} ({})", x.product_name, x.diet),
                    quantity: x.quantity.to_string(),
                });
            }
            Some(DayRow {
                date: date.format("%-d.%-m.").to_string(),
                iso: date.to_string(),
                label: weekday(&i, date),
                holiday: d.holiday.clone(),
                open: d.open,
                cutoff: cutoff_text(&i, &d.cutoff),
                cells,
                late: d.late_changes.clone(),
                tomorrow: date == t + chrono::Duration::days(1),
                past: date <= t,
            })
        })
        .collect();
    let q = |d: NaiveDate| format!("/portal/orders?site={}&day={}", week.site_id, d);
    let l = layout(session, &i, "/portal/orders");
    render(
        StatusCode::OK,
        &OrdersPage { l, i, prev: q(day - chrono::Duration::days(7)), next: q(day + chrono::Duration::days(7)), week, days, notice },
    )
}

#[tracing::instrument(skip_all)]
async fn orders(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<WeekParams>) -> Response {
    let i = language(&headers);
    let site = if p.site.is_empty() { session.site_id.map(|x| x.to_string()).unwrap_or_default() } else { p.site.clone() };
    if site.is_empty() {
        let l = layout(&session, &i, "/portal/orders");
        return failure(AppError::invalid("site", i.t("orders-pick-site")), i, l);
    }
    // Default: the week of the next working day (on a weekend, next week).
    let day = NaiveDate::parse_from_str(&p.day, "%Y-%m-%d").unwrap_or_else(|_| next_working_day());
    let notice = if p.notice.is_empty() { Vec::new() } else { p.notice.split('|').map(str::to_owned).collect() };
    week_page(&s, &session, i, site, day, notice).await
}

#[tracing::instrument(skip_all)]
async fn save_day(State(s): State<AppState>, session: Session, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let i = language(&headers);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    if get("csrf") != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let site = get("site");
    let Ok(day) = NaiveDate::parse_from_str(&get("day"), "%Y-%m-%d") else {
        return week_page(&s, &session, i.clone(), site, today(), vec![i.t("orders-bad-day")]).await;
    };
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (name, value) in &pairs {
        let Some(rest) = name.strip_prefix("q:") else { continue };
        let (product, diet) = rest.split_once(':').unwrap_or((rest, ""));
        let original = get(&format!("o:{rest}"));
        if value.trim() == original {
            continue; // unchanged
        }
        match value.trim().parse::<i32>() {
            Ok(q) if q >= 0 => lines.push(pb::OrderLine {
                site_id: site.clone(),
                service_day: Some(to_pb(day)),
                product_code: product.to_owned(),
                diet: diet.to_owned(),
                quantity: q,
            }),
            _ if value.trim().is_empty() => lines.push(pb::OrderLine {
                site_id: site.clone(),
                service_day: Some(to_pb(day)),
                product_code: product.to_owned(),
                diet: diet.to_owned(),
                quantity: 0,
            }),
            _ => bad.push(format!("{product}: {}", i.t("orders-not-a-count"))),
        }
    }
    if !bad.is_empty() {
        return week_page(&s, &session, i, site, day, bad).await;
    }
    if lines.is_empty() {
        return Redirect::to(&format!("/portal/orders?site={site}&day={day}")).into_response();
    }
    let l = layout(&session, &i, "/portal/orders");
    let r = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        place_orders,
        pb::PlaceOrdersRequest { lines, idempotency_key: String::new(), channel: 0 }
    );
    let mut notice = Vec::new();
    if r.accepted > 0 {
        notice.push(format!("{} {}", i.t("orders-saved"), r.accepted));
    }
    if r.late_change_requested > 0 {
        notice.push(format!("{} {}", i.t("orders-late-requested"), r.late_change_requested));
    }
    for x in r.results.iter().filter(|x| x.outcome == pb::OrderOutcome::Rejected as i32) {
        notice.push(x.error.clone());
    }
    let notice = url::form_urlencoded::byte_serialize(notice.join("|").as_bytes()).collect::<String>();
    Redirect::to(&format!("/portal/orders?site={site}&day={day}&notice={notice}")).into_response()
}

#[derive(Template)]
#[template(path = "late_changes.html")]
struct LatePage {
    l: Layout,
    i: I18n,
    pending: Vec<pb::LateChange>,
    error: Vec<String>,
}

async fn late_page(s: &AppState, session: &Session, i: I18n, error: Vec<String>) -> Response {
    let l = layout(session, &i, "/portal/late-changes");
    if !session.is_staff() {
        return failure(AppError::denied("staff only"), i, l);
    }
    let pending = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        list_late_changes,
        pb::ListLateChangesRequest { status: pb::LateChangeStatus::Pending as i32, site_id: String::new() }
    )
    .late_changes;
    let l = layout(session, &i, "/portal/late-changes");
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &LatePage { l, i, pending, error })
}

#[tracing::instrument(skip_all)]
async fn late_changes(State(s): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    late_page(&s, &session, language(&headers), Vec::new()).await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

#[tracing::instrument(skip_all)]
async fn decide(State(s): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<DecideForm>) -> Response {
    let i = language(&headers);
    if f.csrf != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let req = pb::DecideLateChangeRequest { id: f.id, accept: f.action == "accept", reason: f.reason };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return late_page(&s, &session, i, vec![e.message]).await,
    };
    match s.ordering.clone().decide_late_change(request).await {
        Ok(_) => Redirect::to("/portal/late-changes").into_response(),
        Err(st) => {
            let e = AppError::from_status(&st);
            let m = if e.violations.is_empty() {
                vec![e.message]
            } else {
                e.violations.iter().map(|v| format!("{}: {}", v.field, v.reason)).collect()
            };
            late_page(&s, &session, i, m).await
        }
    }
}

#[derive(Template)]
#[template(path = "production.html")]
struct ProductionPage {
    l: Layout,
    i: I18n,
    day: String,
    prod: pb::ProductionDay,
    rates: Vec<pb::OrderingRate>,
    month: String,
}

#[derive(Deserialize, Default)]
struct ProductionParams {
    #[serde(default)]
    day: String,
}

#[tracing::instrument(skip_all)]
async fn production(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<ProductionParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/production");
    if !session.is_staff() {
        return failure(AppError::denied("staff only"), i, l);
    }
    let day = NaiveDate::parse_from_str(&p.day, "%Y-%m-%d").unwrap_or_else(|_| next_working_day());
    let prod = call!(s.ordering, session, i.clone(), l, get_production_day, pb::GetProductionDayRequest { day: Some(to_pb(day)) });
    let l = layout(&session, &i, "/portal/production");
    let rates = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        get_ordering_rate,
        pb::GetOrderingRateRequest { year: day.year(), month: day.month() as i32 }
    )
    .rates;
    let l = layout(&session, &i, "/portal/production");
    render(StatusCode::OK, &ProductionPage { l, i, day: day.to_string(), prod, rates, month: day.format("%-m/%Y").to_string() })
}

pub struct DeliveryRow {
    pub field: String,
    pub label: String,
    pub ordered: i32,
    pub delivered: String,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    l: Layout,
    i: I18n,
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

async fn deliveries_page(
    s: &AppState,
    session: &Session,
    i: I18n,
    site: String,
    day: NaiveDate,
    error: Vec<String>,
    saved: bool,
) -> Response {
    let l = layout(session, &i, "/portal/deliveries");
    if !session.is_staff() {
        return failure(AppError::denied("staff only"), i, l);
    }
    let orders = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        list_orders,
        pb::ListOrdersRequest { site_id: site.clone(), customer_id: String::new(), from: Some(to_pb(day)), to: Some(to_pb(day)) }
    )
    .orders;
    let l = layout(session, &i, "/portal/deliveries");
    let delivered = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        list_deliveries,
        pb::ListDeliveriesRequest { site_id: site.clone(), customer_id: String::new(), from: Some(to_pb(day)), to: Some(to_pb(day)) }
    )
    .deliveries;
    let l = layout(session, &i, "/portal/deliveries");
    let week =
        call!(s.ordering, session, i.clone(), l, get_order_week, pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(to_pb(day)) });
    let mut rows: Vec<DeliveryRow> = orders
        .iter()
        .filter_map(|o| o.line.as_ref())
        .map(|ln| {
            let d = delivered.iter().find(|d| d.line.as_ref().is_some_and(|x| x.product_code == ln.product_code && x.diet == ln.diet));
            DeliveryRow {
                field: format!("d:{}:{}", ln.product_code, ln.diet),
                label: if ln.diet.is_empty() { ln.product_code.clone() } else { format!("{} ({})", ln.product_code, ln.diet) },
                ordered: ln.quantity,
                delivered: d.and_then(|d| d.line.as_ref()).map(|x| x.quantity.to_string()).unwrap_or_default(),
                version: d.map(|d| d.version).unwrap_or(0),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.label.cmp(&b.label));
    let l = layout(session, &i, "/portal/deliveries");
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &DeliveriesPage { l, i, site, site_name: week.site_name, day: day.to_string(), rows, error, saved })
}

#[tracing::instrument(skip_all)]
async fn deliveries(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<DeliveryParams>) -> Response {
    let i = language(&headers);
    let day = NaiveDate::parse_from_str(&p.day, "%Y-%m-%d").unwrap_or_else(|_| today() - chrono::Duration::days(1));
    if p.site.is_empty() {
        let l = layout(&session, &i, "/portal/deliveries");
        return failure(AppError::invalid("site", i.t("orders-pick-site")), i, l);
    }
    deliveries_page(&s, &session, i, p.site, day, Vec::new(), p.saved == "1").await
}

#[tracing::instrument(skip_all)]
async fn save_deliveries(State(s): State<AppState>, session: Session, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let i = language(&headers);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    if get("csrf") != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let site = get("site");
    let Ok(day) = NaiveDate::parse_from_str(&get("day"), "%Y-%m-%d") else {
        return deliveries_page(&s, &session, i.clone(), site, today(), vec![i.t("orders-bad-day")], false).await;
    };
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (name, value) in &pairs {
        let Some(rest) = name.strip_prefix("d:") else { continue };
        if value.trim().is_empty() {
            continue;
        }
        let (product, diet) = rest.split_once(':').unwrap_or((rest, ""));
        match value.trim().parse::<i32>() {
            Ok(q) if q >= 0 => lines.push(pb::OrderLine {
                site_id: site.clone(),
                service_day: Some(to_pb(day)),
                product_code: product.to_owned(),
                diet: diet.to_owned(),
                quantity: q,
            }),
            _ => bad.push(format!("{rest}: {}", i.t("orders-not-a-count"))),
        }
    }
    if !bad.is_empty() || lines.is_empty() {
        if lines.is_empty() && bad.is_empty() {
            bad.push(i.t("deliveries-nothing"));
        }
        return deliveries_page(&s, &session, i, site, day, bad, false).await;
    }
    let req = pb::ConfirmDeliveriesRequest { lines, correction_reason: get("reason"), idempotency_key: String::new() };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return deliveries_page(&s, &session, i, site, day, vec![e.message], false).await,
    };
    match s.ordering.clone().confirm_deliveries(request).await {
        Ok(_) => Redirect::to(&format!("/portal/deliveries?site={site}&day={day}&saved=1")).into_response(),
        Err(st) => {
            let e = AppError::from_status(&st);
            let m = if e.violations.is_empty() {
                vec![e.message]
            } else {
                e.violations.iter().map(|v| format!("{}: {}", v.field, v.reason)).collect()
            };
            deliveries_page(&s, &session, i, site, day, m, false).await
        }
    }
}

#[derive(Template)]
#[template(path = "budget.html")]
struct BudgetPage {
    l: Layout,
    i: I18n,
    customer: String,
    year: i32,
    as_of: String,
    rows: Vec<pb::BudgetUsage>,
    totals: (i64, i64, i64, i64),
}

#[derive(Deserialize, Default)]
struct BudgetParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    as_of: String,
}

/// Budgeted vs delivered quantities to date: over-use is the customer's risk, under-use the producer's.
#[tracing::instrument(skip_all)]
async fn budget(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<BudgetParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/budget");
    let customer = if session.is_staff() { p.customer.clone() } else { session.customer_id.map(|c| c.to_string()).unwrap_or_default() };
    if customer.is_empty() {
        return failure(AppError::invalid("customer", i.t("prices-pick-customer")), i, l);
    }
    let year = p.year.unwrap_or_else(|| today().year());
    let as_of = NaiveDate::parse_from_str(&p.as_of, "%Y-%m-%d").ok();
    let rows = call!(
        s.ordering,
        session,
        i.clone(),
        l,
        get_budget_usage,
        pb::GetBudgetUsageRequest { customer_id: customer.clone(), year, as_of: as_of.map(to_pb) }
    )
    .usage;
    let totals =
        rows.iter().fold((0, 0, 0, 0), |t, r| (t.0 + r.budgeted, t.1 + r.budgeted_to_date, t.2 + r.delivered_to_date, t.3 + r.difference));
    let l = layout(&session, &i, "/portal/budget");
    let as_of = as_of.map(|d| d.to_string()).unwrap_or_default();
    render(StatusCode::OK, &BudgetPage { l, i, customer, year, as_of, rows, totals })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/budget", get(budget))
        .route("/portal/deliveries", get(deliveries).post(save_deliveries))
        .route("/portal/orders", get(orders).post(save_day))
        .route("/portal/late-changes", get(late_changes).post(decide))
        .route("/portal/production", get(production))
}
