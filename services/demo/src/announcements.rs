//! The demo's announcements (feedback owns them): one to everybody about the
//! holidays (read by some), one to the daycares' and schools' people about
//! special diets (new for `paivakoti`), one to the contract level about
//! signing next year's agreements (read by `sopimus.sivistys`).

use crate::users::demo_users;
use chrono::{DateTime, Duration, Utc};
use kumppani_feedback::service::Feedback;
use kumppani_platform::auth::Principal;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use kumppani_proto::pbjson_types::Timestamp;
use sqlx::PgPool;

fn ts(at: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: at.timestamp(), nanos: 0 })
}

fn text(fi: &str, sv: &str, en: &str) -> Option<pb::AnnouncementText> {
    Some(pb::AnnouncementText { fi: fi.into(), sv: sv.into(), en: en.into() })
}

/// The demo user `username` as the principal their token makes.
fn person(username: &str) -> Option<Principal> {
    demo_users().into_iter().find(|u| u.username == username).map(|u| Principal {
        subject: u.username.clone(),
        name: u.name,
        email: u.email,
        role: u.role,
        customer_id: u.customer_id,
        site_id: u.site_id,
        grants: Vec::new(),
    })
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM announcements)").fetch_one(pool).await?;
    if exists {
        return Ok(());
    }
    let now = Utc::now();
    let api = Feedback { pool: pool.clone(), at: None };
    let staff = crate::partnership::staff();
    let audience =
        |kinds: Vec<i32>, level: pb::AnnouncementLevel| Some(pb::Audience { site_kinds: kinds, level: level as i32, ..Default::default() });
    let holidays = api
        .publish_announcement(
            &staff,
            pb::PublishAnnouncementRequest {
                title: text(
                    "Joulun ja uudenvuoden aukioloajat",
                    "Öppettider under jul och nyår",
                    "Opening hours over Christmas and New Year",
                ),
                body: text(
                    "Keskuskeittiö on kiinni 24.–26.12. ja 1.1. Tilaukset 27.12. alkaen tulee tehdä viimeistään 19.12.",
                    "Centralköket är stängt 24–26.12 och 1.1. Beställningar från 27.12 ska göras senast 19.12.",
                    "The central kitchen is closed on 24–26 December and 1 January. Orders from 27 December are due by 19 December.",
                ),
                audience: audience(vec![], pb::AnnouncementLevel::All),
                publish_from: ts(now - Duration::days(5)),
                publish_until: ts(now + Duration::days(40)),
            },
        )
        .await?;
    api.publish_announcement(
        &staff,
        pb::PublishAnnouncementRequest {
            title: text(
                "Erityisruokavalioiden tilaaminen muuttuu",
                "Beställningen av specialkost ändras",
                "Ordering special diets changes",
            ),
            body: text(
                "Helmikuun alusta erityisruokavaliot tilataan ruokalajeittain tilausviikolla, ei enää erillisellä lomakkeella.",
                "Från början av februari beställs specialkost per maträtt i beställningsveckan, inte längre på en separat blankett.",
                "From February, special diets are ordered per dish in the order week, no longer on a separate form.",
            ),
            audience: audience(
                vec![contracts::SiteKind::Daycare as i32, contracts::SiteKind::School as i32],
                pb::AnnouncementLevel::Operational,
            ),
            publish_from: ts(now - Duration::days(2)),
            publish_until: None,
        },
    )
    .await?;
    let signing = api
        .publish_announcement(
            &staff,
            pb::PublishAnnouncementRequest {
                title: text(
                    "Vuoden 2027 palvelusopimukset allekirjoitettavina",
                    "Serviceavtalen för 2027 ska undertecknas",
                    "The 2027 service agreements are ready to sign",
                ),
                body: text(
                    "Palvelusopimukset on allekirjoitettava 31.12. mennessä. Avoimet kysymykset käsitellään asiakkuuspäällikön kanssa.",
                    "Serviceavtalen ska undertecknas senast 31.12. Öppna frågor behandlas med kundansvarige.",
                    "The service agreements are to be signed by 31 December. Open questions are settled with the customer manager.",
                ),
                audience: audience(vec![], pb::AnnouncementLevel::Contract),
                publish_from: ts(now - Duration::days(20)),
                publish_until: None,
            },
        )
        .await?;
    for (who, id) in [("paivakoti", &holidays.id), ("sopimus.hyvinvointi", &holidays.id), ("sopimus.sivistys", &signing.id)] {
        if let Some(p) = person(who) {
            api.mark_announcement_read(&p, pb::MarkAnnouncementReadRequest { id: id.clone() }).await?;
        }
    }
    Ok(())
}
