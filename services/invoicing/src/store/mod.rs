//! SQL of the invoicing service, in three parts: the projection writes
//! ([`projection`]), what a month's drafts are computed from (this module),
//! and runs and invoices ([`invoices`]).

pub mod invoices;
pub mod projection;

use crate::domain::{Billed, Billing, Customer, Delivery, ManualLine, Party, Period, RowKind, Site, Unit, changes::RowSummary};
use chrono::NaiveDate;
use kumppani_price_rules::{ListEntry, OverrideEntry, PriceBook, PriceData, VatRow};
use kumppani_proto::pricing::v1 as pricing;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// The registry as invoicing knows it.
#[derive(Default)]
pub struct Registry {
    pub customers: HashMap<Uuid, Customer>,
    pub units: HashMap<Uuid, Unit>,
    pub sites: HashMap<Uuid, Site>,
}

impl Registry {
    /// The billing details a party's invoice uses.
    pub fn billing(&self, party: &Party) -> Billing {
        let base = self.customers.get(&party.customer).map(|c| c.billing.clone()).unwrap_or_default();
        match party.unit.and_then(|u| self.units.get(&u)) {
            Some(u) => base.with_overrides(&u.billing),
            None => base,
        }
    }
}

pub async fn registry(conn: &mut PgConnection, only_customer: Option<Uuid>) -> Result<Registry> {
    let mut r = Registry::default();
    let rows: Vec<(Uuid, String, String, String, serde_json::Value)> =
        sqlx::query_as("SELECT id, name, kind, business_id, billing FROM customers WHERE $1::uuid IS NULL OR id = $1")
            .bind(only_customer)
            .fetch_all(&mut *conn)
            .await?;
    for (id, name, kind, business_id, billing) in rows {
        let billing = serde_json::from_value(billing).unwrap_or_default();
        r.customers.insert(id, Customer { id, name, kind, business_id, billing });
    }
    let rows: Vec<(Uuid, Uuid, String, serde_json::Value)> =
        sqlx::query_as("SELECT id, customer_id, name, billing FROM units WHERE $1::uuid IS NULL OR customer_id = $1")
            .bind(only_customer)
            .fetch_all(&mut *conn)
            .await?;
    for (id, customer, name, billing) in rows {
        r.units.insert(id, Unit { id, customer, name, billing: serde_json::from_value(billing).unwrap_or_default() });
    }
    let rows: Vec<(Uuid, Uuid, Option<Uuid>, String, Decimal, Option<NaiveDate>, Option<NaiveDate>)> = sqlx::query_as(
        "SELECT id, customer_id, unit_id, name, floor_area_m2, opened_on, closed_on FROM sites WHERE $1::uuid IS NULL OR customer_id = $1",
    )
    .bind(only_customer)
    .fetch_all(&mut *conn)
    .await?;
    for (id, customer, unit, name, floor_area, opened_on, closed_on) in rows {
        r.sites.insert(id, Site { id, customer, unit, name, floor_area, opened_on, closed_on });
    }
    Ok(r)
}

fn price(v: serde_json::Value) -> Option<PriceData> {
    serde_json::from_value(v).ok()
}

/// The price book of a year (lists, overrides, VAT) over the registry's sites.
pub async fn price_book(conn: &mut PgConnection, year: i32, registry: &Registry) -> Result<PriceBook> {
    let mut book = PriceBook::default();
    let products: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT proto FROM products").fetch_all(&mut *conn).await?;
    for (bytes,) in products {
        if let Ok(p) = pricing::Product::decode(bytes.as_slice()) {
            book.products.insert(p.code.clone(), p);
        }
    }
    let lists: Vec<(Uuid, i32, i32, NaiveDate, serde_json::Value)> = sqlx::query_as(
        "SELECT id, year, version, effective_from, prices FROM price_lists WHERE year BETWEEN $1 - 1 AND $1 ORDER BY effective_from, version",
    )
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    for (id, year, version, effective_from, prices) in lists {
        let prices: HashMap<String, PriceData> = serde_json::from_value(prices).unwrap_or_default();
        book.lists.push(ListEntry { id, year, version, effective_from, prices });
    }
    let overrides: Vec<(Uuid, Option<Uuid>, Option<Uuid>, String, NaiveDate, serde_json::Value)> = sqlx::query_as(
        "SELECT id, site_id, customer_id, product_code, effective_from, price FROM price_overrides
         WHERE extract(year FROM effective_from)::int BETWEEN $1 - 1 AND $1 ORDER BY effective_from, received_at",
    )
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    for (id, site, customer, product, effective_from, p) in overrides {
        let Some(p) = price(p) else { continue };
        let entry = OverrideEntry { id, effective_from, price: p };
        match (site, customer) {
            (Some(s), _) => book.site_overrides.entry((s, product)).or_default().push(entry),
            (None, Some(c)) => book.customer_overrides.entry((c, product)).or_default().push(entry),
            _ => {}
        }
    }
    let vat: Vec<(String, Decimal, NaiveDate, Option<NaiveDate>)> =
        sqlx::query_as("SELECT category, rate, valid_from, valid_to FROM vat_rates ORDER BY category, valid_from")
            .fetch_all(&mut *conn)
            .await?;
    book.vat = vat.into_iter().map(|(category, rate, valid_from, valid_to)| VatRow { category, rate, valid_from, valid_to }).collect();
    for s in registry.sites.values() {
        book.site_customer.insert(s.id, s.customer);
    }
    for c in registry.customers.values() {
        book.customer_kind.insert(c.id, c.kind.clone());
    }
    Ok(book)
}

/// Sites whose agreement of the year (signed, active or expired) covers cleaning.
pub async fn cleaning_sites(conn: &mut PgConnection, year: i32) -> Result<HashSet<Uuid>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT s.site FROM agreements a, jsonb_array_elements(a.lines) l, jsonb_array_elements_text(l->'site_ids') s(site)
         WHERE a.year = $1 AND a.status IN ('signed', 'active', 'expired') AND l->>'service_line' = 'cleaning'",
    )
    .bind(year)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(|(s,)| Uuid::parse_str(&s).ok()).collect())
}

/// The month's deliveries and earlier deliveries that may need a correction
/// (changed after the first invoice was issued: corrected, or confirmed late),
/// each with what issued invoices billed of it. Three plain index-driven
/// queries rather than one correlated statement: the month's rows by day, the
/// few later-changed rows by `updated_at`, and what was billed of both.
pub async fn deliveries(
    conn: &mut PgConnection,
    period: Period,
    only_customer: Option<Uuid>,
) -> Result<(Vec<Delivery>, HashMap<Uuid, Billed>)> {
    type DeliveryRow = (Uuid, i32, Uuid, Uuid, NaiveDate, String, String, i32, String);
    let month: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, version, site_id, customer_id, service_day, product_code, diet, quantity, reason FROM deliveries
         WHERE service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR customer_id = $3)",
    )
    .bind(period.first())
    .bind(period.last())
    .bind(only_customer)
    .fetch_all(&mut *conn)
    .await?;
    // Earlier months: only what changed after the first invoice was issued can differ from what was billed.
    let earlier: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, version, site_id, customer_id, service_day, product_code, diet, quantity, reason FROM deliveries
         WHERE updated_at > (SELECT coalesce(min(issued_at), 'infinity') FROM invoices WHERE status IN ('issued', 'credited'))
           AND service_day < $1 AND ($2::uuid IS NULL OR customer_id = $2)",
    )
    .bind(period.first())
    .bind(only_customer)
    .fetch_all(&mut *conn)
    .await?;
    // What issued (not credited) invoices billed: of the month's days, and of the earlier rows.
    let earlier_ids: Vec<Uuid> = earlier.iter().map(|r| r.0).collect();
    let billed_rows: Vec<(Uuid, i64, Option<Uuid>)> = sqlx::query_as(
        "SELECT x.delivery_id, sum(x.quantity), (array_agg(s.invoice_id ORDER BY v.issued_at DESC))[1]
         FROM invoice_item_sets s
         JOIN invoices v ON v.id = s.invoice_id AND v.status = 'issued'
         CROSS JOIN LATERAL unnest(s.delivery_ids, s.quantities, s.service_days) AS x(delivery_id, quantity, service_day)
         WHERE ((s.last_day >= $1 AND s.first_day <= $2) OR s.delivery_ids && $3::uuid[])
           AND (x.service_day BETWEEN $1 AND $2 OR x.delivery_id = ANY($3))
         GROUP BY x.delivery_id",
    )
    .bind(period.first())
    .bind(period.last())
    .bind(&earlier_ids)
    .fetch_all(&mut *conn)
    .await?;
    // Each earlier month's issued invoice per customer: what a first-time late confirmation corrects.
    let month_invoices: Vec<(Uuid, i32, i32, Uuid)> = sqlx::query_as(
        "SELECT customer_id, year, month, id FROM invoices WHERE kind = 'invoice' AND status = 'issued' AND (year, month) < ($1, $2)",
    )
    .bind(period.year)
    .bind(i32::try_from(period.month).unwrap_or(1))
    .fetch_all(&mut *conn)
    .await?;
    let month_invoice: HashMap<(Uuid, i32, u32), Uuid> =
        month_invoices.into_iter().map(|(c, y, m, id)| ((c, y, u32::try_from(m).unwrap_or(0)), id)).collect();
    let mut billed: HashMap<Uuid, Billed> = billed_rows
        .into_iter()
        .filter_map(|(id, q, inv)| Some((id, Billed { quantity: i32::try_from(q).unwrap_or(i32::MAX), invoice: inv? })))
        .collect();
    let mut out = Vec::with_capacity(month.len() + earlier.len());
    for (id, version, site, _customer, day, product, diet, quantity, reason) in month {
        out.push(Delivery { id, version, site, day, product, diet, quantity, reason });
    }
    for (id, version, site, customer, day, product, diet, quantity, reason) in earlier {
        use chrono::Datelike;
        if let std::collections::hash_map::Entry::Vacant(e) = billed.entry(id) {
            // Confirmed after its month was invoiced: corrects that month's invoice; a month
            // never invoiced is billed by its own run.
            let Some(invoice) = month_invoice.get(&(customer, day.year(), day.month())) else { continue };
            e.insert(Billed { quantity: 0, invoice: *invoice });
        }
        out.push(Delivery { id, version, site, day, product, diet, quantity, reason });
    }
    Ok((out, billed))
}

/// Fixed services already billed for the month by an issued invoice.
pub async fn fixed_billed(conn: &mut PgConnection, period: Period) -> Result<HashSet<(Uuid, String)>> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT r.site_id, r.product_code FROM invoice_rows r JOIN invoices v ON v.id = r.invoice_id
         WHERE r.kind = 'fixed' AND v.status = 'issued' AND v.year = $1 AND v.month = $2 AND r.site_id IS NOT NULL",
    )
    .bind(period.year)
    .bind(i32::try_from(period.month).unwrap_or(1))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Manual lines of this month or earlier that no invoice carries yet.
pub async fn open_manual_lines(conn: &mut PgConnection, period: Period, only_customer: Option<Uuid>) -> Result<Vec<ManualLine>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(Uuid, String, Uuid, Option<Uuid>, String, Decimal, Decimal, String, String, String, String)> = sqlx::query_as(
        "SELECT id, kind, customer_id, site_id, description, amount, vat_rate, vat_category, supplier, supplier_invoice_number, reason
         FROM manual_lines WHERE invoice_id IS NULL AND (year, month) <= ($1, $2) AND ($3::uuid IS NULL OR customer_id = $3)
         ORDER BY created_at",
    )
    .bind(period.year)
    .bind(i32::try_from(period.month).unwrap_or(1))
    .bind(only_customer)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, customer, site, description, amount, vat_rate, vat_category, supplier, supplier_invoice_number, reason)| {
            ManualLine {
                id,
                kind: RowKind::parse(&kind).unwrap_or(RowKind::Adjustment),
                customer,
                site,
                description,
                amount,
                vat_rate,
                vat_category,
                supplier,
                supplier_invoice_number,
                reason,
            }
        })
        .collect())
}

/// Parties with an issued invoice for the month.
pub async fn invoiced_parties(conn: &mut PgConnection, period: Period) -> Result<HashSet<Party>> {
    let rows: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT customer_id, unit_id FROM invoices WHERE kind = 'invoice' AND status = 'issued' AND year = $1 AND month = $2",
    )
    .bind(period.year)
    .bind(i32::try_from(period.month).unwrap_or(1))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(customer, unit)| Party { customer, unit }).collect())
}

/// Each party's rows of its issued invoice of the month (for "what changed").
pub async fn issued_rows(conn: &mut PgConnection, period: Period) -> Result<HashMap<Party, Vec<RowSummary>>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(Uuid, Option<Uuid>, String, String, String, Decimal, Decimal, Option<NaiveDate>, String)> = sqlx::query_as(
        "SELECT v.customer_id, v.unit_id, r.site_name, r.product_code, r.product_name, r.unit_price, r.quantity, r.from_day, r.kind
         FROM invoice_rows r JOIN invoices v ON v.id = r.invoice_id
         WHERE v.kind = 'invoice' AND v.status = 'issued' AND v.year = $1 AND v.month = $2",
    )
    .bind(period.year)
    .bind(i32::try_from(period.month).unwrap_or(1))
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<Party, Vec<RowSummary>> = HashMap::new();
    for (customer, unit, site_name, product_code, product_name, unit_price, quantity, from, kind) in rows {
        out.entry(Party { customer, unit }).or_default().push(RowSummary {
            site_name,
            product_code,
            product_name,
            unit_price,
            quantity,
            from,
            kind: RowKind::parse(&kind).unwrap_or(RowKind::Delivered),
        });
    }
    Ok(out)
}

/// The month's invoice date from the billing calendar, or the default rule.
pub async fn invoice_date(conn: &mut PgConnection, period: Period) -> Result<NaiveDate> {
    let row: Option<(NaiveDate,)> = sqlx::query_as("SELECT invoice_date FROM billing_calendar WHERE year = $1 AND month = $2")
        .bind(period.year)
        .bind(i32::try_from(period.month).unwrap_or(1))
        .fetch_optional(conn)
        .await?;
    Ok(row.map_or_else(|| crate::domain::default_invoice_date(period), |(d,)| d))
}
