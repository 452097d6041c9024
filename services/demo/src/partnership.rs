//! The partnership's demo: the annual calendar of 2026 (prepared in 2025, all
//! done, a few late) and of 2027 in progress for every customer (the steps due
//! so far mostly done, some customers late with a step, the signing step done
//! where the 2027 agreement is signed), and two disputes on 2026 agreements:
//! one between the parties, one escalated by the clock. Written through the
//! contracts service's own partnership layer, so every rule holds.

use crate::city::demo_city;
use crate::ids::demo_id;
use crate::users::SEED_SUBJECT;
use chrono::{Days, NaiveDate};
use kumppani_contracts::partnership::{Partnership, mail};
use kumppani_platform::auth::{Principal, Role};
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgPool;

/// The demo's seeding as staff (the seed subject, no name of its own).
pub(crate) fn staff() -> Principal {
    Principal {
        subject: SEED_SUBJECT.into(),
        name: String::new(),
        email: String::new(),
        role: Role::EnterpriseStaff,
        customer_id: None,
        site_id: None,
        grants: Vec::new(),
    }
}

fn outcome(title: &str, late: bool) -> String {
    if late {
        format!("{title}: käsitelty, viivästyi asiakkaan budjettiaikataulun vuoksi.")
    } else {
        format!("{title}: käsitelty asiakkuusryhmän kokouksessa, muistio jaettu.")
    }
}

/// What happened to task `step` (its place in the year) of customer `c` by
/// `today`; `latest` marks the last step (before signing) already due.
fn fate(
    c: usize,
    step: usize,
    due: NaiveDate,
    today: NaiveDate,
    signed_on: Option<NaiveDate>,
    last: bool,
    latest: bool,
) -> (pb::TaskStatus, Option<NaiveDate>, bool) {
    if last {
        // The signing step is done when the agreement is.
        return match signed_on {
            Some(d) if d <= today => (pb::TaskStatus::Done, Some(d), d > due),
            _ => (pb::TaskStatus::InProgress, None, false),
        };
    }
    if due >= today {
        return (if due <= today + Days::new(45) { pb::TaskStatus::InProgress } else { pb::TaskStatus::Planned }, None, false);
    }
    // Every fourth customer is late with the latest step due; every fifth did its third step late.
    if c % 4 == 1 && latest {
        return (pb::TaskStatus::InProgress, None, false);
    }
    if c % 5 == 2 && step == 2 {
        let done = (due + Days::new(9)).min(today);
        return (pb::TaskStatus::Done, Some(done), done > due);
    }
    (pb::TaskStatus::Done, Some(due - Days::new(u64::try_from(c % 6).unwrap_or(0) + 1)), false)
}

/// Seeds once (the first customer's 2027 tasks not yet touched); idempotent.
pub async fn seed(pool: &PgPool, portal_url: &str) -> anyhow::Result<()> {
    let city = demo_city();
    let service = Partnership::new(pool.clone(), portal_url);
    let p = staff();
    let today = service.today();
    let first = city.customers.first().map(|c| demo_id("customer", &c.code)).unwrap_or_default();
    let touched: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM calendar_tasks WHERE customer_id = $1 AND version > 1)")
        .bind(first)
        .fetch_one(pool)
        .await?;
    if touched {
        return Ok(());
    }
    for year in [2026, 2027] {
        service.plan(&p, pb::PlanCalendarRequest { year, customer_id: String::new() }).await?;
    }
    for (c, customer) in city.customers.iter().enumerate() {
        let customer_id = demo_id("customer", &customer.code);
        for year in [2026, 2027] {
            let request = pb::ListCalendarTasksRequest { year, customer_id: customer_id.to_string(), page_size: 100, ..Default::default() };
            let mut tasks = service.tasks(&p, request).await?.tasks;
            tasks.sort_by_key(|t| t.position);
            let signed_on = if year == 2027 {
                customer.agreement_2027.signed_on.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
            } else {
                NaiveDate::from_ymd_opt(2025, 12, 12)
            };
            let count = tasks.len();
            let dues: Vec<Option<NaiveDate>> = tasks.iter().map(|t| t.due_on.as_ref().and_then(|d| d.to_naive())).collect();
            // The last step (signing aside) whose day has come: the one a late customer is late with.
            let latest = dues.iter().take(count.saturating_sub(1)).flatten().filter(|d| **d < today).max().copied();
            for (n, t) in tasks.iter().enumerate() {
                let Some(due) = dues[n] else { continue };
                let (status, done_on, late) = fate(c, n, due, today, signed_on, n + 1 == count, Some(due) == latest && year == 2027);
                if status == pb::TaskStatus::Planned {
                    continue;
                }
                let title = t.title.as_ref().map(|x| x.fi.clone()).unwrap_or_default();
                let request = pb::UpdateCalendarTaskRequest {
                    id: t.id.clone(),
                    expected_version: t.version,
                    enterprise_owner_contact_id: t.enterprise_owner.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
                    customer_owner_contact_id: t.customer_owner.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
                    due_on: t.due_on,
                    status: status as i32,
                    outcome: if status == pb::TaskStatus::Done { outcome(&title, late) } else { String::new() },
                    done_on: done_on.map(pb::Date::from_naive),
                };
                service.update_task(&p, request).await?;
            }
        }
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM disputes)").fetch_one(pool).await?;
    if !exists {
        let customer = |code: &str| city.customers.iter().find(|c| c.code == code);
        // The education division's dispute is between the parties; the welfare division's has escalated.
        if let Some(c) = customer("SIVI") {
            let request = pb::OpenDisputeRequest {
                agreement_id: demo_id("agreement", &format!("{}:2026", c.code)).to_string(),
                topic: "Erityisruokavalioiden lisähinta".into(),
                description: "Asiakas katsoo, että erityisruokavalioiden lisähinta sisältyy sovittuun ateriahintaan; \
                              liikelaitoksen mukaan lisähinnasta sovittiin palvelusopimuksen liitteessä."
                    .into(),
                opened_on: Some(pb::Date::from_naive(today - Days::new(20))),
                escalation_name: "Apulaiskaupunginjohtaja (sivistys- ja kulttuuripalvelut)".into(),
                escalation_email: "apulaiskaupunginjohtaja.sivistys@kaupunki.example".into(),
            };
            service.open_dispute(&p, request).await?;
        }
        if let Some(c) = customer("HYVI") {
            let request = pb::OpenDisputeRequest {
                agreement_id: demo_id("agreement", &format!("{}:2026", c.code)).to_string(),
                topic: "Puhtauspalvelun laatutaso".into(),
                description: "Osapuolet ovat eri mieltä siitä, täyttääkö ylläpitosiivous sovitun laatutason \
                              kolmessa kohteessa; laatukierrosten tulokset on kirjattu kummankin osapuolen muistioihin."
                    .into(),
                opened_on: Some(pb::Date::from_naive(today - Days::new(75))),
                escalation_name: "Apulaiskaupunginjohtaja (hyvinvointipalvelut)".into(),
                escalation_email: "apulaiskaupunginjohtaja.hyvinvointi@kaupunki.example".into(),
            };
            service.open_dispute(&p, request).await?;
        }
        mail::tick(&service).await?;
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM meetings)").fetch_one(pool).await?;
    if !exists {
        for c in city.customers.iter().filter(|c| c.code == "SIVI" || c.code == "HYVI") {
            meetings_and_projects(&service, pool, c, today).await?;
        }
    }
    Ok(())
}

/// The id of the customer's contact person with `email` (the demo logins'
/// people: `staff` is the first enterprise contact, `sopimus.sivistys` the
/// first contract-level customer contact), as the registry has it.
async fn contact_by_email(pool: &PgPool, customer: uuid::Uuid, email: Option<&str>) -> anyhow::Result<String> {
    let id: Option<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM contacts WHERE customer_id = $1 AND email = $2 ORDER BY id LIMIT 1")
        .bind(customer)
        .bind(email.unwrap_or_default())
        .fetch_optional(pool)
        .await?;
    Ok(id.map(|i| i.to_string()).unwrap_or_default())
}

/// A status review with minutes and action items (one late, one open for the
/// customer's contract contact, one done), an earlier customer meeting, and a
/// development project with milestones (the education division's behind
/// schedule, the welfare division's on it).
async fn meetings_and_projects(
    service: &Partnership,
    pool: &PgPool,
    c: &crate::city::DemoCustomer,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let p = staff();
    let customer = demo_id("customer", &c.code);
    let ours = contact_by_email(pool, customer, c.enterprise_contacts.first().map(|x| x.email.as_str())).await?;
    let theirs = contact_by_email(pool, customer, c.contacts.iter().find(|x| x.level == "contract").map(|x| x.email.as_str())).await?;
    let day = |offset: i64| {
        pb::Date::from_naive(if offset < 0 { today - Days::new(offset.unsigned_abs()) } else { today + Days::new(offset.unsigned_abs()) })
    };
    let earlier = service
        .save_meeting(
            &p,
            pb::SaveMeetingRequest {
                customer_id: customer.to_string(),
                kind: pb::MeetingKind::CustomerMeeting as i32,
                held_on: Some(day(-62)),
                title: "Asiakaskokous: palvelutarpeet 2027".into(),
                participants: "Asiakkuuspäällikkö, palvelualueen talouspäällikkö, tuotantopäällikkö".into(),
                agenda: "1. Palvelupyynnön muutokset\n2. Hinnoitteluesitys\n3. Kehittämishankkeet".into(),
                minutes: "Käytiin läpi kohteiden palvelutarpeet vuodelle 2027 ja hinnoitteluesityksen perusteet.".into(),
                decisions: "Palvelupyyntö täydennetään kolmen uuden kohteen osalta.".into(),
                ..Default::default()
            },
        )
        .await?;
    service
        .save_action(
            &p,
            pb::SaveActionItemRequest {
                meeting_id: earlier.id.clone(),
                description: "Täydennetään palvelupyyntö uusien kohteiden osalta".into(),
                owner_contact_id: theirs.clone(),
                due_on: Some(day(-40)),
                done_on: Some(day(-45)),
                ..Default::default()
            },
        )
        .await?;
    let review = service
        .save_meeting(
            &p,
            pb::SaveMeetingRequest {
                customer_id: customer.to_string(),
                kind: pb::MeetingKind::StatusReview as i32,
                held_on: Some(day(-15)),
                title: "Syksyn tilannekatsaus".into(),
                participants: "Asiakkuuspäällikkö, sopimusvastaava, palvelupäällikkö".into(),
                agenda: "1. Asiakaskyselyn tulokset\n2. Reklamaatiot ja niiden käsittelyajat\n3. Kehittämishankkeiden tilanne".into(),
                minutes: "Asiakaskyselyn tulokset paranivat viime vuodesta; reklamaatioiden käsittelyajat ovat tavoitteessa. \
                      Hävikkihankkeen pilotti viivästyi kahdella viikolla."
                    .into(),
                decisions: "Erityisruokavalioiden hinnoitteluperusteet toimitetaan asiakkaalle ennen sopimuksen allekirjoitusta.".into(),
                ..Default::default()
            },
        )
        .await?;
    for (description, owner, due, done) in [
        ("Toimitetaan erityisruokavalioiden hinnoitteluperusteet", &ours, -3, None),
        ("Viedään asiakaskyselyn tulokset yksiköiden esihenkilöille", &theirs, 10, None),
        ("Päivitetään kohteiden yhteyshenkilölista", &ours, -5, Some(-8)),
    ] {
        service
            .save_action(
                &p,
                pb::SaveActionItemRequest {
                    meeting_id: review.id.clone(),
                    description: description.into(),
                    owner_contact_id: owner.clone(),
                    due_on: Some(day(due)),
                    done_on: done.map(day),
                    ..Default::default()
                },
            )
            .await?;
    }
    let (title, goal, late) = if c.code == "SIVI" {
        ("Ruokahävikin puolittaminen kouluissa", "Koulujen ruokahävikki puolitetaan lukuvuoden aikana (mittaus, pilotti, laajennus).", true)
    } else {
        ("Sähköinen tilaaminen kaikkiin hoivakoteihin", "Kaikki hoivakodit tilaavat ateriat sähköisesti (Liite 4, 1.3).", false)
    };
    let project = service
        .save_project(
            &p,
            pb::SaveProjectRequest {
                customer_id: customer.to_string(),
                title: title.into(),
                goal: goal.into(),
                enterprise_responsible_contact_id: ours.clone(),
                customer_responsible_contact_id: theirs.clone(),
                status: pb::ProjectStatus::Active as i32,
                hours_planned: "240".into(),
                hours_used: "96.5".into(),
                ..Default::default()
            },
        )
        .await?;
    for (title, planned, done) in [
        ("Lähtötaso mitattu", -120, Some(-122)),
        ("Pilotti", -30, if late { Some(-16) } else { Some(-31) }),
        ("Laajennus kaikkiin kohteisiin", 90, None),
    ] {
        service
            .save_milestone(
                &p,
                pb::SaveMilestoneRequest {
                    project_id: project.id.clone(),
                    title: title.into(),
                    planned_on: Some(day(planned)),
                    done_on: done.map(day),
                    ..Default::default()
                },
            )
            .await?;
    }
    Ok(())
}
