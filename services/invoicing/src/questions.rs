//! Invoice questions ("ask about this line"): a customer's contact or a site's
//! user asks about an invoice or one of its rows; the question goes to the
//! staff's queue, is answered there, and both sides see its status and answer
//! on the invoice. Questions per month are a partnership KPI (Liite 4).

use crate::PRODUCER;
use crate::store::invoices as inv;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Violations, id_arg};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::invoicing::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: Uuid,
    invoice_id: Uuid,
    number: Option<String>,
    customer_id: Uuid,
    buyer: serde_json::Value,
    line_no: Option<i32>,
    row_text: String,
    site_id: Option<Uuid>,
    question: String,
    asked_by: String,
    asked_at: chrono::DateTime<chrono::Utc>,
    answer: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<chrono::DateTime<chrono::Utc>>,
}

const COLS: &str =
    "q.id, q.invoice_id, v.number, v.customer_id, v.buyer, q.line_no, q.row_text, q.site_id, q.question, q.asked_by, q.asked_at,
     q.answer, q.answered_by, q.answered_at";

async fn protos(conn: &mut PgConnection, rows: Vec<QuestionRow>) -> Result<Vec<pb::InvoiceQuestion>, AppError> {
    let subjects: Vec<&str> = rows.iter().flat_map(|r| [Some(r.asked_by.as_str()), r.answered_by.as_deref()]).flatten().collect();
    let names = kumppani_platform::actors::actor_names(&mut *conn, &subjects).await?;
    let name = |s: &str| names.get(s).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|r| {
            let buyer: crate::domain::Buyer = serde_json::from_value(r.buyer).unwrap_or_default();
            pb::InvoiceQuestion {
                id: r.id.to_string(),
                invoice_id: r.invoice_id.to_string(),
                invoice_number: r.number.unwrap_or_default(),
                customer_id: r.customer_id.to_string(),
                customer_name: buyer.customer_name,
                line_no: r.line_no.unwrap_or(0),
                row_text: r.row_text,
                question: r.question,
                asked_by_name: name(&r.asked_by),
                asked_by: r.asked_by,
                asked_at: kumppani_platform::convert::timestamp(r.asked_at),
                status: if r.answer.is_some() { pb::QuestionStatus::Answered } else { pb::QuestionStatus::Open } as i32,
                answer: r.answer.unwrap_or_default(),
                answered_by_name: r.answered_by.as_deref().map(name).unwrap_or_default(),
                answered_by: r.answered_by.unwrap_or_default(),
                answered_at: r.answered_at.and_then(kumppani_platform::convert::timestamp),
                site_id: r.site_id.map(|s| s.to_string()).unwrap_or_default(),
            }
        })
        .collect())
}

async fn one(conn: &mut PgConnection, id: Uuid) -> Result<pb::InvoiceQuestion, AppError> {
    let rows: Vec<QuestionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM invoice_questions q JOIN invoices v ON v.id = q.invoice_id WHERE q.id = $1"
    )))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    protos(conn, rows).await?.pop().ok_or_else(|| AppError::not_found("question"))
}

/// A question about an issued invoice (or one of its rows) by someone who may read it.
pub async fn ask(tx: &mut PgConnection, p: &Principal, r: pb::AskAboutInvoiceRequest) -> Result<pb::InvoiceQuestion, AppError> {
    if p.role == Role::SystemClient {
        return Err(AppError::denied("questions are asked by people"));
    }
    let mut v = Violations::default();
    let invoice = v.uuid("invoice_id", &r.invoice_id, true);
    let question = v.text("question", &r.question, 2000, true);
    if r.line_no < 0 {
        v.add("line_no", Reason::out_of_range(0, i32::MAX));
    }
    v.finish()?;
    let invoice = invoice.ok_or_else(|| AppError::invalid("invoice_id", Reason::required()))?;
    let row = inv::invoice(&mut *tx, invoice).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    if !p.within_customer(row.customer_id) || row.status == "draft" {
        return Err(AppError::not_found("invoice"));
    }
    let rows = inv::rows(&mut *tx, invoice, None).await?;
    let (row_text, site) = if r.line_no == 0 {
        (String::new(), None)
    } else {
        let x = rows
            .iter()
            .find(|x| x.line_no == r.line_no)
            .ok_or_else(|| AppError::invalid("line_no", Reason::unknown_reference("no such row on this invoice")))?;
        let what = if x.product_name.is_empty() { x.description.clone() } else { x.product_name.clone() };
        (if x.site_name.is_empty() { what } else { format!("{}: {what}", x.site_name) }, x.site_id)
    };
    // A site user asks about their own site's rows (or the invoice as a whole).
    if p.role == Role::SiteUser && site.is_some() && site != p.site_id {
        return Err(AppError::invalid("line_no", Reason::unknown_reference("is not a row of your site")));
    }
    kumppani_platform::actors::remember_actor(&mut *tx, p).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO invoice_questions (id, invoice_id, line_no, row_text, site_id, question, asked_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(invoice)
    .bind((r.line_no != 0).then_some(r.line_no))
    .bind(&row_text)
    .bind(site.or(if p.role == Role::SiteUser { p.site_id } else { None }))
    .bind(&question)
    .bind(&p.subject)
    .execute(&mut *tx)
    .await?;
    let out = one(&mut *tx, id).await?;
    emit(&mut *tx, PRODUCER, "invoicing.question.asked", &pb::InvoiceQuestionEvent { question: Some(out.clone()) }).await?;
    Ok(out)
}

/// Staff answer a question (once; an answer is part of the record).
pub async fn answer(tx: &mut PgConnection, p: &Principal, r: pb::AnswerInvoiceQuestionRequest) -> Result<pb::InvoiceQuestion, AppError> {
    p.require_enterprise()?;
    let id = id_arg("id", &r.id)?;
    let mut v = Violations::default();
    let answer = v.text("answer", &r.answer, 4000, true);
    v.finish()?;
    kumppani_platform::actors::remember_actor(&mut *tx, p).await?;
    let state: Option<(Option<String>,)> =
        sqlx::query_as("SELECT answer FROM invoice_questions WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut *tx).await?;
    match state {
        None => return Err(AppError::not_found("question")),
        Some((Some(_),)) => return Err(AppError::precondition("the question has been answered already")),
        Some((None,)) => {}
    }
    sqlx::query("UPDATE invoice_questions SET answer = $2, answered_by = $3, answered_at = now() WHERE id = $1")
        .bind(id)
        .bind(&answer)
        .bind(&p.subject)
        .execute(&mut *tx)
        .await?;
    let out = one(&mut *tx, id).await?;
    emit(&mut *tx, PRODUCER, "invoicing.question.answered", &pb::InvoiceQuestionEvent { question: Some(out.clone()) }).await?;
    Ok(out)
}

/// Questions in the caller's scope (staff: all; a customer's people: their
/// customer's; a site user: their site's), newest first, and the count of
/// questions per month of the year asked (the KPI).
pub async fn list(
    conn: &mut PgConnection,
    p: &Principal,
    r: pb::ListInvoiceQuestionsRequest,
) -> Result<pb::ListInvoiceQuestionsResponse, AppError> {
    if p.role == Role::SystemClient {
        return Err(AppError::denied("questions are read by people"));
    }
    let mut v = Violations::default();
    let invoice = v.uuid("invoice_id", &r.invoice_id, false);
    let mut customer = v.uuid("customer_id", &r.customer_id, false);
    let status = match pb::QuestionStatus::try_from(r.status) {
        Ok(pb::QuestionStatus::Open) => Some(false),
        Ok(pb::QuestionStatus::Answered) => Some(true),
        _ => None,
    };
    let year = if r.year == 0 { chrono::Datelike::year(&kumppani_platform::convert::today_helsinki()) } else { r.year };
    v.check((2000..=2100).contains(&year), "year", Reason::out_of_range(2000, 2100));
    v.finish()?;
    if let Some(own) = p.customer_scope() {
        if customer.is_some_and(|c| c != own) {
            return Ok(pb::ListInvoiceQuestionsResponse::default());
        }
        customer = Some(own);
    }
    let site = p.site_scope();
    let rows: Vec<QuestionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM invoice_questions q JOIN invoices v ON v.id = q.invoice_id
         WHERE ($1::uuid IS NULL OR q.invoice_id = $1) AND ($2::uuid IS NULL OR v.customer_id = $2)
           AND ($3::bool IS NULL OR (q.answer IS NOT NULL) = $3) AND ($4::uuid IS NULL OR q.site_id = $4)
         ORDER BY q.asked_at DESC LIMIT 500"
    )))
    .bind(invoice)
    .bind(customer)
    .bind(status)
    .bind(site)
    .fetch_all(&mut *conn)
    .await?;
    let counts: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT extract(month FROM q.asked_at AT TIME ZONE 'Europe/Helsinki')::int, count(*)
         FROM invoice_questions q JOIN invoices v ON v.id = q.invoice_id
         WHERE extract(year FROM q.asked_at AT TIME ZONE 'Europe/Helsinki')::int = $1 AND ($2::uuid IS NULL OR v.customer_id = $2)
           AND ($3::uuid IS NULL OR q.site_id = $3)
         GROUP BY 1 ORDER BY 1",
    )
    .bind(year)
    .bind(customer)
    .bind(site)
    .fetch_all(&mut *conn)
    .await?;
    let questions = protos(conn, rows).await?;
    let per_month =
        (1..=12).map(|m| i32::try_from(counts.iter().find(|(x, _)| *x == m).map_or(0, |(_, n)| *n)).unwrap_or(i32::MAX)).collect();
    Ok(pb::ListInvoiceQuestionsResponse { questions, year, per_month })
}
