//! The annual 9E customer survey (the annual calendar's November step):
//! staff create a year's survey from [`template`]; the customers' contact
//! persons of both levels (from contracts' contact events) are its
//! recipients and answer in the portal once (answering again replaces the
//! answers); results per dimension with last year's for the trend, the
//! response rate, per customer, and the open answers for staff.

pub mod mail;
pub mod template;

use crate::service::Feedback;
use crate::store;
use chrono::NaiveDate;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::validate::{Violations, id_arg};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use prost::Message as _;
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

type Result<T> = std::result::Result<T, AppError>;

/// Longest open answer.
pub const MAX_COMMENT: usize = 2000;

/// The template as stored with a survey.
pub fn template_questions() -> Vec<pb::SurveyQuestion> {
    template::TEMPLATE
        .iter()
        .zip(1..)
        .map(|(q, number)| pb::SurveyQuestion {
            number,
            dimension: q.dimension.to_owned(),
            text_fi: q.fi.to_owned(),
            text_sv: q.sv.to_owned(),
            text_en: q.en.to_owned(),
        })
        .collect()
}

/// A full set of answers to `questions`: every question once, 1–5, comments at
/// most [`MAX_COMMENT`]; every bad answer named (`answers[3].score`).
pub fn validate_answers(questions: &[pb::SurveyQuestion], answers: &[pb::SurveyAnswer]) -> Result<Vec<(i32, String, i32, String)>> {
    let mut v = Violations::default();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (n, a) in answers.iter().enumerate() {
        let Some(q) = questions.iter().find(|q| q.number == a.question) else {
            v.add(format!("answers[{n}].question"), Reason::unknown_reference("no such question in this survey"));
            continue;
        };
        if !seen.insert(a.question) {
            v.add(format!("answers[{n}].question"), Reason::new("duplicate", "is answered twice"));
        }
        if !(1..=5).contains(&a.score) {
            v.add(format!("answers[{n}].score"), Reason::out_of_range(1, 5));
        }
        let comment = v.text(&format!("answers[{n}].comment"), &a.comment, MAX_COMMENT, false);
        out.push((a.question, q.dimension.clone(), a.score, comment));
    }
    let missing: Vec<String> = questions.iter().filter(|q| !seen.contains(&q.number)).map(|q| q.number.to_string()).collect();
    if !missing.is_empty() {
        v.add("answers", Reason::new("incomplete", format!("questions {} are not answered", missing.join(", "))));
    }
    v.finish()?;
    Ok(out)
}

/// An average of `total / n` with two decimals (empty when nothing was answered).
pub fn average(total: i64, n: i64) -> String {
    if n == 0 {
        return String::new();
    }
    let v = Decimal::from(total) / Decimal::from(n);
    format!("{:.2}", v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

fn questions_of(row: &store::SurveyRow) -> Vec<pb::SurveyQuestion> {
    serde_json::from_value::<Vec<serde_json::Value>>(row.questions.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|q| pb::SurveyQuestion {
            number: q["number"].as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
            dimension: q["dimension"].as_str().unwrap_or_default().to_owned(),
            text_fi: q["fi"].as_str().unwrap_or_default().to_owned(),
            text_sv: q["sv"].as_str().unwrap_or_default().to_owned(),
            text_en: q["en"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

fn is_open(row: &store::SurveyRow, today: NaiveDate) -> bool {
    row.opens_on <= today && today <= row.closes_on
}

/// The respondent a caller answers as: a customer's person, by the e-mail of their token.
fn respondent(p: &Principal) -> Option<(Uuid, String)> {
    match p.role {
        Role::CustomerContact | Role::SiteUser => p.customer_id.map(|c| (c, p.email.trim().to_lowercase())).filter(|(_, e)| !e.is_empty()),
        _ => None,
    }
}

impl Feedback {
    /// The service's "today" in Helsinki.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
    }

    fn survey_view(&self, row: &store::SurveyRow, mine: Vec<(i32, i32, String)>, recipient: bool) -> pb::Survey {
        pb::Survey {
            id: row.id.to_string(),
            year: row.year,
            opens_on: Some(pb::Date::from_naive(row.opens_on)),
            closes_on: Some(pb::Date::from_naive(row.closes_on)),
            open: is_open(row, self.today()),
            questions: questions_of(row),
            my_answers: mine.into_iter().map(|(question, score, comment)| pb::SurveyAnswer { question, score, comment }).collect(),
            recipient,
            recipients: row.recipients,
            respondents: row.respondents,
        }
    }

    /// Staff create the year's survey from the template; the recipients are
    /// every customer's own contact persons of both levels at this moment.
    #[tracing::instrument(skip_all)]
    pub async fn create_survey(&self, p: &Principal, r: pb::CreateSurveyRequest) -> Result<pb::Survey> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let year = v.year("year", r.year, true);
        let opens = v.date("opens_on", r.opens_on.as_ref(), true);
        let closes = v.date("closes_on", r.closes_on.as_ref(), true);
        if let (Some(o), Some(c)) = (opens, closes) {
            if c < o {
                v.add("closes_on", Reason::new("before_opening", "is before opens_on"));
            }
        }
        v.finish()?;
        let (Some(year), Some(opens), Some(closes)) = (year, opens, closes) else {
            return Err(AppError::internal("validated fields missing"));
        };
        let questions: Vec<serde_json::Value> = template_questions()
            .iter()
            .map(|q| serde_json::json!({"number": q.number, "dimension": q.dimension, "fi": q.text_fi, "sv": q.text_sv, "en": q.text_en}))
            .collect();
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        if !store::insert_survey(&mut tx, id, year, opens, closes, &serde_json::Value::Array(questions), &p.subject).await? {
            return Err(AppError::invalid("year", Reason::new("taken", "this year has a survey already")));
        }
        let mut people = Vec::new();
        for (customer, bytes) in store::customer_contacts(&mut tx).await? {
            if let Ok(c) = contracts::Contact::decode(bytes.as_slice()) {
                let level = if c.level == contracts::ContactLevel::Contract as i32 { "contract" } else { "operational" };
                people.push((customer, c.email.trim().to_lowercase(), c.name, level.to_owned()));
            }
        }
        store::add_recipients(&mut tx, id, &people).await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let row = store::survey(&mut tx, id, None).await?.ok_or_else(|| AppError::internal("survey lost"))?;
        tx.commit().await?;
        Ok(self.survey_view(&row, Vec::new(), false))
    }

    /// Surveys newest first; a customer's person sees their own customer's counts and whether they answered.
    #[tracing::instrument(skip_all)]
    pub async fn surveys(&self, p: &Principal) -> Result<Vec<pb::Survey>> {
        crate::domain::side(p)?;
        let mut conn = self.pool.acquire().await?;
        let rows = store::surveys(&mut conn, p.customer_scope()).await?;
        let mut out = Vec::new();
        for row in rows {
            let (mine, recipient) = match respondent(p) {
                Some((c, email)) => {
                    (store::answers_of(&mut conn, row.id, c, &email).await?, store::is_recipient(&mut conn, row.id, c, &email).await?)
                }
                None => (Vec::new(), false),
            };
            out.push(self.survey_view(&row, mine, recipient));
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    pub async fn survey(&self, p: &Principal, id: &str) -> Result<pb::Survey> {
        crate::domain::side(p)?;
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        let row = store::survey(&mut conn, id, p.customer_scope()).await?.ok_or_else(|| AppError::not_found("survey"))?;
        let (mine, recipient) = match respondent(p) {
            Some((c, email)) => (store::answers_of(&mut conn, id, c, &email).await?, store::is_recipient(&mut conn, id, c, &email).await?),
            None => (Vec::new(), false),
        };
        Ok(self.survey_view(&row, mine, recipient))
    }

    /// A recipient answers every question; answering again replaces the answers.
    #[tracing::instrument(skip_all)]
    pub async fn answer_survey(&self, p: &Principal, r: pb::AnswerSurveyRequest) -> Result<pb::Survey> {
        crate::domain::side(p)?;
        let id = id_arg("survey_id", &r.survey_id)?;
        let Some((customer, email)) = respondent(p) else {
            return Err(AppError::denied("the customers' contact persons answer the survey"));
        };
        let mut tx = self.pool.begin().await?;
        let row = store::survey(&mut tx, id, Some(customer)).await?.ok_or_else(|| AppError::not_found("survey"))?;
        if !store::is_recipient(&mut tx, id, customer, &email).await? {
            return Err(AppError::denied("you are not among this survey's recipients"));
        }
        let now = self.now();
        if !is_open(&row, self.today()) {
            return Err(AppError::precondition(format!(
                "the survey is open {} – {}",
                row.opens_on.format("%-d.%-m.%Y"),
                row.closes_on.format("%-d.%-m.%Y")
            )));
        }
        let answers = validate_answers(&questions_of(&row), &r.answers)?;
        store::replace_answers(&mut tx, id, customer, &email, &answers, now).await?;
        let mine = store::answers_of(&mut tx, id, customer, &email).await?;
        let row = store::survey(&mut tx, id, Some(customer)).await?.ok_or_else(|| AppError::internal("survey lost"))?;
        tx.commit().await?;
        Ok(self.survey_view(&row, mine, true))
    }

    /// Results of a year: per dimension with last year's average, response
    /// rate, per customer; the open answers for staff.
    #[tracing::instrument(skip_all)]
    pub async fn survey_results(&self, p: &Principal, r: pb::GetSurveyResultsRequest) -> Result<pb::SurveyResults> {
        let side = crate::domain::side(p)?;
        let mut v = Violations::default();
        // 0: the newest survey's year.
        let year = if r.year == 0 { None } else { v.year("year", r.year, true) };
        let asked = v.uuid("customer_id", &r.customer_id, false);
        v.finish()?;
        let customer = match p.customer_scope() {
            Some(own) if asked.is_some_and(|c| c != own) => return Err(AppError::not_found("customer")),
            Some(own) => Some(own),
            None => asked,
        };
        let mut conn = self.pool.acquire().await?;
        let year = match year {
            Some(y) => y,
            None => store::surveys(&mut conn, None).await?.first().map(|s| s.year).ok_or_else(|| AppError::not_found("survey"))?,
        };
        let row = store::survey_of_year(&mut conn, year, customer).await?.ok_or_else(|| AppError::not_found("survey"))?;
        let previous = store::survey_of_year(&mut conn, year - 1, customer).await?;
        let sums = store::dimension_sums(&mut conn, row.id, customer).await?;
        let before = match &previous {
            Some(p) => store::dimension_sums(&mut conn, p.id, customer).await?,
            None => Vec::new(),
        };
        let totals = |rows: &[store::DimensionRow], who: Option<Uuid>| {
            let mut m: HashMap<String, (i64, i64)> = HashMap::new();
            for r in rows.iter().filter(|r| who.is_none_or(|c| c == r.customer_id)) {
                let e = m.entry(r.dimension.clone()).or_default();
                e.0 += r.total;
                e.1 += r.answers;
            }
            m
        };
        let dims = |now: &HashMap<String, (i64, i64)>, then: &HashMap<String, (i64, i64)>| {
            template::DIMENSIONS
                .iter()
                .map(|d| {
                    let (t, n) = now.get(d.code).copied().unwrap_or_default();
                    let (pt, pn) = then.get(d.code).copied().unwrap_or_default();
                    pb::DimensionResult {
                        dimension: d.code.to_owned(),
                        average: average(t, n),
                        answers: n,
                        previous_average: average(pt, pn),
                    }
                })
                .collect::<Vec<_>>()
        };
        let customers = store::customer_counts(&mut conn, row.id, customer)
            .await?
            .into_iter()
            .map(|(id, name, recipients, respondents)| pb::CustomerSurveyResult {
                customer_id: id.to_string(),
                customer_name: name,
                recipients,
                respondents,
                dimensions: dims(&totals(&sums, Some(id)), &totals(&before, Some(id))),
            })
            .collect();
        let open_answers = if side == crate::domain::Side::Staff {
            store::comments(&mut conn, row.id, customer)
                .await?
                .into_iter()
                .map(|(customer_name, dimension, question, score, comment)| pb::OpenAnswer {
                    customer_name,
                    dimension,
                    question,
                    score,
                    comment,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(pb::SurveyResults {
            year,
            customer_id: customer.map(|c| c.to_string()).unwrap_or_default(),
            recipients: row.recipients,
            respondents: row.respondents,
            response_rate_percent: if row.recipients == 0 {
                String::new()
            } else {
                format!("{:.1}", row.respondents as f64 * 100.0 / row.recipients as f64)
            },
            dimensions: dims(&totals(&sums, None), &totals(&before, None)),
            customers,
            open_answers,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn full(score: i32) -> Vec<pb::SurveyAnswer> {
        (1..=18).map(|q| pb::SurveyAnswer { question: q, score, comment: String::new() }).collect()
    }

    #[test]
    fn every_question_once_on_the_scale() {
        let qs = template_questions();
        assert_eq!(qs.len(), 18);
        assert_eq!(validate_answers(&qs, &full(4)).unwrap().len(), 18);
        let mut bad = full(4);
        bad[2].score = 6;
        bad[5].question = 1;
        bad.push(pb::SurveyAnswer { question: 99, score: 3, comment: String::new() });
        let e = validate_answers(&qs, &bad).unwrap_err();
        let mut fields: Vec<&str> = e.violations.iter().map(|v| v.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["answers", "answers[18].question", "answers[2].score", "answers[5].question"]);
        assert!(e.violations.iter().any(|v| v.field == "answers" && v.reason.contains("6")), "{e:?}");
    }

    #[test]
    fn averages_have_two_decimals() {
        assert_eq!(average(7, 2), "3.50");
        assert_eq!(average(10, 3), "3.33");
        assert_eq!(average(0, 0), "");
    }
}
