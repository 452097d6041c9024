//! Invoice questions in the portal: asking about an invoice or one of its rows
//! (on the invoice page), and the staff's queue with the answer forms and the
//! questions-per-month figure (a partnership KPI).

use super::portal::month_name;
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use kumppani_proto::invoicing::v1 as pb;
use serde::Deserialize;

/// A question as shown on a page.
pub(super) struct ShownQuestion {
    pub q: pb::InvoiceQuestion,
    pub asked: String,
    pub answered: String,
    pub open: bool,
}

pub(super) fn shown(i: &I18n, questions: Vec<pb::InvoiceQuestion>) -> Vec<ShownQuestion> {
    questions
        .into_iter()
        .map(|q| ShownQuestion {
            asked: format!("{}, {}", i.day_of(&q.asked_at), i.person(&q.asked_by_name)),
            answered: if q.answer.is_empty() {
                String::new()
            } else {
                format!("{}, {}", i.day_of(&q.answered_at), i.person(&q.answered_by_name))
            },
            open: q.status == pb::QuestionStatus::Open as i32,
            q,
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub(super) struct AskForm {
    #[serde(default)]
    pub line_no: String,
    #[serde(default)]
    pub question: String,
}

/// Asks about the invoice (or the chosen row); back to the invoice's questions.
#[tracing::instrument(skip_all)]
async fn ask(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<AskForm>) -> PageResult {
    let request =
        pb::AskAboutInvoiceRequest { invoice_id: id.clone(), line_no: f.line_no.trim().parse().unwrap_or(0), question: f.question.clone() };
    match s.invoicing().ask_about_invoice(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/invoices/{id}#questions")).into_response()),
        Err(status) => super::portal::invoice_with_question(&s, &page, id, FormError::from_call(status, &page.i)?, f).await,
    }
}

#[derive(Deserialize, Default)]
struct QueueParams {
    #[serde(default)]
    year: Option<i32>,
}

#[derive(Template)]
#[template(path = "invoicing/questions.html")]
struct QueuePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    open: Vec<ShownQuestion>,
    answered: Vec<ShownQuestion>,
    year: i32,
    per_month: Vec<(String, i32)>,
    error: Vec<String>,
}

async fn queue_page(s: &AppState, page: &Page, year: i32, form: FormError) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let r = s
        .invoicing()
        .list_invoice_questions(page.grpc(pb::ListInvoiceQuestionsRequest { year, ..Default::default() })?)
        .await?
        .into_inner();
    let (open, answered): (Vec<ShownQuestion>, Vec<ShownQuestion>) = shown(i, r.questions).into_iter().partition(|q| q.open);
    let per_month = r.per_month.iter().enumerate().map(|(m, n)| (month_name(i, i32::try_from(m).unwrap_or(0) + 1), *n)).collect();
    let l = page.l.at("/portal/invoice-questions");
    Ok(render(form.status, &QueuePage { l: &l, i, open, answered, year: r.year, per_month, error: form.messages }))
}

#[tracing::instrument(skip_all)]
async fn queue(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<QueueParams>) -> PageResult {
    queue_page(&s, &page, p.year.unwrap_or(0), FormError::none()).await
}

#[derive(Deserialize, Default)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
}

#[tracing::instrument(skip_all)]
async fn answer(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<AnswerForm>) -> PageResult {
    page.require_staff()?;
    match s.invoicing().answer_invoice_question(page.grpc(pb::AnswerInvoiceQuestionRequest { id, answer: f.answer })?).await {
        Ok(_) => Ok(Redirect::to("/portal/invoice-questions").into_response()),
        Err(status) => queue_page(&s, &page, 0, FormError::from_call(status, &page.i)?).await,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/invoices/{id}/questions", post(ask))
        .route("/portal/invoice-questions", get(queue))
        .route("/portal/invoice-questions/{id}/answer", post(answer))
}
