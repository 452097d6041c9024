//! Meetings with action items and development projects with milestones (the
//! contracts service's PartnershipService) end to end: every bad field named,
//! owners from the customer's registry, the customer's people see only their
//! own, "my action items" by the token's e-mail, and the projects' KPI
//! against an independent count.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, Duration};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as pb;
use support::{TestEnv, code, today, violations};
use uuid::Uuid;

/// A customer with a contract-level contact person on each side: (customer, enterprise contact, customer contact).
async fn customer(env: &mut TestEnv, code_: &str) -> (String, String, String) {
    let customer = env.internal_customer(code_).await.id;
    let t = env.staff();
    let mut ids = Vec::new();
    for (party, name) in [(pb::Party::Enterprise, "Eija Esimerkki"), (pb::Party::Customer, "Kalle Kumppani")] {
        let req = pb::CreateContactRequest {
            party: party as i32,
            customer_id: customer.clone(),
            name: name.into(),
            level: pb::ContactLevel::Contract as i32,
            email: format!("{}.{}@example.fi", name.split(' ').next().unwrap().to_lowercase(), code_.to_lowercase()),
            ..Default::default()
        };
        ids.push(env.client.create_contact(env.req(req, &t)).await.unwrap().into_inner().id);
    }
    (customer, ids[0].clone(), ids[1].clone())
}

fn day(offset: i64) -> Option<pb::Date> {
    Some(pb::Date::from_naive(today() + Duration::days(offset)))
}

#[tokio::test]
async fn meetings_record_action_items_and_each_owner_finds_their_own() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, a_ours, a_theirs) = customer(&mut env, "MKA").await;
    let (b, _, b_theirs) = customer(&mut env, "MKB").await;

    // Every bad field at once; nothing written.
    let bad = pb::SaveMeetingRequest { customer_id: "x".into(), title: " ".into(), minutes: "a\u{7}b".into(), ..Default::default() };
    assert_eq!(
        violations(env.partnership.save_meeting(env.req(bad, &staff)).await),
        ["customer_id", "kind", "held_on", "title", "minutes"]
    );
    let contact_a = env
        .issuer()
        .token_for_person(Role::CustomerContact, Some(Uuid::parse_str(&a).unwrap()), None, "Kalle Kumppani", "KALLE.mka@example.fi")
        .unwrap();
    let refused = pb::SaveMeetingRequest { customer_id: a.clone(), kind: 1, held_on: day(0), title: "x".into(), ..Default::default() };
    assert_eq!(code(env.partnership.save_meeting(env.req(refused, &contact_a)).await), tonic::Code::PermissionDenied);

    let meeting = pb::SaveMeetingRequest {
        customer_id: a.clone(),
        kind: pb::MeetingKind::StatusReview as i32,
        held_on: day(-7),
        title: "Tilannekatsaus".into(),
        participants: "Eija, Kalle".into(),
        agenda: "1. Laatu\n2. Hinnat".into(),
        ..Default::default()
    };
    let m = env.partnership.save_meeting(env.req(meeting.clone(), &staff)).await.unwrap().into_inner();
    // The minutes come later, guarded by the version.
    let minutes =
        pb::SaveMeetingRequest { id: m.id.clone(), expected_version: 1, minutes: "Sovittiin laatukierroksesta.".into(), ..meeting.clone() };
    let m = env.partnership.save_meeting(env.req(minutes.clone(), &staff)).await.unwrap().into_inner();
    assert_eq!((m.version, m.minutes.as_str()), (2, "Sovittiin laatukierroksesta."));
    assert_eq!(code(env.partnership.save_meeting(env.req(minutes, &staff)).await), tonic::Code::FailedPrecondition, "a stale version");
    assert!(!m.updated_by_name.is_empty());

    // Owners must be contact persons of the meeting's customer.
    let foreign = pb::SaveActionItemRequest {
        meeting_id: m.id.clone(),
        description: "x".into(),
        owner_contact_id: b_theirs.clone(),
        ..Default::default()
    };
    assert_eq!(violations(env.partnership.save_action_item(env.req(foreign, &staff)).await), ["owner_contact_id"]);
    let future = pb::SaveActionItemRequest { meeting_id: m.id.clone(), description: "x".into(), done_on: day(2), ..Default::default() };
    assert_eq!(violations(env.partnership.save_action_item(env.req(future, &staff)).await), ["done_on"]);
    for (description, owner, due) in
        [("Laatukierros", &a_theirs, -1), ("Hinnoitteluperusteet", &a_ours, 5), ("Kutsu seuraavaan", &a_theirs, 20)]
    {
        let req = pb::SaveActionItemRequest {
            meeting_id: m.id.clone(),
            description: description.into(),
            owner_contact_id: owner.clone(),
            due_on: day(due),
            ..Default::default()
        };
        env.partnership.save_action_item(env.req(req, &staff)).await.unwrap();
    }
    // B has a meeting too, which A's people never see.
    let other = pb::SaveMeetingRequest { customer_id: b.clone(), ..meeting.clone() };
    let other = env.partnership.save_meeting(env.req(other, &staff)).await.unwrap().into_inner();
    assert_eq!(
        code(env.partnership.get_meeting(env.req(pb::GetMeetingRequest { id: other.id.clone() }, &contact_a)).await),
        tonic::Code::NotFound
    );
    let theirs =
        env.partnership.list_meetings(env.req(pb::ListMeetingsRequest::default(), &contact_a)).await.unwrap().into_inner().meetings;
    assert_eq!(theirs.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [m.id.as_str()]);

    // "Mine" by the token's e-mail (any case): Kalle's two, the late one first and flagged.
    let mine = pb::ListActionItemsRequest { mine: true, open_only: true, ..Default::default() };
    let items = env.partnership.list_action_items(env.req(mine.clone(), &contact_a)).await.unwrap().into_inner().action_items;
    let names: Vec<(&str, bool)> = items.iter().map(|a| (a.description.as_str(), a.overdue)).collect();
    assert_eq!(names, [("Laatukierros", true), ("Kutsu seuraavaan", false)]);
    assert_eq!(items[0].owner.as_ref().unwrap().name, "Kalle Kumppani");
    // Done: it leaves the open list.
    let done = pb::SaveActionItemRequest {
        id: items[0].id.clone(),
        expected_version: items[0].version,
        description: items[0].description.clone(),
        owner_contact_id: a_theirs.clone(),
        due_on: items[0].due_on,
        done_on: day(0),
        ..Default::default()
    };
    env.partnership.save_action_item(env.req(done, &staff)).await.unwrap();
    let items = env.partnership.list_action_items(env.req(mine, &contact_a)).await.unwrap().into_inner().action_items;
    assert_eq!(items.len(), 1);
    // Paging walks every item exactly once.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let req = pb::ListActionItemsRequest { customer_id: a.clone(), page_size: 1, page_token: token, ..Default::default() };
        let page = env.partnership.list_action_items(env.req(req, &staff)).await.unwrap().into_inner();
        seen.extend(page.action_items.into_iter().map(|a| a.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);
    // Over REST: a 422 names the field in JSON.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/meetings", env.http))
        .bearer_auth(&staff)
        .json(&serde_json::json!({"customerId": a, "kind": "MEETING_KIND_CUSTOMER_MEETING", "heldOn": "2027-02-30", "title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["fieldViolations"][0]["field"], "heldOn", "{body}");
    env.cleanup().await;
}

#[tokio::test]
async fn development_projects_are_on_schedule_until_a_milestone_is_late_and_the_kpi_counts_it() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let (a, a_ours, a_theirs) = customer(&mut env, "KHA").await;
    let (b, _, _) = customer(&mut env, "KHB").await;

    let bad = pb::SaveProjectRequest {
        customer_id: a.clone(),
        title: String::new(),
        enterprise_responsible_contact_id: a_theirs.clone(),
        status: pb::ProjectStatus::Active as i32,
        hours_planned: "12.25".into(),
        hours_used: "-1".into(),
        ..Default::default()
    };
    assert_eq!(violations(env.partnership.save_project(env.req(bad.clone(), &staff)).await), ["title", "hours_planned", "hours_used"]);
    let wrong_side = pb::SaveProjectRequest { title: "Hävikki".into(), hours_planned: "120".into(), hours_used: "0".into(), ..bad };
    assert_eq!(violations(env.partnership.save_project(env.req(wrong_side.clone(), &staff)).await), ["enterprise_responsible_contact_id"]);
    let new = pb::SaveProjectRequest {
        enterprise_responsible_contact_id: a_ours.clone(),
        customer_responsible_contact_id: a_theirs.clone(),
        ..wrong_side
    };
    let project = env.partnership.save_project(env.req(new.clone(), &staff)).await.unwrap().into_inner();
    assert_eq!(project.hours_planned, "120");
    assert!(project.on_schedule, "no milestone yet");

    let year = today().year();
    let ms = |title: &str, planned: i64, done: Option<i64>| pb::SaveMilestoneRequest {
        project_id: project.id.clone(),
        title: title.into(),
        planned_on: day(planned),
        done_on: done.and_then(day),
        ..Default::default()
    };
    assert_eq!(violations(env.partnership.save_milestone(env.req(ms("", 0, Some(1)), &staff)).await), ["title", "done_on"]);
    // Three milestones in the past of this year where possible: on time, done late, and one not done.
    let early = i64::from(today().ordinal0().min(60)).max(3);
    env.partnership.save_milestone(env.req(ms("Mittaus", -early, Some(-early)), &staff)).await.unwrap();
    let p = env.partnership.save_milestone(env.req(ms("Pilotti", -2, Some(-1)), &staff)).await.unwrap().into_inner();
    assert!(!p.on_schedule, "a milestone done late");
    let p = env.partnership.save_milestone(env.req(ms("Laajennus", -1, None), &staff)).await.unwrap().into_inner();
    let late: Vec<(&str, bool, bool)> = p.milestones.iter().map(|m| (m.title.as_str(), m.late, m.done_late)).collect();
    assert_eq!(late, [("Mittaus", false, false), ("Pilotti", false, true), ("Laajennus", true, false)]);
    // Another customer's project, on schedule; a cancelled one does not count.
    let b_project = env
        .partnership
        .save_project(env.req(
            pb::SaveProjectRequest { customer_id: b.clone(), title: "Sähköinen tilaus".into(), status: 2, ..Default::default() },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner();
    let on_time = pb::SaveMilestoneRequest {
        project_id: b_project.id.clone(),
        title: "Koulutus".into(),
        planned_on: day(-1),
        done_on: day(-1),
        ..Default::default()
    };
    env.partnership.save_milestone(env.req(on_time, &staff)).await.unwrap();

    // The independent count over this year's milestones, from the lists.
    let all = env.partnership.list_projects(env.req(pb::ListProjectsRequest::default(), &staff)).await.unwrap().into_inner().projects;
    let in_year: Vec<&pb::Milestone> =
        all.iter().flat_map(|p| p.milestones.iter()).filter(|m| m.planned_on.unwrap().year == year).collect();
    let due = in_year.iter().filter(|m| m.done_on.is_some() || m.planned_on.unwrap().to_naive().unwrap() < today()).count() as i32;
    let on_time = in_year.iter().filter(|m| m.done_on.is_some() && !m.done_late).count() as i32;
    let with_year: Vec<&pb::Project> = all.iter().filter(|p| p.milestones.iter().any(|m| m.planned_on.unwrap().year == year)).collect();
    let projects_on_schedule = with_year.iter().filter(|p| p.on_schedule).count() as i32;
    let kpis = env
        .partnership
        .get_partnership_kpis(env.req(pb::GetPartnershipKpisRequest { year, customer_id: String::new(), years_back: 0 }, &staff))
        .await
        .unwrap()
        .into_inner();
    let k = &kpis.years[0];
    assert_eq!(
        (k.milestones_due, k.milestones_on_time, k.projects, k.projects_on_schedule),
        (due, on_time, with_year.len() as i32, projects_on_schedule)
    );
    if today().ordinal0() >= 3 {
        assert_eq!((due, on_time, with_year.len(), projects_on_schedule), (4, 2, 2, 1), "A's three and B's one, all this year");
    }

    // A's contact person sees A's project only; writes are staff's.
    let contact = env.issuer().token_for(Role::CustomerContact, Some(Uuid::parse_str(&a).unwrap()), None, vec![]).unwrap();
    let theirs = env.partnership.list_projects(env.req(pb::ListProjectsRequest::default(), &contact)).await.unwrap().into_inner().projects;
    assert_eq!(theirs.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["Hävikki"]);
    assert_eq!(
        code(env.partnership.get_project(env.req(pb::GetProjectRequest { id: b_project.id.clone() }, &contact)).await),
        tonic::Code::NotFound
    );
    let edit = pb::SaveProjectRequest { id: project.id.clone(), expected_version: project.version, ..new };
    assert_eq!(code(env.partnership.save_project(env.req(edit, &contact)).await), tonic::Code::PermissionDenied);
    env.cleanup().await;
}
