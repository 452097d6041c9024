//! Portal pages of the ordering service: a site's order week (quick on a phone:
//! home → orders → change a count → save), and the staff's late-change queue,
//! delivered quantities, production day, electronic-ordering rate and budgets.

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

/// The first working day after `today` (Finnish holidays and days off
/// included): what production plans for, and the order week shown by default.
fn next_working_day(today: NaiveDate) -> NaiveDate {
    let mut d = today + Duration::days(1);
    while !calendar::is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// How a day of the order week relates to today: `(tomorrow, past)`. Today is
/// not past — it may only be past its cut-off, which the service says.
fn day_flags(date: NaiveDate, today: NaiveDate) -> (bool, bool) {
    (date == today + Duration::days(1), date < today)
}

fn date_param(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
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

struct DayRow {
    date: String,
    iso: String,
    label: String,
    holiday: String,
    open: bool,
    cutoff: String,
    cells: Vec<Cell>,
    late: Vec<pb::LateChange>,
    tomorrow: bool,
    /// Before today: no more orders, deliveries are reported instead.
    past: bool,
}

struct Cell {
    field: String,
    /// Hidden field with the value shown, to send only what changed.
    orig: String,
    label: String,
    quantity: String,
}

#[derive(Template)]
#[template(path = "ordering/orders.html")]
struct OrdersPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
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

async fn week_page(s: &AppState, page: &Page, site: String, day: NaiveDate, notice: Vec<String>) -> PageResult {
    let i = &page.i;
    let request = pb::GetOrderWeekRequest { site_id: site, day: Some(day.into()) };
    let week = s.ordering().get_order_week(page.grpc(request)?).await?.into_inner();
    let orderable: Vec<&pb::OrderableProduct> =
        week.products.iter().filter(|p| matches!(p.service_line.as_str(), "meals" | "staff_dining" | "coffee")).collect();
    // Show what the site orders this week; a site without orders sees everything it may order.
    let used: std::collections::HashSet<&str> = week.days.iter().flat_map(|d| d.products.iter().map(|p| p.product_code.as_str())).collect();
    let products: Vec<&pb::OrderableProduct> =
        if used.is_empty() { orderable } else { orderable.into_iter().filter(|p| used.contains(p.code.as_str())).collect() };
    let today = calendar::today();
    let days = week
        .days
        .iter()
        .filter_map(|d| {
            let date = d.date.as_ref()?.to_naive()?;
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
            let (tomorrow, past) = day_flags(date, today);
            Some(DayRow {
                date: date.format("%-d.%-m.").to_string(),
                iso: date.to_string(),
                label: weekday(i, date),
                holiday: d.holiday.clone(),
                open: d.open,
                cutoff: cutoff_text(i, &d.cutoff),
                cells,
                late: d.late_changes.clone(),
                tomorrow,
                past,
            })
        })
        .collect();
    let q = |d: NaiveDate| format!("/portal/orders?site={}&day={}", week.site_id, d);
    let (prev, next) = (q(day - Duration::days(7)), q(day + Duration::days(7)));
    Ok(render(StatusCode::OK, &OrdersPage { l: &page.l, i, prev, next, week, days, notice }))
}

/// The site's own site, or the one asked for (staff, customer contacts).
fn site_of(page: &Page, asked: &str) -> Result<String, PageError> {
    let site = if asked.is_empty() { page.session.site_id.map(|x| x.to_string()).unwrap_or_default() } else { asked.to_owned() };
    if site.is_empty() { Err(PageError::Missing("error-pick-site-text")) } else { Ok(site) }
}

#[tracing::instrument(skip_all)]
async fn orders(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<WeekParams>) -> PageResult {
    let site = site_of(&page, &p.site)?;
    // Default: the week of the next working day (on a weekend, next week).
    let day = date_param(&p.day).unwrap_or_else(|| next_working_day(calendar::today()));
    let notice = if p.notice.is_empty() { Vec::new() } else { p.notice.split('|').map(str::to_owned).collect() };
    week_page(&s, &page, site, day, notice).await
}

/// Why the service rejected an order line, in the user's language.
fn rejection(i: &I18n, field: &str) -> String {
    i.t(match field {
        "site_id" => "orders-rejected-site",
        "service_day" => "orders-rejected-day",
        "quantity" => "orders-rejected-quantity",
        "diet" => "orders-rejected-diet",
        "product_code" => "orders-rejected-product",
        _ => "orders-rejected",
    })
}

/// Saves a day of the order week: the counts that changed (`q:<product>:<diet>`
/// against the shown `o:<product>:<diet>`).
#[tracing::instrument(skip_all)]
async fn save_day(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    let i = &page.i;
    let site = f.get("site");
    let Some(day) = date_param(&f.get("day")) else {
        return week_page(&s, &page, site, calendar::today(), vec![i.t("orders-bad-day")]).await;
    };
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (name, value) in f.iter() {
        let Some(rest) = name.strip_prefix("q:") else { continue };
        let (product, diet) = rest.split_once(':').unwrap_or((rest, ""));
        let value = value.trim();
        if value == f.get(&format!("o:{rest}")) {
            continue; // unchanged
        }
        let quantity = match value.parse::<i32>() {
            Ok(q) if q >= 0 => q,
            _ if value.is_empty() => 0,
            _ => {
                bad.push(format!("{product}: {}", i.t("orders-not-a-count")));
                continue;
            }
        };
        lines.push(pb::OrderLine {
            site_id: site.clone(),
            service_day: Some(day.into()),
            product_code: product.to_owned(),
            diet: diet.to_owned(),
            quantity,
        });
    }
    if !bad.is_empty() {
        return week_page(&s, &page, site, day, bad).await;
    }
    if lines.is_empty() {
        return Ok(Redirect::to(&format!("/portal/orders?site={site}&day={day}")).into_response());
    }
    let products: Vec<String> = lines.iter().map(|l| l.product_code.clone()).collect();
    let request = pb::PlaceOrdersRequest { lines, idempotency_key: String::new(), channel: 0 };
    let r = s.ordering().place_orders(page.grpc(request)?).await?.into_inner();
    let mut notice = Vec::new();
    if r.accepted > 0 {
        notice.push(format!("{} {}", i.t("orders-saved"), r.accepted));
    }
    if r.late_change_requested > 0 {
        notice.push(format!("{} {}", i.t("orders-late-requested"), r.late_change_requested));
    }
    for x in r.results.iter().filter(|x| x.outcome == pb::OrderOutcome::Rejected as i32) {
        let product = usize::try_from(x.index).ok().and_then(|n| products.get(n)).map_or("", String::as_str);
        tracing::info!(product, field = %x.error_field, error = %x.error, "order line rejected");
        notice.push(format!("{product}: {}", rejection(i, &x.error_field)));
    }
    let notice = url::form_urlencoded::byte_serialize(notice.join("|").as_bytes()).collect::<String>();
    Ok(Redirect::to(&format!("/portal/orders?site={site}&day={day}&notice={notice}")).into_response())
}

#[derive(Template)]
#[template(path = "ordering/late_changes.html")]
struct LatePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    pending: Vec<pb::LateChange>,
    error: Vec<String>,
}

async fn late_page(s: &AppState, page: &Page, form: FormError) -> PageResult {
    page.require_staff()?;
    let request = pb::ListLateChangesRequest { status: pb::LateChangeStatus::Pending as i32, site_id: String::new() };
    let pending = s.ordering().list_late_changes(page.grpc(request)?).await?.into_inner().late_changes;
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
async fn production(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ProductionParams>) -> PageResult {
    page.require_staff()?;
    let day = date_param(&p.day).unwrap_or_else(|| next_working_day(calendar::today()));
    let prod = s.ordering().get_production_day(page.grpc(pb::GetProductionDayRequest { day: Some(day.into()) })?).await?.into_inner();
    let request = pb::GetOrderingRateRequest { year: day.year(), month: day.month() as i32 };
    let rates = s.ordering().get_ordering_rate(page.grpc(request)?).await?.into_inner().rates;
    let month = day.format("%-m/%Y").to_string();
    Ok(render(StatusCode::OK, &ProductionPage { l: &page.l, i: &page.i, day: day.to_string(), prod, rates, month }))
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
    let request = pb::ListOrdersRequest { site_id: site.clone(), customer_id: String::new(), from, to };
    let orders = s.ordering().list_orders(page.grpc(request)?).await?.into_inner().orders;
    let request = pb::ListDeliveriesRequest { site_id: site.clone(), customer_id: String::new(), from, to };
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
                label: if ln.diet.is_empty() { ln.product_code.clone() } else { format!("{} ({})", ln.product_code, ln.diet) },
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

#[derive(Template)]
#[template(path = "ordering/budget.html")]
struct BudgetPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
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
async fn budget(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<BudgetParams>) -> PageResult {
    let customer =
        if page.session.is_staff() { p.customer.clone() } else { page.session.customer_id.map(|c| c.to_string()).unwrap_or_default() };
    if customer.is_empty() {
        return Err(PageError::Missing("budget-pick-customer"));
    }
    let year = p.year.unwrap_or_else(|| calendar::today().year());
    let as_of = date_param(&p.as_of);
    let request = pb::GetBudgetUsageRequest { customer_id: customer.clone(), year, as_of: as_of.map(pb::Date::from) };
    let rows = s.ordering().get_budget_usage(page.grpc(request)?).await?.into_inner().usage;
    let totals =
        rows.iter().fold((0, 0, 0, 0), |t, r| (t.0 + r.budgeted, t.1 + r.budgeted_to_date, t.2 + r.delivered_to_date, t.3 + r.difference));
    let as_of = as_of.map(|d| d.to_string()).unwrap_or_default();
    Ok(render(StatusCode::OK, &BudgetPage { l: &page.l, i: &page.i, customer, year, as_of, rows, totals }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/budget", get(budget))
        .route("/portal/deliveries", get(deliveries).post(save_deliveries))
        .route("/portal/orders", get(orders).post(save_day))
        .route("/portal/late-changes", get(late_changes).post(decide))
        .route("/portal/production", get(production))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{day_flags, next_working_day, rejection};
    use crate::i18n::{I18n, LANGUAGES};
    use chrono::NaiveDate;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn today_is_not_past() {
        let today = ymd(2027, 3, 10);
        assert_eq!(day_flags(today, today), (false, false), "today may be past its cut-off, not past");
        assert_eq!(day_flags(ymd(2027, 3, 9), today), (false, true));
        assert_eq!(day_flags(ymd(2027, 3, 11), today), (true, false));
    }

    #[test]
    fn next_working_day_skips_weekends_and_finnish_holidays() {
        // Friday → Monday.
        assert_eq!(next_working_day(ymd(2027, 3, 5)), ymd(2027, 3, 8));
        // Maundy Thursday 2027 → Good Friday and Easter Monday are off → Tuesday.
        assert_eq!(next_working_day(ymd(2027, 3, 25)), ymd(2027, 3, 30));
        // The day before Ascension Day (Thu 6.5.2027) → Friday.
        assert_eq!(next_working_day(ymd(2027, 5, 5)), ymd(2027, 5, 7));
        // Christmas: Thu 23.12.2027 → Christmas Eve (Fri) is a day off → Monday 27.12.
        assert_eq!(next_working_day(ymd(2027, 12, 23)), ymd(2027, 12, 27));
        // An ordinary Tuesday → Wednesday.
        assert_eq!(next_working_day(ymd(2027, 3, 9)), ymd(2027, 3, 10));
    }

    #[test]
    fn rejected_lines_are_explained_in_every_language() {
        for lang in LANGUAGES {
            let i = I18n::new(lang);
            for field in ["site_id", "service_day", "quantity", "diet", "product_code", "something_new"] {
                let text = rejection(&i, field);
                assert!(!text.starts_with("orders-rejected"), "{lang} {field}: {text}");
            }
        }
        assert_eq!(rejection(&I18n::new("fi"), "service_day"), "päivä on mennyt tai virheellinen");
    }
}
