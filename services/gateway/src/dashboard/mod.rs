//! The KPI dashboard (Liite 4): one page and one CSV per customer or for all,
//! composed from the owning services' KPI calls — ordering's electronic
//! ordering rate, the registry's sites (own production share), contracts'
//! partnership KPIs (agreements signed by 31.12, the annual calendar on time,
//! development projects' milestones), feedback's handling KPIs and survey
//! results, and invoicing's questions per month. Each figure has its trend
//! (over months or years) as a server-side SVG chart with the same figures in
//! a table; a service that does not answer shows as unavailable, never as zero.

mod svg;

use crate::i18n::I18n;
use crate::page::{Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Datelike;
use kumppani_proto::contracts::v1 as ct;
use kumppani_proto::feedback::v1 as fb;
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::ordering::v1 as ord;
use rust_decimal::Decimal;
use serde::Deserialize;
use svg::Bar;

#[derive(Deserialize, Default, Clone)]
struct Params {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
}

/// One figure with its trend: a chart and the same numbers as a table.
pub struct Section {
    id: String,
    title: String,
    target: String,
    chart: String,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    unavailable: bool,
    note: String,
}

impl Section {
    fn new(id: &str, title: String, target: String) -> Self {
        Self {
            id: id.into(),
            title,
            target,
            chart: String::new(),
            head: Vec::new(),
            rows: Vec::new(),
            unavailable: false,
            note: String::new(),
        }
    }

    fn unavailable(mut self, e: &PageError) -> Self {
        tracing::warn!(error = ?e, section = %self.id, "dashboard figure unavailable");
        self.unavailable = true;
        self
    }
}

fn dec(s: &str) -> Option<Decimal> {
    s.parse().ok()
}

fn pct(i: &I18n, v: &str) -> String {
    if v.is_empty() { "–".into() } else { format!("{}\u{a0}%", i.decimal(v)) }
}

fn percent_of(part: i64, whole: i64) -> String {
    if whole == 0 {
        String::new()
    } else {
        (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp(1).normalize().to_string()
    }
}

fn month_label(i: &I18n, m: u32) -> String {
    i.t(&format!("month-short-{m}"))
}

/// The months of `year` that have begun (every month of a past year).
fn months(year: i32) -> u32 {
    let today = kumppani_platform::calendar::today();
    if year < today.year() {
        12
    } else if year == today.year() {
        today.month()
    } else {
        0
    }
}

async fn ordering_rate(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Section, PageError> {
    let i = &page.i;
    let mut sec = Section::new("ordering", i.t("kpi-ordering"), i.t("kpi-ordering-target"));
    let mut bars = Vec::new();
    // The months asked at once (one call each), then read in order.
    let mut calls = tokio::task::JoinSet::new();
    for m in 1..=months(year) {
        let request = page.grpc(ord::GetOrderingRateRequest { year, month: i32::try_from(m).unwrap_or(1) })?;
        let mut client = s.ordering();
        calls.spawn(async move { (m, client.get_ordering_rate(request).await) });
    }
    let mut answers = Vec::new();
    while let Some(joined) = calls.join_next().await {
        let (m, answer) = joined.map_err(|e| PageError::Call(kumppani_platform::AppError::internal(e.to_string())))?;
        answers.push((m, answer?.into_inner().rates));
    }
    answers.sort_by_key(|(m, _)| *m);
    for (m, rates) in answers {
        let rates: Vec<&ord::OrderingRate> = rates.iter().filter(|r| customer.is_empty() || r.customer_id == customer).collect();
        let electronic: i64 = rates.iter().map(|r| i64::from(r.portal) + i64::from(r.ordering_system)).sum();
        let all: i64 = electronic + rates.iter().map(|r| i64::from(r.staff)).sum::<i64>();
        let v = percent_of(electronic, all);
        sec.rows.push(vec![month_label(i, m), electronic.to_string(), all.to_string(), pct(i, &v)]);
        bars.push(Bar { label: month_label(i, m), shown: pct(i, &v), value: dec(&v) });
    }
    sec.head = vec![i.t("kpi-col-month"), i.t("kpi-col-electronic"), i.t("kpi-col-lines"), i.t("kpi-col-share")];
    sec.chart = svg::bars("c-ordering", &sec.title, &sec.target, &bars, Some(Decimal::from(100)), Some(Decimal::from(100)));
    Ok(sec)
}

async fn own_production(s: &AppState, page: &Page, customer: &str) -> Result<Section, PageError> {
    let i = &page.i;
    let mut sec = Section::new("production", i.t("kpi-own-production"), i.t("kpi-own-production-target"));
    let (mut meals, mut own_meals, mut area, mut own_area) = (0i64, 0i64, Decimal::ZERO, Decimal::ZERO);
    let mut token = String::new();
    loop {
        let request = ct::ListSitesRequest { customer_id: customer.to_owned(), page_size: 500, page_token: token, ..Default::default() };
        let r = s.contracts().list_sites(page.grpc(request)?).await?.into_inner();
        for site in &r.sites {
            meals += i64::from(site.meals_per_day);
            let m2 = dec(&site.floor_area_m2).unwrap_or_default();
            area += m2;
            if site.meal_producer.trim().eq_ignore_ascii_case("own") {
                own_meals += i64::from(site.meals_per_day);
            }
            if site.cleaning_producer.trim().eq_ignore_ascii_case("own") {
                own_area += m2;
            }
        }
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    let meal_share = percent_of(own_meals, meals);
    let area_share =
        if area.is_zero() { String::new() } else { (own_area * Decimal::from(100) / area).round_dp(1).normalize().to_string() };
    sec.head = vec![i.t("kpi-col-service"), i.t("kpi-col-own"), i.t("kpi-col-all"), i.t("kpi-col-share")];
    sec.rows = vec![
        vec![i.t("kpi-meals-per-day"), own_meals.to_string(), meals.to_string(), pct(i, &meal_share)],
        vec![
            i.t("kpi-cleaned-m2"),
            i.decimal(&own_area.normalize().to_string()),
            i.decimal(&area.normalize().to_string()),
            pct(i, &area_share),
        ],
    ];
    let bars = vec![
        Bar { label: i.t("kpi-meals"), shown: pct(i, &meal_share), value: dec(&meal_share) },
        Bar { label: i.t("kpi-cleaning"), shown: pct(i, &area_share), value: dec(&area_share) },
    ];
    sec.chart = svg::bars("c-production", &sec.title, &sec.target, &bars, Some(Decimal::from(100)), Some(Decimal::from(70)));
    sec.note = i.t("kpi-own-production-note");
    Ok(sec)
}

/// Contracts' partnership KPIs over five agreement years: three sections from one call.
async fn partnership(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Vec<Section>, PageError> {
    let i = &page.i;
    let request = ct::GetPartnershipKpisRequest { year: year + 1, customer_id: customer.to_owned(), years_back: 4 };
    let mut years = s.partnership().get_partnership_kpis(page.grpc(request)?).await?.into_inner().years;
    years.reverse();
    let mut out = Vec::new();
    type Pick = fn(&ct::PartnershipYearKpis) -> (i32, i32, String);
    let specs: [(&str, &str, &str, Pick); 3] = [
        ("signed", "kpi-signed", "kpi-signed-target", |k| {
            (k.agreements_signed_by_deadline, k.agreements, k.signed_by_deadline_percent.clone())
        }),
        ("calendar", "kpi-calendar", "kpi-calendar-target", |k| (k.tasks_done_on_time, k.tasks_due, k.on_time_percent.clone())),
        ("projects", "kpi-projects", "kpi-projects-target", |k| {
            (k.milestones_on_time, k.milestones_due, k.milestones_on_time_percent.clone())
        }),
    ];
    for (id, title, target, pick) in specs {
        let mut sec = Section::new(id, i.t(title), i.t(target));
        sec.head = vec![i.t("kpi-col-year"), i.t("kpi-col-on-time"), i.t("kpi-col-all"), i.t("kpi-col-share")];
        let mut bars = Vec::new();
        for k in &years {
            let (part, whole, v) = pick(k);
            sec.rows.push(vec![k.year.to_string(), part.to_string(), whole.to_string(), pct(i, &v)]);
            bars.push(Bar { label: k.year.to_string(), shown: pct(i, &v), value: dec(&v) });
        }
        sec.chart = svg::bars(&format!("c-{id}"), &sec.title, &sec.target, &bars, Some(Decimal::from(100)), Some(Decimal::from(100)));
        out.push(sec);
    }
    Ok(out)
}

async fn feedback(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Section, PageError> {
    let i = &page.i;
    let mut sec = Section::new("feedback", i.t("kpi-feedback"), i.t("kpi-feedback-target"));
    let k = s
        .feedback()
        .get_feedback_kpis(page.grpc(fb::GetFeedbackKpisRequest { customer_id: customer.to_owned(), year })?)
        .await?
        .into_inner();
    sec.head = vec![
        i.t("kpi-col-month"),
        i.t("kpi-col-received"),
        i.t("kpi-col-resolved"),
        i.t("kpi-col-resolved-in-time"),
        i.t("kpi-col-median-hours"),
    ];
    let mut bars = Vec::new();
    for m in k.months.iter().filter(|m| u32::try_from(m.month).is_ok_and(|n| n <= months(year))) {
        let label = month_label(i, u32::try_from(m.month).unwrap_or(1));
        let hours = if m.median_resolve_working_hours.is_empty() { "–".into() } else { i.decimal(&m.median_resolve_working_hours) };
        sec.rows.push(vec![label.clone(), m.received.to_string(), m.resolved.to_string(), pct(i, &m.resolved_in_time_percent), hours]);
        bars.push(Bar { label, shown: pct(i, &m.resolved_in_time_percent), value: dec(&m.resolved_in_time_percent) });
    }
    sec.chart = svg::bars("c-feedback", &sec.title, &sec.target, &bars, Some(Decimal::from(100)), Some(Decimal::from(100)));
    sec.note = i.t_args(
        "kpi-feedback-note",
        &[("percent", pct(i, &k.sla_compliance_percent)), ("open", k.open.to_string()), ("breached", k.breached_open.to_string())],
    );
    Ok(sec)
}

async fn survey(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Section, PageError> {
    let i = &page.i;
    let mut sec = Section::new("survey", i.t_args("kpi-survey", &[("year", year.to_string())]), i.t("kpi-survey-target"));
    let r = s.feedback().get_survey_results(page.grpc(fb::GetSurveyResultsRequest { year, customer_id: customer.to_owned() })?).await;
    let r = match r {
        Ok(r) => r.into_inner(),
        // No survey that year: nothing to show, which is not an outage.
        Err(status) if status.code() == tonic::Code::NotFound => {
            sec.note = i.t("kpi-survey-none");
            return Ok(sec);
        }
        Err(status) => return Err(status.into()),
    };
    sec.head = vec![i.t("survey-col-dimension"), i.t("survey-col-average"), i.t("survey-col-previous")];
    let mut bars = Vec::new();
    for d in &r.dimensions {
        let name = i.t(&format!("survey-dimension-{}", d.dimension));
        let shown = |v: &str| if v.is_empty() { "–".to_owned() } else { i.decimal(v) };
        sec.rows.push(vec![name.clone(), shown(&d.average), shown(&d.previous_average)]);
        bars.push(Bar {
            label: name.split_whitespace().next().unwrap_or_default().to_owned(),
            shown: shown(&d.average),
            value: dec(&d.average),
        });
    }
    sec.chart = svg::bars("c-survey", &sec.title, &sec.target, &bars, Some(Decimal::from(5)), None);
    sec.note = i.t_args("kpi-survey-note", &[("percent", pct(i, &r.response_rate_percent))]);
    Ok(sec)
}

async fn questions(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Section, PageError> {
    let i = &page.i;
    let mut sec = Section::new("questions", i.t("kpi-questions"), i.t("kpi-questions-target"));
    let request = inv::ListInvoiceQuestionsRequest { customer_id: customer.to_owned(), year, ..Default::default() };
    let per_month = s.invoicing().list_invoice_questions(page.grpc(request)?).await?.into_inner().per_month;
    sec.head = vec![i.t("kpi-col-month"), i.t("kpi-col-questions")];
    let mut bars = Vec::new();
    for (n, count) in per_month.iter().enumerate().take(months(year) as usize) {
        let label = month_label(i, u32::try_from(n + 1).unwrap_or(1));
        sec.rows.push(vec![label.clone(), count.to_string()]);
        bars.push(Bar { label, shown: count.to_string(), value: Some(Decimal::from(*count)) });
    }
    sec.chart = svg::bars("c-questions", &sec.title, &sec.target, &bars, None, None);
    Ok(sec)
}

/// Every section of the year for the customer ("" = all in scope), each independently.
async fn sections(s: &AppState, page: &Page, year: i32, customer: &str) -> Vec<Section> {
    let i = &page.i;
    let or_unavailable = |r: Result<Section, PageError>, id: &str, title: String| {
        r.unwrap_or_else(|e| Section::new(id, title, String::new()).unavailable(&e))
    };
    // Every service asked at once; each answer (or its failure) stands alone.
    let (ordering, production, partners, handling, survey, questions) = tokio::join!(
        ordering_rate(s, page, year, customer),
        own_production(s, page, customer),
        partnership(s, page, year, customer),
        feedback(s, page, year, customer),
        survey(s, page, year, customer),
        questions(s, page, year, customer),
    );
    let mut out = vec![
        or_unavailable(ordering, "ordering", i.t("kpi-ordering")),
        or_unavailable(production, "production", i.t("kpi-own-production")),
    ];
    match partners {
        Ok(secs) => out.extend(secs),
        Err(e) => out.extend(
            [("signed", "kpi-signed"), ("calendar", "kpi-calendar"), ("projects", "kpi-projects")]
                .map(|(id, t)| Section::new(id, i.t(t), String::new()).unavailable(&e)),
        ),
    }
    out.push(or_unavailable(handling, "feedback", i.t("kpi-feedback")));
    out.push(or_unavailable(survey, "survey", i.t_args("kpi-survey", &[("year", year.to_string())])));
    out.push(or_unavailable(questions, "questions", i.t("kpi-questions")));
    out
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    year: i32,
    years: Vec<i32>,
    customer: String,
    customer_name: String,
    customers: Vec<ct::Customer>,
    sections: Vec<Section>,
    csv: String,
}

/// The year and customer asked, within the caller's scope (a customer's people: their own).
fn scope(page: &Page, p: &Params) -> Result<(i32, String), PageError> {
    if page.session.site_id.is_some() {
        return Err(PageError::StaffOnly);
    }
    let now = kumppani_platform::calendar::today().year();
    let year = p.year.filter(|y| (2000..=now + 1).contains(y)).unwrap_or(now);
    let customer = if page.session.is_staff() {
        p.customer.trim().to_owned()
    } else {
        page.session.customer_id.map(|c| c.to_string()).unwrap_or_default()
    };
    Ok((year, customer))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    let (year, customer) = scope(&page, &p)?;
    let customers = if page.session.is_staff() {
        let request = ct::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        let id = customer.clone();
        s.contracts().get_customer(page.grpc(ct::GetCustomerRequest { id })?).await?.into_inner().customer.into_iter().collect()
    };
    let customer_name = customers.iter().find(|c| c.id == customer).map(|c| c.name.clone()).unwrap_or_default();
    let sections = sections(&s, &page, year, &customer).await;
    let now = kumppani_platform::calendar::today().year();
    let csv = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("year", &year.to_string())
        .append_pair("customer", &customer)
        .finish();
    let l = page.l.at("/portal/kpis");
    let view = DashboardPage {
        l: &l,
        i: &page.i,
        year,
        years: (now - 4..=now).rev().collect(),
        customer,
        customer_name,
        customers,
        sections,
        csv,
    };
    Ok(render(StatusCode::OK, &view))
}

/// The same figures as CSV (semicolon-separated, decimal comma, UTF-8 with BOM for spreadsheets).
#[tracing::instrument(skip_all)]
async fn csv(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    let (year, customer) = scope(&page, &p)?;
    let i = &page.i;
    let sections = sections(&s, &page, year, &customer).await;
    let mut w = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(Vec::new());
    let mut ok = w.write_record([i.t("kpi-col-figure"), i.t("kpi-col-row"), i.t("kpi-col-values")]).is_ok();
    for sec in &sections {
        if sec.unavailable {
            ok &= w.write_record([sec.title.clone(), String::new(), i.t("home-unavailable")]).is_ok();
            continue;
        }
        ok &= w.write_record(std::iter::once(sec.title.clone()).chain(sec.head.iter().cloned())).is_ok();
        for row in &sec.rows {
            let cells = row.iter().map(|c| c.replace('\u{a0}', " "));
            ok &= w.write_record(std::iter::once(sec.title.clone()).chain(cells)).is_ok();
        }
    }
    let body = w.into_inner().unwrap_or_default();
    if !ok {
        return Err(PageError::Call(kumppani_platform::AppError::internal("csv writing failed")));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"tunnusluvut-{year}.csv\"")),
        ],
        [&[0xEF_u8, 0xBB, 0xBF][..], &body[..]].concat(),
    )
        .into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/portal/kpis", get(show)).route("/portal/kpis.csv", get(csv))
}
