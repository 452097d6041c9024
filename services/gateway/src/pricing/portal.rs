//! Portal pages of the pricing service: the customer's price sheet (every price
//! with its cost components, the change from last year and the private-provider
//! comparison) with a CSV export, and the staff's price-list and price-change work.

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageQuery, PageResult, render};
use crate::session::Session;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use kumppani_platform::AppError;
use kumppani_platform::auth::Role;
use kumppani_platform::calendar;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::str::FromStr;

/// All cost component kinds, in display order.
pub(super) const COMPONENT_KINDS: [pb::CostComponentKind; 8] = [
    pb::CostComponentKind::RawMaterials,
    pb::CostComponentKind::Labour,
    pb::CostComponentKind::Premises,
    pb::CostComponentKind::Equipment,
    pb::CostComponentKind::Transport,
    pb::CostComponentKind::Administration,
    pb::CostComponentKind::PurchasedServices,
    pb::CostComponentKind::Other,
];

/// A date from an `<input type="date">`.
pub(super) fn parse_form_date(s: &str) -> Option<pb::Date> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().map(pb::Date::from)
}

/// A decimal typed in either style ("3,85" or "3.85") as the API wants it.
pub(super) fn api_decimal(typed: &str) -> String {
    typed.trim().replace(',', ".")
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

/// One cost component as shown: label, amount, share of the price.
struct Part {
    label: String,
    amount: String,
    /// The share in percent as the language writes it ("37,2 %").
    share: String,
    /// The share for the bar's width ("37.2": an SVG attribute, so no inline style).
    share_css: String,
}

struct SheetRow {
    row: pb::PriceSheetRow,
    product: pb::Product,
    price: pb::ResolvedPrice,
    parts: Vec<Part>,
}

fn parts(i: &I18n, price: &pb::ResolvedPrice) -> Vec<Part> {
    let total = Decimal::from_str(&price.unit_price).unwrap_or_default();
    price
        .components
        .iter()
        .map(|c| {
            let amount = Decimal::from_str(&c.amount).unwrap_or_default();
            let share = if total.is_zero() { Decimal::ZERO } else { (amount / total * Decimal::from(100)).round_dp(1) };
            let share_css = share.to_string();
            Part { label: i.cost_kind(&c.kind), amount: i.money(&c.amount), share: i.percent(&share_css), share_css }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "pricing/prices.html")]
struct PricesPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
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
        Role::SiteUser => (String::new(), session.site_id.map(|s| s.to_string()).unwrap_or_default()),
        Role::CustomerContact => (session.customer_id.map(|c| c.to_string()).unwrap_or_default(), p.site.clone()),
        _ => (p.customer.clone(), p.site.clone()),
    }
}

#[tracing::instrument(skip_all)]
async fn prices(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<SheetParams>) -> PageResult {
    let this = calendar::today().year();
    let year = p.year.unwrap_or(this);
    let (customer, site) = sheet_scope(&page.session, &p);
    let customers = if page.session.is_staff() {
        let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let sheet = if customer.is_empty() && site.is_empty() {
        None
    } else {
        let request = pb::GetPriceSheetRequest { customer_id: customer.clone(), site_id: site.clone(), year, as_of: None };
        Some(s.pricing().get_price_sheet(page.grpc(request)?).await?.into_inner())
    };
    let rows = sheet
        .iter()
        .flat_map(|sh| &sh.rows)
        .map(|r| {
            let price = r.price.clone().unwrap_or_default();
            SheetRow { parts: parts(&page.i, &price), product: r.product.clone().unwrap_or_default(), price, row: r.clone() }
        })
        .collect();
    let csv = format!("/portal/prices.csv?year={year}&customer={customer}&site={site}");
    let years = vec![this - 1, this, this + 1];
    Ok(render(StatusCode::OK, &PricesPage { l: &page.l, i: &page.i, year, years, customers, sheet, rows, customer, site, csv }))
}

/// The price sheet as CSV (semicolon-separated, decimal comma: opens in Finnish spreadsheet settings).
#[tracing::instrument(skip_all)]
async fn prices_csv(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<SheetParams>) -> PageResult {
    let i = &page.i;
    let year = p.year.unwrap_or_else(|| calendar::today().year());
    let (customer, site) = sheet_scope(&page.session, &p);
    let request = pb::GetPriceSheetRequest { customer_id: customer, site_id: site, year, as_of: None };
    let sheet = s.pricing().get_price_sheet(page.grpc(request)?).await?.into_inner();
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let comma = |v: &str| v.replace('.', ",");
    let mut header = vec![
        i.t("col-product"),
        i.t("col-price-unit"),
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
        return Err(AppError::internal("csv writing failed").into());
    }
    let name = format!("hinnasto-{}-{year}.csv", sheet.customer_name.replace(|c: char| !c.is_alphanumeric(), "-").to_lowercase());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        [&[0xEF_u8, 0xBB, 0xBF][..], &body[..]].concat(),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "pricing/price_lists.html")]
struct PriceListsPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    lists: Vec<pb::PriceList>,
    error: Vec<String>,
    /// The new-list form as typed, and its invalid fields.
    typed: CreateListForm,
    invalid: Invalid,
}

async fn price_lists_page(s: &AppState, page: &Page, form: FormError, typed: CreateListForm) -> PageResult {
    page.require_staff()?;
    let lists = s.pricing().list_price_lists(page.grpc(pb::ListPriceListsRequest { year: 0 })?).await?.into_inner().price_lists;
    let l = page.l.at("/portal/price-lists");
    let invalid = Invalid::of(&form);
    Ok(render(form.status, &PriceListsPage { l: &l, i: &page.i, lists, error: form.messages, typed, invalid }))
}

#[tracing::instrument(skip_all)]
async fn price_lists(State(s): State<AppState>, page: Page) -> PageResult {
    price_lists_page(&s, &page, FormError::none(), CreateListForm::default()).await
}

#[derive(Deserialize, Default)]
struct CreateListForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    effective_from: String,
}

#[tracing::instrument(skip_all)]
async fn create_list(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<CreateListForm>) -> PageResult {
    let Ok(year) = f.year.trim().parse::<i32>() else {
        return price_lists_page(&s, &page, FormError::field("year", page.i.t("price-list-year-invalid")), f).await;
    };
    let request = pb::CreatePriceListRequest { year, effective_from: parse_form_date(&f.effective_from), note: String::new() };
    match s.pricing().create_price_list(page.grpc(request)?).await {
        Ok(r) => Ok(Redirect::to(&format!("/portal/price-lists/{}", r.into_inner().id)).into_response()),
        Err(status) => price_lists_page(&s, &page, FormError::from_call(status, &page.i)?, f).await,
    }
}

struct EditRow {
    product: pb::Product,
    /// The stored price.
    price: Option<pb::Price>,
    /// What the form shows: the stored price, or what the user typed when saving it failed.
    unit_input: String,
    parts: Vec<PartInput>,
    /// The invalid fields of this product's form, when it was the one rejected.
    invalid: Invalid,
}

/// One cost component in a price list's form.
struct PartInput {
    kind: i32,
    label: String,
    /// The form field's value: the stored amount in the user's style, or what they typed.
    input: String,
    /// The stored amount as money, for a list that is no longer edited.
    money: String,
}

/// What the user typed into one product's price form, as typed.
struct Typed {
    product_code: String,
    unit_price: String,
    amounts: HashMap<i32, String>,
}

#[derive(Template)]
#[template(path = "pricing/price_list.html")]
struct PriceListPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    list: pb::PriceList,
    rows: Vec<EditRow>,
    editable: bool,
    error: Vec<String>,
    /// The approval form as typed, and its invalid fields.
    approval: TransitionForm,
    invalid: Invalid,
}

/// What a rejected form on a price list's page had typed: a product's price or the approval.
enum ListTyped {
    None,
    Price(Typed),
    Approval(TransitionForm),
}

async fn price_list_page(s: &AppState, page: &Page, id: String, form: FormError, typed: ListTyped) -> PageResult {
    page.require_staff()?;
    let l = page.l.at(&format!("/portal/price-lists/{id}"));
    let list = s.pricing().get_price_list(page.grpc(pb::GetPriceListRequest { id })?).await?.into_inner();
    let products = s.pricing().list_products(page.grpc(pb::ListProductsRequest {})?).await?.into_inner().products;
    let i = &page.i;
    let invalid = Invalid::of(&form);
    let (typed, approval) = match typed {
        ListTyped::None => (None, TransitionForm::default()),
        ListTyped::Price(t) => (Some(t), TransitionForm::default()),
        ListTyped::Approval(a) => (None, a),
    };
    let rows = products
        .into_iter()
        .map(|product| {
            let price = list.prices.iter().find(|p| p.product_code == product.code).cloned();
            // Nothing the user typed is lost: a rejected form shows their values again.
            let typed = typed.as_ref().filter(|t| t.product_code == product.code);
            let parts = COMPONENT_KINDS
                .iter()
                .map(|k| {
                    let kind = *k as i32;
                    let stored = price.as_ref().and_then(|p| p.components.iter().find(|c| c.kind == kind)).map(|c| c.amount.as_str());
                    let input = match typed {
                        Some(t) => t.amounts.get(&kind).cloned().unwrap_or_default(),
                        None => stored.map(|a| i.decimal(a)).unwrap_or_default(),
                    };
                    let money = stored.map(|a| i.money(a)).unwrap_or_default();
                    PartInput { kind, label: i.cost_kind(&kind), input, money }
                })
                .collect();
            let unit_input = match typed {
                Some(t) => t.unit_price.clone(),
                None => price.as_ref().map(|p| i.decimal(&p.unit_price)).unwrap_or_default(),
            };
            let invalid = if typed.is_some() { invalid.clone() } else { Invalid::default() };
            EditRow { product, price, unit_input, parts, invalid }
        })
        .collect();
    let editable = list.status == pb::PriceListStatus::Draft as i32;
    let invalid = if approval.to.is_empty() { Invalid::default() } else { invalid };
    Ok(render(form.status, &PriceListPage { l: &l, i, list, rows, editable, error: form.messages, approval, invalid }))
}

#[tracing::instrument(skip_all)]
async fn price_list(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    price_list_page(&s, &page, id, FormError::none(), ListTyped::None).await
}

#[derive(Deserialize)]
struct PriceForm {
    #[serde(default)]
    product_code: String,
    #[serde(default)]
    unit_price: String,
    /// The components' amounts, `c<kind>`.
    #[serde(flatten)]
    amounts: HashMap<String, String>,
}

#[tracing::instrument(skip_all)]
async fn set_price(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<PriceForm>) -> PageResult {
    let typed = Typed {
        product_code: f.product_code.clone(),
        unit_price: f.unit_price.trim().to_owned(),
        amounts: COMPONENT_KINDS
            .iter()
            .map(|k| (*k as i32, f.amounts.get(&format!("c{}", *k as i32)).map(|a| a.trim().to_owned()).unwrap_or_default()))
            .collect(),
    };
    let components = COMPONENT_KINDS
        .iter()
        .filter_map(|k| {
            let amount = api_decimal(typed.amounts.get(&(*k as i32)).map_or("", String::as_str));
            (!amount.is_empty()).then_some(pb::CostComponent { kind: *k as i32, amount })
        })
        .collect();
    let price = pb::Price { product_code: f.product_code.clone(), unit_price: api_decimal(&f.unit_price), components };
    let request = pb::SetListPriceRequest { price_list_id: id.clone(), price: Some(price) };
    match s.pricing().set_list_price(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/price-lists/{id}#p-{}", f.product_code)).into_response()),
        Err(status) => {
            let mut form = FormError::from_call(status, &page.i)?;
            form.messages.insert(0, format!("{}: {}", f.product_code, page.i.t("price-not-saved")));
            price_list_page(&s, &page, id, form, ListTyped::Price(typed)).await
        }
    }
}

#[derive(Deserialize, Default)]
struct TransitionForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    approved_on: String,
    #[serde(default)]
    reference: String,
}

#[tracing::instrument(skip_all)]
async fn transition(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<TransitionForm>) -> PageResult {
    let to = pb::PriceListStatus::from_str_name(&format!("PRICE_LIST_STATUS_{}", f.to.to_uppercase())).unwrap_or_default();
    let request = pb::TransitionPriceListRequest {
        id: id.clone(),
        to: to as i32,
        group_approved_on: parse_form_date(&f.approved_on),
        group_approval_ref: f.reference.clone(),
    };
    match s.pricing().transition_price_list(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/price-lists/{id}")).into_response()),
        Err(status) => {
            let mut form = FormError::from_call(status, &page.i)?;
            // The approval form names its fields `approved_on` and `reference`.
            for (field, _) in &mut form.fields {
                *field = field.replace("group_approved_on", "approved_on").replace("group_approval_ref", "reference");
            }
            price_list_page(&s, &page, id, form, ListTyped::Approval(f)).await
        }
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
        .route("/portal/price-changes", get(super::changes::price_changes).post(super::changes::propose_change))
        .route("/portal/price-changes/{id}/decision", post(super::changes::decide_change))
}

#[cfg(test)]
mod tests {
    use super::parts;
    use crate::i18n::I18n;
    use kumppani_proto::pricing::v1 as pb;

    fn price() -> pb::ResolvedPrice {
        pb::ResolvedPrice {
            unit_price: "4.0000".into(),
            components: vec![
                pb::CostComponent { kind: pb::CostComponentKind::RawMaterials as i32, amount: "1.4880".into() },
                pb::CostComponent { kind: pb::CostComponentKind::Labour as i32, amount: "2.5120".into() },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn component_shares_are_in_the_languages_style() {
        let fi = parts(&I18n::new("fi"), &price());
        assert_eq!(fi[0].share, "37,2\u{a0}%");
        assert_eq!(fi[0].amount, "1,488");
        assert_eq!(fi[0].share_css, "37.2", "the bar's width keeps the point");
        let sv = parts(&I18n::new("sv"), &price());
        assert_eq!(sv[1].share, "62,8\u{a0}%");
        let en = parts(&I18n::new("en"), &price());
        assert_eq!(en[1].share, "62.8%");
        assert_eq!(en[1].amount, "2.512");
    }
}
