//! The annual 9E customer survey end to end: staff create the year's survey
//! (the customers' contact persons become its recipients), a recipient
//! answers every statement once and answering again replaces the answers,
//! bad answers name their fields and write nothing, only recipients answer
//! and only while it is open, and the results per dimension carry last year's
//! averages for the trend, the response rate and, for staff, the open answers.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, Duration, TimeZone, Utc};
use kumppani_feedback::service::Feedback;
use kumppani_platform::auth::{Principal, Role};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as fb;
use support::fixtures::{date, today};
use support::{TestEnv, code, violations};

async fn customer_contact(env: &mut TestEnv, customer: &str, name: &str, email: &str, level: contracts::ContactLevel) {
    let t = env.staff();
    let req = contracts::CreateContactRequest {
        party: contracts::Party::Customer as i32,
        customer_id: customer.into(),
        name: name.into(),
        title: "Rehtori".into(),
        level: level as i32,
        email: email.into(),
        ..Default::default()
    };
    env.client.create_contact(env.req(req, &t)).await.unwrap();
}

/// A customer's contact person as the service sees them (for calls at a moved clock).
fn contact_person(name: &str, email: &str, customer: &str) -> Principal {
    Principal {
        subject: name.to_lowercase().replace(' ', "."),
        name: name.into(),
        email: email.into(),
        role: Role::CustomerContact,
        customer_id: Some(customer.parse().unwrap()),
        site_id: None,
        grants: Vec::new(),
    }
}

fn all(score: i32) -> Vec<fb::SurveyAnswer> {
    (1..=18).map(|q| fb::SurveyAnswer { question: q, score, comment: String::new() }).collect()
}

#[tokio::test]
async fn recipients_answer_once_and_results_show_the_trend() {
    let mut env = TestEnv::start(false).await;
    let a = env.internal_customer("SVA").await.id;
    let b = env.internal_customer("SVB").await.id;
    customer_contact(&mut env, &a, "Riitta Rehtori", "riitta.rehtori@ouka.example", contracts::ContactLevel::Contract).await;
    customer_contact(&mut env, &a, "Olli Opettaja", "olli.opettaja@ouka.example", contracts::ContactLevel::Operational).await;
    customer_contact(&mut env, &b, "Paavo Päällikkö", "paavo.paallikko@ouka.example", contracts::ContactLevel::Contract).await;
    let pool = kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap();
    support::wait_until("feedback knows the contact persons", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM contacts").fetch_one(&pool).await.unwrap() >= 3 }
    })
    .await;
    let staff = env.staff();
    let year = today().year();

    // Last year's survey, answered in its time (the service's clock set to then): all 3s.
    let then = Utc.with_ymd_and_hms(year - 1, 11, 10, 9, 0, 0).unwrap();
    let admin = Principal {
        subject: "staff".into(),
        name: "Staff".into(),
        email: String::new(),
        role: Role::EnterpriseStaff,
        customer_id: None,
        site_id: None,
        grants: Vec::new(),
    };
    let riitta = contact_person("Riitta Rehtori", "Riitta.Rehtori@ouka.example", &a);
    let past = Feedback { pool: pool.clone(), at: Some(then) };
    let last_year = past
        .create_survey(
            &admin,
            fb::CreateSurveyRequest {
                year: year - 1,
                opens_on: Some(date(then.date_naive() - Duration::days(9))),
                closes_on: Some(date(then.date_naive() + Duration::days(20))),
            },
        )
        .await
        .unwrap();
    past.answer_survey(&riitta, fb::AnswerSurveyRequest { survey_id: last_year.id.clone(), answers: all(3) }).await.unwrap();

    // This year's, by staff over gRPC.
    let create = fb::CreateSurveyRequest {
        year,
        opens_on: Some(date(today() - Duration::days(1))),
        closes_on: Some(date(today() + Duration::days(10))),
    };
    let survey = env.feedback.create_survey(env.req(create, &staff)).await.unwrap().into_inner();
    assert_eq!((survey.recipients, survey.respondents, survey.questions.len()), (3, 0, 18));
    assert_eq!(violations(env.feedback.create_survey(env.req(create, &staff)).await), ["year"]);
    let backwards =
        fb::CreateSurveyRequest { year: year + 1, opens_on: Some(date(today())), closes_on: Some(date(today() - Duration::days(1))) };
    assert_eq!(violations(env.feedback.create_survey(env.req(backwards, &staff)).await), ["closes_on"]);

    let issuer = env.platform.as_ref().unwrap().issuer.clone();
    let token = |name: &str, email: &str, customer: &str| {
        issuer.token_for_person(Role::CustomerContact, Some(customer.parse().unwrap()), None, name, email).unwrap()
    };
    let riitta_token = token("Riitta Rehtori", "riitta.rehtori@ouka.example", &a);
    let seen = env.feedback.get_survey(env.req(fb::GetSurveyRequest { id: survey.id.clone() }, &riitta_token)).await.unwrap().into_inner();
    assert!(seen.recipient && seen.open && seen.my_answers.is_empty());
    assert_eq!(seen.recipients, 2, "a customer's people see their own customer's count");

    // Bad answers: every field named, nothing written.
    let answer = |answers| fb::AnswerSurveyRequest { survey_id: survey.id.clone(), answers };
    let mut bad = all(4);
    bad[0].score = 0;
    bad.truncate(17);
    let mut fields = violations(env.feedback.answer_survey(env.req(answer(bad), &riitta_token)).await);
    fields.sort();
    assert_eq!(fields, ["answers", "answers[0].score"]);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM survey_answers WHERE survey_id = $1")
        .bind(uuid::Uuid::parse_str(&survey.id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    // Answering, then answering again replaces.
    let first = env.feedback.answer_survey(env.req(answer(all(4)), &riitta_token)).await.unwrap().into_inner();
    assert_eq!((first.respondents, first.my_answers.len()), (1, 18));
    let mut second = all(5);
    second[0].comment = "Laskun kohdekohtainen erittely auttaa paljon.".into();
    let again = env.feedback.answer_survey(env.req(answer(second), &riitta_token)).await.unwrap().into_inner();
    assert_eq!(again.respondents, 1);
    assert!(again.my_answers.iter().all(|x| x.score == 5));

    // Only recipients answer; staff do not.
    let stranger = token("Vieras Henkilö", "vieras@ouka.example", &a);
    assert_eq!(code(env.feedback.answer_survey(env.req(answer(all(3)), &stranger)).await), tonic::Code::PermissionDenied);
    assert_eq!(code(env.feedback.answer_survey(env.req(answer(all(3)), &staff)).await), tonic::Code::PermissionDenied);
    // Last year's is closed now.
    let late = fb::AnswerSurveyRequest { survey_id: last_year.id.clone(), answers: all(2) };
    assert_eq!(code(env.feedback.answer_survey(env.req(late, &riitta_token)).await), tonic::Code::FailedPrecondition);

    // Results: this year against last year, the response rate, the open answers for staff.
    let results = env
        .feedback
        .get_survey_results(env.req(fb::GetSurveyResultsRequest { year, customer_id: String::new() }, &staff))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((results.recipients, results.respondents, results.response_rate_percent.as_str()), (3, 1, "33.3"));
    assert_eq!(results.dimensions.len(), 9);
    let economy = results.dimensions.iter().find(|d| d.dimension == "economy").unwrap();
    assert_eq!((economy.average.as_str(), economy.previous_average.as_str(), economy.answers), ("5.00", "3.00", 2));
    assert_eq!(results.customers.len(), 2);
    assert_eq!(results.open_answers.len(), 1);
    assert_eq!(results.open_answers[0].comment, "Laskun kohdekohtainen erittely auttaa paljon.");
    // Another customer's contact sees their own customer only, without open answers.
    let paavo = token("Paavo Päällikkö", "paavo.paallikko@ouka.example", &b);
    let own = env
        .feedback
        .get_survey_results(env.req(fb::GetSurveyResultsRequest { year, customer_id: String::new() }, &paavo))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((own.recipients, own.respondents, own.open_answers.len()), (1, 0, 0));
    assert!(own.dimensions.iter().all(|d| d.average.is_empty()));
    let theirs = fb::GetSurveyResultsRequest { year, customer_id: a.clone() };
    assert_eq!(code(env.feedback.get_survey_results(env.req(theirs, &paavo)).await), tonic::Code::NotFound);
    // REST as documented.
    let rest = env.rest_json(&format!("/survey-results?year={year}"), &staff).await;
    assert_eq!(rest["responseRatePercent"], "33.3", "{rest}");
    env.cleanup().await;
}

/// The survey's e-mail through a real SMTP server: every recipient is
/// invited once the survey is open (in their own language when the registry
/// has one, else in Finnish and Swedish), and in its last week those who have
/// not answered are reminded once; nobody gets anything twice.
#[tokio::test]
async fn recipients_are_invited_and_reminded_once_in_their_own_language() {
    use support::smtp::{SmtpServer, free_port};
    let mut env = TestEnv::start(false).await;
    let a = env.internal_customer("SMA").await.id;
    let staff = env.staff();
    for (name, email, language) in
        [("Sara Svensson", "sara.svensson@ouka.example", "sv"), ("Teemu Toimisto", "teemu.toimisto@ouka.example", "")]
    {
        let req = contracts::CreateContactRequest {
            party: contracts::Party::Customer as i32,
            customer_id: a.clone(),
            name: name.into(),
            level: contracts::ContactLevel::Contract as i32,
            email: email.into(),
            language: language.into(),
            ..Default::default()
        };
        env.client.create_contact(env.req(req, &staff)).await.unwrap();
    }
    // A language the portal does not speak is refused by name.
    let german = contracts::CreateContactRequest {
        party: contracts::Party::Customer as i32,
        customer_id: a.clone(),
        name: "Dieter Deutsch".into(),
        level: contracts::ContactLevel::Contract as i32,
        email: "dieter@ouka.example".into(),
        language: "de".into(),
        ..Default::default()
    };
    assert_eq!(violations(env.client.create_contact(env.req(german, &staff)).await), ["language"]);
    let pool = kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap();
    support::wait_until("feedback knows the contact persons", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM contacts").fetch_one(&pool).await.unwrap() >= 2 }
    })
    .await;
    let year = today().year() + 2;
    let create = fb::CreateSurveyRequest {
        year,
        opens_on: Some(date(today() + Duration::days(1))),
        closes_on: Some(date(today() + Duration::days(12))),
    };
    let survey = env.feedback.create_survey(env.req(create, &staff)).await.unwrap().into_inner();
    assert_eq!(survey.recipients, 2);

    let dir = std::env::temp_dir().join(format!("kumppani-smtp-{}", uuid::Uuid::now_v7()));
    let server = SmtpServer::start(free_port(), dir.clone()).await;
    let mailer =
        kumppani_platform::mail::Mailer::new(&format!("smtp://127.0.0.1:{}", server.port), "Kumppani <kumppani@serviisi.example>").unwrap();
    let send = |at: chrono::DateTime<Utc>| kumppani_feedback::survey::mail::send(&pool, &mailer, "https://kumppani.example.fi", at);

    // Not open yet: nothing.
    assert_eq!(send(Utc::now()).await.unwrap(), 0);
    // Open: both invited, once.
    let opened = Utc::now() + Duration::days(1);
    assert_eq!(send(opened).await.unwrap(), 2);
    assert_eq!(send(opened + Duration::hours(1)).await.unwrap(), 0);
    let got = server.received();
    let to_sara = got.iter().find(|(to, ..)| to == "sara.svensson@ouka.example").unwrap();
    assert_eq!(to_sara.1, format!("Kumppani: Kundenkät {year} – svara senast {}", (today() + Duration::days(12)).format("%-d.%-m.%Y")));
    assert!(to_sara.2.starts_with("Hej Sara Svensson,") && !to_sara.2.contains("Hei "), "Swedish only: {}", to_sara.2);
    assert!(to_sara.2.contains(&format!("https://kumppani.example.fi/portal/surveys/{}", survey.id)), "{}", to_sara.2);
    let to_teemu = got.iter().find(|(to, ..)| to == "teemu.toimisto@ouka.example").unwrap();
    assert!(to_teemu.2.contains("Hei Teemu Toimisto,") && to_teemu.2.contains("Hej Teemu Toimisto,"), "both languages: {}", to_teemu.2);

    // Sara answers; in the last week only Teemu is reminded, once.
    let later = Feedback { pool: pool.clone(), at: Some(opened + Duration::hours(2)) };
    let sara = contact_person("Sara Svensson", "sara.svensson@ouka.example", &a);
    later.answer_survey(&sara, fb::AnswerSurveyRequest { survey_id: survey.id.clone(), answers: all(4) }).await.unwrap();
    let last_week = Utc::now() + Duration::days(6);
    assert_eq!(send(last_week).await.unwrap(), 1);
    assert_eq!(send(last_week + Duration::days(1)).await.unwrap(), 0);
    let got = server.received();
    assert_eq!(got.len(), 3);
    let reminder = got.iter().find(|(to, s, _)| to == "teemu.toimisto@ouka.example" && s.contains("Muistutus")).unwrap();
    assert!(reminder.1.contains("Påminnelse"), "{}", reminder.1);
    // Closed: nothing more.
    assert_eq!(send(Utc::now() + Duration::days(14)).await.unwrap(), 0);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    env.cleanup().await;
}
