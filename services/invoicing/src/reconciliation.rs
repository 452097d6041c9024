//! Year-end reconciliation (Liite 2): per customer, service line, product and
//! site, the budgeted quantities (ordering's budgets, projected from
//! `ordering.budget.set`) against what was delivered and what was invoiced,
//! the difference in quantity and euros, and whose risk it is: over-use is
//! the customer's, under-use the producer's.
//!
//! * The budget is pro-rated by calendar days up to `as_of` (rounded down),
//!   the rule ordering's budget usage uses
//!   ([`kumppani_platform::calendar::BudgetPeriod`]); on the year's last day the
//!   whole budget counts.
//! * Delivered: the latest version of every delivery of the service days up to
//!   `as_of`. Invoiced: delivered and correction rows of issued invoices less
//!   credit notes, by service day (`from_day`) — so "delivered − invoiced" is
//!   what is still to be billed.
//! * A difference is valued at the site's average invoiced unit price of the
//!   product, else the customer's, else the price in force on `as_of` (the
//!   shared price rule); amounts are rounded to cents per site and product and
//!   summed from those, so every total is the sum of the rows shown.
//! * It has no invoice effect: staff add an adjustment line when the
//!   agreement says the difference is billed or credited.

use crate::domain::money::{fmt_cents, fmt_price, fmt_quantity, round_cents};
use crate::store;
use kumppani_platform::auth::{Principal, Role, grants};
use kumppani_platform::calendar::BudgetPeriod;
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, Reason};
use kumppani_price_rules::PriceBook;
use kumppani_proto::invoicing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What one site and product add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub budgeted: i64,
    pub delivered: i64,
    pub invoiced: Decimal,
    pub invoiced_amount: Decimal,
}

/// A product as the reconciliation shows it.
#[derive(Debug, Clone, Default)]
pub struct ProductInfo {
    pub name: String,
    pub service_line: String,
    pub unit: String,
}

/// The pure part: rows per site and product, totals per product, sums of over- and under-use.
pub struct Computed {
    pub sites: Vec<pb::ReconciliationRow>,
    pub products: Vec<pb::ReconciliationRow>,
    pub over_use: Decimal,
    pub under_use: Decimal,
}

fn risk(difference: i64) -> pb::Risk {
    match difference.signum() {
        1 => pb::Risk::Customer,
        -1 => pb::Risk::Producer,
        _ => pb::Risk::None,
    }
}

fn average(amount: Decimal, quantity: Decimal) -> Option<Decimal> {
    (!quantity.is_zero()).then(|| (amount / quantity).round_dp(4))
}

/// Computes the reconciliation from the figures per (site, product).
/// `price_in_force` values a difference nothing has been invoiced for yet.
pub fn compute(
    period: &BudgetPeriod,
    figures: &BTreeMap<(Uuid, String), Figures>,
    site_names: &HashMap<Uuid, String>,
    products: &HashMap<String, ProductInfo>,
    price_in_force: impl Fn(&str, Uuid) -> Option<Decimal>,
) -> Computed {
    // The customer's average invoiced price per product: a site with nothing invoiced is valued at it.
    let mut per_product: BTreeMap<&str, Figures> = BTreeMap::new();
    for ((_, product), f) in figures {
        let t = per_product.entry(product.as_str()).or_default();
        t.budgeted += f.budgeted;
        t.delivered += f.delivered;
        t.invoiced += f.invoiced;
        t.invoiced_amount += f.invoiced_amount;
    }
    let row = |site: Option<Uuid>, product: &str, f: &Figures, price: Decimal, amount: Decimal| {
        let info = products.get(product).cloned().unwrap_or_default();
        let to_date = period.to_date(f.budgeted);
        let difference = f.delivered - to_date;
        pb::ReconciliationRow {
            service_line: info.service_line,
            product_code: product.to_owned(),
            product_name: if info.name.is_empty() { product.to_owned() } else { info.name },
            unit: info.unit,
            site_id: site.map(|s| s.to_string()).unwrap_or_default(),
            site_name: site.and_then(|s| site_names.get(&s).cloned()).unwrap_or_default(),
            budgeted: f.budgeted,
            budgeted_to_date: to_date,
            delivered: f.delivered,
            invoiced: fmt_quantity(f.invoiced),
            invoiced_amount: fmt_cents(f.invoiced_amount),
            difference,
            unit_price: fmt_price(price),
            difference_amount: fmt_cents(amount),
            risk: risk(difference) as i32,
        }
    };
    let mut sites = Vec::with_capacity(figures.len());
    let mut amounts: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut to_dates: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut over_use, mut under_use) = (Decimal::ZERO, Decimal::ZERO);
    for ((site, product), f) in figures {
        let price = average(f.invoiced_amount, f.invoiced)
            .or_else(|| per_product.get(product.as_str()).and_then(|t| average(t.invoiced_amount, t.invoiced)))
            .or_else(|| price_in_force(product, *site))
            .unwrap_or_default();
        let to_date = period.to_date(f.budgeted);
        let difference = f.delivered - to_date;
        let amount = round_cents(Decimal::from(difference) * price);
        *amounts.entry(product.as_str()).or_default() += amount;
        *to_dates.entry(product.as_str()).or_default() += to_date;
        if amount.is_sign_positive() {
            over_use += amount;
        } else {
            under_use -= amount;
        }
        sites.push(row(Some(*site), product, f, price, amount));
    }
    let mut products_out: Vec<pb::ReconciliationRow> = per_product
        .iter()
        .map(|(product, t)| {
            let amount = amounts.get(product).copied().unwrap_or_default();
            let price = average(t.invoiced_amount, t.invoiced).unwrap_or_default();
            let mut r = row(None, product, t, price, amount);
            // The product's difference is the sum of its sites' (each pro-rated and rounded down on its own).
            r.budgeted_to_date = to_dates.get(product).copied().unwrap_or_default();
            r.difference = t.delivered - r.budgeted_to_date;
            r.risk = risk(r.difference) as i32;
            r
        })
        .collect();
    products_out.sort_by(|a, b| (&a.service_line, &a.product_name).cmp(&(&b.service_line, &b.product_name)));
    sites.sort_by(|a, b| (&a.service_line, &a.product_name, &a.site_name).cmp(&(&b.service_line, &b.product_name, &b.site_name)));
    Computed { sites, products: products_out, over_use, under_use }
}

fn year_bounds(v: &mut Violations, year: i32, as_of: Option<chrono::NaiveDate>) -> Option<BudgetPeriod> {
    if !(2000..=2100).contains(&year) {
        v.add("year", Reason::out_of_range(2000, 2100));
        return None;
    }
    let today = kumppani_platform::convert::today_helsinki();
    let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31)?;
    let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?;
    // A day outside the year counts as its edge: after it, the whole year; before it, nothing yet.
    let as_of = as_of.unwrap_or_else(|| last.min(today)).clamp(first, last);
    BudgetPeriod::new(year, as_of)
}

/// The reconciliation of a customer's year (a site user: their own site's part).
pub async fn reconciliation(
    conn: &mut PgConnection,
    p: &Principal,
    r: &pb::GetReconciliationRequest,
) -> Result<pb::Reconciliation, AppError> {
    let mut v = Violations::default();
    let customer = v.uuid("customer_id", &r.customer_id, true);
    let as_of = v.date("as_of", r.as_of.as_ref(), false);
    let period = year_bounds(&mut v, r.year, as_of);
    v.finish()?;
    let (Some(customer), Some(period)) = (customer, period) else { return Err(AppError::invalid("customer_id", Reason::required())) };
    p.require_grant(&[grants::INVOICES_READ])?;
    if !p.within_customer(customer) {
        return Err(AppError::not_found("customer"));
    }
    let only_site =
        if p.role == Role::SiteUser { Some(p.site_id.ok_or_else(|| AppError::denied("a site user without a site"))?) } else { None };
    let year = r.year;
    let from = period.start;
    let to = period.as_of;

    let mut figures: BTreeMap<(Uuid, String), Figures> = BTreeMap::new();
    let budgets: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT site_id, product_code, quantity FROM budgets WHERE customer_id = $1 AND year = $2 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(customer)
    .bind(year)
    .bind(only_site)
    .fetch_all(&mut *conn)
    .await?;
    for (site, product, q) in budgets {
        figures.entry((site, product)).or_default().budgeted = q;
    }
    let delivered: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT site_id, product_code, sum(quantity)::bigint FROM deliveries
         WHERE customer_id = $1 AND service_day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR site_id = $4) GROUP BY 1, 2",
    )
    .bind(customer)
    .bind(from)
    .bind(to)
    .bind(only_site)
    .fetch_all(&mut *conn)
    .await?;
    for (site, product, q) in delivered {
        figures.entry((site, product)).or_default().delivered = q;
    }
    let invoiced: Vec<(Uuid, String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT r.site_id, r.product_code, sum(r.quantity), sum(r.amount) FROM invoice_rows r JOIN invoices v ON v.id = r.invoice_id
         WHERE v.customer_id = $1 AND v.year BETWEEN $2 - 1 AND $2 + 1 AND v.status <> 'draft' AND r.kind IN ('delivered', 'correction')
           AND r.site_id IS NOT NULL AND r.from_day BETWEEN $3 AND $4 AND ($5::uuid IS NULL OR r.site_id = $5)
         GROUP BY 1, 2",
    )
    .bind(customer)
    .bind(year)
    .bind(from)
    .bind(to)
    .bind(only_site)
    .fetch_all(&mut *conn)
    .await?;
    for (site, product, q, amount) in invoiced {
        let f = figures.entry((site, product)).or_default();
        f.invoiced = q;
        f.invoiced_amount = amount;
    }

    let registry = store::registry(&mut *conn, Some(customer)).await?;
    let customer_name = registry.customers.get(&customer).map(|c| c.name.clone()).unwrap_or_default();
    let site_names: HashMap<Uuid, String> = registry.sites.iter().map(|(id, s)| (*id, s.name.clone())).collect();
    let products: HashMap<String, ProductInfo> =
        sqlx::query_as::<_, (String, String, String, String)>("SELECT code, name, service_line, unit FROM products")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(code, name, service_line, unit)| (code, ProductInfo { name, service_line, unit }))
            .collect();
    let book: PriceBook = store::price_book(&mut *conn, year, &registry).await?;
    let c = compute(&period, &figures, &site_names, &products, |product, site| {
        book.resolve(product, site, to).ok().map(|r| r.price.unit_price)
    });
    Ok(pb::Reconciliation {
        customer_id: customer.to_string(),
        customer_name,
        year,
        as_of: Some(to.into()),
        year_complete: to == chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(to),
        products: c.products,
        sites: c.sites,
        over_use_amount: fmt_cents(c.over_use),
        under_use_amount: fmt_cents(c.under_use),
    })
}

impl crate::service::Invoicing {
    #[tracing::instrument(skip_all)]
    pub async fn reconciliation(&self, p: &Principal, r: &pb::GetReconciliationRequest) -> Result<pb::Reconciliation, AppError> {
        let mut conn = self.pool.acquire().await?;
        reconciliation(&mut conn, p, r).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn reconciliation_csv(&self, p: &Principal, r: &pb::GetReconciliationRequest) -> Result<pb::InvoiceDocument, AppError> {
        csv(&self.reconciliation(p, r).await?)
    }
}

/// The header row of the reconciliation CSV.
pub const CSV_COLUMNS: [&str; 14] = [
    "service_line",
    "site",
    "product_code",
    "product_name",
    "budgeted",
    "budgeted_to_date",
    "delivered",
    "invoiced",
    "invoiced_amount",
    "difference",
    "unit_price",
    "difference_amount",
    "risk",
    "as_of",
];

/// The reconciliation as CSV: UTF-8, one row per site and product, decimals with a dot.
pub fn csv(r: &pb::Reconciliation) -> Result<pb::InvoiceDocument, AppError> {
    let err = |e: ::csv::Error| AppError::internal(format!("reconciliation CSV: {e}"));
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).map_err(err)?;
    let as_of = r.as_of.as_ref().and_then(kumppani_proto::r#type::v1::Date::to_naive).map(|d| d.to_string()).unwrap_or_default();
    for s in &r.sites {
        let risk = match pb::Risk::try_from(s.risk) {
            Ok(pb::Risk::Customer) => "customer",
            Ok(pb::Risk::Producer) => "producer",
            _ => "none",
        };
        w.write_record([
            s.service_line.as_str(),
            &s.site_name,
            &s.product_code,
            &s.product_name,
            &s.budgeted.to_string(),
            &s.budgeted_to_date.to_string(),
            &s.delivered.to_string(),
            &s.invoiced,
            &s.invoiced_amount,
            &s.difference.to_string(),
            &s.unit_price,
            &s.difference_amount,
            risk,
            &as_of,
        ])
        .map_err(err)?;
    }
    let content = w.into_inner().map_err(|e| AppError::internal(format!("reconciliation CSV: {e}")))?;
    let name: String = r.customer_name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Ok(pb::InvoiceDocument { file_name: format!("tasaus-{}-{name}.csv", r.year), content_type: "text/csv; charset=utf-8".into(), content })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn over_use_is_the_customers_and_under_use_the_producers_at_the_invoiced_price() {
        let year_end = BudgetPeriod::new(2026, chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()).unwrap();
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut f = BTreeMap::new();
        // a: 1,000 budgeted, 1,100 delivered and invoiced at 4.00 → over-use 100 × 4.00.
        f.insert((a, "LOUNAS".to_owned()), Figures { budgeted: 1000, delivered: 1100, invoiced: d("1100"), invoiced_amount: d("4400.00") });
        // b: 1,000 budgeted, 900 delivered, 850 invoiced at 3.90 → under-use 100 × 3.90.
        f.insert((b, "LOUNAS".to_owned()), Figures { budgeted: 1000, delivered: 900, invoiced: d("850"), invoiced_amount: d("3315.00") });
        // c: delivered without an invoice yet: valued at the customer's average (7715 / 1950).
        f.insert((c, "LOUNAS".to_owned()), Figures { budgeted: 10, delivered: 13, ..Figures::default() });
        let out = compute(&year_end, &f, &HashMap::new(), &HashMap::new(), |_, _| Some(d("9.99")));
        assert_eq!(out.sites[0].difference_amount, "400.00");
        assert_eq!(out.sites[0].risk, pb::Risk::Customer as i32);
        assert_eq!(out.sites[1].difference_amount, "-390.00");
        assert_eq!(out.sites[1].risk, pb::Risk::Producer as i32);
        let avg = (d("7715.00") / d("1950")).round_dp(4);
        assert_eq!(out.sites[2].unit_price, fmt_price(avg));
        assert_eq!(out.sites[2].difference_amount, fmt_cents(round_cents(avg * d("3"))));
        assert_eq!(out.over_use, d("400.00") + round_cents(avg * d("3")));
        assert_eq!(out.under_use, d("390.00"));
        let p = &out.products[0];
        assert_eq!((p.budgeted, p.delivered, p.difference), (2010, 2013, 3));
        let sum: Decimal = out.sites.iter().map(|s| d(&s.difference_amount)).sum();
        assert_eq!(d(&p.difference_amount), sum, "the product's amount is the sum of its sites'");
    }

    #[test]
    fn before_year_end_the_budget_counts_pro_rata_and_the_price_in_force_values_the_uninvoiced() {
        // 30.6.2026: 181 of 365 days.
        let mid = BudgetPeriod::new(2026, chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).unwrap();
        let a = Uuid::from_u128(1);
        let mut f = BTreeMap::new();
        f.insert((a, "SIIVOUS-H".to_owned()), Figures { budgeted: 365, delivered: 200, ..Figures::default() });
        let out = compute(&mid, &f, &HashMap::new(), &HashMap::new(), |p, _| (p == "SIIVOUS-H").then(|| d("38.50")));
        let s = &out.sites[0];
        assert_eq!((s.budgeted_to_date, s.difference), (181, 19));
        assert_eq!(s.difference_amount, "731.50");
        // No budget at all: everything delivered is over-use; nothing delivered of a budget: all under-use.
        let mut f = BTreeMap::new();
        f.insert((a, "X".to_owned()), Figures { delivered: 5, ..Figures::default() });
        f.insert((a, "Y".to_owned()), Figures { budgeted: 365, ..Figures::default() });
        let out = compute(&mid, &f, &HashMap::new(), &HashMap::new(), |_, _| None);
        assert_eq!((out.sites[0].difference, out.sites[1].difference), (5, -181));
        assert_eq!(out.over_use, Decimal::ZERO, "no price known: valued at zero, not guessed");
    }
}
