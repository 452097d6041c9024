//! The partnership's clock and its e-mail. [`tick`] escalates the disputes
//! whose two months have run out (event + e-mail in one transaction) and
//! writes the calendar's reminders (a week before a step is due) and lateness
//! notices (the day after) to the task owners; [`send_pending`] sends what is
//! written through SMTP, stamping each message as sent, so nothing is lost
//! while SMTP is down and nothing is sent twice. Each message is in its
//! recipient's own language (`contacts.language`), or in Finnish and Swedish
//! when that is not known, with a link to the portal.

use super::{Partnership, store};
use chrono::{DateTime, Duration, Utc};
use kumppani_platform::AppError;
use kumppani_platform::Shutdown;
use kumppani_platform::mail::{Lang, Mailer, localized};
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;

/// Mail older than this is not sent any more (the portal shows the same).
pub const MAX_AGE_DAYS: i64 = 3;
/// Lateness is told for tasks that became late within this many days (not for
/// a backlog found when the job first runs).
pub const NOTICE_WINDOW_DAYS: i32 = 14;
const BATCH: i64 = 50;

fn link(portal_url: &str, path: &str) -> String {
    format!("{}{path}", portal_url.trim_end_matches('/'))
}

fn footer(l: Lang) -> &'static str {
    l.pick(
        "Tämä on automaattinen ilmoitus Kumppani-palvelusta.",
        "Detta är en automatisk avisering från tjänsten Kumppani.",
        "This is an automatic notification from the Kumppani service.",
    )
}

/// Subject and body telling of a dispute's opening or escalation, in
/// `language` (a contact's own; empty: Finnish and Swedish).
pub fn compose_dispute(d: &pb::Dispute, portal_url: &str, language: &str) -> (String, String) {
    let escalated = d.status == pb::DisputeStatus::Escalated as i32;
    let day = |date: &Option<kumppani_proto::r#type::v1::Date>| {
        date.as_ref().and_then(|x| x.to_naive()).map(|x| x.format("%-d.%-m.%Y").to_string()).unwrap_or_default()
    };
    let escalates = day(&d.escalates_on);
    let to = if d.escalation_name.is_empty() { String::new() } else { format!(" ({})", d.escalation_name) };
    localized(language, |l| {
        let what = if escalated {
            l.pick(
                "Erimielisyys siirtyi apulaiskaupunginjohtajan ratkaistavaksi",
                "Meningsskiljaktigheten överförd till biträdande stadsdirektören",
                "The dispute has passed to the deputy mayor",
            )
        } else {
            l.pick("Uusi erimielisyys kirjattu", "Ny meningsskiljaktighet registrerad", "A new dispute was recorded")
        };
        let clock = match (escalated, l) {
            (true, Lang::Fi) => format!(
                "Osapuolet eivät ratkaisseet erimielisyyttä kahdessa kuukaudessa ({escalates}); sen ratkaisee vastuullinen apulaiskaupunginjohtaja{to}."
            ),
            (true, Lang::Sv) => format!(
                "Parterna löste inte meningsskiljaktigheten inom två månader ({escalates}); den avgörs av den ansvariga biträdande stadsdirektören{to}."
            ),
            (true, Lang::En) => {
                format!(
                    "The parties did not settle the dispute within two months ({escalates}); the deputy mayor in charge decides it{to}."
                )
            }
            (false, Lang::Fi) => {
                format!("Ellei osapuolet ratkaise asiaa {escalates} mennessä, se siirtyy apulaiskaupunginjohtajan ratkaistavaksi.")
            }
            (false, Lang::Sv) => {
                format!("Om parterna inte löser ärendet senast {escalates}, överförs det till biträdande stadsdirektören.")
            }
            (false, Lang::En) => format!("Unless the parties settle it by {escalates}, it passes to the deputy mayor to decide."),
        };
        let subject = format!("Kumppani: {what} – {} {}", d.customer_name, d.agreement_year);
        let body = format!(
            "{what}\n\n#{number} {topic}\n{customer}, {agreement} {year}\n\n{clock}\n\n{open}: {link}\n\n{footer}\n",
            number = d.number,
            topic = d.topic,
            customer = d.customer_name,
            agreement = l.pick("sopimus", "avtal", "agreement"),
            year = d.agreement_year,
            open = l.pick("Avaa", "Öppna", "Open"),
            link = link(portal_url, &format!("/portal/disputes/{}", d.id)),
            footer = footer(l),
        );
        (subject, body)
    })
}

/// Writes the dispute's e-mail to both parties' contract-level contacts and the escalation contact.
pub async fn dispute_mail(conn: &mut PgConnection, d: &pb::Dispute, portal_url: &str) -> Result<usize, AppError> {
    let customer = uuid::Uuid::parse_str(&d.customer_id).map_err(|_| AppError::internal("a dispute without its customer"))?;
    let mut to = store::contract_contacts(&mut *conn, customer).await?;
    if !d.escalation_email.is_empty() && d.status == pb::DisputeStatus::Escalated as i32 {
        to.push(d.escalation_email.clone());
    }
    to.sort();
    to.dedup();
    let languages = store::languages(&mut *conn, &to).await?;
    for r in &to {
        let (subject, body) = compose_dispute(d, portal_url, languages.get(&r.to_lowercase()).map_or("", String::as_str));
        store::enqueue_mail(&mut *conn, r, &subject, &body).await?;
    }
    Ok(to.len())
}

/// Subject and body of a task's reminder (`late`: its lateness notice), in
/// `language` (a contact's own; empty: Finnish and Swedish).
pub fn compose_task(t: &store::TaskRow, late: bool, portal_url: &str, language: &str) -> (String, String) {
    let due = t.due_on.format("%-d.%-m.%Y");
    localized(language, |l| {
        let what = if late {
            l.pick("Vuosikellon vaihe on myöhässä", "Årshjulets steg är försenat", "A step of the annual calendar is late")
        } else {
            l.pick(
                "Vuosikellon vaihe erääntyy viikon kuluttua",
                "Årshjulets steg förfaller om en vecka",
                "A step of the annual calendar is due in a week",
            )
        };
        let title = match l {
            Lang::Sv if !t.title_sv.is_empty() => &t.title_sv,
            Lang::En if !t.title_en.is_empty() => &t.title_en,
            _ => &t.title_fi,
        };
        let subject = format!("Kumppani: {what} – {title}");
        let body = format!(
            "{what}: {title}\n{customer}, {year_word} {year}, {due_word} {due}\n\n{open}: {link}\n\n{footer}\n",
            customer = t.customer_name,
            year_word = l.pick("sopimusvuosi", "avtalsår", "agreement year"),
            year = t.year,
            due_word = l.pick("määräpäivä", "förfallodag", "due"),
            open = l.pick("Avaa", "Öppna", "Open"),
            link = link(portal_url, &format!("/portal/calendar?year={}&customer={}", t.year, t.customer_id)),
            footer = footer(l),
        );
        (subject, body)
    })
}

/// What one pass of the clock did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub escalated: usize,
    pub reminders: usize,
    pub notices: usize,
}

/// One pass at `now`: escalations, then reminders and lateness notices, each
/// with its e-mail written in the same transaction.
pub async fn tick(service: &Partnership) -> Result<Tick, AppError> {
    let now = service.now();
    let today = service.today();
    let mut out = Tick::default();
    let mut tx = service.pool.begin().await?;
    for id in store::escalate_due(&mut tx, today, now).await? {
        let dispute = service.announce(&mut tx, id, "escalated", pb::DisputeStatus::Open).await?;
        dispute_mail(&mut tx, &dispute, &service.portal_url).await?;
        out.escalated += 1;
    }
    for task in store::tasks_to_remind(&mut tx, today, NOTICE_WINDOW_DAYS).await? {
        let late = task.due_on < today;
        let mut to: Vec<String> = [task.eo_email.as_deref(), task.co_email.as_deref()]
            .into_iter()
            .flatten()
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        to.dedup();
        let languages = store::languages(&mut tx, &to).await?;
        for r in &to {
            let (subject, body) =
                compose_task(&task, late, &service.portal_url, languages.get(&r.to_lowercase()).map_or("", String::as_str));
            store::enqueue_mail(&mut tx, r, &subject, &body).await?;
        }
        store::stamp_reminder(&mut tx, task.id, late, now).await?;
        if late {
            out.notices += 1;
        } else {
            out.reminders += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Sends the unsent mail of the last [`MAX_AGE_DAYS`], stamping each in the
/// sending transaction; a failed send stops the pass (retried next time).
pub async fn send_pending(pool: &sqlx::PgPool, mailer: &Mailer, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch = store::unsent_mail(&mut tx, now - Duration::days(MAX_AGE_DAYS), BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for m in &batch {
            if let Err(e) = mailer.send(&m.recipient, &m.subject, &m.body).await {
                tracing::warn!(error = %e, "partnership mail not sent; retried at the next pass");
                store::mail_failed(&mut tx, m.id, &e.to_string()).await?;
                tx.commit().await?;
                return Ok(sent);
            }
            store::mail_sent(&mut tx, m.id).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
}

/// The clock and the mail, every `interval` until shutdown.
pub async fn run(service: Partnership, mailer: Option<Mailer>, interval: std::time::Duration, shutdown: Shutdown) {
    loop {
        match tick(&service).await {
            Ok(t) if t != Tick::default() => tracing::info!(?t, "partnership clock"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "partnership clock failed; retried at the next pass"),
        }
        if let Some(mailer) = &mailer {
            if let Err(e) = send_pending(&service.pool, mailer, Utc::now()).await {
                tracing::warn!(error = %e, "partnership mail failed; retried at the next pass");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_escalation_mail_names_the_deadline_and_the_next_level_in_both_languages() {
        let d = pb::Dispute {
            id: "d1".into(),
            number: 7,
            customer_name: "Sivistys".into(),
            agreement_year: 2027,
            topic: "Hinnankorotus".into(),
            status: pb::DisputeStatus::Escalated as i32,
            escalates_on: Some(pb::Date { year: 2027, month: 2, day: 28 }),
            escalation_name: "Apulaiskaupunginjohtaja Aino Aalto".into(),
            ..Default::default()
        };
        let (subject, body) = compose_dispute(&d, "https://kumppani.example/", "");
        assert!(subject.contains("apulaiskaupunginjohtajan") && subject.contains("biträdande"), "{subject}");
        assert!(body.contains("28.2.2027") && body.contains("Aino Aalto"), "{body}");
        assert!(body.contains("https://kumppani.example/portal/disputes/d1"), "{body}");
        // A Swedish-speaking contact gets it in Swedish only.
        let (subject, body) = compose_dispute(&d, "https://kumppani.example/", "sv");
        assert!(subject.contains("biträdande") && !subject.contains("apulais"), "{subject}");
        assert!(body.contains("inom två månader (28.2.2027)") && !body.contains("Osapuolet"), "{body}");
    }
}
