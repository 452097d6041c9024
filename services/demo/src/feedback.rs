//! The feedback demo: three months of feedback across the demo city, handled
//! as the producer's people would: most acknowledged and resolved in time,
//! some late (the SLA job breaches and escalates them), one critical allergen
//! case, a recurring cleaning problem at one school, items waiting for the
//! customer, a reopened one, ratings, and this week's items still open for
//! the staff queue. The daycare of the demo user `paivakoti` has items of its own.
//!
//! Runs after the platform has started (feedback learns sites and contact
//! persons from contracts' events): waits until its projection has them,
//! then works through the feedback service's own API with its clock set to
//! each step's moment, and runs the SLA job between the steps, so clocks,
//! warnings, breaches and history are what the service itself computes.
//! Idempotent: does nothing when any item exists.

use crate::city::{DemoCustomer, DemoSite, demo_city};
use crate::contracts::is_enterprise;
use crate::ids::demo_id;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Helsinki;
use kumppani_feedback::service::Feedback;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::calendar::sla::{Clock, WorkingHours};
use kumppani_platform::db::connect_as_service;
use kumppani_proto::feedback::v1 as pb;
use std::collections::HashMap;
use std::time::Instant;

const WH: Clock = Clock::WorkingHours(WorkingHours::STANDARD);

/// A small deterministic generator (the demo is the same every time).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        let n = u64::try_from(v.len()).ok()?;
        v.get(usize::try_from(self.below(n)).ok()?)
    }
}

/// What people write, by kind and topic (Finnish, as the city's people write).
fn texts(kind: pb::FeedbackKind, topic: pb::FeedbackTopic) -> &'static [&'static str] {
    use pb::FeedbackKind as K;
    use pb::FeedbackTopic as T;
    match (kind, topic) {
        (K::Reclamation, T::Meals) => &[
            "Lounaan peruna oli raakaa ja kastike jäähtynyttä, kun kuljetus saapui puoli tuntia myöhässä.",
            "Kuljetuksesta puuttui yksi GN-astia kasvisruokaa, lapsia jäi ilman pääruokaa.",
            "Välipalan leipää tuli 20 annosta tilattua vähemmän.",
            "Keiton lämpötila oli vastaanotossa 52 astetta, mitattu kuittauksen yhteydessä.",
        ],
        (K::Reclamation, T::SpecialDiets) => &[
            "Maidoton annos puuttui lounaalta, vaikka erityisruokavalio on ilmoitettu.",
            "Gluteenittoman lapsen annos oli merkitty väärin, annos vaihdettiin paikan päällä.",
            "Kasvisruokavalion annoksissa oli kalaa.",
        ],
        (K::Reclamation, T::Cleaning) => &[
            "Liikuntasalin lattiaa ei ollut pesty sovitusti perjantaina.",
            "WC-tilojen paperit ja saippuat loppuivat kesken päivän, täydennys ei toiminut.",
            "Luokkien roska-astiat olivat tyhjentämättä maanantaiaamuna.",
            "Ruokasalin pöydät jäivät pyyhkimättä iltapäivän siivouksessa.",
        ],
        (K::Reclamation, T::Ordering) => &[
            "Tilausjärjestelmä hyväksyi muutoksen, mutta määrä ei näkynyt toimituksessa.",
            "Retkipäivän eväät tilattiin ajoissa, mutta ne puuttuivat kuljetuksesta.",
        ],
        (K::Reclamation, T::Invoicing) => {
            &["Laskulla on lokakuun välipaloja enemmän kuin toimitettiin.", "Laskulla on kohde, joka suljettiin syyskuussa."]
        }
        (K::Feedback, T::Meals) => &[
            "Lapset toivovat enemmän kasviksia lämpimänä lisäkkeenä.",
            "Annoskoot ovat yläkoululaisille pienet, moni hakee lisää.",
            "Uusi kalakeitto oli suosittu, mutta leipä loppui kesken.",
        ],
        (K::Feedback, T::Cleaning) => &[
            "Siivoojan vaihtuminen kesken kauden näkyy, ikkunalaudat jäävät pyyhkimättä.",
            "Iltasiivous häiritsee iltapäiväkerhoa, voisiko aloittaa puoli tuntia myöhemmin?",
        ],
        (K::Feedback, T::Ordering) => &["Tilausnäkymä on selkeä, mutta viikon kopiointi seuraavalle viikolle puuttuu."],
        (K::Praise, T::Meals) => &[
            "Itsenäisyyspäivän juhla-ateria oli upea, kiitos keittiölle!",
            "Kiitos joustavuudesta, kun retkipäivän eväät järjestyivät lyhyellä varoitusajalla.",
        ],
        (K::Praise, T::Cleaning) => {
            &["Kevätsiivous tehtiin perusteellisesti ja aikataulussa, kiitos!", "Uusi siivooja on ystävällinen ja huolellinen."]
        }
        (K::Question, T::Meals) => &[
            "Voiko joulujuhlaan tilata kahvitarjoilun samalla tilauksella?",
            "Miten ilmoitamme uuden erityisruokavalion, kun lapsi aloittaa ensi viikolla?",
        ],
        (K::Question, T::Invoicing) => {
            &["Mistä laskun rivi 'lisäsiivous' koostuu?", "Miksi marraskuun välipalan hinta on eri kuin lokakuussa?"]
        }
        (K::Question, T::Agreement) => &["Milloin ensi vuoden palvelusopimuksen luonnos tulee kommentoitavaksi?"],
        (K::Idea, T::Meals) => &["Voisiko hävikkiruokaa myydä henkilökunnalle iltapäivällä?"],
        (K::Idea, T::Cleaning) => &["Ehdotus: siivouksen kuittauslista oven pieleen, niin näemme mitä on tehty."],
        _ => &[],
    }
}

const MIX: &[(pb::FeedbackKind, pb::FeedbackTopic, u64)] = &[
    (pb::FeedbackKind::Reclamation, pb::FeedbackTopic::Meals, 16),
    (pb::FeedbackKind::Reclamation, pb::FeedbackTopic::SpecialDiets, 8),
    (pb::FeedbackKind::Reclamation, pb::FeedbackTopic::Cleaning, 14),
    (pb::FeedbackKind::Reclamation, pb::FeedbackTopic::Ordering, 4),
    (pb::FeedbackKind::Reclamation, pb::FeedbackTopic::Invoicing, 3),
    (pb::FeedbackKind::Feedback, pb::FeedbackTopic::Meals, 10),
    (pb::FeedbackKind::Feedback, pb::FeedbackTopic::Cleaning, 6),
    (pb::FeedbackKind::Feedback, pb::FeedbackTopic::Ordering, 3),
    (pb::FeedbackKind::Praise, pb::FeedbackTopic::Meals, 8),
    (pb::FeedbackKind::Praise, pb::FeedbackTopic::Cleaning, 6),
    (pb::FeedbackKind::Question, pb::FeedbackTopic::Meals, 7),
    (pb::FeedbackKind::Question, pb::FeedbackTopic::Invoicing, 5),
    (pb::FeedbackKind::Question, pb::FeedbackTopic::Agreement, 3),
    (pb::FeedbackKind::Idea, pb::FeedbackTopic::Meals, 4),
    (pb::FeedbackKind::Idea, pb::FeedbackTopic::Cleaning, 3),
];

/// One step of the demo's timeline.
#[derive(Debug, Clone)]
enum Step {
    Submit {
        request: pb::SubmitFeedbackRequest,
        by: Principal,
    },
    /// Through the city's common feedback channel (Open311), by a resident or a parent.
    Open311(pb::Open311Submission),
    Act {
        action: pb::FeedbackAction,
        note: String,
        corrective: String,
        compensation: Option<(String, String)>,
        customer: bool,
    },
    Message {
        body: String,
        internal: bool,
        customer: bool,
    },
    Rate {
        rating: i32,
        comment: String,
    },
}

struct Planned {
    at: DateTime<Utc>,
    item: usize,
    step: Step,
}

/// A customer-side person of a site (a site user), as the portal would know them.
fn site_person(c: &DemoCustomer, s: &DemoSite, paivakoti: Option<&str>) -> Principal {
    let person = s.contacts.iter().find(|p| !is_enterprise(p)).or_else(|| c.contacts.iter().find(|p| p.level == "operational"));
    let (name, email) =
        person.map(|p| (p.name.clone(), p.email.clone())).unwrap_or_else(|| (format!("{} henkilökunta", s.name), String::new()));
    let subject = if paivakoti == Some(s.code.as_str()) { "paivakoti".to_owned() } else { format!("demo:{email}") };
    Principal {
        subject,
        name,
        email,
        role: Role::SiteUser,
        customer_id: Some(demo_id("customer", &c.code)),
        site_id: Some(demo_id("site", &s.code)),
        grants: Vec::new(),
    }
}

fn handler_principal(h: Option<&pb::Handler>, staff_email: &str) -> Principal {
    let (name, email) = h.map(|h| (h.name.clone(), h.email.clone())).unwrap_or_default();
    let subject = if !email.is_empty() && email == staff_email { "staff".to_owned() } else { format!("demo:{email}") };
    Principal { subject, name, email, role: Role::EnterpriseStaff, customer_id: None, site_id: None, grants: Vec::new() }
}

/// A moment of the day `days_back` days before `now`: `minute` minutes past 8:00 Helsinki time.
fn working_moment(now: DateTime<Utc>, days_back: i64, minute: i64) -> DateTime<Utc> {
    let date = (now - Duration::days(days_back)).with_timezone(&Helsinki).date_naive();
    let local = date.and_time(chrono::NaiveTime::MIN) + Duration::minutes(8 * 60 + minute.clamp(0, 8 * 60 - 1));
    Helsinki.from_local_datetime(&local).earliest().map_or(now - Duration::days(days_back), |t| t.with_timezone(&Utc))
}

fn after(t: DateTime<Utc>, working_minutes: i64) -> DateTime<Utc> {
    WH.deadline(t, Duration::minutes(working_minutes), &[]).unwrap_or(t + Duration::minutes(working_minutes))
}

/// Waits until feedback's projection knows every site and every customer's producer contacts.
async fn wait_for_projection(pool: &sqlx::PgPool, customers: i64, sites: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let (s, c): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM sites), (SELECT count(DISTINCT customer_id) FROM contacts WHERE party = 'producer')",
        )
        .fetch_one(pool)
        .await?;
        if s >= sites && c >= customers {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed().as_secs() < 300,
            "feedback's projection did not catch up ({s}/{sites} sites, {c}/{customers} customers)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The timeline: who gives what feedback when, and how it is handled.
/// The photo of the recurring-problem item: a gym floor with sand and
/// footprints (480 × 320 PNG, drawn for the demo, no people in it).
const GYM_FLOOR_PNG: &[u8] = include_bytes!("../assets/liikuntasali.png");

fn plan(now: DateTime<Utc>) -> Vec<Planned> {
    let city = demo_city();
    let paivakoti = crate::users::demo_users()
        .into_iter()
        .find(|u| u.username == "paivakoti")
        .and_then(|u| u.site_id)
        .and_then(|id| {
            city.customers.iter().flat_map(|c| c.units.iter().flat_map(|u| u.sites.iter())).find(|s| demo_id("site", &s.code) == id)
        })
        .map(|s| s.code.clone());
    let sites: Vec<(&DemoCustomer, &DemoSite)> = city
        .customers
        .iter()
        .flat_map(|c| c.units.iter().flat_map(move |u| u.sites.iter().map(move |s| (c, s))))
        .filter(|(_, s)| s.status == "active")
        .collect();
    let mut rng = Rng(0x6b75_6d70_7061_6e69);
    let mut out = Vec::new();
    let weight: u64 = MIX.iter().map(|m| m.2).sum();
    let mut item = 0usize;
    let mut add_item = |out: &mut Vec<Planned>, at: DateTime<Utc>, request: pb::SubmitFeedbackRequest, by: Principal| {
        out.push(Planned { at, item, step: Step::Submit { request, by } });
        item += 1;
        item - 1
    };
    // About two items a working day over 13 weeks.
    for days_back in (0..=92).rev() {
        let day = working_moment(now, days_back, 0).with_timezone(&Helsinki).date_naive();
        let per_day = match (kumppani_platform::calendar::is_working_day(day), days_back) {
            (false, _) => 0,
            // This week is busier, so the staff queue has work in it.
            (true, 0..=7) => 4,
            (true, _) => 2,
        };
        for _ in 0..per_day {
            let Some((c, s)) = rng.pick(&sites).copied() else { continue };
            let mut roll = rng.below(weight);
            let (kind, topic) = MIX
                .iter()
                .find(|(_, _, w)| {
                    let hit = roll < *w;
                    roll = roll.saturating_sub(*w);
                    hit
                })
                .map(|(k, t, _)| (*k, *t))
                .unwrap_or((pb::FeedbackKind::Feedback, pb::FeedbackTopic::Meals));
            let Some(text) = rng.pick(texts(kind, topic)) else { continue };
            let at = working_moment(now, days_back, i64::try_from(rng.below(420)).unwrap_or(60));
            if at > now {
                continue;
            }
            let by = site_person(c, s, paivakoti.as_deref());
            let service_day = (kind == pb::FeedbackKind::Reclamation && topic != pb::FeedbackTopic::Invoicing)
                .then(|| pb::Date::from_naive(at.with_timezone(&Helsinki).date_naive()));
            let request = pb::SubmitFeedbackRequest {
                kind: kind as i32,
                topic: topic as i32,
                severity: if kind == pb::FeedbackKind::Reclamation && rng.chance(12) { pb::Severity::Urgent as i32 } else { 0 },
                site_id: demo_id("site", &s.code).to_string(),
                service_day,
                description: (*text).to_owned(),
                ..Default::default()
            };
            let id = add_item(&mut out, at, request, by);
            handling(&mut out, &mut rng, id, at, now, kind);
        }
    }
    // The critical allergen case, six weeks ago: acknowledged in 20 minutes, resolved the same day with a compensation.
    if let Some((c, s)) = sites.iter().find(|(_, s)| s.kind == "daycare" && Some(s.code.as_str()) != paivakoti.as_deref()).copied() {
        let at = working_moment(now, 42, 150);
        let request = pb::SubmitFeedbackRequest {
            kind: pb::FeedbackKind::Reclamation as i32,
            topic: pb::FeedbackTopic::SpecialDiets as i32,
            severity: pb::Severity::Critical as i32,
            site_id: demo_id("site", &s.code).to_string(),
            service_day: Some(pb::Date::from_naive(at.with_timezone(&Helsinki).date_naive())),
            description: "Pähkinäallergisen lapsen välipalassa oli pähkinärouhetta. Lapsi ei syönyt annosta, huoltajille ilmoitettu."
                .into(),
            ..Default::default()
        };
        let id = add_item(&mut out, at, request, site_person(c, s, None));
        let act = |action, note: &str, corrective: &str, compensation: Option<(String, String)>| Step::Act {
            action,
            note: note.into(),
            corrective: corrective.into(),
            compensation,
            customer: false,
        };
        out.push(Planned { at: at + Duration::minutes(20), item: id, step: act(pb::FeedbackAction::Acknowledge, "", "", None) });
        out.push(Planned {
            at: at + Duration::minutes(35),
            item: id,
            step: Step::Message {
                body: "Selvitämme heti keittiön kanssa, miten rouhe päätyi annokseen. Soitan vielä tänään.".into(),
                internal: false,
                customer: false,
            },
        });
        out.push(Planned {
            at: at + Duration::hours(4),
            item: id,
            step: act(
                pb::FeedbackAction::Resolve,
                "",
                "Välipalan resepti ja pakkausohje tarkistettu; pähkinää sisältävät raaka-aineet poistettu varhaiskasvatuksen välipaloista; keittiöhenkilöstön allergiaperehdytys uusittu.",
                Some(("48.00".into(), "Välipalat korvataan viikon ajalta".into())),
            ),
        });
        out.push(Planned {
            at: at + Duration::days(1),
            item: id,
            step: Step::Rate { rating: 4, comment: "Nopea ja asiallinen reagointi.".into() },
        });
    }
    // A recurring problem: three cleaning reclamations at one school within three weeks.
    if let Some((c, s)) = sites.iter().find(|(_, s)| s.kind == "school").copied() {
        for (n, days_back) in [24, 15, 6].into_iter().enumerate() {
            let at = working_moment(now, days_back, 60);
            let request = pb::SubmitFeedbackRequest {
                kind: pb::FeedbackKind::Reclamation as i32,
                topic: pb::FeedbackTopic::Cleaning as i32,
                site_id: demo_id("site", &s.code).to_string(),
                service_day: Some(pb::Date::from_naive(at.with_timezone(&Helsinki).date_naive())),
                description: [
                    "Liikuntasalin lattia pesemättä taas.",
                    "Liikuntasalin lattia on edelleen likainen.",
                    "Kolmas kerta: liikuntasali on siivoamatta.",
                ][n]
                    .into(),
                // The third time the caretaker took a photo (drawn for the demo: a floor with sand and footprints).
                photos: if n == 2 {
                    vec![pb::PhotoUpload { filename: "liikuntasali.png".into(), content: GYM_FLOOR_PNG.to_vec() }]
                } else {
                    Vec::new()
                },
                ..Default::default()
            };
            let id = add_item(&mut out, at, request, site_person(c, s, None));
            if n < 2 {
                handling(&mut out, &mut rng, id, at, now, pb::FeedbackKind::Reclamation);
            }
        }
    }
    // The demo user's own daycare: a closed and rated reclamation, a resolved
    // question, one waiting for the director's answer and one just received.
    let own = paivakoti.as_deref().and_then(|code| sites.iter().find(|(_, s)| s.code == code).copied());
    if let Some((c, s)) = own {
        let by = site_person(c, s, paivakoti.as_deref());
        let request =
            |kind: pb::FeedbackKind, topic: pb::FeedbackTopic, text: &str, day: Option<DateTime<Utc>>| pb::SubmitFeedbackRequest {
                kind: kind as i32,
                topic: topic as i32,
                site_id: demo_id("site", &s.code).to_string(),
                service_day: day.map(|d| pb::Date::from_naive(d.with_timezone(&Helsinki).date_naive())),
                description: text.into(),
                ..Default::default()
            };
        let staff_act = |action, corrective: &str, note: &str| Step::Act {
            action,
            note: note.into(),
            corrective: corrective.into(),
            compensation: None,
            customer: false,
        };
        let at = working_moment(now, 70, 90);
        let id = add_item(
            &mut out,
            at,
            request(
                pb::FeedbackKind::Reclamation,
                pb::FeedbackTopic::Meals,
                "Lounaan kastike oli jäähtynyttä, vastaanotossa 55 astetta.",
                Some(at),
            ),
            by.clone(),
        );
        out.push(Planned { at: after(at, 45), item: id, step: staff_act(pb::FeedbackAction::Acknowledge, "", "") });
        out.push(Planned {
            at: after(at, 300),
            item: id,
            step: staff_act(
                pb::FeedbackAction::Resolve,
                "Kuljetusreitti muutettu niin, että päiväkoti on ensimmäisenä; lämpölaatikot vaihdettu.",
                "",
            ),
        });
        out.push(Planned {
            at: after(at, 600),
            item: id,
            step: Step::Rate { rating: 5, comment: "Kiitos, nyt ruoka tulee lämpimänä.".into() },
        });
        out.push(Planned {
            at: after(at, 610),
            item: id,
            step: Step::Act {
                action: pb::FeedbackAction::Close,
                note: String::new(),
                corrective: String::new(),
                compensation: None,
                customer: true,
            },
        });
        let at = working_moment(now, 30, 200);
        let id = add_item(
            &mut out,
            at,
            request(
                pb::FeedbackKind::Question,
                pb::FeedbackTopic::SpecialDiets,
                "Uusi lapsi aloittaa ensi viikolla, hänellä on kananmuna-allergia. Miten ilmoitamme?",
                None,
            ),
            by.clone(),
        );
        out.push(Planned { at: after(at, 60), item: id, step: Step::Message { body: "Ilmoittakaa erityisruokavalio tilausnäkymän kohdassa Erityisruokavaliot; keittiö saa tiedon seuraavasta päivästä alkaen.".into(), internal: false, customer: false } });
        out.push(Planned { at: after(at, 70), item: id, step: staff_act(pb::FeedbackAction::Resolve, "", "") });
        let at = working_moment(now, 4, 60);
        let id = add_item(
            &mut out,
            at,
            request(pb::FeedbackKind::Reclamation, pb::FeedbackTopic::SpecialDiets, "Gluteeniton leipä puuttui välipalalta.", Some(at)),
            by.clone(),
        );
        out.push(Planned { at: after(at, 50), item: id, step: staff_act(pb::FeedbackAction::Acknowledge, "", "") });
        out.push(Planned {
            at: after(at, 90),
            item: id,
            step: staff_act(pb::FeedbackAction::WaitForCustomer, "", "Puuttuiko leipä koko ryhmältä vai yhdeltä lapselta?"),
        });
        let at = now - Duration::hours(2);
        add_item(
            &mut out,
            at,
            request(
                pb::FeedbackKind::Feedback,
                pb::FeedbackTopic::Cleaning,
                "Eteisen lattia on aamuisin hiekkainen, voisiko eteisen imuroida myös iltapäivällä?",
                None,
            ),
            by,
        );
    }
    // The city's common feedback channel (Open311): residents and parents about schools and daycares.
    let public: Vec<(&DemoCustomer, &DemoSite)> = sites.iter().filter(|(_, s)| matches!(s.kind, "school" | "daycare")).copied().collect();
    let texts = [
        (
            pb::FeedbackTopic::Cleaning,
            pb::FeedbackKind::Reclamation,
            "Roskia koulun pääoven edessä",
            "Koulun pääoven edusta on ollut roskainen koko viikon.",
        ),
        (pb::FeedbackTopic::Meals, pb::FeedbackKind::Praise, "Hyvä kouluruoka", "Lapsi kehui tämän viikon kasvisruokia, kiitos!"),
        (pb::FeedbackTopic::Meals, pb::FeedbackKind::Question, "Ruokalista verkossa", "Missä näkee päiväkodin ruokalistan etukäteen?"),
        (
            pb::FeedbackTopic::SpecialDiets,
            pb::FeedbackKind::Feedback,
            "Erityisruokavaliot",
            "Laktoosittomia vaihtoehtoja saisi olla enemmän välipaloilla.",
        ),
        (
            pb::FeedbackTopic::Cleaning,
            pb::FeedbackKind::Reclamation,
            "Liikuntasalin pukuhuone",
            "Pukuhuoneen suihkut olivat likaiset lauantain harrastusvuorolla.",
        ),
        (pb::FeedbackTopic::Other, pb::FeedbackKind::Idea, "Hävikkiruoka", "Voisiko koulun hävikkiruokaa myydä iltapäivällä asukkaille?"),
    ];
    for (n, (topic, kind, title, text)) in texts.into_iter().enumerate() {
        let Some((_, s)) = public.get((n * 37) % public.len().max(1)).copied() else { continue };
        let days_back = [40, 26, 15, 9, 3, 1][n];
        let at = working_moment(now, days_back, 100 + 45 * i64::try_from(n).unwrap_or(0));
        let request = pb::Open311Submission {
            api_key: DEMO_OPEN311_KEY.into(),
            topic: topic as i32,
            kind: kind as i32,
            address_id: s.code.clone(),
            description: text.into(),
            title: title.into(),
            first_name: ["Veera", "Jussi", "Marja", "Pekka", "Sanna", "Timo"][n].into(),
            email: format!("{}@example.fi", ["veera", "jussi", "marja", "pekka", "sanna", "timo"][n]),
            ..Default::default()
        };
        out.push(Planned { at, item, step: Step::Open311(request) });
        let id = item;
        item += 1;
        if days_back > 2 {
            handling(&mut out, &mut rng, id, at, now, kind);
        }
    }
    out.sort_by_key(|p| p.at);
    out
}

/// The demo's Open311 client key (dev only; printed in the README), registered by the seed.
pub const DEMO_OPEN311_KEY: &str = "dev-open311-key";

/// How an item submitted at `at` is handled up to `now`.
fn handling(out: &mut Vec<Planned>, rng: &mut Rng, item: usize, at: DateTime<Utc>, now: DateTime<Utc>, kind: pb::FeedbackKind) {
    let act = |action, corrective: String, compensation: Option<(String, String)>, customer: bool, note: String| Step::Act {
        action,
        note,
        corrective,
        compensation,
        customer,
    };
    // Most are acknowledged within the four working hours; one in ten late.
    let ack_at = after(
        at,
        if rng.chance(10) { 300 + i64::try_from(rng.below(240)).unwrap_or(0) } else { 15 + i64::try_from(rng.below(180)).unwrap_or(0) },
    );
    if ack_at > now {
        return;
    }
    out.push(Planned { at: ack_at, item, step: act(pb::FeedbackAction::Acknowledge, String::new(), None, false, String::new()) });
    let mut t = ack_at;
    // This week's items are mostly still being handled: the staff queue has work in it.
    if now - at < Duration::days(7) && rng.chance(70) {
        let next = after(t, 30 + i64::try_from(rng.below(120)).unwrap_or(0));
        if next > now {
            return;
        }
        let step = if rng.chance(30) {
            act(pb::FeedbackAction::WaitForCustomer, String::new(), None, false, "Voitteko lähettää kuvan tai tarkentaa kellonajan?".into())
        } else {
            act(pb::FeedbackAction::Start, String::new(), None, false, String::new())
        };
        out.push(Planned { at: next, item, step });
        return;
    }
    if rng.chance(15) {
        // A question back to the customer; the answer resumes the handling.
        t = after(t, 30);
        if t > now {
            return;
        }
        out.push(Planned {
            at: t,
            item,
            step: act(pb::FeedbackAction::WaitForCustomer, String::new(), None, false, "Voitteko tarkentaa päivän ja ateriakerran?".into()),
        });
        let answer = after(t, 240 + i64::try_from(rng.below(900)).unwrap_or(0));
        if answer > now {
            return;
        }
        t = answer;
        out.push(Planned {
            at: t,
            item,
            step: Step::Message { body: "Tiistain lounas, ryhmä Nallekarhut.".into(), internal: false, customer: true },
        });
    }
    if rng.chance(25) {
        t = after(t, 20);
        if t > now {
            return;
        }
        out.push(Planned {
            at: t,
            item,
            step: Step::Message { body: "Tarkistettu keittiön/siivouksen työvuorolistalta.".into(), internal: true, customer: false },
        });
    }
    // Resolved within the three working days mostly; some late.
    let resolve_at = after(
        t,
        if rng.chance(12) { 1500 + i64::try_from(rng.below(900)).unwrap_or(0) } else { 60 + i64::try_from(rng.below(900)).unwrap_or(0) },
    );
    if resolve_at > now {
        return;
    }
    let corrective = match kind {
        pb::FeedbackKind::Reclamation => "Asia käyty läpi tiimin kanssa ja työohje päivitetty; seurataan kahden viikon ajan.".to_owned(),
        _ => "Vastattu asiakkaalle ja välitetty tiedoksi tuotantoon.".to_owned(),
    };
    let compensation = (kind == pb::FeedbackKind::Reclamation && rng.chance(15))
        .then(|| (format!("{}.00", 10 + rng.below(60)), "Puuttuneet tai virheelliset annokset hyvitetään".to_owned()));
    out.push(Planned { at: resolve_at, item, step: act(pb::FeedbackAction::Resolve, corrective, compensation, false, String::new()) });
    let mut done = resolve_at;
    if rng.chance(5) {
        // Reopened: the same thing happened again; resolved for good a day later.
        let reopen = after(done, 480);
        if reopen > now {
            return;
        }
        out.push(Planned {
            at: reopen,
            item,
            step: act(pb::FeedbackAction::Reopen, String::new(), None, true, "Sama toistui tänään.".into()),
        });
        let again = after(reopen, 480);
        if again > now {
            return;
        }
        out.push(Planned {
            at: again,
            item,
            step: act(pb::FeedbackAction::Resolve, "Korjattu pysyvästi: vastuuhenkilö nimetty.".into(), None, false, String::new()),
        });
        done = again;
    }
    if rng.chance(55) {
        let rate_at = done + Duration::hours(20);
        if rate_at <= now {
            let rating = i32::try_from(3 + rng.below(3)).unwrap_or(4);
            out.push(Planned {
                at: rate_at,
                item,
                step: Step::Rate { rating, comment: if rating == 5 { "Kiitos nopeasta hoidosta!".into() } else { String::new() } },
            });
        }
    }
    let close_at = done + Duration::days(3);
    if close_at <= now && rng.chance(60) {
        out.push(Planned { at: close_at, item, step: act(pb::FeedbackAction::Close, String::new(), None, true, String::new()) });
    }
}

/// Seeds the demo's feedback unless there is some.
pub async fn seed(admin_url: &str) -> anyhow::Result<()> {
    let pool = connect_as_service(admin_url, kumppani_feedback::SCHEMA, true, 4).await?;
    let done: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM items)").fetch_one(&pool).await?;
    if done {
        return Ok(());
    }
    let city = demo_city();
    let customers = i64::try_from(city.customers.len())?;
    let sites = i64::try_from(city.customers.iter().flat_map(|c| c.units.iter()).map(|u| u.sites.len()).sum::<usize>())?;
    wait_for_projection(&pool, customers, sites).await?;
    let staff_email =
        crate::users::demo_users().into_iter().find(|u| u.username == "staff").map(|u| u.email.to_lowercase()).unwrap_or_default();
    let now = Utc::now();
    let mut conn = pool.acquire().await?;
    kumppani_feedback::store::add_open311_client(
        &mut conn,
        "Oulun palautekanava (demo)",
        &kumppani_feedback::open311::key_hash(DEMO_OPEN311_KEY),
    )
    .await?;
    drop(conn);
    // Staff reading items back (the Open311 steps); the customer's side of those is the channel.
    let reader = Principal {
        subject: "demo:open311".into(),
        name: "Oulun palautekanava".into(),
        email: String::new(),
        role: Role::EnterpriseStaff,
        customer_id: None,
        site_id: None,
        grants: Vec::new(),
    };
    let timeline = plan(now);
    // By the plan's item number (items are planned out of time order).
    let mut items: HashMap<usize, (pb::FeedbackItem, Principal)> = HashMap::new();
    for p in timeline {
        kumppani_feedback::sla::tick(&pool, p.at).await?;
        let api = Feedback { pool: pool.clone(), at: Some(p.at) };
        if let Step::Submit { request, by } = p.step {
            let item = api.submit(&by, request).await?;
            items.insert(p.item, (item, by));
            continue;
        }
        if let Step::Open311(request) = p.step {
            let public = api.open311_submit(request).await?;
            let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM items WHERE number = $1").bind(public.number).fetch_one(&pool).await?;
            let item = api.get(&reader, &id.to_string()).await?;
            items.insert(p.item, (item, reader.clone()));
            continue;
        }
        let Some((item, customer)) = items.get(&p.item).cloned() else { continue };
        let staff = handler_principal(item.handler.as_ref(), &staff_email);
        let id = item.id.clone();
        let result = match p.step {
            Step::Act { action, note, corrective, compensation, customer: by_customer } => {
                let r = pb::TransitionFeedbackRequest {
                    id,
                    action: action as i32,
                    corrective_action: corrective,
                    compensation: compensation.map(|(amount, reason)| pb::Compensation { amount, reason }),
                    note,
                    expected_version: None,
                };
                api.transition(if by_customer { &customer } else { &staff }, r).await
            }
            Step::Message { body, internal, customer: by_customer } => {
                api.post_message(if by_customer { &customer } else { &staff }, pb::PostMessageRequest { id, body, internal }).await
            }
            Step::Rate { rating, comment } => api.rate(&customer, pb::RateHandlingRequest { id, rating, comment }).await,
            Step::Submit { .. } | Step::Open311(_) => continue,
        };
        // A step the lifecycle refuses (e.g. closing an item the plan reopened) is skipped, as a person would be told.
        match result {
            Ok(updated) => {
                items.insert(p.item, (updated, customer));
            }
            // (and an Open311 item has no customer-side person to rate or reopen it).
            Err(e)
                if matches!(e.code, kumppani_platform::ErrorCode::FailedPrecondition | kumppani_platform::ErrorCode::PermissionDenied) => {}
            Err(e) => return Err(e.into()),
        }
    }
    kumppani_feedback::sla::tick(&pool, Utc::now()).await?;
    crate::survey::seed(&pool).await?;
    crate::announcements::seed(&pool).await?;
    Ok(())
}
