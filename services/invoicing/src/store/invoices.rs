//! Runs and invoices: drafts replaced as a whole, issuing with gapless
//! numbers in one transaction, credit notes, and the reads behind the API.

use crate::domain::{Buyer, Draft, Item, Party, Period, Row, RowKind, VatSubtotal};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

type Result<T> = std::result::Result<T, sqlx::Error>;

fn month(p: Period) -> i32 {
    i32::try_from(p.month).unwrap_or(1)
}

/// Starts (or restarts) the month's draft run: a previous draft and its
/// invoices are replaced. Serialized per month by an advisory lock.
pub async fn start_run(tx: &mut PgConnection, period: Period, by: &str) -> Result<Uuid> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('invoicing.run'), $1)")
        .bind(period.year * 100 + month(period))
        .execute(&mut *tx)
        .await?;
    let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM runs WHERE year = $1 AND month = $2 AND status = 'draft'")
        .bind(period.year)
        .bind(month(period))
        .fetch_optional(&mut *tx)
        .await?;
    if let Some((id,)) = existing {
        sqlx::query("DELETE FROM invoices WHERE run_id = $1 AND status = 'draft'").bind(id).execute(&mut *tx).await?;
        sqlx::query("UPDATE runs SET started_at = now(), started_by = $2, problems = '[]' WHERE id = $1")
            .bind(id)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        return Ok(id);
    }
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO runs (id, year, month, status, started_by) VALUES ($1, $2, $3, 'draft', $4)")
        .bind(id)
        .bind(period.year)
        .bind(month(period))
        .bind(by)
        .execute(&mut *tx)
        .await?;
    Ok(id)
}

pub async fn set_problems(tx: &mut PgConnection, run: Uuid, problems: &[String]) -> Result<()> {
    sqlx::query("UPDATE runs SET problems = $2 WHERE id = $1").bind(run).bind(serde_json::json!(problems)).execute(tx).await?;
    Ok(())
}

/// Writes a party's draft invoice with its rows and items; the manual lines it
/// carries point at it.
#[allow(clippy::too_many_arguments)]
pub async fn insert_draft(
    tx: &mut PgConnection,
    run: Uuid,
    period: Period,
    party: Party,
    buyer: &Buyer,
    draft: &Draft,
    changes: &serde_json::Value,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let language = if buyer.billing.language.is_empty() { "fi" } else { buyer.billing.language.as_str() };
    sqlx::query(
        "INSERT INTO invoices (id, run_id, kind, status, customer_id, unit_id, year, month, buyer, language, net, vat, total, vat_breakdown, changes)
         VALUES ($1, $2, 'invoice', 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(run)
    .bind(party.customer)
    .bind(party.unit)
    .bind(period.year)
    .bind(month(period))
    .bind(serde_json::to_value(buyer).unwrap_or_default())
    .bind(language)
    .bind(draft.net)
    .bind(draft.vat_total)
    .bind(draft.total)
    .bind(serde_json::to_value(&draft.vat).unwrap_or_default())
    .bind(changes)
    .execute(&mut *tx)
    .await?;
    insert_rows(tx, id, &draft.rows).await?;
    insert_items(tx, id, &draft.items).await?;
    let manual: Vec<Uuid> = draft.rows.iter().filter_map(|r| r.manual_line).collect();
    sqlx::query("UPDATE manual_lines SET invoice_id = $1 WHERE id = ANY($2)").bind(id).bind(&manual).execute(&mut *tx).await?;
    Ok(id)
}

async fn insert_rows(tx: &mut PgConnection, invoice: Uuid, rows: &[Row]) -> Result<()> {
    for chunk in rows.chunks(2000) {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO invoice_rows (invoice_id, line_no, kind, site_id, site_name, product_code, product_name, unit, quantity, unit_price, amount,
             vat_category, vat_rate, from_day, to_day, components, price_source, description, supplier, supplier_invoice_number, reason,
             original_invoice_id, pro_rata, manual_line_id) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(invoice)
                .push_bind(r.line_no)
                .push_bind(r.kind.unwrap_or(RowKind::Delivered).as_str())
                .push_bind(r.site)
                .push_bind(&r.site_name)
                .push_bind(&r.product_code)
                .push_bind(&r.product_name)
                .push_bind(&r.unit)
                .push_bind(r.quantity)
                .push_bind(r.unit_price)
                .push_bind(r.amount)
                .push_bind(&r.vat_category)
                .push_bind(r.vat_rate)
                .push_bind(r.from)
                .push_bind(r.to)
                .push_bind(serde_json::to_value(&r.components).unwrap_or_default())
                .push_bind(&r.price_source)
                .push_bind(&r.description)
                .push_bind(&r.supplier)
                .push_bind(&r.supplier_invoice_number)
                .push_bind(&r.reason)
                .push_bind(r.original_invoice)
                .push_bind(&r.pro_rata)
                .push_bind(r.manual_line);
        });
        qb.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// The items of an invoice, one `invoice_item_sets` row per invoice row
/// (its items as parallel arrays, ordered by day, diet and delivery), in
/// statements of at most 4,000 rows (12 parameters each).
async fn insert_items(tx: &mut PgConnection, invoice: Uuid, items: &[Item]) -> Result<()> {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| (a.line_no, a.day, &a.diet, a.delivery).cmp(&(b.line_no, b.day, &b.diet, b.delivery)));
    let sets: Vec<&[&Item]> = sorted.chunk_by(|a, b| a.line_no == b.line_no).collect();
    for chunk in sets.chunks(4000) {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO invoice_item_sets (invoice_id, line_no, first_day, last_day, delivery_ids, delivery_versions, service_days, diets,
             quantities, unit_prices, billed_before, reasons) ",
        );
        qb.push_values(chunk, |mut b, set| {
            let first = set.iter().map(|i| i.day).min();
            let last = set.iter().map(|i| i.day).max();
            b.push_bind(invoice)
                .push_bind(set[0].line_no)
                .push_bind(first)
                .push_bind(last)
                .push_bind(set.iter().map(|i| i.delivery).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.version).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.day).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.diet.clone()).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.quantity).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.unit_price).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.billed_before).collect::<Vec<_>>())
                .push_bind(set.iter().map(|i| i.reason.clone()).collect::<Vec<_>>());
        });
        qb.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// The next number of a series in a year: taken in the caller's transaction,
/// so a rollback gives it back and the series stays gapless.
async fn next_seq(tx: &mut PgConnection, series: &str, year: i32) -> Result<i32> {
    let (seq,): (i32,) = sqlx::query_as(
        "INSERT INTO number_series (series, year, last) VALUES ($1, $2, 1)
         ON CONFLICT (series, year) DO UPDATE SET last = number_series.last + 1 RETURNING last",
    )
    .bind(series)
    .bind(year)
    .fetch_one(tx)
    .await?;
    Ok(seq)
}

/// What issuing needs to number one invoice.
pub struct Numbering {
    pub issue_date: NaiveDate,
    /// Invoice number → (Finnish reference, RF reference).
    pub reference: fn(&str) -> (String, String),
}

/// Issues every draft of the run (numbers in customer-name order); a run
/// already issued is left as it is. Returns the invoices issued now.
pub async fn issue_run(tx: &mut PgConnection, run: Uuid, by: &str, numbering: &Numbering) -> Result<Option<Vec<Uuid>>> {
    let status: Option<(String,)> =
        sqlx::query_as("SELECT status FROM runs WHERE id = $1 FOR UPDATE").bind(run).fetch_optional(&mut *tx).await?;
    match status {
        None => return Ok(None),
        Some((s,)) if s == "issued" => return Ok(Some(Vec::new())),
        Some(_) => {}
    }
    let drafts: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT id, buyer FROM invoices WHERE run_id = $1 AND status = 'draft'
         ORDER BY buyer->>'customer_name', buyer->>'unit_name', id FOR UPDATE",
    )
    .bind(run)
    .fetch_all(&mut *tx)
    .await?;
    let mut issued = Vec::with_capacity(drafts.len());
    for (id, buyer) in drafts {
        let buyer: Buyer = serde_json::from_value(buyer).unwrap_or_default();
        number_one(tx, id, false, &buyer, by, numbering).await?;
        issued.push(id);
    }
    sqlx::query("UPDATE runs SET status = 'issued', issued_at = now(), issued_by = $2 WHERE id = $1")
        .bind(run)
        .bind(by)
        .execute(&mut *tx)
        .await?;
    Ok(Some(issued))
}

async fn number_one(tx: &mut PgConnection, id: Uuid, credit: bool, buyer: &Buyer, by: &str, n: &Numbering) -> Result<()> {
    use chrono::Datelike;
    let year = n.issue_date.year();
    let seq = next_seq(tx, if credit { "credit_note" } else { "invoice" }, year).await?;
    let number = crate::domain::invoice_number(year, credit, seq);
    let (reference, rf) = (n.reference)(&number);
    let terms = if buyer.billing.payment_terms_days > 0 { buyer.billing.payment_terms_days } else { 14 };
    let due = n.issue_date + chrono::Duration::days(i64::from(terms));
    sqlx::query(
        "UPDATE invoices SET status = 'issued', series = $2, number_year = $3, seq = $4, number = $5, reference = $6, reference_rf = $7,
                issue_date = $8, due_date = $9, issued_at = now(), issued_by = $10
         WHERE id = $1",
    )
    .bind(id)
    .bind(if credit { "credit_note" } else { "invoice" })
    .bind(year)
    .bind(seq)
    .bind(&number)
    .bind(reference)
    .bind(rf)
    .bind(n.issue_date)
    .bind(due)
    .bind(by)
    .execute(tx)
    .await?;
    Ok(())
}

/// Credits a whole issued invoice: a credit note with the rows negated, its
/// own number, referring to the original; the original's manual lines wait
/// for the next invoice again. Crediting twice returns the same credit note.
pub enum Credit {
    Created(Uuid),
    Existing(Uuid),
    NotFound,
    NotIssued,
}

pub async fn credit(tx: &mut PgConnection, original: Uuid, reason: &str, by: &str, n: &Numbering) -> Result<Credit> {
    let row: Option<(String, String, Option<Uuid>, serde_json::Value)> =
        sqlx::query_as("SELECT kind, status, credit_note_id, buyer FROM invoices WHERE id = $1 FOR UPDATE")
            .bind(original)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((kind, status, credit_note, buyer)) = row else { return Ok(Credit::NotFound) };
    if let Some(c) = credit_note {
        return Ok(Credit::Existing(c));
    }
    if kind != "invoice" || status != "issued" {
        return Ok(Credit::NotIssued);
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO invoices (id, run_id, kind, status, customer_id, unit_id, year, month, buyer, language, net, vat, total, vat_breakdown,
                               changes, credited_invoice_id, credit_reason)
         SELECT $1, NULL, 'credit_note', 'draft', customer_id, unit_id, year, month, buyer, language, -net, -vat, -total,
                (SELECT coalesce(jsonb_agg(jsonb_set(jsonb_set(e, '{taxable}', to_jsonb(-(e->>'taxable')::numeric)), '{vat}', to_jsonb(-(e->>'vat')::numeric))), '[]')
                   FROM jsonb_array_elements(vat_breakdown) e),
                '[]', id, $2
         FROM invoices WHERE id = $3",
    )
    .bind(id)
    .bind(reason)
    .bind(original)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO invoice_rows (invoice_id, line_no, kind, site_id, site_name, product_code, product_name, unit, quantity, unit_price, amount,
             vat_category, vat_rate, from_day, to_day, components, price_source, description, supplier, supplier_invoice_number, reason,
             original_invoice_id, pro_rata, manual_line_id)
         SELECT $1, line_no, kind, site_id, site_name, product_code, product_name, unit, -quantity, unit_price, -amount,
             vat_category, vat_rate, from_day, to_day, components, price_source, description, supplier, supplier_invoice_number, reason,
             $2, pro_rata, NULL
         FROM invoice_rows WHERE invoice_id = $2",
    )
    .bind(id)
    .bind(original)
    .execute(&mut *tx)
    .await?;
    let buyer: Buyer = serde_json::from_value(buyer).unwrap_or_default();
    number_one(tx, id, true, &buyer, by, n).await?;
    sqlx::query("UPDATE invoices SET status = 'credited', credit_note_id = $2 WHERE id = $1")
        .bind(original)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE manual_lines SET invoice_id = NULL WHERE invoice_id = $1").bind(original).execute(&mut *tx).await?;
    Ok(Credit::Created(id))
}

/// An invoice's header as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub run_id: Option<Uuid>,
    pub kind: String,
    pub status: String,
    pub customer_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub year: i32,
    pub month: i32,
    pub number: Option<String>,
    pub reference: Option<String>,
    pub reference_rf: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub buyer: serde_json::Value,
    pub language: String,
    pub net: Decimal,
    pub vat: Decimal,
    pub total: Decimal,
    pub vat_breakdown: serde_json::Value,
    pub changes: serde_json::Value,
    pub credited_invoice_id: Option<Uuid>,
    pub credited_invoice_number: Option<String>,
    pub credit_note_id: Option<Uuid>,
    pub credit_reason: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub issued_by: Option<String>,
}

impl InvoiceRow {
    pub fn buyer(&self) -> Buyer {
        serde_json::from_value(self.buyer.clone()).unwrap_or_default()
    }
    pub fn vat_breakdown(&self) -> Vec<VatSubtotal> {
        serde_json::from_value(self.vat_breakdown.clone()).unwrap_or_default()
    }
}

const INVOICE_COLS: &str =
    "v.id, v.run_id, v.kind, v.status, v.customer_id, v.unit_id, v.year, v.month, v.number, v.reference, v.reference_rf,
     v.issue_date, v.due_date, v.buyer, v.language, v.net, v.vat, v.total, v.vat_breakdown, v.changes, v.credited_invoice_id,
     o.number AS credited_invoice_number, v.credit_note_id, v.credit_reason, v.issued_at, v.issued_by";

pub async fn invoice(conn: &mut PgConnection, id: Uuid) -> Result<Option<InvoiceRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVOICE_COLS} FROM invoices v LEFT JOIN invoices o ON o.id = v.credited_invoice_id WHERE v.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct InvoiceFilter {
    pub customer: Option<Uuid>,
    pub year: Option<i32>,
    pub month: Option<i32>,
    pub status: Option<String>,
    pub run: Option<Uuid>,
    /// Keyset: (year, month, id) of the last invoice of the previous page.
    pub after: Option<(i32, i32, Uuid)>,
    pub limit: i64,
}

/// Newest month first, then by customer name.
pub async fn invoices(conn: &mut PgConnection, f: &InvoiceFilter) -> Result<Vec<InvoiceRow>> {
    let (ay, am, aid) = f.after.map_or((None, None, None), |(y, m, id)| (Some(y), Some(m), Some(id)));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVOICE_COLS} FROM invoices v LEFT JOIN invoices o ON o.id = v.credited_invoice_id
         WHERE ($1::uuid IS NULL OR v.customer_id = $1) AND ($2::int IS NULL OR v.year = $2) AND ($3::int IS NULL OR v.month = $3)
           AND ($4::text IS NULL OR v.status = $4) AND ($5::uuid IS NULL OR v.run_id = $5)
           AND ($6::int IS NULL OR (v.year, v.month, v.id) < ($6, $7, $8))
         ORDER BY v.year DESC, v.month DESC, v.id DESC LIMIT $9"
    )))
    .bind(f.customer)
    .bind(f.year)
    .bind(f.month)
    .bind(&f.status)
    .bind(f.run)
    .bind(ay)
    .bind(am)
    .bind(aid)
    .bind(f.limit)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RowRow {
    pub line_no: i32,
    pub kind: String,
    pub site_id: Option<Uuid>,
    pub site_name: String,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub vat_category: String,
    pub vat_rate: Decimal,
    pub from_day: Option<NaiveDate>,
    pub to_day: Option<NaiveDate>,
    pub components: serde_json::Value,
    pub price_source: String,
    pub description: String,
    pub supplier: String,
    pub supplier_invoice_number: String,
    pub reason: String,
    pub original_invoice_number: Option<String>,
    pub pro_rata: String,
}

pub async fn rows(conn: &mut PgConnection, invoice: Uuid, site: Option<Uuid>) -> Result<Vec<RowRow>> {
    sqlx::query_as(
        "SELECT r.line_no, r.kind, r.site_id, r.site_name, r.product_code, r.product_name, r.unit, r.quantity, r.unit_price, r.amount,
                r.vat_category, r.vat_rate, r.from_day, r.to_day, r.components, r.price_source, r.description, r.supplier,
                r.supplier_invoice_number, r.reason, o.number AS original_invoice_number, r.pro_rata
         FROM invoice_rows r LEFT JOIN invoices o ON o.id = r.original_invoice_id
         WHERE r.invoice_id = $1 AND ($2::uuid IS NULL OR r.site_id = $2) ORDER BY r.line_no",
    )
    .bind(invoice)
    .bind(site)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub line_no: i32,
    pub delivery_id: Uuid,
    pub delivery_version: i32,
    pub service_day: NaiveDate,
    pub diet: String,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub billed_before: i32,
    pub reason: String,
}

pub async fn items(conn: &mut PgConnection, invoice: Uuid) -> Result<Vec<ItemRow>> {
    sqlx::query_as(
        "SELECT s.line_no, x.delivery_id, x.delivery_version, x.service_day, x.diet, x.quantity, x.unit_price, x.billed_before, x.reason
         FROM invoice_item_sets s
         CROSS JOIN LATERAL unnest(s.delivery_ids, s.delivery_versions, s.service_days, s.diets, s.quantities, s.unit_prices,
                                   s.billed_before, s.reasons)
                    AS x(delivery_id, delivery_version, service_day, diet, quantity, unit_price, billed_before, reason)
         WHERE s.invoice_id = $1 ORDER BY s.line_no, x.service_day, x.diet, x.delivery_id",
    )
    .bind(invoice)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub year: i32,
    pub month: i32,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub issued_at: Option<DateTime<Utc>>,
    pub issued_by: Option<String>,
    pub problems: serde_json::Value,
}

pub async fn run(conn: &mut PgConnection, id: Uuid) -> Result<Option<RunRow>> {
    sqlx::query_as("SELECT id, year, month, status, started_at, started_by, issued_at, issued_by, problems FROM runs WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn runs(conn: &mut PgConnection, year: Option<i32>) -> Result<Vec<RunRow>> {
    sqlx::query_as(
        "SELECT id, year, month, status, started_at, started_by, issued_at, issued_by, problems FROM runs
         WHERE $1::int IS NULL OR year = $1 ORDER BY year DESC, month DESC, started_at DESC",
    )
    .bind(year)
    .fetch_all(conn)
    .await
}

/// Last month's total per party (issued invoices), for the run page.
pub async fn totals_of(conn: &mut PgConnection, period: Period) -> Result<std::collections::HashMap<Party, Decimal>> {
    let rows: Vec<(Uuid, Option<Uuid>, Decimal)> = sqlx::query_as(
        "SELECT customer_id, unit_id, total FROM invoices WHERE kind = 'invoice' AND status = 'issued' AND year = $1 AND month = $2",
    )
    .bind(period.year)
    .bind(month(period))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(customer, unit, total)| (Party { customer, unit }, total)).collect())
}
