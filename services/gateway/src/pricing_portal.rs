//! Portal pages of the pricing service: the customer's price sheet (every price
//! with its cost components, the change from last year and the private-provider
//! comparison) with a CSV export, and the staff's price-list and price-change work.

use crate::AppState;
use crate::i18n::I18n;
use crate::portal::{Layout, call, failure, language, layout, render};
use crate::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kumppani_platform::AppError;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// All cost component kinds, in display order.
pub const COMPONENT_KINDS: [pb::CostComponentKind; 8] = [
    pb::CostComponentKind::RawMaterials,
    pb::CostComponentKind::Labour,
    pb::CostComponentKind::Premises,
    pb::CostComponentKind::Equipment,
    pb::CostComponentKind::Transport,
    pb::CostComponentKind::Administration,
    pb::CostComponentKind::PurchasedServices,
    pb::CostComponentKind::Other,
];

fn current_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Helsinki).year()
}

#[derive(Deserialize, Default)]
struct SheetParams {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    site: String,
}

/// One component as shown: label, amount, share of the price in percent.
pub struct Part {
    pub label: String,
    pub amount: String,
    pub share: String,
}

pub struct SheetRow {
    pub row: pb::PriceSheetRow,
    pub product: pb::Product,
    pub price: pb::ResolvedPrice,
    pub parts: Vec<Part>,
}

fn parts(i: &I18n, price: &pb::ResolvedPrice) -> Vec<Part> {
    let total = Decimal::from_str(&price.unit_price).unwrap_or_default();
    price
        .components
        .iter()
        .map(|c| {
            let amount = Decimal::from_str(&c.amount).unwrap_or_default();
            let share = if total.is_zero() { Decimal::ZERO } else { (amount / total * Decimal::from(100)).round_dp(1) };
            Part { label: i.cost_kind(&c.kind), amount: c.amount.clone(), share: share.to_string() }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "prices.html")]
struct PricesPage {
    l: Layout,
    i: I18n,
    year: i32,
    years: Vec<i32>,
    customers: Vec<contracts::Customer>,
    sheet: Option<pb::PriceSheet>,
    rows: Vec<SheetRow>,
    customer: String,
    site: String,
    csv: String,
}

/// Which customer/site a caller's sheet is for: their own unless staff.
fn sheet_scope(session: &Session, p: &SheetParams) -> (String, String) {
    match session.role {
        kumppani_platform::auth::Role::SiteUser => (String::new(), session.site_id.map(|s| s.to_string()).unwrap_or_default()),
        kumppani_platform::auth::Role::CustomerContact => (session.customer_id.map(|c| c.to_string()).unwrap_or_default(), p.site.clone()),
        _ => (p.customer.clone(), p.site.clone()),
    }
}

#[tracing::instrument(skip_all)]
async fn prices(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<SheetParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/prices");
    let year = p.year.unwrap_or_else(current_year);
    let (customer, site) = sheet_scope(&session, &p);
    let customers = if session.is_staff() {
        call!(s.contracts, session, i.clone(), l, list_customers, contracts::ListCustomersRequest { page_size: 500, ..Default::default() })
            .customers
    } else {
        Vec::new()
    };
    let l = layout(&session, &i, "/portal/prices");
    let sheet = if customer.is_empty() && site.is_empty() {
        None
    } else {
        Some(call!(
            s.pricing,
            session,
            i.clone(),
            l,
            get_price_sheet,
            pb::GetPriceSheetRequest { customer_id: customer.clone(), site_id: site.clone(), year, as_of: None }
        ))
    };
    let rows = sheet
        .as_ref()
        .map(|sh| {
            sh.rows
                .iter()
                .map(|r| {
                    let price = r.price.clone().unwrap_or_default();
                    SheetRow { parts: parts(&i, &price), product: r.product.clone().unwrap_or_default(), price, row: r.clone() }
                })
                .collect()
        })
        .unwrap_or_default();
    let csv = format!("/portal/prices.csv?year={year}&customer={customer}&site={site}");
    let l = layout(&session, &i, "/portal/prices");
    let this = current_year();
    render(StatusCode::OK, &PricesPage { l, i, year, years: vec![this - 1, this, this + 1], customers, sheet, rows, customer, site, csv })
}

/// The price sheet as CSV (semicolon-separated, decimal comma: opens in Finnish spreadsheet settings).
#[tracing::instrument(skip_all)]
async fn prices_csv(State(s): State<AppState>, session: Session, headers: HeaderMap, Query(p): Query<SheetParams>) -> Response {
    let i = language(&headers);
    let l = layout(&session, &i, "/portal/prices");
    let year = p.year.unwrap_or_else(current_year);
    let (customer, site) = sheet_scope(&session, &p);
    let sheet = call!(
        s.pricing,
        session,
        i.clone(),
        l,
        get_price_sheet,
        pb::GetPriceSheetRequest { customer_id: customer, site_id: site, year, as_of: None }
    );
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let comma = |v: &str| v.replace('.', ",");
    let mut header = vec![
        i.t("col-product"),
        i.t("col-unit"),
        i.t("col-unit-price"),
        i.t("col-vat"),
        i.t("col-source"),
        i.t("col-last-year"),
        i.t("col-change"),
        i.t("col-benchmark"),
        i.t("col-vs-benchmark"),
    ];
    header.extend(COMPONENT_KINDS.iter().map(|k| i.cost_kind(&(*k as i32))));
    let mut ok = w.write_record(&header).is_ok();
    for r in &sheet.rows {
        let product = r.product.clone().unwrap_or_default();
        let price = r.price.clone().unwrap_or_default();
        let mut record = vec![
            product.name.clone(),
            i.unit(&product.unit),
            comma(&price.unit_price),
            comma(&price.vat_rate),
            i.price_source(&price.source),
            comma(&r.last_year_price),
            comma(&r.change_percent),
            comma(&r.benchmark_price),
            comma(&r.vs_benchmark_percent),
        ];
        for k in COMPONENT_KINDS {
            record.push(price.components.iter().find(|c| c.kind == k as i32).map(|c| comma(&c.amount)).unwrap_or_default());
        }
        ok &= w.write_record(&record).is_ok();
    }
    let body = w.into_inner().unwrap_or_default();
    if !ok {
        return failure(AppError::internal("csv writing failed"), i, layout(&session, &I18n::new("fi"), "/portal/prices"));
    }
    let name = format!("hinnasto-{}-{year}.csv", sheet.customer_name.replace(|c: char| !c.is_alphanumeric(), "-").to_lowercase());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        [&[0xEF_u8, 0xBB, 0xBF][..], &body[..]].concat(),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "price_lists.html")]
struct PriceListsPage {
    l: Layout,
    i: I18n,
    lists: Vec<pb::PriceList>,
    error: Vec<String>,
}

fn staff_only(session: &Session, i: &I18n, l: Layout) -> Option<Response> {
    if session.is_staff() { None } else { Some(failure(AppError::denied("staff only"), i.clone(), l)) }
}

async fn price_lists_page(s: &AppState, session: &Session, i: I18n, error: Vec<String>) -> Response {
    let l = layout(session, &i, "/portal/price-lists");
    if let Some(r) = staff_only(session, &i, l) {
        return r;
    }
    let l = layout(session, &i, "/portal/price-lists");
    let lists = call!(s.pricing, session, i.clone(), l, list_price_lists, pb::ListPriceListsRequest { year: 0 }).price_lists;
    let l = layout(session, &i, "/portal/price-lists");
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &PriceListsPage { l, i, lists, error })
}

#[tracing::instrument(skip_all)]
async fn price_lists(State(s): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    price_lists_page(&s, &session, language(&headers), Vec::new()).await
}

#[derive(Deserialize)]
struct CreateListForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    effective_from: String,
}

fn parse_form_date(s: &str) -> Option<pb::Date> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    Some(pb::Date { year: d.year(), month: d.month() as i32, day: d.day() as i32 })
}

fn messages(e: &AppError) -> Vec<String> {
    if e.violations.is_empty() {
        vec![e.message.clone()]
    } else {
        e.violations.iter().map(|v| format!("{}: {}", v.field, v.reason)).collect()
    }
}

#[tracing::instrument(skip_all)]
async fn create_list(State(s): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<CreateListForm>) -> Response {
    let i = language(&headers);
    if f.csrf != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let Ok(year) = f.year.trim().parse::<i32>() else {
        return price_lists_page(&s, &session, i, vec!["year: must be a year such as 2027".into()]).await;
    };
    let req = pb::CreatePriceListRequest { year, effective_from: parse_form_date(&f.effective_from), note: String::new() };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return price_lists_page(&s, &session, i, messages(&e)).await,
    };
    match s.pricing.clone().create_price_list(request).await {
        Ok(r) => Redirect::to(&format!("/portal/price-lists/{}", r.into_inner().id)).into_response(),
        Err(status) => price_lists_page(&s, &session, i, messages(&AppError::from_status(&status))).await,
    }
}

pub struct EditRow {
    pub product: pb::Product,
    /// The stored price.
    pub price: Option<pb::Price>,
    /// What the form shows: the stored price, or what the user typed when saving it failed.
    pub unit_input: String,
    pub parts: Vec<(i32, String, String)>,
}

#[derive(Template)]
#[template(path = "price_list.html")]
struct PriceListPage {
    l: Layout,
    i: I18n,
    list: pb::PriceList,
    rows: Vec<EditRow>,
    editable: bool,
    error: Vec<String>,
}

async fn price_list_page(s: &AppState, session: &Session, i: I18n, id: String, error: Vec<String>, typed: Option<pb::Price>) -> Response {
    let path = format!("/portal/price-lists/{id}");
    let l = layout(session, &i, &path);
    if let Some(r) = staff_only(session, &i, l) {
        return r;
    }
    let l = layout(session, &i, &path);
    let list = call!(s.pricing, session, i.clone(), l, get_price_list, pb::GetPriceListRequest { id: id.clone() });
    let l = layout(session, &i, &path);
    let products = call!(s.pricing, session, i.clone(), l, list_products, pb::ListProductsRequest {}).products;
    let rows = products
        .into_iter()
        .map(|product| {
            let price = list.prices.iter().find(|p| p.product_code == product.code).cloned();
            // Nothing the user typed is lost: a rejected form shows their values again.
            let shown = typed.as_ref().filter(|t| t.product_code == product.code).or(price.as_ref());
            let parts = COMPONENT_KINDS
                .iter()
                .map(|k| {
                    let amount =
                        shown.and_then(|p| p.components.iter().find(|c| c.kind == *k as i32)).map(|c| c.amount.clone()).unwrap_or_default();
                    (*k as i32, i.cost_kind(&(*k as i32)), amount)
                })
                .collect();
            let unit_input = shown.map(|p| p.unit_price.clone()).unwrap_or_default();
            EditRow { product, price, unit_input, parts }
        })
        .collect();
    let editable = list.status == pb::PriceListStatus::Draft as i32;
    let l = layout(session, &i, &path);
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &PriceListPage { l, i, list, rows, editable, error })
}

#[tracing::instrument(skip_all)]
async fn price_list(State(s): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>) -> Response {
    price_list_page(&s, &session, language(&headers), id, Vec::new(), None).await
}

#[derive(Deserialize)]
struct PriceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    product_code: String,
    #[serde(default)]
    unit_price: String,
    #[serde(flatten)]
    amounts: std::collections::HashMap<String, String>,
}

#[tracing::instrument(skip_all)]
async fn set_price(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<PriceForm>,
) -> Response {
    let i = language(&headers);
    if f.csrf != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let components = COMPONENT_KINDS
        .iter()
        .filter_map(|k| {
            let amount = f.amounts.get(&format!("c{}", *k as i32)).map(|a| a.trim().replace(',', ".")).unwrap_or_default();
            (!amount.is_empty()).then_some(pb::CostComponent { kind: *k as i32, amount })
        })
        .collect();
    let typed = pb::Price { product_code: f.product_code.clone(), unit_price: f.unit_price.trim().replace(',', "."), components };
    let req = pb::SetListPriceRequest { price_list_id: id.clone(), price: Some(typed.clone()) };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return price_list_page(&s, &session, i, id, messages(&e), Some(typed)).await,
    };
    match s.pricing.clone().set_list_price(request).await {
        Ok(_) => Redirect::to(&format!("/portal/price-lists/{id}#p-{}", f.product_code)).into_response(),
        Err(status) => {
            let mut m = vec![format!("{}: {}", f.product_code, i.t("price-not-saved"))];
            m.extend(messages(&AppError::from_status(&status)));
            price_list_page(&s, &session, i, id, m, Some(typed)).await
        }
    }
}

#[derive(Deserialize)]
struct TransitionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    approved_on: String,
    #[serde(default)]
    reference: String,
}

#[tracing::instrument(skip_all)]
async fn transition(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<TransitionForm>,
) -> Response {
    let i = language(&headers);
    if f.csrf != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let to = pb::PriceListStatus::from_str_name(&format!("PRICE_LIST_STATUS_{}", f.to.to_uppercase())).unwrap_or_default();
    let req = pb::TransitionPriceListRequest {
        id: id.clone(),
        to: to as i32,
        group_approved_on: parse_form_date(&f.approved_on),
        group_approval_ref: f.reference.clone(),
    };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return price_list_page(&s, &session, i, id, messages(&e), None).await,
    };
    match s.pricing.clone().transition_price_list(request).await {
        Ok(_) => Redirect::to(&format!("/portal/price-lists/{id}")).into_response(),
        Err(status) => price_list_page(&s, &session, i, id, messages(&AppError::from_status(&status)), None).await,
    }
}

#[derive(Template)]
#[template(path = "price_changes.html")]
struct PriceChangesPage {
    l: Layout,
    i: I18n,
    changes: Vec<pb::PriceChange>,
    customers: Vec<contracts::Customer>,
    products: Vec<pb::Product>,
    kinds: Vec<(i32, String)>,
    error: Vec<String>,
}

async fn price_changes_page(s: &AppState, session: &Session, i: I18n, error: Vec<String>) -> Response {
    let l = layout(session, &i, "/portal/price-changes");
    if let Some(r) = staff_only(session, &i, l) {
        return r;
    }
    let l = layout(session, &i, "/portal/price-changes");
    let changes = call!(s.pricing, session, i.clone(), l, list_price_changes, pb::ListPriceChangesRequest { year: 0 }).changes;
    let l = layout(session, &i, "/portal/price-changes");
    let customers =
        call!(s.contracts, session, i.clone(), l, list_customers, contracts::ListCustomersRequest { page_size: 500, ..Default::default() })
            .customers;
    let l = layout(session, &i, "/portal/price-changes");
    let products = call!(s.pricing, session, i.clone(), l, list_products, pb::ListProductsRequest {}).products;
    let kinds = COMPONENT_KINDS.iter().map(|k| (*k as i32, i.cost_kind(&(*k as i32)))).collect();
    let l = layout(session, &i, "/portal/price-changes");
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &PriceChangesPage { l, i, changes, customers, products, kinds, error })
}

#[tracing::instrument(skip_all)]
async fn price_changes(State(s): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    price_changes_page(&s, &session, language(&headers), Vec::new()).await
}

#[tracing::instrument(skip_all)]
async fn propose_change(State(s): State<AppState>, session: Session, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let i = language(&headers);
    // Repeated `customer` fields: parse the form by hand.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    if get("csrf") != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let customers: Vec<String> = pairs.iter().filter(|(k, _)| k == "customer").map(|(_, v)| v.clone()).collect();
    let components = COMPONENT_KINDS
        .iter()
        .filter_map(|k| {
            let a = get(&format!("c{}", *k as i32)).replace(',', ".");
            (!a.is_empty()).then_some(pb::CostComponent { kind: *k as i32, amount: a })
        })
        .collect();
    let req = pb::ProposePriceChangeRequest {
        effective_from: parse_form_date(&get("effective_from")),
        reason: get("reason"),
        customer_ids: customers,
        items: vec![pb::Price { product_code: get("product_code"), unit_price: get("unit_price").replace(',', "."), components }],
    };
    let request = match crate::rest::grpc_request(req, &session.token) {
        Ok(r) => r,
        Err(e) => return price_changes_page(&s, &session, i, messages(&e)).await,
    };
    match s.pricing.clone().propose_price_change(request).await {
        Ok(_) => Redirect::to("/portal/price-changes").into_response(),
        Err(status) => price_changes_page(&s, &session, i, messages(&AppError::from_status(&status))).await,
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    text: String,
}

#[tracing::instrument(skip_all)]
async fn decide_change(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let i = language(&headers);
    if f.csrf != session.csrf {
        return crate::portal::forbidden_csrf();
    }
    let token = session.token.clone();
    let result = match f.action.as_str() {
        "group-approval" => {
            let req =
                pb::RecordPriceChangeGroupApprovalRequest { price_change_id: id, approved_on: parse_form_date(&f.date), reference: f.text };
            match crate::rest::grpc_request(req, &token) {
                Ok(r) => s.pricing.clone().record_price_change_group_approval(r).await.map(|_| ()).map_err(|st| AppError::from_status(&st)),
                Err(e) => Err(e),
            }
        }
        action => {
            let req = pb::DecidePriceChangeRequest {
                price_change_id: id,
                approve: action == "approve",
                decided_on: parse_form_date(&f.date),
                reason: f.text,
            };
            match crate::rest::grpc_request(req, &token) {
                Ok(r) => s.pricing.clone().decide_price_change(r).await.map(|_| ()).map_err(|st| AppError::from_status(&st)),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => Redirect::to("/portal/price-changes").into_response(),
        Err(e) => price_changes_page(&s, &session, i, messages(&e)).await,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/prices", get(prices))
        .route("/portal/prices.csv", get(prices_csv))
        .route("/portal/price-lists", get(price_lists).post(create_list))
        .route("/portal/price-lists/{id}", get(price_list))
        .route("/portal/price-lists/{id}/prices", post(set_price))
        .route("/portal/price-lists/{id}/transitions", post(transition))
        .route("/portal/price-changes", get(price_changes).post(propose_change))
        .route("/portal/price-changes/{id}/decision", post(decide_change))
}
