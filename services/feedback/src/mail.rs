//! E-mail of notifications: every pass sends the notifications of the last
//! day not yet e-mailed (oldest first) and stamps `emailed_at` in the same
//! transaction, rows locked so replicas do not send twice. A failed send
//! stops the pass; what was not stamped is tried again at the next pass.
//! The text is Finnish and Swedish (the portal's languages; a person's own
//! choice is not known here), with a link to the item and no more personal
//! data than the portal's notification list shows.

use crate::store;
use chrono::{DateTime, Duration, Utc};
use kumppani_platform::AppError;
use kumppani_platform::Shutdown;
use kumppani_platform::mail::Mailer;
use sqlx::PgPool;

/// Notifications older than this are not e-mailed any more (the portal has them).
pub const MAX_AGE_HOURS: i64 = 24;
const BATCH: i64 = 50;

/// Subject and body of a notification, in Finnish and Swedish.
pub fn compose(n: &store::PendingMail, portal_url: &str) -> (String, String) {
    let (fi, sv) = match n.kind.as_str() {
        "feedback_received" => ("Uusi palaute käsiteltäväksi", "Ny respons att behandla"),
        "assigned" => ("Palaute siirretty käsiteltäväksesi", "Respons överförd till dig"),
        "escalated" => ("Palaute eskaloitu esihenkilölle", "Respons eskalerad till chefen"),
        "recurring" => ("Toistuva ongelma", "Återkommande problem"),
        "status" => ("Palautteen tila muuttui", "Responsens status ändrades"),
        "message" => ("Uusi viesti palautteessa", "Nytt meddelande i responsen"),
        "rated" => ("Käsittely arvioitiin", "Behandlingen bedömdes"),
        "sla_warning" => ("Määräaika lähestyy", "Tidsfristen närmar sig"),
        "sla_breached" => ("Määräaika ylittyi", "Tidsfristen överskreds"),
        _ => ("Ilmoitus", "Avisering"),
    };
    let subject = format!("Kumppani #{}: {fi} / {sv}", n.item_number);
    let link = format!("{}/portal/feedback/{}", portal_url.trim_end_matches('/'), n.item_id);
    let body = format!(
        "{fi}: #{number}, {site}\n{detail}\n\n{sv}: #{number}, {site}\n\nAvaa / Öppna: {link}\n\n\
         Tämä on automaattinen ilmoitus Kumppani-palvelusta. / Detta är en automatisk avisering från tjänsten Kumppani.\n",
        number = n.item_number,
        site = n.site_name,
        detail = detail_words(&n.kind, &n.detail),
    );
    (subject, body)
}

/// A notification's detail in Finnish and Swedish where the service stores a
/// code (a status, a topic, which clock, a rating); free text as it is. The
/// words are the portal's (`locales/{fi,sv}/main.ftl`).
fn detail_words(kind: &str, detail: &str) -> String {
    const STATUSES: [(&str, &str, &str); 6] = [
        ("received", "Vastaanotettu", "Mottagen"),
        ("acknowledged", "Kuitattu", "Kvitterad"),
        ("in_progress", "Käsittelyssä", "Under behandling"),
        ("waiting_for_customer", "Odottaa asiakasta", "Väntar på kunden"),
        ("resolved", "Ratkaistu", "Löst"),
        ("closed", "Suljettu", "Stängd"),
    ];
    const TOPICS: [(&str, &str, &str); 7] = [
        ("meals", "Ateriat", "Måltider"),
        ("special_diets", "Erityisruokavaliot", "Specialkost"),
        ("cleaning", "Siivous", "Städning"),
        ("ordering", "Tilaaminen", "Beställning"),
        ("invoicing", "Laskutus", "Fakturering"),
        ("agreement", "Sopimus", "Avtal"),
        ("other", "Muu", "Övrigt"),
    ];
    let table: &[(&str, &str, &str)] = match (kind, detail) {
        (_, "acknowledge") => &[("acknowledge", "Kuittaus", "Kvittering")],
        (_, "resolve") => &[("resolve", "Ratkaisu", "Lösning")],
        ("status", _) => &STATUSES,
        ("recurring", _) => &TOPICS,
        ("rated", r) => return format!("{r}/5"),
        _ => &[],
    };
    table.iter().find(|(code, _, _)| *code == detail).map(|(_, fi, sv)| format!("{fi} / {sv}")).unwrap_or_else(|| detail.to_owned())
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
        for n in &pending {
            let (subject, body) = compose(n, portal_url);
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
        for (id, recipient) in &batch {
            let Some(a) = sql::get(&mut tx, *id, "").await? else { continue };
            let (subject, body) = crate::announcements::compose(&a, portal_url);
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
            }
            () = shutdown.cancelled() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_in_an_email_are_words() {
        assert_eq!(super::detail_words("status", "waiting_for_customer"), "Odottaa asiakasta / Väntar på kunden");
        assert_eq!(super::detail_words("recurring", "special_diets"), "Erityisruokavaliot / Specialkost");
        assert_eq!(super::detail_words("sla_warning", "resolve"), "Ratkaisu / Lösning");
        assert_eq!(super::detail_words("rated", "4"), "4/5");
        assert_eq!(super::detail_words("message", "Kiitos nopeasta vastauksesta"), "Kiitos nopeasta vastauksesta");
    }
}
