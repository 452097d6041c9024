//! The survey demo: last year's and this year's 9E customer survey, created
//! by staff on 1 November through the feedback service, answered by most
//! customers' contact persons (about half of each; scores grounded in
//! the thesis: the cost structure and the invoice were hard to follow, so
//! economy starts low and improves; trust and ethics are high). This year's
//! survey is still open for two more weeks, and the demo users `paivakoti`
//! and `sopimus.sivistys` have not answered it yet, so it can be tried.
//! Idempotent: does nothing when a survey exists.

use crate::users::demo_users;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use kumppani_feedback::service::Feedback;
use kumppani_platform::auth::{Principal, Role};
use kumppani_proto::feedback::v1 as pb;
use sqlx::PgPool;

fn staff() -> Principal {
    Principal {
        subject: crate::users::SEED_SUBJECT.to_owned(),
        name: crate::users::seed_actor_name("feedback"),
        email: String::new(),
        role: Role::EnterpriseAdmin,
        customer_id: None,
        site_id: None,
        grants: Vec::new(),
    }
}

/// A dimension's typical score in a year (last year, this year).
fn base(dimension: &str) -> (i64, i64) {
    match dimension {
        "economy" => (28, 33),
        "efficiency" => (32, 35),
        "aesthetics" => (36, 37),
        "communication" => (30, 36),
        "ethics" => (41, 42),
        "trust" => (38, 40),
        "learning" => (31, 34),
        "energy" => (34, 35),
        "enthusiasm" => (33, 36),
        _ => (35, 35),
    }
}

const COMMENTS: [(&str, &str); 5] = [
    ("economy", "Laskun liitteestä on vihdoin helppo nähdä kohteittaiset summat."),
    ("communication", "Muutoksista kuulee usein vasta jälkikäteen."),
    ("efficiency", "Reklamaatioihin vastataan nyt nopeasti ja nimellä."),
    ("learning", "Palvelusopimuksen liitteet voisivat olla selkokielisempiä."),
    ("trust", "Yhteistyö keittiön kanssa toimii hyvin."),
];

/// The current survey's year: this year from November on, else last year's.
fn current_year(today: NaiveDate) -> i32 {
    if today.month() >= 11 { today.year() } else { today.year() - 1 }
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM surveys)").fetch_one(pool).await?;
    if exists {
        return Ok(());
    }
    let today = kumppani_platform::calendar::today();
    let year = current_year(today);
    let skip: Vec<String> = demo_users()
        .into_iter()
        .filter(|u| matches!(u.username.as_str(), "paivakoti" | "sopimus.sivistys"))
        .map(|u| u.email.to_lowercase())
        .collect();
    let mut rng: u64 = 0x5eed_9e9e;
    let mut next = move |n: u64| {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n.max(1)
    };
    for (y, last) in [(year - 1, true), (year, false)] {
        let opens = NaiveDate::from_ymd_opt(y, 11, 1).ok_or_else(|| anyhow::anyhow!("bad year"))?;
        let closes = if last {
            NaiveDate::from_ymd_opt(y, 11, 30)
        } else {
            Some((today + Duration::days(14)).max(NaiveDate::from_ymd_opt(y, 11, 30).unwrap_or(today)))
        }
        .ok_or_else(|| anyhow::anyhow!("bad year"))?;
        let at = |d: NaiveDate, h: u32| {
            chrono_tz::Europe::Helsinki
                .from_local_datetime(&d.and_hms_opt(h, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        };
        let api = Feedback { pool: pool.clone(), at: at(opens, 9) };
        let survey = api
            .create_survey(
                &staff(),
                pb::CreateSurveyRequest {
                    year: y,
                    opens_on: Some(pb::Date::from_naive(opens)),
                    closes_on: Some(pb::Date::from_naive(closes)),
                },
            )
            .await?;
        let recipients: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
            "SELECT customer_id, email, name FROM survey_recipients WHERE survey_id = $1 ORDER BY customer_id, level, email",
        )
        .bind(uuid::Uuid::parse_str(&survey.id)?)
        .fetch_all(pool)
        .await?;
        let mut per_customer: std::collections::BTreeMap<uuid::Uuid, Vec<(String, String)>> = Default::default();
        for (c, e, n) in recipients {
            per_customer.entry(c).or_default().push((e, n));
        }
        for (n, (customer, people)) in per_customer.iter().enumerate() {
            // Most customers answer: every fifth small one does not.
            if n % 5 == 4 && people.len() < 100 {
                continue;
            }
            // About half of a customer's people answer.
            let answering: Vec<&(String, String)> = people.iter().filter(|(e, _)| (last || !skip.contains(e)) && next(100) < 50).collect();
            for (k, (email, name)) in answering.into_iter().enumerate() {
                let who = Principal {
                    subject: format!("demo:{email}"),
                    name: name.clone(),
                    email: email.clone(),
                    role: Role::CustomerContact,
                    customer_id: Some(*customer),
                    site_id: None,
                    grants: Vec::new(),
                };
                let answers = survey
                    .questions
                    .iter()
                    .map(|q| {
                        let (then, now) = base(&q.dimension);
                        let typical = if last { then } else { now };
                        // typical is tenths: 33 → mostly 3 and 4.
                        let score = i32::try_from((typical + i64::try_from(next(13)).unwrap_or(0) - 6 + 5) / 10).unwrap_or(3).clamp(1, 5);
                        let comment = COMMENTS
                            .iter()
                            .find(|(d, _)| *d == q.dimension && q.number % 2 == 1 && (n + k) % 3 == 0)
                            .map(|(_, c)| (*c).to_owned())
                            .unwrap_or_default();
                        pb::SurveyAnswer { question: q.number, score, comment }
                    })
                    .collect();
                let day = opens + Duration::days(i64::try_from(2 + next(20)).unwrap_or(5));
                let when = if !last && day > today { today } else { day };
                let api = Feedback { pool: pool.clone(), at: at(when, 10) };
                api.answer_survey(&who, pb::AnswerSurveyRequest { survey_id: survey.id.clone(), answers }).await?;
            }
        }
    }
    Ok(())
}
