//! Portal pages of invoicing for customers and staff: invoices by month, the
//! invoice with its specification (site → product → days, without
//! JavaScript: the site is a link), its files (PDF, CSV, Finvoice, Peppol),
//! the month to date, and crediting an invoice (staff). The billing work of
//! staff (runs, calendar, manual lines) is in [`super::billing`].

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::Datelike;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as pb;
use serde::Deserialize;

/// The month names of a language, for selects and headings.
pub(super) fn month_name(i: &I18n, month: i32) -> String {
    i.t(&format!("inv-month-{month}"))
}

/// The customers staff choose from (none for others), and the customer a page
/// is about: the one asked for (staff), else the signed-in person's own.
pub(super) async fn customer_scope(s: &AppState, page: &Page, asked: &str) -> Result<(Vec<contracts::Customer>, String), PageError> {
    if page.session.is_staff() {
        let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
        let customers = s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers;
        Ok((customers, asked.to_owned()))
    } else {
        Ok((Vec::new(), page.session.customer_id.map(|c| c.to_string()).unwrap_or_default()))
    }
}

/// A file from the invoicing service as a download (the name kept to safe characters).
pub(super) fn download(doc: pb::InvoiceDocument) -> axum::response::Response {
    let name = crate::rest::header_file_name(&doc.file_name, "invoice");
    ([(header::CONTENT_TYPE, doc.content_type), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], doc.content)
        .into_response()
}

pub(super) fn status_text(i: &I18n, status: i32) -> String {
    match pb::InvoiceStatus::try_from(status) {
        Ok(pb::InvoiceStatus::Draft) => i.t("inv-status-draft"),
        Ok(pb::InvoiceStatus::Issued) => i.t("inv-status-issued"),
        Ok(pb::InvoiceStatus::Credited) => i.t("inv-status-credited"),
        _ => String::new(),
    }
}

pub(super) fn kind_text(i: &I18n, inv: &pb::Invoice) -> String {
    if inv.kind == pb::InvoiceKind::CreditNote as i32 { i.t("inv-credit-note") } else { i.t("inv-invoice") }
}

fn row_kind_text(i: &I18n, kind: i32) -> String {
    let key = match pb::RowKind::try_from(kind) {
        Ok(pb::RowKind::Fixed) => "inv-row-fixed",
        Ok(pb::RowKind::PassThrough) => "inv-row-pass-through",
        Ok(pb::RowKind::Credit) => "inv-row-credit",
        Ok(pb::RowKind::Adjustment) => "inv-row-adjustment",
        Ok(pb::RowKind::Correction) => "inv-row-correction",
        _ => "inv-row-delivered",
    };
    i.t(key)
}

fn unit_text(i: &I18n, unit: &str) -> String {
    match unit {
        "" => String::new(),
        u => i.t(&format!("inv-unit-{}", u.replace('_', "-"))),
    }
}

/// A row as shown: texts in the user's language.
pub(super) struct ShownRow {
    pub r: pb::InvoiceRow,
    pub kind: String,
    pub unit: String,
    /// The service days it covers ("1.3.2027–12.3.2027").
    pub days: String,
    /// Pro rata and "corrects invoice …" remarks.
    pub remark: String,
    /// Cost components: (label, amount per unit).
    pub components: Vec<(String, String)>,
    /// "22 days" (the drill-down's summary).
    pub days_label: String,
    pub day_rows: Vec<DayRow>,
}

pub(super) struct DayRow {
    pub day: String,
    pub diet: String,
    pub quantity: String,
    pub amount: String,
    pub reason: String,
}

fn shown(i: &I18n, rows: &[pb::InvoiceRow]) -> Vec<ShownRow> {
    rows.iter()
        .map(|r| {
            let days = match (&r.from, &r.to) {
                (Some(f), Some(t)) if f != t => format!("{}–{}", i.date(&Some(*f)), i.date(&Some(*t))),
                (Some(f), _) => i.date(&Some(*f)),
                _ => String::new(),
            };
            let mut remarks = Vec::new();
            if !r.pro_rata.is_empty() {
                remarks.push(i.t_args("inv-pro-rata", &[("days", r.pro_rata.clone())]));
            }
            if !r.original_invoice_number.is_empty() {
                remarks.push(i.t_args("inv-corrects", &[("number", r.original_invoice_number.clone())]));
            }
            let components = r
                .components
                .iter()
                .map(|c| (i.t(&format!("cost-component-kind-{}", c.kind.replace('_', "-"))), i.money(&c.amount)))
                .collect();
            let day_rows = r
                .days
                .iter()
                .map(|d| DayRow {
                    day: i.date(&d.service_day),
                    diet: d.diet.clone(),
                    quantity: if d.billed_before.is_empty() {
                        i.decimal(&d.quantity)
                    } else {
                        format!("{} ({})", i.decimal(&d.quantity), i.t_args("inv-billed-before", &[("quantity", d.billed_before.clone())]))
                    },
                    amount: i.money(&d.amount),
                    reason: d.reason.clone(),
                })
                .collect();
            ShownRow {
                kind: row_kind_text(i, r.kind),
                unit: unit_text(i, &r.unit),
                days,
                remark: remarks.join(", "),
                components,
                days_label: i.t_args("inv-days", &[("count", r.days.len().to_string())]),
                day_rows,
                r: r.clone(),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    month: Option<i32>,
}

/// An invoice of a list, its texts in the user's language.
struct ListRow {
    x: pb::Invoice,
    period: String,
    status: String,
    credit_note: bool,
}

#[derive(Template)]
#[template(path = "invoicing/invoices.html")]
struct InvoicesPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    invoices: Vec<ListRow>,
    customers: Vec<contracts::Customer>,
    customer: String,
    year: i32,
    month: i32,
    years: Vec<i32>,
    months: Vec<(i32, String)>,
    mtd_customer: String,
}

#[tracing::instrument(skip_all)]
async fn invoices(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ListParams>) -> PageResult {
    let this = kumppani_platform::calendar::today().year();
    let year = p.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(this);
    let month = p.month.filter(|m| (1..=12).contains(m)).unwrap_or(0);
    let (customers, customer) = customer_scope(&s, &page, &p.customer).await?;
    let request = pb::ListInvoicesRequest { customer_id: customer.clone(), year, month, page_size: 500, ..Default::default() };
    let i = &page.i;
    let invoices = s
        .invoicing()
        .list_invoices(page.grpc(request)?)
        .await?
        .into_inner()
        .invoices
        .into_iter()
        .map(|x| ListRow {
            period: format!("{} {}", month_name(i, x.month), x.year),
            status: status_text(i, x.status),
            credit_note: x.kind == pb::InvoiceKind::CreditNote as i32,
            x,
        })
        .collect();
    let months = (1..=12).map(|m| (m, month_name(i, m))).collect();
    let mtd_customer = if page.session.is_staff() { customer.clone() } else { String::new() };
    let l = page.l.at("/portal/invoices");
    let years = vec![this - 1, this];
    Ok(render(StatusCode::OK, &InvoicesPage { l: &l, i, invoices, customers, customer, year, month, years, months, mtd_customer }))
}

#[derive(Deserialize, Default)]
struct InvoiceParams {
    /// The site whose part is opened (its rows with their days).
    #[serde(default)]
    site: String,
}

#[derive(Template)]
#[template(path = "invoicing/invoice.html")]
struct InvoicePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    inv: pb::Invoice,
    title: String,
    status: String,
    period: String,
    terms: String,
    /// The open site's rows with their days.
    site: Option<pb::SiteSubtotal>,
    site_rows: Vec<ShownRow>,
    /// Rows without a site (pass-through or credit lines of the whole customer).
    other_rows: Vec<ShownRow>,
    /// A site user sees only their site.
    own_site_only: bool,
    can_credit: bool,
    /// Staff on an issued credit note: `Some(location)` once exported, `Some("")` before.
    credit_export: Option<String>,
    files: bool,
    error: Vec<String>,
    typed: CreditForm,
    invalid: Invalid,
    /// Questions about this invoice, the ask form as typed and its invalid fields.
    questions: Vec<super::questions::ShownQuestion>,
    /// Rows one may ask about: (line number, what it is).
    askable: Vec<(i32, String)>,
    ask: super::questions::AskForm,
    ask_invalid: Invalid,
}

/// The invoice page after a rejected question: what was typed is kept.
pub(super) async fn invoice_with_question(
    s: &AppState,
    page: &Page,
    id: String,
    form: FormError,
    typed: super::questions::AskForm,
) -> PageResult {
    invoice_page_with(s, page, id, String::new(), form, CreditForm::default(), typed, true).await
}

async fn invoice_page(s: &AppState, page: &Page, id: String, site: String, form: FormError, typed: CreditForm) -> PageResult {
    invoice_page_with(s, page, id, site, form, typed, super::questions::AskForm::default(), false).await
}

#[allow(clippy::too_many_arguments)]
async fn invoice_page_with(
    s: &AppState,
    page: &Page,
    id: String,
    site: String,
    form: FormError,
    typed: CreditForm,
    ask: super::questions::AskForm,
    ask_rejected: bool,
) -> PageResult {
    let i = &page.i;
    let own_site_only = page.session.role == Role::SiteUser;
    let site = if own_site_only { page.session.site_id.map(|s| s.to_string()).unwrap_or_default() } else { site };
    let request = pb::GetInvoiceRequest { id: id.clone(), site_id: String::new(), days: false };
    let inv = s.invoicing().get_invoice(page.grpc(request)?).await?.into_inner();
    let (open, site_rows) = if site.is_empty() {
        (None, Vec::new())
    } else {
        let request = pb::GetInvoiceRequest { id: id.clone(), site_id: site.clone(), days: true };
        let part = s.invoicing().get_invoice(page.grpc(request)?).await?.into_inner();
        (inv.sites.iter().find(|x| x.site_id == site).cloned(), shown(i, &part.rows))
    };
    let other: Vec<pb::InvoiceRow> = inv.rows.iter().filter(|r| r.site_id.is_empty()).cloned().collect();
    let title = if inv.number.is_empty() {
        format!("{} ({})", kind_text(i, &inv), i.t("inv-status-draft"))
    } else {
        format!("{} {}", kind_text(i, &inv), inv.number)
    };
    let l = page.l.at(&format!("/portal/invoices/{id}"));
    let invalid = Invalid::of(&form);
    let (invalid, ask_invalid) = if ask_rejected { (Invalid::default(), invalid) } else { (invalid, Invalid::default()) };
    let issued = !inv.number.is_empty();
    // A credit note travels to the group's billing in a batch of its own: staff see where, or export it.
    let credit_export = if page.session.is_staff() && issued && inv.kind == pb::InvoiceKind::CreditNote as i32 {
        let batches =
            s.invoicing().list_export_batches(page.grpc(pb::ListExportBatchesRequest { year: inv.year })?).await?.into_inner().batches;
        Some(batches.into_iter().find(|b| b.credit_note_id == inv.id).map(|b| b.location).unwrap_or_default())
    } else {
        None
    };
    let questions = if issued {
        let request = pb::ListInvoiceQuestionsRequest { invoice_id: id.clone(), ..Default::default() };
        super::questions::shown(i, s.invoicing().list_invoice_questions(page.grpc(request)?).await?.into_inner().questions)
    } else {
        Vec::new()
    };
    let own_site = page.session.site_id.map(|x| x.to_string());
    let askable = inv
        .rows
        .iter()
        .filter(|r| !own_site_only || own_site.as_deref() == Some(r.site_id.as_str()))
        .map(|r| {
            let what = if r.product_name.is_empty() { r.description.clone() } else { r.product_name.clone() };
            (r.line_no, if r.site_name.is_empty() { what } else { format!("{}: {what}", r.site_name) })
        })
        .collect();
    let page_ = InvoicePage {
        l: &l,
        i,
        title,
        status: status_text(i, inv.status),
        terms: i.t_args("inv-terms", &[("days", inv.payment_terms_days.to_string())]),
        period: format!("{} {}", month_name(i, inv.month), inv.year),
        site: open,
        site_rows,
        other_rows: shown(i, &other),
        own_site_only,
        can_credit: page.session.is_staff()
            && inv.status == pb::InvoiceStatus::Issued as i32
            && inv.kind == pb::InvoiceKind::Invoice as i32,
        credit_export,
        files: !inv.number.is_empty() && !own_site_only,
        error: form.messages,
        typed,
        invalid,
        questions,
        askable,
        ask,
        ask_invalid,
        inv,
    };
    Ok(render(form.status, &page_))
}

#[tracing::instrument(skip_all)]
async fn invoice(State(s): State<AppState>, page: Page, Path(id): Path<String>, PageQuery(p): PageQuery<InvoiceParams>) -> PageResult {
    invoice_page(&s, &page, id, p.site, FormError::none(), CreditForm::default()).await
}

#[derive(Deserialize, Default)]
struct CreditForm {
    #[serde(default)]
    reason: String,
}

#[tracing::instrument(skip_all)]
async fn credit(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<CreditForm>) -> PageResult {
    page.require_staff()?;
    let request = pb::CreditInvoiceRequest { id: id.clone(), reason: f.reason.clone() };
    match s.invoicing().credit_invoice(page.grpc(request)?).await {
        Ok(r) => Ok(Redirect::to(&format!("/portal/invoices/{}", r.into_inner().id)).into_response()),
        Err(status) => invoice_page(&s, &page, id, String::new(), FormError::from_call(status, &page.i)?, f).await,
    }
}

/// Exports an issued credit note to the group's billing (staff).
#[tracing::instrument(skip_all)]
async fn export_credit_note(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CreditForm>,
) -> PageResult {
    page.require_staff()?;
    match s.invoicing().export_credit_note(page.grpc(pb::ExportCreditNoteRequest { invoice_id: id.clone() })?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/invoices/{id}#export")).into_response()),
        Err(status) => invoice_page(&s, &page, id, String::new(), FormError::from_call(status, &page.i)?, f).await,
    }
}

/// An invoice's file: `pdf`, `csv` (the specification), `finvoice` or `peppol`.
#[tracing::instrument(skip_all)]
async fn file(State(s): State<AppState>, page: Page, Path((id, kind)): Path<(String, String)>) -> PageResult {
    let request = page.grpc(pb::GetInvoiceFileRequest { id })?;
    let mut client = s.invoicing();
    let doc = match kind.as_str() {
        "pdf" => client.get_invoice_pdf(request).await?,
        "csv" => client.get_specification_csv(request).await?,
        "finvoice" => client.get_finvoice(request).await?,
        "peppol" => client.get_peppol_invoice(request).await?,
        _ => return Err(crate::page::PageError::NotFound),
    }
    .into_inner();
    Ok(download(doc))
}

#[derive(Deserialize, Default)]
struct MonthParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    site: String,
}

#[derive(Template)]
#[template(path = "invoicing/month_to_date.html")]
struct MonthPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    customers: Vec<contracts::Customer>,
    customer: String,
    inv: Option<pb::Invoice>,
    rows: Vec<ShownRow>,
    period: String,
    help: String,
}

#[tracing::instrument(skip_all)]
async fn month_to_date(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<MonthParams>) -> PageResult {
    let (customers, customer) = customer_scope(&s, &page, &p.customer).await?;
    let inv = if customer.is_empty() {
        None
    } else {
        let request = pb::GetMonthToDateRequest { customer_id: customer.clone(), unit_id: String::new(), site_id: p.site.clone() };
        Some(s.invoicing().get_month_to_date(page.grpc(request)?).await?.into_inner())
    };
    let i = &page.i;
    let today = kumppani_platform::calendar::today();
    let rows = inv.as_ref().map(|x| shown(i, &x.rows)).unwrap_or_default();
    let period = format!("{} {}", month_name(i, today.month() as i32), today.year());
    let l = page.l.at("/portal/month-to-date");
    let help = i.t_args("inv-mtd-help", &[("today", i.date(&Some(today.into())))]);
    Ok(render(StatusCode::OK, &MonthPage { l: &l, i, customers, customer, inv, rows, period, help }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/invoices", get(invoices))
        .route("/portal/invoices/{id}", get(invoice))
        .route("/portal/invoices/{id}/credit", post(credit))
        .route("/portal/invoices/{id}/export", post(export_credit_note))
        .route("/portal/invoices/{id}/files/{kind}", get(file))
        .route("/portal/month-to-date", get(month_to_date))
        .merge(super::billing::routes())
        .merge(super::questions::routes())
        .merge(super::reconciliation::routes())
}
