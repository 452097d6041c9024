//! The staff's billing pages: the month's run (draft → review of the totals
//! and the differences from last month → issue), the group billing calendar,
//! and pass-through, credit and adjustment lines (a long run's progress: [`super::progress`]). Every form keeps what was
//! typed when it is rejected.

use super::portal::month_name;
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct BillingParams {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
}

/// The forms of the billing page as typed.
#[derive(Deserialize, Default, Clone)]
struct RunForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
}

#[derive(Deserialize, Default, Clone)]
struct LineForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    vat_rate: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    supplier_invoice_number: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize, Default, Clone)]
struct CalendarForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    invoice_date: String,
}

/// Which form a rejection concerns.
enum Typed {
    None,
    Run(RunForm),
    Line(LineForm),
    Calendar(CalendarForm),
}

struct CalendarRow {
    month: i32,
    /// The date input's id.
    id: String,
    /// This month's form was the one rejected: show what was typed.
    typed: bool,
    name: String,
    date: String,
    iso: String,
    by: String,
}

#[derive(Template)]
#[template(path = "invoicing/billing.html")]
struct BillingPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    year: i32,
    runs: Vec<pb::Run>,
    calendar: Vec<CalendarRow>,
    customers: Vec<contracts::Customer>,
    sites: Vec<contracts::Site>,
    lines: Vec<pb::ManualLine>,
    months: Vec<(i32, String)>,
    error: Vec<String>,
    run: RunForm,
    run_month: i32,
    line: LineForm,
    cal: CalendarForm,
    invalid_run: Invalid,
    invalid_line: Invalid,
    invalid_cal: Invalid,
}

async fn billing_page(s: &AppState, page: &Page, p: BillingParams, form: FormError, typed: Typed) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let today = kumppani_platform::calendar::today();
    let year = p.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(today.year());
    let runs = s.invoicing().list_runs(page.grpc(pb::ListRunsRequest { year })?).await?.into_inner().runs;
    let months = s.invoicing().list_billing_calendar(page.grpc(pb::ListBillingCalendarRequest { year })?).await?.into_inner().months;
    let mut calendar: Vec<CalendarRow> = months
        .into_iter()
        .map(|m| CalendarRow {
            month: m.month,
            id: format!("cal-{}", m.month),
            typed: false,
            name: month_name(i, m.month),
            date: i.date(&m.invoice_date),
            iso: m.invoice_date.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)).unwrap_or_default(),
            by: if m.set_by_staff { i.person(&m.updated_by_name) } else { i.t("inv-calendar-default") },
        })
        .collect();
    let customers = s
        .contracts()
        .list_customers(page.grpc(contracts::ListCustomersRequest { page_size: 500, ..Default::default() })?)
        .await?
        .into_inner()
        .customers;
    let (mut run, mut line, mut cal) = (RunForm::default(), LineForm::default(), CalendarForm::default());
    let invalid = Invalid::of(&form);
    let (mut invalid_run, mut invalid_line, mut invalid_cal) = (Invalid::default(), Invalid::default(), Invalid::default());
    match typed {
        Typed::None => {}
        Typed::Run(f) => (run, invalid_run) = (f, invalid),
        Typed::Line(f) => (line, invalid_line) = (f, invalid),
        Typed::Calendar(f) => (cal, invalid_cal) = (f, invalid),
    }
    for c in &mut calendar {
        c.typed = cal.month.trim() == c.month.to_string();
    }
    if line.customer.is_empty() {
        line.customer = p.customer.clone();
    }
    // The site select lists the chosen customer's sites (choose the customer first: no JavaScript needed).
    let sites = if line.customer.is_empty() {
        Vec::new()
    } else {
        let request = contracts::ListSitesRequest { customer_id: line.customer.clone(), page_size: 500, ..Default::default() };
        s.contracts().list_sites(page.grpc(request)?).await?.into_inner().sites
    };
    let lines = if line.customer.is_empty() {
        Vec::new()
    } else {
        s.invoicing()
            .list_manual_lines(page.grpc(pb::ListManualLinesRequest { customer_id: line.customer.clone(), year: 0, month: 0 })?)
            .await?
            .into_inner()
            .lines
    };
    let last = today.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(today);
    if run.year.is_empty() {
        run = RunForm { year: last.year().to_string(), month: last.month().to_string() };
    }
    if line.year.is_empty() {
        line.year = today.year().to_string();
        line.month = today.month().to_string();
    }
    let months = (1..=12).map(|m| (m, month_name(i, m))).collect();
    let l = page.l.at("/portal/billing");
    let page_ = BillingPage {
        l: &l,
        i,
        year,
        runs,
        calendar,
        customers,
        sites,
        lines,
        months,
        error: form.messages,
        run_month: number(&run.month),
        run,
        line,
        cal,
        invalid_run,
        invalid_line,
        invalid_cal,
    };
    Ok(render(form.status, &page_))
}

#[tracing::instrument(skip_all)]
async fn billing(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<BillingParams>) -> PageResult {
    billing_page(&s, &page, p, FormError::none(), Typed::None).await
}

fn number(s: &str) -> i32 {
    s.trim().parse().unwrap_or(0)
}

#[tracing::instrument(skip_all)]
async fn start_run(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<RunForm>) -> PageResult {
    page.require_staff()?;
    let (year, month) = (number(&f.year), number(&f.month));
    let request = page.grpc(pb::StartRunRequest { year, month })?;
    // A large month takes a while: the call goes on in the background (the
    // run is one transaction in the service) and the page follows its progress.
    let mut client = s.invoicing();
    let mut call = tokio::spawn(async move { client.start_run(request).await });
    let answer = match tokio::time::timeout(std::time::Duration::from_secs(2), &mut call).await {
        Ok(joined) => joined.map_err(|e| PageError::Call(kumppani_platform::AppError::internal(format!("the run's call stopped: {e}"))))?,
        Err(_) => return Ok(Redirect::to(&format!("/portal/billing/progress?year={year}&month={month}")).into_response()),
    };
    match answer {
        Ok(r) => Ok(Redirect::to(&format!("/portal/billing/runs/{}", r.into_inner().id)).into_response()),
        Err(status) => billing_page(&s, &page, BillingParams::default(), FormError::from_call(status, &page.i)?, Typed::Run(f)).await,
    }
}

#[tracing::instrument(skip_all)]
async fn add_line(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<LineForm>) -> PageResult {
    page.require_staff()?;
    let kind = match f.kind.as_str() {
        "pass_through" => pb::ManualLineKind::PassThrough,
        "credit" => pb::ManualLineKind::Credit,
        "adjustment" => pb::ManualLineKind::Adjustment,
        _ => pb::ManualLineKind::Unspecified,
    };
    let request = pb::AddManualLineRequest {
        kind: kind as i32,
        customer_id: f.customer.clone(),
        site_id: f.site.clone(),
        year: number(&f.year),
        month: number(&f.month),
        description: f.description.clone(),
        amount: f.amount.trim().replace(',', ".").replace(['\u{a0}', ' '], ""),
        vat_rate: f.vat_rate.trim().replace(',', "."),
        supplier: f.supplier.clone(),
        supplier_invoice_number: f.supplier_invoice_number.clone(),
        reason: f.reason.clone(),
        idempotency_key: String::new(),
    };
    let params = BillingParams { year: None, customer: f.customer.clone() };
    match s.invoicing().add_manual_line(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/billing?customer={}#lines", f.customer)).into_response()),
        Err(status) => billing_page(&s, &page, params, FormError::from_call(status, &page.i)?, Typed::Line(f)).await,
    }
}

#[tracing::instrument(skip_all)]
async fn set_date(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<CalendarForm>) -> PageResult {
    page.require_staff()?;
    let date = NaiveDate::parse_from_str(f.invoice_date.trim(), "%Y-%m-%d").ok().map(pb::Date::from);
    let request = pb::SetInvoiceDateRequest { year: number(&f.year), month: number(&f.month), invoice_date: date };
    let params = BillingParams { year: Some(number(&f.year)), customer: String::new() };
    match s.invoicing().set_invoice_date(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/billing?year={}#calendar", f.year.trim())).into_response()),
        Err(status) => billing_page(&s, &page, params, FormError::from_call(status, &page.i)?, Typed::Calendar(f)).await,
    }
}

/// An invoice of the run's export batch as shown.
struct Exported {
    number: String,
    customer: String,
    status: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "invoicing/run.html")]
struct RunPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    run: pb::Run,
    period: String,
    draft: bool,
    error: Vec<String>,
    /// The export batch, once written: (location, file count) and its invoices.
    batch: Option<(String, usize)>,
    exported: Vec<Exported>,
}

async fn run_page(s: &AppState, page: &Page, id: String, form: FormError) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let run = s.invoicing().get_run(page.grpc(pb::GetRunRequest { id: id.clone() })?).await?.into_inner();
    let l = page.l.at(&format!("/portal/billing/runs/{id}"));
    let period = format!("{} {}", month_name(i, run.month), run.year);
    let draft = run.status == pb::RunStatus::Draft as i32;
    let batches = if draft {
        Vec::new()
    } else {
        s.invoicing().list_export_batches(page.grpc(pb::ListExportBatchesRequest { year: run.year })?).await?.into_inner().batches
    };
    let batch = batches.into_iter().find(|b| b.run_id == run.id);
    let exported = batch
        .iter()
        .flat_map(|b| &b.invoices)
        .map(|x| Exported {
            number: x.number.clone(),
            customer: x.customer_name.clone(),
            status: i.t(match pb::ExportStatus::try_from(x.status) {
                Ok(pb::ExportStatus::Accepted) => "inv-export-accepted",
                Ok(pb::ExportStatus::Rejected) => "inv-export-rejected",
                _ => "inv-export-waiting",
            }),
            reason: x.reason.clone(),
        })
        .collect();
    let batch = batch.map(|b| (b.location, b.files.len()));
    Ok(render(form.status, &RunPage { l: &l, i, run, period, draft, error: form.messages, batch, exported }))
}

#[tracing::instrument(skip_all)]
async fn export(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    page.require_staff()?;
    match s.invoicing().export_run(page.grpc(pb::ExportRunRequest { run_id: id.clone() })?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/billing/runs/{id}#export")).into_response()),
        Err(status) => run_page(&s, &page, id, FormError::from_call(status, &page.i)?).await,
    }
}

#[tracing::instrument(skip_all)]
async fn run(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    run_page(&s, &page, id, FormError::none()).await
}

#[derive(Deserialize, Default)]
struct Empty {}

#[tracing::instrument(skip_all)]
async fn issue(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    page.require_staff()?;
    match s.invoicing().issue_run(page.grpc(pb::IssueRunRequest { id: id.clone() })?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/billing/runs/{id}")).into_response()),
        Err(status) => run_page(&s, &page, id, FormError::from_call(status, &page.i)?).await,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/billing", get(billing))
        .route("/portal/billing/runs", post(start_run))
        .route("/portal/billing/runs/{id}", get(run))
        .route("/portal/billing/runs/{id}/issue", post(issue))
        .route("/portal/billing/runs/{id}/export", post(export))
        .route("/portal/billing/lines", post(add_line))
        .route("/portal/billing/calendar", post(set_date))
        .merge(super::progress::routes())
}
