//! The survey's e-mail: each recipient is invited when the year's survey
//! opens and, if they have not answered, reminded once in its last
//! [`REMINDER_DAYS`] days. Each message is stamped in the transaction that
//! sends it (so a failed send is tried again at the next pass and a sent one
//! never twice), one replica at a time (an advisory lock). The text is in the
//! recipient's own language when the contact registry knows it, else in
//! Finnish and Swedish; it greets them by name and links to the survey.

use crate::store::{self, SurveyMailDue};
use chrono::{DateTime, Utc};
use kumppani_platform::AppError;
use kumppani_platform::mail::{MailError, Mailer, localized};
use sqlx::PgPool;

/// The reminder goes this many days before the survey closes.
pub const REMINDER_DAYS: i32 = 7;
const BATCH: i64 = 50;

/// Subject and body of an invitation or a reminder in `language` (a
/// contact's own; empty: Finnish and Swedish).
pub fn compose(m: &SurveyMailDue, portal_url: &str, language: &str) -> (String, String) {
    let closes = m.closes_on.format("%-d.%-m.%Y").to_string();
    let link = format!("{}/portal/surveys/{}", portal_url.trim_end_matches('/'), m.survey_id);
    let (year, n, name) = (m.year, m.questions, &m.name);
    let reminder = m.kind == "reminder";
    localized(language, |l| {
        use kumppani_platform::mail::Lang::{En, Fi, Sv};
        let (subject, text) = match (l, reminder) {
            (Fi, false) => (
                format!("Kumppani: Asiakaskysely {year} – vastaathan {closes} mennessä"),
                format!(
                    "Hei {name},\n\nvuoden {year} asiakaskysely on avoinna {closes} asti. Siinä on {n} väittämää yhdeksältä \
                     9E-osa-alueelta (asteikko 1–5, halutessasi kommentti); vastaaminen vie noin viisi minuuttia. \
                     Tulokset käydään läpi yhdessä vuosikellon mukaisesti. Voit vastata kerran; uusi vastaus korvaa edellisen."
                ),
            ),
            (Fi, true) => (
                format!("Kumppani: Muistutus – asiakaskysely {year} sulkeutuu {closes}"),
                format!(
                    "Hei {name},\n\net ole vielä vastannut vuoden {year} asiakaskyselyyn. Se on avoinna {closes} asti, ja vastauksesi ohjaa ensi vuoden palvelua."
                ),
            ),
            (Sv, false) => (
                format!("Kumppani: Kundenkät {year} – svara senast {closes}"),
                format!(
                    "Hej {name},\n\nkundenkäten för {year} är öppen till {closes}. Den har {n} påståenden inom nio \
                     9E-områden (skala 1–5, kommentar om du vill); att svara tar ungefär fem minuter. \
                     Resultaten gås igenom tillsammans enligt årshjulet. Du kan svara en gång; ett nytt svar ersätter det tidigare."
                ),
            ),
            (Sv, true) => (
                format!("Kumppani: Påminnelse – kundenkäten {year} stängs {closes}"),
                format!(
                    "Hej {name},\n\ndu har ännu inte svarat på kundenkäten för {year}. Den är öppen till {closes}, och ditt svar styr nästa års service."
                ),
            ),
            (En, false) => (
                format!("Kumppani: Customer survey {year} – please answer by {closes}"),
                format!(
                    "Hello {name},\n\nthe customer survey for {year} is open until {closes}. It has {n} statements on the nine \
                     9E dimensions (a scale of 1–5, a comment if you like); answering takes about five minutes. \
                     The results are reviewed together as the annual calendar sets out. You answer once; a new answer replaces the earlier one."
                ),
            ),
            (En, true) => (
                format!("Kumppani: Reminder – the customer survey {year} closes on {closes}"),
                format!(
                    "Hello {name},\n\nyou have not answered the customer survey for {year} yet. It is open until {closes}, and your answer shapes next year's service."
                ),
            ),
        };
        let body = format!("{text}\n\n{}: {link}\n\n{}\n", l.pick("Vastaa", "Svara", "Answer"), crate::mail::footer(l));
        (subject, body)
    })
}

/// One pass at `now`: the invitations and reminders due, sent and stamped;
/// how many were sent. A message the SMTP server refuses for good, or to an
/// address that is none, is stamped too (not tried forever); any other
/// failure stops the pass.
#[tracing::instrument(skip_all)]
pub async fn send(pool: &PgPool, mailer: &Mailer, portal_url: &str, now: DateTime<Utc>) -> Result<usize, AppError> {
    let today = now.with_timezone(&chrono_tz::Europe::Helsinki).date_naive();
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        if !store::lock_survey_mail(&mut tx).await? {
            return Ok(sent);
        }
        let due = store::survey_mail_due(&mut tx, today, now, REMINDER_DAYS, BATCH).await?;
        if due.is_empty() {
            return Ok(sent);
        }
        let languages = store::languages(&mut tx, due.iter().map(|m| m.email.as_str())).await?;
        for m in &due {
            let (subject, body) = compose(m, portal_url, languages.get(&m.email.to_lowercase()).map_or("", String::as_str));
            match mailer.send(&m.email, &subject, &body).await {
                Ok(()) => sent += 1,
                Err(MailError::Address(_)) => {}
                Err(MailError::Smtp(e)) if e.is_permanent() => {}
                Err(e) => {
                    tracing::warn!(error = %e, "survey e-mail not sent; tried again at the next pass");
                    tx.commit().await?;
                    return Ok(sent);
                }
            }
            store::survey_mail_sent(&mut tx, m, now).await?;
        }
        tx.commit().await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(kind: &str) -> SurveyMailDue {
        SurveyMailDue {
            survey_id: uuid::Uuid::nil(),
            year: 2026,
            closes_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            questions: 18,
            customer_id: uuid::Uuid::nil(),
            email: "riitta.rehtori@ouka.example".into(),
            name: "Riitta Rehtori".into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn an_invitation_greets_by_name_and_says_until_when() {
        let (subject, body) = compose(&due("invitation"), "https://k.example", "fi");
        assert_eq!(subject, "Kumppani: Asiakaskysely 2026 – vastaathan 30.11.2026 mennessä");
        assert!(body.starts_with("Hei Riitta Rehtori,") && body.contains("18 väittämää"), "{body}");
        assert!(body.contains("Vastaa: https://k.example/portal/surveys/00000000-0000-0000-0000-000000000000"), "{body}");
        let (subject, body) = compose(&due("reminder"), "https://k.example", "");
        assert!(subject.contains("Muistutus") && subject.contains("Påminnelse"), "{subject}");
        assert!(body.contains("Hei Riitta") && body.contains("Hej Riitta"), "both languages when the person's is not known: {body}");
    }
}
