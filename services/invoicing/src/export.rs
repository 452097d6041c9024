//! Export to the city group's billing (konsernin laskutus): one batch per
//! issued run (and one per credit note, which is issued on its own), written to a sink with a manifest, then acknowledged invoice by
//! invoice by the group's billing system (a system client with the
//! `billing:export` grant and nothing else).
//!
//! * The batch holds, per invoice, its e-invoice (Peppol BIS 3.0 when the
//!   customer has a Peppol id, else Finvoice 3.0) and its PDF, and
//!   `manifest.json`: the period, the invoice count, the sum, and every
//!   file's name, size and SHA-256.
//! * The sink ([`sink::ExportSink`], chosen once at start-up) is a directory
//!   (`KUMPPANI_EXPORT_SINK=dir:/path`, or the older `KUMPPANI_EXPORT_DIR`;
//!   default the temporary directory's `kumppani-exports`; on Kubernetes a
//!   mounted volume the group's transfer picks up) or the group billing's
//!   SFTP server (`KUMPPANI_EXPORT_SINK=sftp://user@host:port/dir` with the
//!   client key and the server's host key, which is required: an unknown
//!   host key is refused). Either way every file is written under a
//!   temporary name and renamed, the manifest last, so a reader never sees a
//!   half-written batch.
//! * The batch is recorded as exported only after its last file (the
//!   manifest) is in place: a failed upload (unreachable server, refused
//!   login, wrong host key) is an `Unavailable` error and the transaction
//!   rolls back.
//! * Exporting a run again rewrites the same names with the same bytes (the
//!   documents are rendered from the immutable issued invoices).

mod sftp;
pub mod sink;

use crate::PRODUCER;
use crate::documents::{self, Context, Format};
use crate::store::invoices as inv;
use kumppani_platform::auth::{Principal, grants};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Violations, id_arg};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::invoicing::v1 as pb;
use rust_decimal::Decimal;
use sha2::Digest;
use sink::ExportSink;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct FileEntry {
    name: String,
    sha256: String,
    bytes: i64,
    invoice: Uuid,
}

/// What a batch carries: an issued run's invoices, or one credit note (issued on its own).
enum Source {
    Run(Uuid),
    CreditNote(Uuid),
}

/// Writes (or rewrites) the batch of an issued run to `sink`, then records it
/// (in the caller's transaction, so a failed upload records nothing); returns its id.
pub async fn export_run(conn: &mut PgConnection, p: &Principal, run_id: &str, sink: &ExportSink) -> Result<Uuid, AppError> {
    p.require_enterprise()?;
    let run = id_arg("run_id", run_id)?;
    let r = inv::run(&mut *conn, run).await?.ok_or_else(|| AppError::not_found("run"))?;
    if r.status != "issued" {
        return Err(AppError::precondition("only an issued run can be exported: issue it first"));
    }
    let filter = inv::InvoiceFilter { customer: None, year: None, month: None, status: None, run: Some(run), after: None, limit: 100_000 };
    let mut invoices = inv::invoices(&mut *conn, &filter).await?;
    invoices.sort_by(|a, b| a.number.cmp(&b.number));
    // The whole run id: its first characters are a UUIDv7's clock, the same for
    // two runs started within about a minute, whose batches would share a folder.
    let folder = format!("{}-{:02}-{}", r.year, r.month, run.simple());
    write_batch(conn, p, sink, Source::Run(run), &folder, (r.year, r.month), &invoices).await
}

/// Writes (or rewrites) the batch of one issued credit note (its own folder
/// `YYYY-MM-credit-<number>`), then records it like a run's.
pub async fn export_credit_note(conn: &mut PgConnection, p: &Principal, invoice_id: &str, sink: &ExportSink) -> Result<Uuid, AppError> {
    p.require_enterprise()?;
    let id = id_arg("invoice_id", invoice_id)?;
    let note = inv::invoice(&mut *conn, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    if note.kind != "credit_note" {
        return Err(AppError::precondition("only a credit note is exported on its own; an invoice travels in its run's batch"));
    }
    let Some(number) = note.number.clone() else {
        return Err(AppError::precondition("the credit note is not issued yet"));
    };
    let folder = format!("{}-{:02}-credit-{number}", note.year, note.month);
    let period = (note.year, note.month);
    write_batch(conn, p, sink, Source::CreditNote(id), &folder, period, std::slice::from_ref(&note)).await
}

async fn write_batch(
    conn: &mut PgConnection,
    p: &Principal,
    sink: &ExportSink,
    source: Source,
    folder: &str,
    (year, month): (i32, i32),
    invoices: &[inv::InvoiceRow],
) -> Result<Uuid, AppError> {
    let (column, source_id) = match source {
        Source::Run(id) => ("run_id", id),
        Source::CreditNote(id) => ("credit_note_id", id),
    };
    let existing: Option<(Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT id FROM export_batches WHERE {column} = $1")))
        .bind(source_id)
        .fetch_optional(&mut *conn)
        .await?;
    let batch = existing.map_or_else(Uuid::now_v7, |(id,)| id);
    let mut out = sink.open(folder).await?;
    let mut files: Vec<FileEntry> = Vec::new();
    let mut total = Decimal::ZERO;
    for invoice in invoices {
        let rows = inv::rows(&mut *conn, invoice.id, None).await?;
        let items = inv::items(&mut *conn, invoice.id).await?;
        let original = match invoice.credited_invoice_id {
            Some(o) => inv::invoice(&mut *conn, o).await?.and_then(|o| Some((o.number?, o.issue_date?))),
            None => None,
        };
        let c = Context { invoice, rows: &rows, items: &items, original };
        let e_invoice = if invoice.buyer().billing.peppol_id.is_empty() { Format::Finvoice } else { Format::Peppol };
        for format in [e_invoice, Format::Pdf] {
            let doc = documents::render(&c, format)?;
            out.put(&doc.file_name, &doc.content).await?;
            files.push(FileEntry {
                sha256: format!("{:x}", sha2::Sha256::digest(&doc.content)),
                bytes: i64::try_from(doc.content.len()).unwrap_or(i64::MAX),
                name: doc.file_name,
                invoice: invoice.id,
            });
        }
        total += invoice.total;
    }
    let mut manifest = serde_json::json!({
        "batch": batch,
        "period": format!("{year}-{month:02}"),
        "invoice_count": invoices.len(),
        "total": crate::domain::money::fmt_cents(total),
        "files": files.iter().map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256, "bytes": f.bytes})).collect::<Vec<_>>(),
    });
    manifest[if column == "run_id" { "run" } else { "credit_note" }] = serde_json::json!(source_id);
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::internal(e.to_string()))?;
    out.put("manifest.json", &bytes).await?;
    let location = out.location();
    out.finish().await;
    kumppani_platform::actors::remember_actor(&mut *conn, p).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO export_batches (id, {column}, location, files, exported_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ({column}) DO UPDATE SET location = $3, files = $4"
    )))
    .bind(batch)
    .bind(source_id)
    .bind(location)
    .bind(serde_json::to_value(&files).unwrap_or_default())
    .bind(&p.subject)
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = invoices.iter().filter(|i| i.status != "draft").map(|i| i.id).collect();
    sqlx::query("UPDATE invoices SET export_batch_id = $1, export_status = coalesce(export_status, 'exported') WHERE id = ANY($2)")
        .bind(batch)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    Ok(batch)
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: Uuid,
    run_id: Option<Uuid>,
    credit_note_id: Option<Uuid>,
    year: i32,
    month: i32,
    location: String,
    files: serde_json::Value,
    exported_at: chrono::DateTime<chrono::Utc>,
    exported_by: String,
}

#[derive(sqlx::FromRow)]
struct ExportedRow {
    id: Uuid,
    number: Option<String>,
    buyer: serde_json::Value,
    total: Decimal,
    export_status: Option<String>,
    export_reason: Option<String>,
    acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn status(s: Option<&str>) -> i32 {
    (match s {
        Some("accepted") => pb::ExportStatus::Accepted,
        Some("rejected") => pb::ExportStatus::Rejected,
        Some(_) => pb::ExportStatus::Exported,
        None => pb::ExportStatus::Unspecified,
    }) as i32
}

/// Who reads export batches: staff and the group's billing.
fn check_reader(p: &Principal) -> Result<(), AppError> {
    if p.is_enterprise() || p.has_grant(grants::BILLING_EXPORT) {
        Ok(())
    } else {
        Err(AppError::denied("export batches are for the enterprise's staff and the group's billing (grant billing:export)"))
    }
}

async fn batch_proto(conn: &mut PgConnection, b: BatchRow) -> Result<pb::ExportBatch, AppError> {
    let files: Vec<FileEntry> = serde_json::from_value(b.files).unwrap_or_default();
    let invoices: Vec<ExportedRow> = sqlx::query_as(
        "SELECT id, number, buyer, total, export_status, export_reason, acknowledged_at FROM invoices WHERE export_batch_id = $1 ORDER BY number",
    )
    .bind(b.id)
    .fetch_all(&mut *conn)
    .await?;
    let names = kumppani_platform::actors::actor_names(&mut *conn, &[b.exported_by.as_str()]).await?;
    let total: Decimal = invoices.iter().map(|i| i.total).sum();
    Ok(pb::ExportBatch {
        id: b.id.to_string(),
        run_id: b.run_id.map(|r| r.to_string()).unwrap_or_default(),
        credit_note_id: b.credit_note_id.map(|r| r.to_string()).unwrap_or_default(),
        year: b.year,
        month: b.month,
        location: b.location,
        invoice_count: i32::try_from(invoices.len()).unwrap_or(i32::MAX),
        total: crate::domain::money::fmt_cents(total),
        files: files.iter().map(|f| pb::ExportFile { name: f.name.clone(), sha256: f.sha256.clone(), bytes: f.bytes }).collect(),
        invoices: invoices
            .into_iter()
            .map(|i| {
                let buyer: crate::domain::Buyer = serde_json::from_value(i.buyer).unwrap_or_default();
                pb::ExportedInvoice {
                    invoice_id: i.id.to_string(),
                    number: i.number.unwrap_or_default(),
                    customer_name: if buyer.unit_name.is_empty() {
                        buyer.customer_name
                    } else {
                        format!("{}, {}", buyer.customer_name, buyer.unit_name)
                    },
                    total: crate::domain::money::fmt_cents(i.total),
                    status: status(i.export_status.as_deref()),
                    reason: i.export_reason.unwrap_or_default(),
                    acknowledged_at: i.acknowledged_at.and_then(kumppani_platform::convert::timestamp),
                    files: files.iter().filter(|f| f.invoice == i.id).map(|f| f.name.clone()).collect(),
                }
            })
            .collect(),
        exported_at: kumppani_platform::convert::timestamp(b.exported_at),
        exported_by_name: names.get(&b.exported_by).cloned().unwrap_or_default(),
        exported_by: b.exported_by,
    })
}

const BATCH_COLS: &str = "b.id, b.run_id, b.credit_note_id, coalesce(r.year, c.year) AS year, coalesce(r.month, c.month) AS month,
     b.location, b.files, b.exported_at, b.exported_by";
/// A batch with its period: from its run, or from its credit note.
const BATCH_FROM: &str = "export_batches b LEFT JOIN runs r ON r.id = b.run_id LEFT JOIN invoices c ON c.id = b.credit_note_id";

pub async fn get(conn: &mut PgConnection, p: &Principal, id: &str) -> Result<pb::ExportBatch, AppError> {
    check_reader(p)?;
    let id = id_arg("id", id)?;
    let row: BatchRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {BATCH_COLS} FROM {BATCH_FROM} WHERE b.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("export batch"))?;
    batch_proto(conn, row).await
}

pub async fn list(conn: &mut PgConnection, p: &Principal, year: i32) -> Result<Vec<pb::ExportBatch>, AppError> {
    check_reader(p)?;
    let rows: Vec<BatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLS} FROM {BATCH_FROM}
         WHERE $1::int = 0 OR coalesce(r.year, c.year) = $1 ORDER BY 4 DESC, 5 DESC, b.exported_at DESC LIMIT 500"
    )))
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(batch_proto(&mut *conn, r).await?);
    }
    Ok(out)
}

/// Records the group's answer per invoice (all or nothing; an answer may be
/// repeated, a changed answer replaces the earlier one) and announces each.
pub async fn acknowledge(tx: &mut PgConnection, p: &Principal, r: pb::AcknowledgeExportRequest) -> Result<pb::ExportBatch, AppError> {
    if !(p.is_enterprise() || p.has_grant(grants::BILLING_EXPORT)) {
        return Err(AppError::denied("only the group's billing (grant billing:export) acknowledges exported invoices"));
    }
    let mut v = Violations::default();
    let batch = v.uuid("batch_id", &r.batch_id, true);
    if r.invoices.is_empty() {
        v.add("invoices", Reason::required());
    }
    if r.invoices.len() > 10_000 {
        v.add("invoices", Reason::new("too_many", "at most 10000 invoices per call").with("max", 10_000));
    }
    let mut answers = Vec::new();
    for (i, a) in r.invoices.iter().enumerate() {
        let id = v.uuid(&format!("invoices[{i}].invoice_id"), &a.invoice_id, true);
        let reason = v.text(&format!("invoices[{i}].reason"), &a.reason, 500, !a.accepted);
        answers.push((id, a.accepted, reason));
    }
    v.finish()?;
    let batch = batch.ok_or_else(|| AppError::invalid("batch_id", Reason::required()))?;
    let exists: Option<(Uuid,)> =
        sqlx::query_as("SELECT id FROM export_batches WHERE id = $1 FOR UPDATE").bind(batch).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(AppError::not_found("export batch"));
    }
    kumppani_platform::actors::remember_actor(&mut *tx, p).await?;
    let mut v = Violations::default();
    for (i, (id, accepted, reason)) in answers.iter().enumerate() {
        let Some(id) = id else { continue };
        let n = sqlx::query(
            "UPDATE invoices SET export_status = $3, export_reason = $4, acknowledged_at = now(), acknowledged_by = $5
             WHERE id = $1 AND export_batch_id = $2",
        )
        .bind(id)
        .bind(batch)
        .bind(if *accepted { "accepted" } else { "rejected" })
        .bind(if *accepted { None } else { Some(reason.as_str()) })
        .bind(&p.subject)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            v.add(format!("invoices[{i}].invoice_id"), Reason::unknown_reference("is not an invoice of this batch"));
        }
    }
    v.finish()?;
    let row: BatchRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {BATCH_COLS} FROM {BATCH_FROM} WHERE b.id = $1")))
        .bind(batch)
        .fetch_one(&mut *tx)
        .await?;
    let out = batch_proto(&mut *tx, row).await?;
    for (id, accepted, _) in &answers {
        let Some(id) = id.map(|u| u.to_string()) else { continue };
        let Some(invoice) = out.invoices.iter().find(|x| x.invoice_id == id) else { continue };
        let event = pb::ExportAcknowledgementEvent { batch_id: out.id.clone(), invoice: Some(invoice.clone()) };
        let kind = if *accepted { "invoicing.export.acknowledged" } else { "invoicing.export.rejected" };
        emit(&mut *tx, PRODUCER, kind, &event).await?;
    }
    Ok(out)
}
