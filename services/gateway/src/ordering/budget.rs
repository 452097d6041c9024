//! The budget page: budgeted (määrärvot) vs delivered quantities to date and
//! what they are worth in euros at the prices in force (over-use is the
//! customer's risk, under-use the producer's). Without a year asked for it
//! opens on the nearest year that has budgets; products by name.

use super::week::date_param;
use crate::i18n::I18n;
use crate::page::{Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use kumppani_platform::calendar;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::pricing::v1 as pricing;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::str::FromStr;

/// The catalogue's product names by code (the code when the catalogue cannot be read).
pub(super) async fn product_names(s: &AppState, page: &Page) -> Result<HashMap<String, String>, PageError> {
    let products = s.pricing().list_products(page.grpc(pricing::ListProductsRequest {})?).await?.into_inner().products;
    Ok(products.into_iter().map(|p| (p.code, p.name)).collect())
}

/// Euros to the cent in the language's style: "723 468,50 €" (fi, sv), "€723,468.50" (en).
pub(super) fn euros(i: &I18n, v: Decimal) -> String {
    let v = v.round_dp(2);
    let cents = (v.abs().fract() * Decimal::from(100)).round();
    let whole = i.integer(i64::try_from(v.trunc().abs()).unwrap_or(0));
    let whole = if v < Decimal::ZERO { format!("−{whole}") } else { whole };
    if i.lang == "en" { format!("€{whole}.{cents:02}").replacen("€−", "−€", 1) } else { format!("{whole},{cents:02}\u{a0}€") }
}

/// A budget row as shown: counts grouped, euros at the unit price (when one is in force).
struct Row {
    site: String,
    product: String,
    budgeted: String,
    to_date: String,
    delivered: String,
    difference: String,
    /// "over" | "under" | "".
    kind: &'static str,
    to_date_eur: String,
    delivered_eur: String,
    difference_eur: String,
}

#[derive(Template)]
#[template(path = "ordering/budget.html")]
struct BudgetPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    customer: String,
    year: i32,
    as_of: String,
    rows: Vec<Row>,
    /// Delivered / budgeted to date, difference; in euros the same.
    totals: (String, String, String),
    totals_eur: (String, String, String),
}

#[derive(Deserialize, Default)]
pub(super) struct BudgetParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    as_of: String,
}

async fn usage(s: &AppState, page: &Page, customer: &str, year: i32, as_of: Option<NaiveDate>) -> Result<Vec<pb::BudgetUsage>, PageError> {
    let request = pb::GetBudgetUsageRequest { customer_id: customer.to_owned(), year, as_of: as_of.map(pb::Date::from) };
    Ok(s.ordering().get_budget_usage(page.grpc(request)?).await?.into_inner().usage)
}

/// Unit prices by (product, site) in force on `day` (rows without a price are left out).
async fn unit_prices(
    s: &AppState,
    page: &Page,
    rows: &[pb::BudgetUsage],
    day: NaiveDate,
) -> Result<HashMap<(String, String), Decimal>, PageError> {
    let mut lookups: Vec<pricing::PriceLookup> = rows
        .iter()
        .map(|r| pricing::PriceLookup { product_code: r.product_code.clone(), site_id: r.site_id.clone(), service_day: Some(day.into()) })
        .collect();
    lookups.sort_by(|a, b| (&a.product_code, &a.site_id).cmp(&(&b.product_code, &b.site_id)));
    lookups.dedup();
    if lookups.is_empty() {
        return Ok(HashMap::new());
    }
    let prices = s.pricing().resolve_prices(page.grpc(pricing::ResolvePricesRequest { lookups })?).await?.into_inner().prices;
    Ok(prices
        .into_iter()
        .filter(|p| p.error.is_empty())
        .filter_map(|p| {
            let l = p.lookup?;
            Some(((l.product_code, l.site_id), Decimal::from_str(&p.unit_price).ok()?))
        })
        .collect())
}

/// Budgeted vs delivered quantities to date, and their worth in euros.
#[tracing::instrument(skip_all)]
pub(super) async fn budget(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<BudgetParams>) -> PageResult {
    let i = &page.i;
    let customer =
        if page.session.is_staff() { p.customer.clone() } else { page.session.customer_id.map(|c| c.to_string()).unwrap_or_default() };
    if customer.is_empty() {
        return Err(PageError::Missing("budget-pick-customer"));
    }
    let as_of = date_param(&p.as_of);
    let this_year = calendar::today().year();
    // Without a year asked for: this year, else the next, else the last that has budgets.
    let candidates = match p.year {
        Some(y) => vec![y],
        None => vec![this_year, this_year + 1, this_year - 1],
    };
    let (mut year, mut rows) = (candidates[0], Vec::new());
    for y in candidates {
        rows = usage(&s, &page, &customer, y, as_of).await?;
        year = y;
        if !rows.is_empty() {
            break;
        }
    }
    if rows.is_empty() {
        year = p.year.unwrap_or(this_year);
    }
    // Prices of the day the figures are for, within the year.
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let price_day = as_of.unwrap_or_else(calendar::today).clamp(first, last);
    let prices = unit_prices(&s, &page, &rows, price_day).await?;
    let names = product_names(&s, &page).await?;
    let eur = |q: i64, price: Option<&Decimal>| price.map_or_else(|| "–".to_owned(), |p| euros(i, Decimal::from(q) * p));
    let signed = |q: i64| if q > 0 { format!("+{}", i.integer(q)) } else { i.integer(q) };
    let (mut t_eur, mut sums) = ((Decimal::ZERO, Decimal::ZERO), (0i64, 0i64));
    let shown: Vec<Row> = rows
        .iter()
        .map(|r| {
            let price = prices.get(&(r.product_code.clone(), r.site_id.clone()));
            sums = (sums.0 + r.delivered_to_date, sums.1 + r.budgeted_to_date);
            if let Some(p) = price {
                t_eur = (t_eur.0 + Decimal::from(r.delivered_to_date) * p, t_eur.1 + Decimal::from(r.budgeted_to_date) * p);
            }
            Row {
                site: r.site_name.clone(),
                product: names.get(&r.product_code).cloned().unwrap_or_else(|| r.product_code.clone()),
                budgeted: i.integer(r.budgeted),
                to_date: i.integer(r.budgeted_to_date),
                delivered: i.integer(r.delivered_to_date),
                difference: signed(r.difference),
                kind: if r.difference > 0 {
                    "over"
                } else if r.difference < 0 {
                    "under"
                } else {
                    ""
                },
                to_date_eur: eur(r.budgeted_to_date, price),
                delivered_eur: eur(r.delivered_to_date, price),
                difference_eur: eur(r.difference, price),
            }
        })
        .collect();
    let totals = (i.integer(sums.0), i.integer(sums.1), signed(sums.0 - sums.1));
    let totals_eur = (euros(i, t_eur.0), euros(i, t_eur.1), euros(i, t_eur.0 - t_eur.1));
    let as_of = as_of.map(|d| d.to_string()).unwrap_or_default();
    Ok(render(StatusCode::OK, &BudgetPage { l: &page.l, i, customer, year, as_of, rows: shown, totals, totals_eur }))
}

#[cfg(test)]
mod tests {
    use super::euros;
    use crate::i18n::I18n;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn euros_are_shown_to_the_cent_with_grouped_thousands() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        let (fi, en) = (I18n::new("fi"), I18n::new("en"));
        assert_eq!(euros(&fi, d("723468.5")), "723\u{a0}468,50\u{a0}€");
        assert_eq!(euros(&fi, d("3.8560")), "3,86\u{a0}€");
        assert_eq!(euros(&fi, d("-1250.004")), "−1\u{a0}250,00\u{a0}€");
        assert_eq!(euros(&fi, d("-0.5")), "−0,50\u{a0}€");
        assert_eq!(euros(&en, d("1234567.891")), "€1,234,567.89");
        assert_eq!(euros(&en, d("-12")), "−€12.00");
    }
}
