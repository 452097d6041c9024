//! The partnership (contracts' PartnershipService) end to end on the real
//! platform: the annual calendar planned from the template, its scope (a
//! customer's people see only their own), task records with every bad field
//! named, the KPIs against an independent count, the dispute's two-month clock
//! and escalation by itself (a movable clock: the service's `at`), and the
//! reminders and notices reaching people through a real SMTP server.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use kumppani_contracts::partnership::{Partnership, mail};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as pb;
use support::smtp::{SmtpServer, free_port};
use support::{TestEnv, code, today, violations};
use uuid::Uuid;

/// A customer with a contract-level contact person on each side.
async fn customer_with_contacts(env: &mut TestEnv, code_: &str) -> (String, String, String) {
    let customer = env.internal_customer(code_).await.id;
    let t = env.staff();
    let mut ids = Vec::new();
    for (party, name, email) in [
        (pb::Party::Enterprise, "Eija Asiakkuuspäällikkö", format!("eija.{}@serviisi.example", code_.to_lowercase())),
        (pb::Party::Customer, "Kalle Kumppani", format!("kalle.{}@kaupunki.example", code_.to_lowercase())),
    ] {
        let req = pb::CreateContactRequest {
            party: party as i32,
            customer_id: customer.clone(),
            name: name.into(),
            title: "Sopimusvastaava".into(),
            level: pb::ContactLevel::Contract as i32,
            email,
            ..Default::default()
        };
        ids.push(env.client.create_contact(env.req(req, &t)).await.unwrap().into_inner().id);
    }
    (customer, ids[0].clone(), ids[1].clone())
}

async fn service(env: &TestEnv) -> Partnership {
    let pool = kumppani_platform::db::connect_as_service(&env.db_url, kumppani_contracts::SCHEMA, true, 2).await.unwrap();
    Partnership::new(pool, "https://kumppani.example")
}

async fn tasks(env: &mut TestEnv, token: &str, year: i32, customer: &str) -> Vec<pb::CalendarTask> {
    let req = pb::ListCalendarTasksRequest { year, customer_id: customer.into(), page_size: 500, ..Default::default() };
    env.partnership.list_calendar_tasks(env.req(req, token)).await.unwrap().into_inner().tasks
}

#[tokio::test]
async fn the_calendar_is_planned_from_the_template_and_each_customer_sees_only_its_own() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, a_enterprise, a_customer) = customer_with_contacts(&mut env, "VKA").await;
    let (b, _, _) = customer_with_contacts(&mut env, "VKB").await;
    let year = today().year() + 1;
    let steps =
        env.partnership.list_calendar_steps(env.req(pb::ListCalendarStepsRequest::default(), &staff)).await.unwrap().into_inner().steps;
    assert_eq!(steps.len(), 8, "the partnership model's calendar: March … 31.12");
    assert_eq!(steps.last().unwrap().title.as_ref().unwrap().fi, "Palvelusopimus allekirjoitettu");

    let plan = pb::PlanCalendarRequest { year, customer_id: String::new() };
    let made = env.partnership.plan_calendar(env.req(plan.clone(), &staff)).await.unwrap().into_inner();
    assert_eq!((made.created, made.customers), (16, 2));
    let again = env.partnership.plan_calendar(env.req(plan, &staff)).await.unwrap().into_inner();
    assert_eq!(again.created, 0, "planning twice keeps what is planned");

    let mine = tasks(&mut env, &staff, year, &a).await;
    assert_eq!(mine.len(), 8);
    let signing = mine.iter().find(|t| t.position == 80).unwrap();
    assert_eq!(signing.due_on.unwrap().to_naive(), NaiveDate::from_ymd_opt(year - 1, 12, 31), "due by 31.12 of the year before");
    assert_eq!(signing.enterprise_owner.as_ref().unwrap().contact_id, a_enterprise, "owners default to the contract contacts");
    assert_eq!(signing.customer_owner.as_ref().unwrap().name, "Kalle Kumppani");
    assert_eq!(signing.customer_owner.as_ref().unwrap().contact_id, a_customer);

    // A's contract contact: A's calendar only.
    let contact = env.issuer().token_for(Role::CustomerContact, Some(Uuid::parse_str(&a).unwrap()), None, vec![]).unwrap();
    let own = tasks(&mut env, &contact, year, "").await;
    assert_eq!(own.len(), 8);
    assert!(own.iter().all(|t| t.customer_id == a));
    let other = pb::ListCalendarTasksRequest { year, customer_id: b.clone(), ..Default::default() };
    assert_eq!(code(env.partnership.list_calendar_tasks(env.req(other, &contact)).await), tonic::Code::PermissionDenied);
    let b_task = tasks(&mut env, &staff, year, &b).await.remove(0);
    assert_eq!(
        code(env.partnership.get_calendar_task(env.req(pb::GetCalendarTaskRequest { id: b_task.id.clone() }, &contact)).await),
        tonic::Code::NotFound
    );
    let write = pb::UpdateCalendarTaskRequest {
        id: own[0].id.clone(),
        expected_version: 1,
        status: pb::TaskStatus::Done as i32,
        ..Default::default()
    };
    assert_eq!(code(env.partnership.update_calendar_task(env.req(write, &contact)).await), tonic::Code::PermissionDenied);
    // Site users and system clients: not theirs.
    let site_user = env.issuer().token_for(Role::SiteUser, Some(Uuid::parse_str(&a).unwrap()), Some(Uuid::now_v7()), vec![]).unwrap();
    assert_eq!(
        code(env.partnership.list_calendar_tasks(env.req(pb::ListCalendarTasksRequest::default(), &site_user)).await),
        tonic::Code::PermissionDenied
    );
    let client = env
        .issuer()
        .token_for(Role::SystemClient, None, None, kumppani_platform::auth::grants::ALL.iter().map(|g| g.to_string()).collect())
        .unwrap();
    assert_eq!(
        code(env.partnership.list_disputes(env.req(pb::ListDisputesRequest::default(), &client)).await),
        tonic::Code::PermissionDenied
    );
    // Over REST the same: the contact's list holds only A.
    let listed = env.rest_json(&format!("/calendar-tasks?year={year}"), &contact).await;
    assert_eq!(listed["tasks"].as_array().unwrap().len(), 8, "{listed}");
    env.cleanup().await;
}

#[tokio::test]
async fn a_task_record_names_every_bad_field_and_the_kpis_match_an_independent_count() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, a_enterprise, a_customer) = customer_with_contacts(&mut env, "KPA").await;
    let (_, b_enterprise, _) = customer_with_contacts(&mut env, "KPB").await;
    // This year's calendar (steps in last year: all due by now).
    let year = today().year();
    env.partnership.plan_calendar(env.req(pb::PlanCalendarRequest { year, customer_id: String::new() }, &staff)).await.unwrap();
    let mine = tasks(&mut env, &staff, year, &a).await;
    assert!(mine.iter().all(|t| t.overdue), "every step of last year is late while not done");

    // Every bad field at once; nothing is written.
    let bad = pb::UpdateCalendarTaskRequest {
        id: mine[0].id.clone(),
        expected_version: 0,
        enterprise_owner_contact_id: "not-a-uuid".into(),
        status: pb::TaskStatus::Skipped as i32,
        done_on: Some(pb::Date::from_naive(today())),
        ..Default::default()
    };
    let fields = violations(env.partnership.update_calendar_task(env.req(bad, &staff)).await);
    assert_eq!(fields, ["enterprise_owner_contact_id", "expected_version", "done_on", "outcome"]);
    // Owners from the wrong side or another customer are named.
    let wrong = pb::UpdateCalendarTaskRequest {
        id: mine[0].id.clone(),
        expected_version: 1,
        enterprise_owner_contact_id: a_customer.clone(),
        customer_owner_contact_id: b_enterprise.clone(),
        status: pb::TaskStatus::InProgress as i32,
        ..Default::default()
    };
    let fields = violations(env.partnership.update_calendar_task(env.req(wrong, &staff)).await);
    assert_eq!(fields, ["enterprise_owner_contact_id", "customer_owner_contact_id"]);
    // Over REST: a 422 naming the field.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/calendar-tasks/{}", env.http, mine[0].id))
        .bearer_auth(&staff)
        .json(&serde_json::json!({"expectedVersion": 1, "status": "TASK_STATUS_DONE", "doneOn": "2999-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["fieldViolations"][0]["field"], "doneOn", "{body}");
    let untouched = env
        .partnership
        .get_calendar_task(env.req(pb::GetCalendarTaskRequest { id: mine[0].id.clone() }, &staff))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((untouched.version, untouched.status), (1, pb::TaskStatus::Planned as i32), "a refused record writes nothing");

    // Three steps on time, two late, one skipped, two left late.
    let mut expected_on_time = 0;
    for (n, t) in mine.iter().enumerate() {
        let due = t.due_on.unwrap().to_naive().unwrap();
        let (status, done_on, outcome) = match n {
            0..=2 => (pb::TaskStatus::Done, Some(due), "Tehty ajallaan"),
            3 | 4 => (pb::TaskStatus::Done, Some(due + Duration::days(3)), "Tehty myöhässä"),
            5 => (pb::TaskStatus::Skipped, None, "Toista neuvottelukierrosta ei tarvittu"),
            _ => continue,
        };
        let req = pb::UpdateCalendarTaskRequest {
            id: t.id.clone(),
            expected_version: 1,
            enterprise_owner_contact_id: a_enterprise.clone(),
            customer_owner_contact_id: a_customer.clone(),
            status: status as i32,
            outcome: outcome.into(),
            done_on: done_on.map(pb::Date::from_naive),
            ..Default::default()
        };
        let saved = env.partnership.update_calendar_task(env.req(req, &staff)).await.unwrap().into_inner();
        assert_eq!(saved.done_late, n == 3 || n == 4);
        assert!(!saved.overdue);
        expected_on_time += i32::from(n <= 2);
    }
    // A stale version is a conflict, not an overwrite.
    let stale = pb::UpdateCalendarTaskRequest {
        id: mine[0].id.clone(),
        expected_version: 1,
        status: pb::TaskStatus::Planned as i32,
        ..Default::default()
    };
    assert_eq!(code(env.partnership.update_calendar_task(env.req(stale, &staff)).await), tonic::Code::FailedPrecondition);

    // The independent count: due = every step not skipped (all are past), on time = done by the due date.
    let all = tasks(&mut env, &staff, year, &a).await;
    let due = all.iter().filter(|t| t.status != pb::TaskStatus::Skipped as i32).count() as i32;
    let on_time = all.iter().filter(|t| t.status == pb::TaskStatus::Done as i32 && !t.done_late).count() as i32;
    assert_eq!(on_time, expected_on_time);
    let overdue = all.iter().filter(|t| t.overdue).count() as i32;
    let kpis = env
        .partnership
        .get_partnership_kpis(env.req(pb::GetPartnershipKpisRequest { year, customer_id: a.clone(), years_back: 1 }, &staff))
        .await
        .unwrap()
        .into_inner();
    let k = &kpis.years[0];
    assert_eq!((k.year, k.tasks_due, k.tasks_done_on_time, k.tasks_overdue), (year, due, on_time, overdue));
    assert_eq!((due, on_time, overdue), (7, 3, 2));
    assert_eq!(k.on_time_percent, "42.9");
    assert_eq!(kpis.years[1].year, year - 1);
    assert_eq!(kpis.years[1].on_time_percent, "", "nothing planned the year before");
    // Agreements signed by 31.12 of the year before: this year's agreement, not signed, does not count.
    env.agreement(&a, year, &[], &[], false).await;
    let kpis = env
        .partnership
        .get_partnership_kpis(env.req(pb::GetPartnershipKpisRequest { year, customer_id: a.clone(), years_back: 0 }, &staff))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((kpis.years[0].agreements, kpis.years[0].agreements_signed_by_deadline), (1, 0));
    env.cleanup().await;
}

#[tokio::test]
async fn a_dispute_not_settled_in_two_months_escalates_by_itself_with_an_event_and_mail() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, _, _) = customer_with_contacts(&mut env, "ERI").await;
    let site = env.site(&a, "ERI-1", pb::SiteKind::Daycare).await.id;
    let agreement = env.agreement(&a, today().year(), &[&site], &[kumppani_proto::r#type::v1::ServiceLine::Meals], true).await.id;
    let contact = env.issuer().token_for(Role::CustomerContact, Some(Uuid::parse_str(&a).unwrap()), None, vec![]).unwrap();

    // Bad input: every field named, nothing opened.
    let bad = pb::OpenDisputeRequest {
        agreement_id: "x".into(),
        topic: String::new(),
        description: "d".into(),
        opened_on: Some(pb::Date::from_naive(today() + Duration::days(1))),
        escalation_email: "not an address".into(),
        ..Default::default()
    };
    assert_eq!(
        violations(env.partnership.open_dispute(env.req(bad, &contact)).await),
        ["agreement_id", "topic", "opened_on", "escalation_email"]
    );

    // The customer's contract contact opens it; the clock runs two months from the day it was found.
    let found = today() - Duration::days(10);
    let open = pb::OpenDisputeRequest {
        agreement_id: agreement.clone(),
        topic: "Hinnankorotuksen peruste".into(),
        description: "Asiakas ei hyväksy raaka-ainekustannusten korotusta.".into(),
        opened_on: Some(pb::Date::from_naive(found)),
        escalation_name: "Apulaiskaupunginjohtaja Aino Aalto".into(),
        escalation_email: "aino.aalto@kaupunki.example".into(),
    };
    let d = env.partnership.open_dispute(env.req(open, &contact)).await.unwrap().into_inner();
    let escalates = found.checked_add_months(chrono::Months::new(2)).unwrap();
    assert_eq!(d.escalates_on.unwrap().to_naive(), Some(escalates));
    assert_eq!(d.days_left, i32::try_from((escalates - today()).num_days()).unwrap());
    assert_eq!((d.status, d.opened_party), (pb::DisputeStatus::Open as i32, pb::Party::Customer as i32));
    assert_eq!(env.outbox_count("contracts", "contracts.dispute.opened").await, 1);
    // Another customer's person does not see it; settling is staff's.
    let stranger = env.issuer().token_for(Role::CustomerContact, Some(Uuid::now_v7()), None, vec![]).unwrap();
    assert_eq!(
        code(env.partnership.get_dispute(env.req(pb::GetDisputeRequest { id: d.id.clone() }, &stranger)).await),
        tonic::Code::NotFound
    );
    let settle = pb::SettleDisputeRequest { id: d.id.clone(), expected_version: d.version, outcome: "x".into(), settled_on: None };
    assert_eq!(code(env.partnership.settle_dispute(env.req(settle, &contact)).await), tonic::Code::PermissionDenied);

    // The clock, moved: the day before, nothing; on the day, escalated once, with its event and e-mail.
    let mut clock = service(&env).await;
    let at = |day: NaiveDate| Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap());
    clock.at = Some(at(escalates - Duration::days(1)));
    assert_eq!(mail::tick(&clock).await.unwrap().escalated, 0);
    clock.at = Some(at(escalates));
    assert_eq!(mail::tick(&clock).await.unwrap().escalated, 1);
    assert_eq!(mail::tick(&clock).await.unwrap().escalated, 0, "escalated once");
    assert_eq!(env.outbox_count("contracts", "contracts.dispute.escalated").await, 1);
    let now = env.partnership.get_dispute(env.req(pb::GetDisputeRequest { id: d.id.clone() }, &contact)).await.unwrap().into_inner();
    assert_eq!(now.status, pb::DisputeStatus::Escalated as i32);
    assert!(now.escalated_at.is_some());
    let recipients: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM contracts.mail_outbox WHERE subject LIKE '%apulaiskaupunginjohtajan%' ORDER BY 1")
            .fetch_all(&clock.pool)
            .await
            .unwrap();
    assert_eq!(recipients, ["aino.aalto@kaupunki.example", "eija.eri@serviisi.example", "kalle.eri@kaupunki.example"]);

    // Settled by staff, after escalation: not before it was found, not in the future.
    let early = pb::SettleDisputeRequest {
        id: d.id.clone(),
        expected_version: now.version,
        outcome: "Sovittu".into(),
        settled_on: Some(pb::Date::from_naive(found - Duration::days(1))),
    };
    assert_eq!(violations(env.partnership.settle_dispute(env.req(early, &staff)).await), ["settled_on"]);
    let ok = pb::SettleDisputeRequest {
        id: d.id.clone(),
        expected_version: now.version,
        outcome: "Korotus puolitetaan.".into(),
        settled_on: None,
    };
    let settled = env.partnership.settle_dispute(env.req(ok, &staff)).await.unwrap().into_inner();
    assert_eq!((settled.status, settled.days_left), (pb::DisputeStatus::Settled as i32, 0));
    assert_eq!(settled.settled_on.unwrap().to_naive(), Some(today()));
    assert!(!settled.settled_by_name.is_empty(), "who settled it, by name");
    assert_eq!(env.outbox_count("contracts", "contracts.dispute.settled").await, 1);
    // The customer's list: its dispute, settled; the KPIs count it as escalated.
    let listed = env.rest_json(&format!("/disputes?customerId={a}"), &contact).await;
    assert_eq!(listed["disputes"][0]["status"], "DISPUTE_STATUS_SETTLED", "{listed}");
    env.cleanup().await;
}

#[tokio::test]
async fn reminders_and_late_notices_reach_the_owners_through_a_real_smtp_server() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, _, _) = customer_with_contacts(&mut env, "MUI").await;
    let year = today().year() + 1;
    env.partnership.plan_calendar(env.req(pb::PlanCalendarRequest { year, customer_id: a.clone() }, &staff)).await.unwrap();
    let signing = tasks(&mut env, &staff, year, &a).await.into_iter().find(|t| t.position == 80).unwrap();
    let due = signing.due_on.unwrap().to_naive().unwrap();

    let mut clock = service(&env).await;
    let at = |day: NaiveDate| Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap());
    // Eight days before: nothing yet; seven days before: the reminder, once.
    clock.at = Some(at(due - Duration::days(8)));
    let before = mail::tick(&clock).await.unwrap();
    clock.at = Some(at(due - Duration::days(7)));
    let reminded = mail::tick(&clock).await.unwrap();
    let again = mail::tick(&clock).await.unwrap();
    // The day after the due date: the lateness notice.
    clock.at = Some(at(due + Duration::days(1)));
    let late = mail::tick(&clock).await.unwrap();
    // Only the signing step is near its due date at the end of the year: the others are long past (no late backlog is mailed).
    assert_eq!(before, mail::Tick::default());
    assert_eq!(reminded, mail::Tick { reminders: 1, ..Default::default() });
    assert_eq!(again, mail::Tick::default(), "reminded once");
    assert_eq!(late, mail::Tick { notices: 1, ..Default::default() });

    let dir = std::env::temp_dir().join(format!("kumppani-smtp-{}", Uuid::now_v7()));
    let server = SmtpServer::start(free_port(), dir.clone()).await;
    let mailer =
        kumppani_platform::mail::Mailer::new(&format!("smtp://127.0.0.1:{}", server.port), "Kumppani <kumppani@serviisi.example>").unwrap();
    // The mail is recent relative to the wall clock (the outbox's own time), so it is sent now.
    let sent = mail::send_pending(&clock.pool, &mailer, Utc::now()).await.unwrap();
    assert_eq!(sent, 4, "a reminder and a notice to each owner");
    assert_eq!(mail::send_pending(&clock.pool, &mailer, Utc::now()).await.unwrap(), 0, "sent once");
    let received = server.received();
    let about_signing: Vec<&(String, String, String)> =
        received.iter().filter(|(_, subject, _)| subject.contains("Palvelusopimus allekirjoitettu")).collect();
    let mut to: Vec<&str> = about_signing.iter().map(|(to, _, _)| to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["eija.mui@serviisi.example", "eija.mui@serviisi.example", "kalle.mui@kaupunki.example", "kalle.mui@kaupunki.example"]);
    assert!(about_signing.iter().any(|(_, s, _)| s.contains("erääntyy viikon kuluttua") && s.contains("förfaller om en vecka")));
    assert!(about_signing.iter().any(|(_, s, _)| s.contains("on myöhässä")));
    let body = &about_signing[0].2;
    assert!(body.contains(&format!("{}.{}.{}", due.day(), due.month(), due.year())), "{body}");
    assert!(body.contains(&format!("https://kumppani.example/portal/calendar?year={year}&customer={a}")), "{body}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    env.cleanup().await;
}
