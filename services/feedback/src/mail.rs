//! E-mail of notifications: every pass sends the notifications of the last
//! day not yet e-mailed (oldest first) and stamps `emailed_at` in the same
//! transaction, rows locked so replicas do not send twice. A failed send
//! stops the pass; what was not stamped is tried again at the next pass.
//! The text is in the recipient's own language when the contact registry
//! knows it (contracts' `Contact.language`, from the contacts projection),
//! else in Finnish and Swedish; with a link to the item and no more personal
//! data than the portal's notification list shows. The survey's invitations
//! and reminders ([`send_survey_mail`]) go the same way.

use crate::store;
use chrono::{DateTime, Duration, Utc};
use kumppani_platform::AppError;
use kumppani_platform::Shutdown;
use kumppani_platform::mail::{Lang, Mailer, localized};
use sqlx::PgPool;

/// Notifications older than this are not e-mailed any more (the portal has them).
pub const MAX_AGE_HOURS: i64 = 24;
const BATCH: i64 = 50;

/// Subject and body of a notification in `language` (a contact's own; empty:
/// Finnish and Swedish).
pub fn compose(n: &store::PendingMail, portal_url: &str, language: &str) -> (String, String) {
    localized(language, |l| {
        let what = match n.kind.as_str() {
            "feedback_received" => l.pick("Uusi palaute käsiteltäväksi", "Ny respons att behandla", "New feedback to handle"),
            "assigned" => l.pick("Palaute siirretty käsiteltäväksesi", "Respons överförd till dig", "Feedback assigned to you"),
            "escalated" => l.pick("Palaute eskaloitu esihenkilölle", "Respons eskalerad till chefen", "Feedback escalated to the manager"),
            "recurring" => l.pick("Toistuva ongelma", "Återkommande problem", "Recurring problem"),
            "status" => l.pick("Palautteen tila muuttui", "Responsens status ändrades", "The feedback's status changed"),
            "message" => l.pick("Uusi viesti palautteessa", "Nytt meddelande i responsen", "New message in the feedback"),
            "rated" => l.pick("Käsittely arvioitiin", "Behandlingen bedömdes", "The handling was rated"),
            "sla_warning" => l.pick("Määräaika lähestyy", "Tidsfristen närmar sig", "A deadline is near"),
            "sla_breached" => l.pick("Määräaika ylittyi", "Tidsfristen överskreds", "A deadline was missed"),
            _ => l.pick("Ilmoitus", "Avisering", "Notification"),
        };
        let subject = format!("Kumppani #{}: {what}", n.item_number);
        let link = format!("{}/portal/feedback/{}", portal_url.trim_end_matches('/'), n.item_id);
        let body = format!(
            "{what}: #{number}, {site}\n{detail}\n\n{open}: {link}\n\n{footer}\n",
            number = n.item_number,
            site = n.site_name,
            detail = detail_words(l, &n.kind, &n.detail),
            open = l.pick("Avaa", "Öppna", "Open"),
            footer = footer(l),
        );
        (subject, body)
    })
}

/// The last line of every e-mail of the service.
pub fn footer(l: Lang) -> &'static str {
    l.pick(
        "Tämä on automaattinen ilmoitus Kumppani-palvelusta.",
        "Detta är en automatisk avisering från tjänsten Kumppani.",
        "This is an automatic notification from the Kumppani service.",
    )
}

/// A notification's detail in words where the service stores a code (a
/// status, a topic, which clock, a rating); free text as it is. The words are
/// the portal's (`locales/*/main.ftl`).
fn detail_words(l: Lang, kind: &str, detail: &str) -> String {
    const STATUSES: [(&str, &str, &str, &str); 6] = [
        ("received", "Vastaanotettu", "Mottagen", "Received"),
        ("acknowledged", "Kuitattu", "Kvitterad", "Acknowledged"),
        ("in_progress", "Käsittelyssä", "Under behandling", "In progress"),
        ("waiting_for_customer", "Odottaa asiakasta", "Väntar på kunden", "Waiting for the customer"),
        ("resolved", "Ratkaistu", "Löst", "Resolved"),
        ("closed", "Suljettu", "Stängd", "Closed"),
    ];
    const TOPICS: [(&str, &str, &str, &str); 7] = [
        ("meals", "Ateriat", "Måltider", "Meals"),
        ("special_diets", "Erityisruokavaliot", "Specialkost", "Special diets"),
        ("cleaning", "Siivous", "Städning", "Cleaning"),
        ("ordering", "Tilaaminen", "Beställning", "Ordering"),
        ("invoicing", "Laskutus", "Fakturering", "Invoicing"),
        ("agreement", "Sopimus", "Avtal", "Agreement"),
        ("other", "Muu", "Övrigt", "Other"),
    ];
    let table: &[(&str, &str, &str, &str)] = match (kind, detail) {
        (_, "acknowledge") => &[("acknowledge", "Kuittaus", "Kvittering", "Acknowledgement")],
        (_, "resolve") => &[("resolve", "Ratkaisu", "Lösning", "Resolution")],
        ("status", _) => &STATUSES,
        ("recurring", _) => &TOPICS,
        ("rated", r) => return format!("{r}/5"),
        _ => &[],
    };
    table
        .iter()
        .find(|(code, ..)| *code == detail)
        .map(|(_, fi, sv, en)| l.pick(fi, sv, en).to_owned())
        .unwrap_or_else(|| detail.to_owned())
}

/// One pass at `now`: how many were sent.
#[tracing::instrument(skip_all)]
pub async fn send_pending(pool: &PgPool, mailer: &Mailer, portal_url: &str, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        let pending = store::pending_mail(&mut tx, now - Duration::hours(MAX_AGE_HOURS), BATCH).await?;
        if pending.is_empty() {
            break;
        }
        let mut failed = false;
        let languages = store::languages(&mut tx, pending.iter().map(|n| n.recipient.as_str())).await?;
        for n in &pending {
            let language = languages.get(&n.recipient.to_lowercase()).map_or("", String::as_str);
            let (subject, body) = compose(n, portal_url, language);
            match mailer.send(&n.recipient, &subject, &body).await {
                Ok(()) => {
                    store::mark_emailed(&mut tx, n.id, now).await?;
                    sent += 1;
                }
                Err(kumppani_platform::mail::MailError::Smtp(e)) if e.is_permanent() => {
                    tracing::warn!(error = %e, "the SMTP server refused a notification for good; not tried again");
                    store::mark_emailed(&mut tx, n.id, now).await?;
                }
                Err(kumppani_platform::mail::MailError::Address(a)) => {
                    // Never deliverable: stamped so it is not tried forever (the portal still lists it).
                    tracing::warn!(recipient = %a, "a notification's recipient is not an e-mail address");
                    store::mark_emailed(&mut tx, n.id, now).await?;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "e-mail not sent; tried again at the next pass");
                    failed = true;
                    break;
                }
            }
        }
        tx.commit().await?;
        if failed {
            break;
        }
    }
    Ok(sent)
}

/// Writes the e-mail of announcements published by now, then sends the
/// unsent ones (the last day's), each stamped in the sending transaction; a
/// failed send stops the pass (tried again next time).
pub async fn send_announcements(pool: &PgPool, mailer: &Mailer, portal_url: &str, now: DateTime<Utc>) -> Result<usize, AppError> {
    use crate::store::announcements as sql;
    crate::service::Feedback { pool: pool.clone(), at: Some(now) }.write_announcement_mail().await?;
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch = sql::unsent_mail(&mut tx, now - Duration::hours(MAX_AGE_HOURS), BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let languages = store::languages(&mut tx, batch.iter().map(|(_, r)| r.as_str())).await?;
        for (id, recipient) in &batch {
            let Some(a) = sql::get(&mut tx, *id, "").await? else { continue };
            let language = languages.get(&recipient.to_lowercase()).map_or("", String::as_str);
            let (subject, body) = crate::announcements::compose(&a, portal_url, language);
            match mailer.send(recipient, &subject, &body).await {
                Ok(()) => sent += 1,
                Err(kumppani_platform::mail::MailError::Address(_)) => {}
                Err(kumppani_platform::mail::MailError::Smtp(e)) if e.is_permanent() => {}
                Err(e) => {
                    tracing::warn!(error = %e, "announcement e-mail not sent; tried again at the next pass");
                    tx.commit().await?;
                    return Ok(sent);
                }
            }
            sql::mail_sent(&mut tx, *id, recipient).await?;
        }
        tx.commit().await?;
    }
}

/// Sends every `every` until shutdown.
pub async fn run(pool: PgPool, mailer: Mailer, portal_url: String, every: std::time::Duration, shutdown: Shutdown) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                match send_pending(&pool, &mailer, &portal_url, Utc::now()).await {
                    Ok(n) if n > 0 => tracing::info!(sent = n, "notifications e-mailed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "e-mail pass failed"),
                }
                match send_announcements(&pool, &mailer, &portal_url, Utc::now()).await {
                    Ok(n) if n > 0 => tracing::info!(sent = n, "announcements e-mailed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "announcement e-mail pass failed"),
                }
                match crate::survey::mail::send(&pool, &mailer, &portal_url, Utc::now()).await {
                    Ok(n) if n > 0 => tracing::info!(sent = n, "survey invitations and reminders e-mailed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "survey e-mail pass failed"),
                }
            }
            () = shutdown.cancelled() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use kumppani_platform::mail::Lang;

    #[test]
    fn codes_in_an_email_are_words() {
        assert_eq!(super::detail_words(Lang::Fi, "status", "waiting_for_customer"), "Odottaa asiakasta");
        assert_eq!(super::detail_words(Lang::Sv, "recurring", "special_diets"), "Specialkost");
        assert_eq!(super::detail_words(Lang::En, "sla_warning", "resolve"), "Resolution");
        assert_eq!(super::detail_words(Lang::Sv, "rated", "4"), "4/5");
        assert_eq!(super::detail_words(Lang::Fi, "message", "Kiitos nopeasta vastauksesta"), "Kiitos nopeasta vastauksesta");
    }

    #[test]
    fn a_notification_is_in_the_recipients_language_or_in_both() {
        let n = crate::store::PendingMail {
            id: uuid::Uuid::nil(),
            recipient: "a@b.example".into(),
            kind: "status".into(),
            detail: "resolved".into(),
            item_id: uuid::Uuid::nil(),
            item_number: 12,
            site_name: "Päiväkoti Tähti".into(),
        };
        let (subject, body) = super::compose(&n, "https://k.example/", "sv");
        assert_eq!(subject, "Kumppani #12: Responsens status ändrades");
        assert!(
            body.contains("Löst") && !body.contains("Ratkaistu") && body.contains("Öppna: https://k.example/portal/feedback/"),
            "{body}"
        );
        let (subject, body) = super::compose(&n, "https://k.example/", "");
        assert_eq!(subject, "Kumppani #12: Palautteen tila muuttui / Responsens status ändrades");
        assert!(body.contains("Ratkaistu") && body.contains("Löst"), "{body}");
    }
}
