//! Rows to protos: invoices with their rows and days, runs with their totals
//! per customer, manual lines; names of who did what.

use crate::domain::changes::{self, Change};
use crate::domain::money::{fmt_cents, fmt_price, fmt_quantity};
use crate::domain::{Buyer, Draft, Period, RowKind};
use crate::store::invoices::{self as inv, InvoiceRow, RowRow};
use kumppani_platform::AppError;
use kumppani_platform::actors::actor_names;
use kumppani_platform::convert::timestamp as ts;
use kumppani_proto::invoicing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

fn row_kind(k: &str) -> i32 {
    (match RowKind::parse(k) {
        Some(RowKind::Delivered) => pb::RowKind::Delivered,
        Some(RowKind::Fixed) => pb::RowKind::Fixed,
        Some(RowKind::PassThrough) => pb::RowKind::PassThrough,
        Some(RowKind::Credit) => pb::RowKind::Credit,
        Some(RowKind::Adjustment) => pb::RowKind::Adjustment,
        Some(RowKind::Correction) => pb::RowKind::Correction,
        None => pb::RowKind::Unspecified,
    }) as i32
}

fn status(s: &str) -> i32 {
    (match s {
        "draft" => pb::InvoiceStatus::Draft,
        "issued" => pb::InvoiceStatus::Issued,
        "credited" => pb::InvoiceStatus::Credited,
        _ => pb::InvoiceStatus::Unspecified,
    }) as i32
}

fn components(c: &[(String, Decimal)]) -> Vec<pb::CostComponent> {
    c.iter().map(|(kind, amount)| pb::CostComponent { kind: kind.clone(), amount: fmt_price(*amount) }).collect()
}

fn vat_proto(v: &[crate::domain::VatSubtotal]) -> Vec<pb::VatSubtotal> {
    v.iter()
        .map(|v| pb::VatSubtotal {
            vat_category: v.category.clone(),
            vat_rate: v.rate.normalize().to_string(),
            taxable: fmt_cents(v.taxable),
            vat: fmt_cents(v.vat),
        })
        .collect()
}

fn language(l: &str) -> &str {
    if l.is_empty() { "fi" } else { l }
}

/// An invoice's header and totals (rows as given).
pub fn header(r: &InvoiceRow, rows: &[RowRow]) -> pb::Invoice {
    let buyer = r.buyer();
    let changes: Vec<Change> = serde_json::from_value(r.changes.clone()).unwrap_or_default();
    let lang = language(&r.language).to_owned();
    pb::Invoice {
        id: r.id.to_string(),
        kind: if r.kind == "credit_note" { pb::InvoiceKind::CreditNote } else { pb::InvoiceKind::Invoice } as i32,
        status: status(&r.status),
        run_id: r.run_id.map(|u| u.to_string()).unwrap_or_default(),
        customer_id: r.customer_id.to_string(),
        customer_name: buyer.customer_name.clone(),
        unit_id: r.unit_id.map(|u| u.to_string()).unwrap_or_default(),
        unit_name: buyer.unit_name.clone(),
        year: r.year,
        month: r.month,
        number: r.number.clone().unwrap_or_default(),
        reference: r.reference.clone().unwrap_or_default(),
        reference_rf: r.reference_rf.clone().unwrap_or_default(),
        issue_date: r.issue_date.map(Into::into),
        due_date: r.due_date.map(Into::into),
        payment_terms_days: buyer.billing.payment_terms_days,
        buyer_reference: buyer.billing.buyer_reference.clone(),
        einvoice_address: buyer.billing.einvoice_address.clone(),
        operator_id: buyer.billing.operator_id.clone(),
        peppol_id: buyer.billing.peppol_id.clone(),
        language: lang.clone(),
        net: fmt_cents(r.net),
        vat: fmt_cents(r.vat),
        total: fmt_cents(r.total),
        rows: rows.iter().map(row_proto).collect(),
        vat_breakdown: vat_proto(&r.vat_breakdown()),
        sites: site_totals(rows.iter().map(|x| (x.site_id, x.site_name.as_str(), x.amount))),
        changes: changes.iter().map(|c| changes::words(c, &lang)).collect(),
        credited_invoice_id: r.credited_invoice_id.map(|u| u.to_string()).unwrap_or_default(),
        credited_invoice_number: r.credited_invoice_number.clone().unwrap_or_default(),
        credit_note_id: r.credit_note_id.map(|u| u.to_string()).unwrap_or_default(),
        issued_at: r.issued_at.and_then(ts),
        issued_by: r.issued_by.clone().unwrap_or_default(),
        issued_by_name: String::new(),
    }
}

fn site_totals<'a>(rows: impl Iterator<Item = (Option<Uuid>, &'a str, Decimal)>) -> Vec<pb::SiteSubtotal> {
    let mut out: Vec<(Option<Uuid>, String, Decimal)> = Vec::new();
    for (site, name, amount) in rows {
        if site.is_none() {
            continue;
        }
        match out.iter_mut().find(|(s, _, _)| *s == site) {
            Some(x) => x.2 += amount,
            None => out.push((site, name.to_owned(), amount)),
        }
    }
    out.into_iter()
        .map(|(s, name, amount)| pb::SiteSubtotal {
            site_id: s.map(|u| u.to_string()).unwrap_or_default(),
            site_name: name,
            amount: fmt_cents(amount),
        })
        .collect()
}

fn row_proto(r: &RowRow) -> pb::InvoiceRow {
    let comps: Vec<(String, Decimal)> = serde_json::from_value(r.components.clone()).unwrap_or_default();
    pb::InvoiceRow {
        line_no: r.line_no,
        kind: row_kind(&r.kind),
        site_id: r.site_id.map(|u| u.to_string()).unwrap_or_default(),
        site_name: r.site_name.clone(),
        product_code: r.product_code.clone(),
        product_name: r.product_name.clone(),
        unit: r.unit.clone(),
        quantity: fmt_quantity(r.quantity),
        unit_price: fmt_price(r.unit_price),
        amount: fmt_cents(r.amount),
        vat_category: r.vat_category.clone(),
        vat_rate: r.vat_rate.normalize().to_string(),
        from: r.from_day.map(Into::into),
        to: r.to_day.map(Into::into),
        components: components(&comps),
        price_source: r.price_source.clone(),
        description: r.description.clone(),
        supplier: r.supplier.clone(),
        supplier_invoice_number: r.supplier_invoice_number.clone(),
        reason: r.reason.clone(),
        original_invoice_number: r.original_invoice_number.clone().unwrap_or_default(),
        pro_rata: r.pro_rata.clone(),
        days: Vec::new(),
    }
}

/// An invoice with its rows (one site's when `site` is given) and, when
/// `days`, each row's service days.
pub async fn invoice(conn: &mut PgConnection, id: Uuid, site: Option<Uuid>, days: bool) -> Result<pb::Invoice, AppError> {
    let r = inv::invoice(&mut *conn, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    let rows = inv::rows(&mut *conn, id, site).await?;
    let mut out = header(&r, &rows);
    if site.is_some() {
        // One site's part: its rows; the totals stay the invoice's (the page says so).
        out.changes.clear();
    }
    if days {
        // The items come ordered by line: each row takes its own run of them.
        let items = inv::items(&mut *conn, id).await?;
        let mut by_line: std::collections::HashMap<i32, Vec<&inv::ItemRow>> = std::collections::HashMap::new();
        for i in &items {
            by_line.entry(i.line_no).or_default().push(i);
        }
        for row in &mut out.rows {
            row.days = by_line
                .remove(&row.line_no)
                .unwrap_or_default()
                .into_iter()
                .map(|i| pb::SpecDay {
                    service_day: Some(i.service_day.into()),
                    quantity: i.quantity.to_string(),
                    unit_price: fmt_price(i.unit_price),
                    amount: (Decimal::from(i.quantity) * i.unit_price).normalize().to_string(),
                    delivery_id: i.delivery_id.to_string(),
                    delivery_version: i.delivery_version,
                    diet: i.diet.clone(),
                    billed_before: if row.kind == pb::RowKind::Correction as i32 { i.billed_before.to_string() } else { String::new() },
                    reason: i.reason.clone(),
                })
                .collect();
        }
    }
    if let Some(by) = r.issued_by.as_deref() {
        out.issued_by_name = actor_names(&mut *conn, &[by]).await?.remove(by).unwrap_or_default();
    }
    Ok(out)
}

/// The month-to-date view: an unnumbered, unsaved invoice.
pub fn month_to_date(per: Period, buyer: &Buyer, customer: Uuid, d: &Draft, site: Option<Uuid>) -> pb::Invoice {
    let rows: Vec<RowRow> = d
        .rows
        .iter()
        .filter(|r| site.is_none_or(|s| r.site == Some(s)))
        .map(|r| RowRow {
            line_no: r.line_no,
            kind: r.kind.unwrap_or(RowKind::Delivered).as_str().to_owned(),
            site_id: r.site,
            site_name: r.site_name.clone(),
            product_code: r.product_code.clone(),
            product_name: r.product_name.clone(),
            unit: r.unit.clone(),
            quantity: r.quantity,
            unit_price: r.unit_price,
            amount: r.amount,
            vat_category: r.vat_category.clone(),
            vat_rate: r.vat_rate,
            from_day: r.from,
            to_day: r.to,
            components: serde_json::to_value(&r.components).unwrap_or_default(),
            price_source: r.price_source.clone(),
            description: r.description.clone(),
            supplier: r.supplier.clone(),
            supplier_invoice_number: r.supplier_invoice_number.clone(),
            reason: r.reason.clone(),
            original_invoice_number: None,
            pro_rata: r.pro_rata.clone(),
        })
        .collect();
    let head = InvoiceRow {
        id: Uuid::nil(),
        run_id: None,
        kind: "invoice".into(),
        status: "draft".into(),
        customer_id: customer,
        unit_id: None,
        year: per.year,
        month: per.month as i32,
        number: None,
        reference: None,
        reference_rf: None,
        issue_date: None,
        due_date: None,
        buyer: serde_json::to_value(buyer).unwrap_or_default(),
        language: buyer.billing.language.clone(),
        net: d.net,
        vat: d.vat_total,
        total: d.total,
        vat_breakdown: serde_json::to_value(&d.vat).unwrap_or_default(),
        changes: serde_json::json!([]),
        credited_invoice_id: None,
        credited_invoice_number: None,
        credit_note_id: None,
        credit_reason: None,
        issued_at: None,
        issued_by: None,
    };
    let mut out = header(&head, &rows);
    out.id = String::new();
    out
}

/// A run with its totals per customer and the differences from last month.
pub async fn run(conn: &mut PgConnection, id: Uuid) -> Result<pb::Run, AppError> {
    let r = inv::run(&mut *conn, id).await?.ok_or_else(|| AppError::not_found("run"))?;
    let mut out = run_header(&mut *conn, &r).await?;
    let per = Period::new(r.year, r.month).ok_or_else(|| AppError::internal("run without a valid month"))?;
    let previous = inv::totals_of(&mut *conn, per.prev()).await?;
    let filter = inv::InvoiceFilter { customer: None, year: None, month: None, status: None, run: Some(id), after: None, limit: 100_000 };
    let mut invoices = inv::invoices(&mut *conn, &filter).await?;
    invoices.sort_by_key(|a| (a.buyer().customer_name, a.buyer().unit_name));
    for i in &invoices {
        let b = i.buyer();
        let changes: Vec<Change> = serde_json::from_value(i.changes.clone()).unwrap_or_default();
        let party = crate::domain::Party { customer: i.customer_id, unit: i.unit_id };
        out.customers.push(pb::CustomerTotal {
            customer_id: i.customer_id.to_string(),
            customer_name: b.customer_name.clone(),
            unit_id: i.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            unit_name: b.unit_name.clone(),
            invoice_id: i.id.to_string(),
            net: fmt_cents(i.net),
            vat: fmt_cents(i.vat),
            total: fmt_cents(i.total),
            previous_total: previous.get(&party).map(|t| fmt_cents(*t)).unwrap_or_default(),
            changes: changes.iter().map(|c| changes::words(c, language(&b.billing.language))).collect(),
        });
    }
    Ok(out)
}

/// A run's header with its totals (no per-customer list).
pub async fn run_header(conn: &mut PgConnection, r: &inv::RunRow) -> Result<pb::Run, AppError> {
    let (count, net, vat, total): (i64, Option<Decimal>, Option<Decimal>, Option<Decimal>) =
        sqlx::query_as("SELECT count(*), sum(net), sum(vat), sum(total) FROM invoices WHERE run_id = $1")
            .bind(r.id)
            .fetch_one(&mut *conn)
            .await?;
    let subjects: Vec<&str> = [Some(r.started_by.as_str()), r.issued_by.as_deref()].into_iter().flatten().collect();
    let names = actor_names(&mut *conn, &subjects).await?;
    let name = |s: &str| names.get(s).cloned().unwrap_or_default();
    Ok(pb::Run {
        id: r.id.to_string(),
        year: r.year,
        month: r.month,
        status: if r.status == "issued" { pb::RunStatus::Issued } else { pb::RunStatus::Draft } as i32,
        started_at: ts(r.started_at),
        started_by: r.started_by.clone(),
        started_by_name: name(&r.started_by),
        issued_at: r.issued_at.and_then(ts),
        issued_by: r.issued_by.clone().unwrap_or_default(),
        issued_by_name: r.issued_by.as_deref().map(name).unwrap_or_default(),
        invoice_count: i32::try_from(count).unwrap_or(i32::MAX),
        net: fmt_cents(net.unwrap_or_default()),
        vat: fmt_cents(vat.unwrap_or_default()),
        total: fmt_cents(total.unwrap_or_default()),
        customers: Vec::new(),
        problems: serde_json::from_value(r.problems.clone()).unwrap_or_default(),
    })
}

#[derive(sqlx::FromRow)]
struct ManualRow {
    id: Uuid,
    kind: String,
    customer_id: Uuid,
    customer_name: Option<String>,
    site_id: Option<Uuid>,
    site_name: Option<String>,
    year: i32,
    month: i32,
    description: String,
    amount: Decimal,
    vat_rate: Decimal,
    supplier: String,
    supplier_invoice_number: String,
    reason: String,
    source: String,
    source_ref: String,
    invoice_id: Option<Uuid>,
    invoice_number: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    created_by: String,
}

/// Manual lines: one by id, or by customer, year and month.
pub async fn manual_lines(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    customer: Option<Uuid>,
    year: Option<i32>,
    month: Option<i32>,
) -> Result<Vec<pb::ManualLine>, sqlx::Error> {
    let rows: Vec<ManualRow> = sqlx::query_as(
        "SELECT m.id, m.kind, m.customer_id, c.name AS customer_name, m.site_id, s.name AS site_name, m.year, m.month, m.description,
                m.amount, m.vat_rate, m.supplier, m.supplier_invoice_number, m.reason, m.source, m.source_ref, m.invoice_id,
                v.number AS invoice_number, m.created_at, m.created_by
         FROM manual_lines m LEFT JOIN customers c ON c.id = m.customer_id LEFT JOIN sites s ON s.id = m.site_id
         LEFT JOIN invoices v ON v.id = m.invoice_id
         WHERE ($1::uuid IS NULL OR m.id = $1) AND ($2::uuid IS NULL OR m.customer_id = $2)
           AND ($3::int IS NULL OR m.year = $3) AND ($4::int IS NULL OR m.month = $4)
         ORDER BY m.year DESC, m.month DESC, m.created_at DESC LIMIT 1000",
    )
    .bind(id)
    .bind(customer)
    .bind(year)
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    let subjects: Vec<&str> = rows.iter().map(|r| r.created_by.as_str()).collect();
    let names = actor_names(&mut *conn, &subjects).await?;
    Ok(rows
        .into_iter()
        .map(|r| pb::ManualLine {
            id: r.id.to_string(),
            kind: (match RowKind::parse(&r.kind) {
                Some(RowKind::PassThrough) => pb::ManualLineKind::PassThrough,
                Some(RowKind::Credit) => pb::ManualLineKind::Credit,
                _ => pb::ManualLineKind::Adjustment,
            }) as i32,
            customer_id: r.customer_id.to_string(),
            customer_name: r.customer_name.unwrap_or_default(),
            site_id: r.site_id.map(|u| u.to_string()).unwrap_or_default(),
            site_name: r.site_name.unwrap_or_default(),
            year: r.year,
            month: r.month,
            description: r.description,
            amount: fmt_cents(r.amount),
            vat_rate: r.vat_rate.normalize().to_string(),
            supplier: r.supplier,
            supplier_invoice_number: r.supplier_invoice_number,
            reason: r.reason,
            source: r.source,
            source_ref: r.source_ref,
            invoice_id: r.invoice_id.map(|u| u.to_string()).unwrap_or_default(),
            invoice_number: r.invoice_number.unwrap_or_default(),
            created_at: ts(r.created_at),
            created_by_name: names.get(&r.created_by).cloned().unwrap_or_default(),
            created_by: r.created_by,
        })
        .collect())
}
