//! Portal pages of the annual 9E customer survey: the list (staff create a
//! year's survey there), answering (a Likert scale per statement in fieldsets,
//! optional comments; a rejected answer keeps what was chosen), and the
//! results per dimension with last year's for the trend, bars drawn as SVG in
//! the table (the price pages' approach: the table is the text alternative),
//! per customer, the open answers for staff, and CSV.

use crate::page::{CsrfForm, FormError, FormPairs, Invalid, Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::Datelike;
use kumppani_platform::AppError;
use kumppani_proto::feedback::v1 as pb;
use serde::Deserialize;

/// The nine dimensions in the template's order, by their stored codes.
pub(super) const DIMENSIONS: [&str; 9] =
    ["economy", "efficiency", "aesthetics", "communication", "ethics", "trust", "learning", "energy", "enthusiasm"];

fn dimension(i: &crate::i18n::I18n, code: &str) -> String {
    i.t(&format!("survey-dimension-{code}"))
}

fn text_of<'a>(i: &crate::i18n::I18n, q: &'a pb::SurveyQuestion) -> &'a str {
    match i.lang {
        "sv" => &q.text_sv,
        "en" => &q.text_en,
        _ => &q.text_fi,
    }
}

fn day(d: &Option<kumppani_proto::r#type::v1::Date>) -> String {
    d.as_ref().map(|d| format!("{}.{}.{}", d.day, d.month, d.year)).unwrap_or_default()
}

struct Row {
    id: String,
    year: i32,
    period: String,
    open: bool,
    state: String,
    responses: String,
}

#[derive(Template)]
#[template(path = "feedback/surveys.html")]
struct ListPage<'a> {
    l: &'a Layout,
    i: &'a crate::i18n::I18n,
    rows: Vec<Row>,
    staff: bool,
    form: CreateForm,
    invalid: Invalid,
    error: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
struct CreateForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
}

async fn list_page(s: &AppState, page: &Page, form: CreateForm, err: FormError) -> PageResult {
    let i = &page.i;
    let surveys = s.feedback().list_surveys(page.grpc(pb::ListSurveysRequest {})?).await?.into_inner().surveys;
    let staff = page.session.is_staff();
    let rows = surveys
        .into_iter()
        .map(|x| Row {
            state: if !x.my_answers.is_empty() {
                i.t("survey-answered")
            } else if x.open && x.recipient {
                i.t("survey-not-answered")
            } else if x.open {
                i.t("survey-open")
            } else {
                i.t("survey-closed")
            },
            responses: i
                .t_args("survey-responses", &[("respondents", x.respondents.to_string()), ("recipients", x.recipients.to_string())]),
            period: format!("{} – {}", day(&x.opens_on), day(&x.closes_on)),
            open: x.open && x.recipient,
            id: x.id,
            year: x.year,
        })
        .collect();
    let l = page.l.at("/portal/surveys");
    Ok(render(err.status, &ListPage { l: &l, i, rows, staff, invalid: Invalid::of(&err), error: err.messages, form }))
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page) -> PageResult {
    let year = kumppani_platform::calendar::today().year();
    let form = CreateForm { year: year.to_string(), opens_on: format!("{year}-11-01"), closes_on: format!("{year}-11-30") };
    list_page(&s, &page, form, FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn create(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<CreateForm>) -> PageResult {
    let (Ok(opens), Ok(closes)) = (super::view::date_field(&f.opens_on), super::view::date_field(&f.closes_on)) else {
        let message = page.i.t("field-error-invalid-date");
        return list_page(&s, &page, f, FormError::field("opens_on", message)).await;
    };
    let request = pb::CreateSurveyRequest { year: f.year.trim().parse().unwrap_or(0), opens_on: opens, closes_on: closes };
    match s.feedback().create_survey(page.grpc(request)?).await {
        Ok(x) => Ok(Redirect::to(&format!("/portal/surveys/{}", x.into_inner().id)).into_response()),
        Err(status) => {
            let err = FormError::from_call(status, &page.i)?;
            list_page(&s, &page, f, err).await
        }
    }
}

struct Statement {
    number: i32,
    text: String,
    /// (value, label, checked)
    scale: Vec<(i32, String, bool)>,
    comment: String,
    invalid: bool,
}

struct Group {
    name: String,
    statements: Vec<Statement>,
}

#[derive(Template)]
#[template(path = "feedback/survey.html")]
struct AnswerPage<'a> {
    l: &'a Layout,
    i: &'a crate::i18n::I18n,
    id: String,
    year: i32,
    period: String,
    can_answer: bool,
    answered: bool,
    staff: bool,
    groups: Vec<Group>,
    error: Vec<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct AnswerParams {
    #[serde(default)]
    saved: String,
}

/// The chosen scores and comments: from the form when re-shown, else the stored answers.
async fn answer_page(s: &AppState, page: &Page, id: &str, typed: Option<&FormPairs>, err: FormError, saved: bool) -> PageResult {
    let i = &page.i;
    let x = s.feedback().get_survey(page.grpc(pb::GetSurveyRequest { id: id.to_owned() })?).await?.into_inner();
    let chosen = |q: i32| -> (i32, String) {
        match typed {
            Some(f) => (f.get(&format!("s{q}")).parse().unwrap_or(0), f.get(&format!("c{q}"))),
            None => x.my_answers.iter().find(|a| a.question == q).map(|a| (a.score, a.comment.clone())).unwrap_or_default(),
        }
    };
    let bad: Vec<(String, String)> = err.fields.clone();
    let groups = DIMENSIONS
        .iter()
        .map(|d| Group {
            name: dimension(i, d),
            statements: x
                .questions
                .iter()
                .filter(|q| q.dimension == *d)
                .map(|q| {
                    let (score, comment) = chosen(q.number);
                    Statement {
                        number: q.number,
                        text: text_of(i, q).to_owned(),
                        scale: (1..=5).map(|v| (v, i.t(&format!("survey-scale-{v}")), v == score)).collect(),
                        comment,
                        invalid: typed.is_some() && (score == 0 || bad.iter().any(|(f, _)| f == "answers")),
                    }
                })
                .collect(),
        })
        .collect();
    let l = page.l.at("/portal/surveys");
    let p = AnswerPage {
        l: &l,
        i,
        id: x.id.clone(),
        year: x.year,
        period: format!("{} – {}", day(&x.opens_on), day(&x.closes_on)),
        can_answer: x.open && x.recipient,
        answered: !x.my_answers.is_empty(),
        staff: page.session.is_staff(),
        groups,
        error: err.messages,
        saved,
    };
    Ok(render(err.status, &p))
}

#[tracing::instrument(skip_all)]
async fn survey(State(s): State<AppState>, page: Page, Path(id): Path<String>, PageQuery(p): PageQuery<AnswerParams>) -> PageResult {
    answer_page(&s, &page, &id, None, FormError::none(), !p.saved.is_empty()).await
}

#[tracing::instrument(skip_all)]
async fn answer(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    let x = s.feedback().get_survey(page.grpc(pb::GetSurveyRequest { id: id.clone() })?).await?.into_inner();
    let answers = x
        .questions
        .iter()
        .filter_map(|q| {
            let score: i32 = f.get(&format!("s{}", q.number)).parse().ok()?;
            Some(pb::SurveyAnswer { question: q.number, score, comment: f.get(&format!("c{}", q.number)) })
        })
        .collect();
    match s.feedback().answer_survey(page.grpc(pb::AnswerSurveyRequest { survey_id: id.clone(), answers })?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/surveys/{id}?saved=1")).into_response()),
        Err(status) => {
            let err = FormError::from_call(status, &page.i)?;
            answer_page(&s, &page, &id, Some(&f), err, false).await
        }
    }
}

#[derive(Deserialize, Default)]
struct ResultParams {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
}

struct DimRow {
    name: String,
    average: String,
    previous: String,
    /// Bar width, 0–100 (% of 5).
    bar: String,
    trend: String,
    answers: i64,
}

fn dim_rows(i: &crate::i18n::I18n, dims: &[pb::DimensionResult]) -> Vec<DimRow> {
    let num = |s: &str| s.parse::<f64>().ok();
    dims.iter()
        .map(|d| {
            let (now, then) = (num(&d.average), num(&d.previous_average));
            let trend = match (now, then) {
                (Some(a), Some(b)) if a - b >= 0.05 => i.t("survey-trend-up"),
                (Some(a), Some(b)) if b - a >= 0.05 => i.t("survey-trend-down"),
                (Some(_), Some(_)) => i.t("survey-trend-same"),
                _ => String::new(),
            };
            DimRow {
                name: dimension(i, &d.dimension),
                average: i.number(&d.average),
                previous: i.number(&d.previous_average),
                bar: now.map(|a| format!("{:.0}", a * 20.0)).unwrap_or_else(|| "0".into()),
                trend,
                answers: d.answers,
            }
        })
        .collect()
}

struct CustomerRow {
    name: String,
    responses: String,
    dims: Vec<DimRow>,
}

struct Comment {
    customer: String,
    dimension: String,
    score: i32,
    text: String,
}

#[derive(Template)]
#[template(path = "feedback/survey_results.html")]
struct ResultsPage<'a> {
    l: &'a Layout,
    i: &'a crate::i18n::I18n,
    year: i32,
    years: Vec<i32>,
    response_rate: String,
    responses: String,
    dims: Vec<DimRow>,
    customers: Vec<CustomerRow>,
    comments: Vec<Comment>,
    staff: bool,
    csv: String,
}

async fn results_of(s: &AppState, page: &Page, p: &ResultParams) -> Result<(i32, Vec<i32>, pb::SurveyResults), crate::page::PageError> {
    let surveys = s.feedback().list_surveys(page.grpc(pb::ListSurveysRequest {})?).await?.into_inner().surveys;
    let years: Vec<i32> = surveys.iter().map(|x| x.year).collect();
    let year = p.year.or_else(|| years.first().copied()).unwrap_or_else(|| kumppani_platform::calendar::today().year());
    let customer = if page.session.is_staff() { p.customer.clone() } else { String::new() };
    let r = s.feedback().get_survey_results(page.grpc(pb::GetSurveyResultsRequest { year, customer_id: customer })?).await?.into_inner();
    Ok((year, years, r))
}

#[tracing::instrument(skip_all)]
async fn results(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ResultParams>) -> PageResult {
    let i = &page.i;
    let (year, years, r) = results_of(&s, &page, &p).await?;
    let customers = r
        .customers
        .iter()
        .map(|c| CustomerRow {
            name: c.customer_name.clone(),
            responses: i
                .t_args("survey-responses", &[("respondents", c.respondents.to_string()), ("recipients", c.recipients.to_string())]),
            dims: dim_rows(i, &c.dimensions),
        })
        .collect();
    let comments = r
        .open_answers
        .iter()
        .map(|c| Comment {
            customer: c.customer_name.clone(),
            dimension: dimension(i, &c.dimension),
            score: c.score,
            text: c.comment.clone(),
        })
        .collect();
    let l = page.l.at("/portal/survey-results");
    let p = ResultsPage {
        l: &l,
        i,
        year,
        years,
        response_rate: i.number(&r.response_rate_percent),
        responses: i.t_args("survey-responses", &[("respondents", r.respondents.to_string()), ("recipients", r.recipients.to_string())]),
        dims: dim_rows(i, &r.dimensions),
        customers,
        comments,
        staff: page.session.is_staff(),
        csv: if page.session.is_staff() && !p.customer.is_empty() {
            format!("/portal/survey-results.csv?year={year}&customer={}", p.customer)
        } else {
            format!("/portal/survey-results.csv?year={year}")
        },
    };
    Ok(render(StatusCode::OK, &p))
}

/// Per customer and dimension: this year's and last year's average (semicolons, decimal comma).
#[tracing::instrument(skip_all)]
async fn results_csv(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ResultParams>) -> PageResult {
    let i = &page.i;
    let (year, _, r) = results_of(&s, &page, &p).await?;
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let comma = |v: &str| v.replace('.', ",");
    let mut ok = w
        .write_record([
            i.t("col-customer"),
            i.t("survey-col-dimension"),
            i.t("survey-col-average"),
            i.t("survey-col-previous"),
            i.t("survey-col-answers"),
            i.t("survey-col-respondents"),
            i.t("survey-col-recipients"),
        ])
        .is_ok();
    let all = pb::CustomerSurveyResult {
        customer_name: i.t("survey-all-customers"),
        recipients: r.recipients,
        respondents: r.respondents,
        dimensions: r.dimensions.clone(),
        ..Default::default()
    };
    for c in std::iter::once(&all).chain(r.customers.iter()) {
        for d in &c.dimensions {
            ok &= w
                .write_record([
                    c.customer_name.clone(),
                    dimension(i, &d.dimension),
                    comma(&d.average),
                    comma(&d.previous_average),
                    d.answers.to_string(),
                    c.respondents.to_string(),
                    c.recipients.to_string(),
                ])
                .is_ok();
        }
    }
    let body = w.into_inner().unwrap_or_default();
    if !ok {
        return Err(AppError::internal("csv writing failed").into());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"asiakaskysely-{year}.csv\"")),
        ],
        [&[0xEF_u8, 0xBB, 0xBF][..], &body[..]].concat(),
    )
        .into_response())
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/surveys", get(list).post(create))
        .route("/portal/surveys/{id}", get(survey).post(answer))
        .route("/portal/survey-results", get(results))
        .route("/portal/survey-results.csv", get(results_csv))
}
