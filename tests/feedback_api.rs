//! The feedback service end to end over gRPC and REST: an item is routed to
//! the producer's person for the site and topic (learnt from contracts'
//! events), its clocks run in working hours, it moves through its lifecycle
//! with a pause while waiting for the customer, a compensation becomes an
//! event for invoicing, the SLA job warns and then escalates exactly once (a
//! clock moved by the test), scope holds, and bad input names its fields
//! with nothing written.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{DateTime, Datelike, Duration, Utc};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as fb;
use support::smtp::{SmtpServer, free_port};
use support::{TestEnv, code, violations};
use uuid::Uuid;

struct World {
    site: String,
    other_site: String,
    /// The producer's meal person of the customer (handles meals and special diets).
    kitchen: contracts::Contact,
    /// Another producer person (for reassignment).
    cleaner: contracts::Contact,
    site_user: String,
    other_site_user: String,
    contact: String,
    stranger: String,
    staff: String,
}

/// "Kaisa Keittiö" → "kaisa.keittio" (addresses are ASCII, as the city's are).
fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', ".").replace('ä', "a").replace('ö', "o")
}

async fn contact(
    env: &mut TestEnv,
    customer: &str,
    name: &str,
    level: contracts::ContactLevel,
    topics: &[contracts::Topic],
) -> contracts::Contact {
    let t = env.staff();
    let email = format!("{}@serviisi.example", slug(name));
    let req = contracts::CreateContactRequest {
        party: contracts::Party::Enterprise as i32,
        customer_id: customer.into(),
        name: name.into(),
        title: "Palvelupäällikkö".into(),
        level: level as i32,
        email,
        topics: topics.iter().map(|t| *t as i32).collect(),
        ..Default::default()
    };
    env.client.create_contact(env.req(req, &t)).await.unwrap().into_inner()
}

fn person(env: &TestEnv, role: Role, customer: &str, site: Option<&str>, name: &str) -> String {
    let email = format!("{}@ouka.example", slug(name));
    let site = site.map(|s| Uuid::parse_str(s).unwrap());
    env.issuer().token_for_person(role, Some(Uuid::parse_str(customer).unwrap()), site, name, &email).unwrap()
}

async fn world(env: &mut TestEnv) -> World {
    use contracts::{ContactLevel as L, Topic as T};
    let customer = env.internal_customer("FB").await.id;
    let stranger_customer = env.internal_customer("FBX").await.id;
    let site = env.site(&customer, "FB-1", contracts::SiteKind::Daycare).await.id;
    let other_site = env.site(&customer, "FB-2", contracts::SiteKind::School).await.id;
    let kitchen = contact(env, &customer, "Kaisa Keittiö", L::Operational, &[T::Meals]).await;
    let cleaner = contact(env, &customer, "Sami Siivous", L::Operational, &[T::Cleaning]).await;
    let manager = contact(env, &customer, "Anna Asiakkuus", L::Contract, &[]).await;
    let staff = env.issuer().token_for_person(Role::EnterpriseStaff, None, None, "Anna Asiakkuus", &manager.email).unwrap();
    let w = World {
        site_user: person(env, Role::SiteUser, &customer, Some(&site), "Paula Päiväkoti"),
        other_site_user: person(env, Role::SiteUser, &customer, Some(&other_site), "Kalle Koulu"),
        contact: person(env, Role::CustomerContact, &customer, None, "Sirpa Sopimus"),
        stranger: person(env, Role::CustomerContact, &stranger_customer, None, "Vieras Asiakas"),
        site,
        other_site,
        kitchen,
        cleaner,
        staff,
    };
    // Feedback learns the sites and the contact persons from contracts' events.
    let pool = feedback_pool(env).await;
    support::wait_until("feedback's projection of the sites and contacts", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move {
            let (s, c): (i64, i64) =
                sqlx::query_as("SELECT (SELECT count(*) FROM sites), (SELECT count(*) FROM contacts)").fetch_one(&pool).await.unwrap();
            s >= 2 && c >= 3
        }
    })
    .await;
    w
}

async fn feedback_pool(env: &TestEnv) -> sqlx::PgPool {
    kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap()
}

fn reclamation(site: &str) -> fb::SubmitFeedbackRequest {
    fb::SubmitFeedbackRequest {
        kind: fb::FeedbackKind::Reclamation as i32,
        topic: fb::FeedbackTopic::SpecialDiets as i32,
        site_id: site.into(),
        description: "Maidoton annos puuttui tiistain lounaalta".into(),
        ..Default::default()
    }
}

async fn submit(env: &mut TestEnv, token: &str, r: fb::SubmitFeedbackRequest) -> fb::FeedbackItem {
    env.feedback.submit_feedback(env.req(r, token)).await.unwrap().into_inner()
}

async fn act(
    env: &mut TestEnv,
    token: &str,
    id: &str,
    action: fb::FeedbackAction,
    f: impl FnOnce(&mut fb::TransitionFeedbackRequest),
) -> fb::FeedbackItem {
    let mut r = fb::TransitionFeedbackRequest { id: id.into(), action: action as i32, ..Default::default() };
    f(&mut r);
    env.feedback.transition_feedback(env.req(r, token)).await.unwrap().into_inner()
}

async fn notifications(env: &mut TestEnv, token: &str) -> Vec<fb::Notification> {
    env.feedback.list_notifications(env.req(fb::ListNotificationsRequest::default(), token)).await.unwrap().into_inner().notifications
}

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn an_item_is_routed_scoped_and_handled_through_its_lifecycle() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let pool = feedback_pool(&env).await;

    // The daycare's director reports a missing special diet: it goes to the kitchen's person.
    let item =
        submit(&mut env, &w.site_user.clone(), fb::SubmitFeedbackRequest { idempotency_key: "k1".into(), ..reclamation(&w.site) }).await;
    assert_eq!(item.status, fb::FeedbackStatus::Received as i32);
    assert_eq!(item.handler.as_ref().unwrap().name, "Kaisa Keittiö");
    assert_eq!(item.manager.as_ref().unwrap().name, "Anna Asiakkuus");
    assert_eq!((item.site_name.as_str(), item.submitted_by_name.as_str()), ("Kohde FB-1", "Paula Päiväkoti"));
    let ack = item.acknowledge.unwrap();
    assert_eq!((ack.target_minutes, ack.around_the_clock), (240, false));
    assert!(ack.due_at.is_some());
    // A double click is the same item.
    let again =
        submit(&mut env, &w.site_user.clone(), fb::SubmitFeedbackRequest { idempotency_key: "k1".into(), ..reclamation(&w.site) }).await;
    assert_eq!(again.id, item.id);
    assert_eq!(count(&pool, "SELECT count(*) FROM items").await, 1);
    // The handler has a notification.
    let kitchen = env.issuer().token_for_person(Role::EnterpriseStaff, None, None, "Kaisa Keittiö", &w.kitchen.email).unwrap();
    let n = notifications(&mut env, &kitchen).await;
    assert_eq!(n.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["feedback_received"]);
    assert_eq!(n[0].item_number, item.number);

    // Scope: the other site's user and another customer do not see it; the customer's contact does.
    let get = |id: &str| fb::GetFeedbackRequest { id: id.into() };
    assert_eq!(code(env.feedback.get_feedback(env.req(get(&item.id), &w.other_site_user)).await), tonic::Code::NotFound);
    assert_eq!(code(env.feedback.get_feedback(env.req(get(&item.id), &w.stranger)).await), tonic::Code::NotFound);
    let listed = env.feedback.list_feedback(env.req(fb::ListFeedbackRequest::default(), &w.contact)).await.unwrap().into_inner().items;
    assert_eq!(listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [item.id.as_str()]);
    let none =
        env.feedback.list_feedback(env.req(fb::ListFeedbackRequest::default(), &w.other_site_user)).await.unwrap().into_inner().items;
    assert!(none.is_empty());
    // A site user cannot report for another site.
    let r = env.feedback.submit_feedback(env.req(reclamation(&w.other_site), &w.site_user)).await;
    assert_eq!(violations(r), ["site_id"]);

    // Staff acknowledge, ask the customer (the clock pauses), the customer answers (it runs again).
    let staff = w.staff.clone();
    let acked = act(&mut env, &staff, &item.id, fb::FeedbackAction::Acknowledge, |_| {}).await;
    assert_eq!(acked.acknowledge.unwrap().state, fb::SlaState::Met as i32);
    let waiting =
        act(&mut env, &staff, &item.id, fb::FeedbackAction::WaitForCustomer, |r| r.note = "Minä päivänä tarkalleen?".into()).await;
    assert_eq!(waiting.status, fb::FeedbackStatus::WaitingForCustomer as i32);
    assert_eq!(waiting.resolve.unwrap().state, fb::SlaState::Paused as i32);
    let answer = fb::PostMessageRequest { id: item.id.clone(), body: "Tiistaina 1.12.".into(), internal: false };
    let resumed = env.feedback.post_message(env.req(answer, &w.site_user)).await.unwrap().into_inner();
    assert_eq!(resumed.status, fb::FeedbackStatus::InProgress as i32);
    // An internal note is for staff only.
    let note = fb::PostMessageRequest { id: item.id.clone(), body: "Tarkistetaan keittiön erityisruokalista".into(), internal: true };
    env.feedback.post_message(env.req(note, &staff)).await.unwrap();
    let seen = env.feedback.get_feedback(env.req(get(&item.id), &w.site_user)).await.unwrap().into_inner();
    assert!(seen.messages.iter().all(|m| !m.internal));
    assert_eq!(seen.messages.len(), 2, "{:?}", seen.messages);
    let staff_view = env.feedback.get_feedback(env.req(get(&item.id), &staff)).await.unwrap().into_inner();
    assert_eq!(staff_view.messages.len(), 3);
    let changes: Vec<&str> = staff_view.history.iter().map(|h| h.change.as_str()).collect();
    assert_eq!(changes, ["received", "acknowledged", "waiting_for_customer", "resumed"]);

    // Resolving a reclamation needs the corrective action; the compensation goes to invoicing.
    let r = fb::TransitionFeedbackRequest { id: item.id.clone(), action: fb::FeedbackAction::Resolve as i32, ..Default::default() };
    assert_eq!(violations(env.feedback.transition_feedback(env.req(r, &staff)).await), ["corrective_action"]);
    let resolved = act(&mut env, &staff, &item.id, fb::FeedbackAction::Resolve, |r| {
        r.corrective_action = "Erityisruokavaliot tarkistetaan pakkauksessa kuittauksella".into();
        r.compensation = Some(fb::Compensation { amount: "12.40".into(), reason: "Puuttuneet annokset".into() });
    })
    .await;
    assert_eq!(resolved.status, fb::FeedbackStatus::Resolved as i32);
    assert_eq!(resolved.resolve.unwrap().state, fb::SlaState::Met as i32);
    assert_eq!(env.outbox_count("feedback", "feedback.compensation.granted").await, 1);
    // Invoicing turns it into a credit line on the customer's next invoice.
    let staff_token = env.staff();
    support::wait_until("invoicing's credit line from the compensation", std::time::Duration::from_secs(30), || {
        let (mut c, r) = (env.invoicing.clone(), env.req(kumppani_proto::invoicing::v1::ListManualLinesRequest::default(), &staff_token));
        let item_id = item.id.clone();
        async move {
            c.list_manual_lines(r).await.is_ok_and(|l| {
                l.into_inner().lines.iter().any(|x| x.amount == "-12.40" && x.source == "feedback" && x.source_ref == item_id)
            })
        }
    })
    .await;
    // The customer's side reopens it within 14 days, staff resolve again, the customer closes and rates.
    let reopened =
        act(&mut env, &w.site_user.clone(), &item.id, fb::FeedbackAction::Reopen, |r| r.note = "Sama toistui tänään".into()).await;
    assert_eq!(reopened.status, fb::FeedbackStatus::InProgress as i32);
    // A compensation is granted once: invoicing has credited the first one.
    let twice = fb::TransitionFeedbackRequest {
        id: item.id.clone(),
        action: fb::FeedbackAction::Resolve as i32,
        corrective_action: "Keittiön ohje päivitetty".into(),
        compensation: Some(fb::Compensation { amount: "5.00".into(), reason: "Uudestaan".into() }),
        ..Default::default()
    };
    assert_eq!(violations(env.feedback.transition_feedback(env.req(twice, &staff)).await), ["compensation.amount"]);
    act(&mut env, &staff, &item.id, fb::FeedbackAction::Resolve, |r| r.corrective_action = "Keittiön ohje päivitetty".into()).await;
    let closed = act(&mut env, &w.site_user.clone(), &item.id, fb::FeedbackAction::Close, |_| {}).await;
    assert_eq!(closed.status, fb::FeedbackStatus::Closed as i32);
    let rate = |rating| fb::RateHandlingRequest { id: item.id.clone(), rating, comment: "Nopeasti hoidettu".into() };
    assert_eq!(violations(env.feedback.rate_handling(env.req(rate(6), &w.site_user)).await), ["rating"]);
    let rated = env.feedback.rate_handling(env.req(rate(5), &w.site_user)).await.unwrap().into_inner();
    assert_eq!(rated.rating, 5);
    assert_eq!(code(env.feedback.rate_handling(env.req(rate(4), &w.site_user)).await), tonic::Code::FailedPrecondition);
    // Staff cannot skip steps: a closed item is not acknowledged again.
    let r = fb::TransitionFeedbackRequest { id: item.id.clone(), action: fb::FeedbackAction::Acknowledge as i32, ..Default::default() };
    assert_eq!(code(env.feedback.transition_feedback(env.req(r, &staff)).await), tonic::Code::FailedPrecondition);

    // Reassigning goes to another producer person and is in the history.
    let second = submit(
        &mut env,
        &w.contact.clone(),
        fb::SubmitFeedbackRequest { topic: fb::FeedbackTopic::Meals as i32, ..reclamation(&w.other_site) },
    )
    .await;
    let r = fb::ReassignFeedbackRequest { id: second.id.clone(), contact_id: w.cleaner.id.clone(), note: "Koskee siivousta".into() };
    let moved = env.feedback.reassign_feedback(env.req(r.clone(), &staff)).await.unwrap().into_inner();
    assert_eq!(moved.handler.unwrap().name, "Sami Siivous");
    assert_eq!(code(env.feedback.reassign_feedback(env.req(r, &w.contact)).await), tonic::Code::PermissionDenied);
    // The reassignment's note is staff-only; the customer's side sees who handles it now.
    let theirs =
        env.feedback.get_feedback(env.req(fb::GetFeedbackRequest { id: second.id.clone() }, &w.contact)).await.unwrap().into_inner();
    assert!(theirs.history.iter().any(|h| h.change == "reassigned" && h.detail == "Sami Siivous"));
    assert!(!format!("{theirs:?}").contains("Koskee siivousta"));
    env.cleanup().await;
}

#[tokio::test]
async fn the_sla_job_warns_then_escalates_once_and_critical_items_escalate_at_once() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let pool = feedback_pool(&env).await;
    let item = submit(&mut env, &w.site_user.clone(), reclamation(&w.site)).await;
    let due: DateTime<Utc> = {
        let t = item.acknowledge.as_ref().unwrap().due_at.unwrap();
        DateTime::from_timestamp(t.seconds, 0).unwrap()
    };
    let created = DateTime::from_timestamp(item.created_at.unwrap().seconds, 0).unwrap();
    let tick = |at| {
        let pool = pool.clone();
        async move { kumppani_feedback::sla::tick(&pool, at).await.unwrap() }
    };
    // Nothing is due before the warning point; the job looks at nothing.
    assert_eq!(tick(created + Duration::minutes(1)).await, kumppani_feedback::sla::Pass::default());
    // Just past the due time, a job that was not running breaches at once (and counts as warned).
    let pass = tick(due + Duration::minutes(1)).await;
    assert_eq!((pass.due, pass.warnings, pass.breaches), (1, 0, 1));
    assert_eq!(tick(due + Duration::minutes(2)).await.breaches, 0, "a breach fires once");
    let after = env.feedback.get_feedback(env.req(fb::GetFeedbackRequest { id: item.id.clone() }, &w.staff)).await.unwrap().into_inner();
    assert!(after.escalated);
    assert_eq!(after.acknowledge.unwrap().state, fb::SlaState::Breached as i32);
    assert!(after.history.iter().any(|h| h.change == "sla_breached" && h.detail == "acknowledge"));
    assert_eq!(env.outbox_count("feedback", "feedback.sla.breached").await, 1);
    let manager = notifications(&mut env, &w.staff.clone()).await;
    assert!(manager.iter().any(|n| n.kind == "escalated" && n.item_id == item.id), "{manager:?}");

    // A second item: the warning comes first at 75 % of the target, the breach later.
    let second = submit(&mut env, &w.site_user.clone(), reclamation(&w.site)).await;
    let next: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT next_alarm_at FROM items WHERE id = $1")
        .bind(Uuid::parse_str(&second.id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    let warn_at = next.unwrap();
    let second_due = DateTime::from_timestamp(second.acknowledge.as_ref().unwrap().due_at.unwrap().seconds, 0).unwrap();
    assert!(warn_at < second_due);
    let pass = tick(warn_at).await;
    assert_eq!((pass.warnings, pass.breaches), (1, 0));
    assert_eq!(env.outbox_count("feedback", "feedback.sla.warning").await, 1);
    let kitchen = env.issuer().token_for_person(Role::EnterpriseStaff, None, None, "Kaisa Keittiö", &w.kitchen.email).unwrap();
    assert!(notifications(&mut env, &kitchen).await.iter().any(|n| n.kind == "sla_warning" && n.item_id == second.id));
    // Acknowledged in time: the acknowledgement clock stops and never breaches.
    act(&mut env, &w.staff.clone(), &second.id, fb::FeedbackAction::Acknowledge, |_| {}).await;
    let pass = tick(second_due + Duration::minutes(5)).await;
    assert_eq!(pass.breaches, 0);

    // A critical allergen case runs around the clock and escalates to the manager at once.
    let critical = submit(
        &mut env,
        &w.site_user.clone(),
        fb::SubmitFeedbackRequest {
            severity: fb::Severity::Critical as i32,
            description: "Pähkinää allergisen lapsen annoksessa".into(),
            ..reclamation(&w.site)
        },
    )
    .await;
    assert!(critical.escalated);
    let ack = critical.acknowledge.unwrap();
    assert_eq!((ack.target_minutes, ack.around_the_clock), (60, true));
    env.cleanup().await;
}

#[tokio::test]
async fn recurring_problems_are_flagged_and_bad_input_writes_nothing() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let pool = feedback_pool(&env).await;

    // Every bad field at once, and nothing written.
    let bad = fb::SubmitFeedbackRequest {
        kind: 0,
        topic: 42,
        site_id: Uuid::nil().to_string(),
        description: String::new(),
        product_code: "x".repeat(41),
        ..Default::default()
    };
    let mut fields = violations(env.feedback.submit_feedback(env.req(bad, &w.staff)).await);
    fields.sort();
    assert_eq!(fields, ["description", "kind", "product_code", "topic"]);
    let unknown = fb::SubmitFeedbackRequest { site_id: Uuid::now_v7().to_string(), product_code: "EI-OLE".into(), ..reclamation(&w.site) };
    let mut fields = violations(env.feedback.submit_feedback(env.req(unknown, &w.staff)).await);
    fields.sort();
    assert_eq!(fields, ["product_code", "site_id"]);
    assert_eq!(count(&pool, "SELECT count(*) FROM items").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM history").await, 0);

    // The third reclamation of a site and topic within 30 days is flagged to the manager.
    for n in 0..3 {
        let item = submit(&mut env, &w.site_user.clone(), reclamation(&w.site)).await;
        assert_eq!(item.recurring, n == 2, "item {n}");
    }
    let manager = notifications(&mut env, &w.staff.clone()).await;
    assert_eq!(manager.iter().filter(|n| n.kind == "recurring").count(), 1);
    assert_eq!(env.outbox_count("feedback", "feedback.item.recurring").await, 1);

    // REST: the same rules as JSON with named fields, and the portal's scope.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/feedback", env.http))
        .bearer_auth(&w.site_user)
        .json(&serde_json::json!({"kind": "FEEDBACK_KIND_PRAISE", "topic": "FEEDBACK_TOPIC_MEALS", "siteId": w.site, "description": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body.to_string().contains("description"), "{body}");
    let listed = env.rest_json(&format!("/feedback?siteId={}", w.site), &w.site_user).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3, "{listed}");
    let others = env.rest_json("/feedback", &w.other_site_user).await;
    assert!(others.get("items").and_then(|i| i.as_array()).is_none_or(|a| a.is_empty()), "{others}");
    env.cleanup().await;
}

#[tokio::test]
async fn notifications_are_emailed_once_through_a_real_smtp_server_and_retried_after_an_outage() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let pool = feedback_pool(&env).await;
    let dir = std::env::temp_dir().join(format!("kumppani-smtp-{}", Uuid::now_v7()));
    let port = free_port();
    let mut server = SmtpServer::start(port, dir.clone()).await;
    let mailer =
        kumppani_platform::mail::Mailer::new(&format!("smtp://127.0.0.1:{}", server.port), "Kumppani <kumppani@serviisi.example>").unwrap();

    let item = submit(&mut env, &w.site_user.clone(), reclamation(&w.site)).await;
    let sent = kumppani_feedback::mail::send_pending(&pool, &mailer, "https://kumppani.example.fi", Utc::now()).await.unwrap();
    assert_eq!(sent, 1);
    let got = server.received();
    assert_eq!(got.len(), 1);
    let (to, subject, body) = &got[0];
    assert_eq!(to, &w.kitchen.email);
    assert!(subject.contains(&format!("#{}", item.number)) && subject.contains("Uusi palaute"), "{subject}");
    assert!(body.contains(&format!("https://kumppani.example.fi/portal/feedback/{}", item.id)), "{body}");
    assert!(body.contains("Kohde FB-1"), "{body}");
    // Sent once: the next pass has nothing.
    assert_eq!(kumppani_feedback::mail::send_pending(&pool, &mailer, "https://kumppani.example.fi", Utc::now()).await.unwrap(), 0);

    // The server is down: nothing is stamped, and it goes once the server is back.
    server.stop();
    let staff = w.staff.clone();
    act(&mut env, &staff, &item.id, fb::FeedbackAction::Acknowledge, |_| {}).await;
    assert_eq!(kumppani_feedback::mail::send_pending(&pool, &mailer, "https://kumppani.example.fi", Utc::now()).await.unwrap(), 0);
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE emailed_at IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(unsent, 1, "the status notification to the submitter waits");
    let server = SmtpServer::start(port, dir.clone()).await;
    assert_eq!(kumppani_feedback::mail::send_pending(&pool, &mailer, "https://kumppani.example.fi", Utc::now()).await.unwrap(), 1);
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert!(got.iter().any(|(to, s, _)| to == "paula.paivakoti@ouka.example" && s.contains("tila muuttui")), "{got:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    env.cleanup().await;
}

/// An agreement's own SLA target binds once the agreement is in force: a
/// signed agreement's 30-minute acknowledgement applies to its customer's
/// items, one still in negotiation leaves its customer on the default.
#[tokio::test]
async fn an_agreement_in_force_sets_its_own_sla_targets() {
    use kumppani_proto::r#type::v1::ServiceLine;
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let year = support::today().year();
    let mut sites = Vec::new();
    for (code, sign) in [("SLA-A", true), ("SLA-B", false)] {
        let customer = env.internal_customer(code).await.id;
        let site = env.site(&customer, &format!("{code}-1"), contracts::SiteKind::Daycare).await.id;
        let agreement = env.agreement(&customer, year, &[&site], &[ServiceLine::Meals], sign).await;
        let target = fb::SetSlaTargetRequest {
            severity: fb::Severity::Normal as i32,
            topic: fb::FeedbackTopic::Meals as i32,
            agreement_id: agreement.id.clone(),
            acknowledge_minutes: 30,
            resolve_minutes: 480,
            around_the_clock: false,
        };
        env.feedback.set_sla_target(env.req(target, &staff)).await.unwrap();
        sites.push((customer, site, agreement.id));
    }
    let pool = feedback_pool(&env).await;
    support::wait_until("feedback's projection of the agreements", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move { count(&pool, "SELECT count(*) FROM agreements WHERE status IN ('signed', 'negotiation')").await >= 2 }
    })
    .await;
    let mut acknowledge = Vec::new();
    for (customer, site, _) in &sites {
        let user = person(&env, Role::SiteUser, customer, Some(site), "Paula Päiväkoti");
        let r = fb::SubmitFeedbackRequest { topic: fb::FeedbackTopic::Meals as i32, ..reclamation(site) };
        acknowledge.push(submit(&mut env, &user, r).await.acknowledge.unwrap().target_minutes);
    }
    assert_eq!(acknowledge, [30, 240], "the signed agreement's own target; the default while negotiating");
    // Both agreements list their own target for staff.
    let listed = fb::ListSlaTargetsRequest { agreement_id: sites[1].2.clone() };
    let targets = env.feedback.list_sla_targets(env.req(listed, &staff)).await.unwrap().into_inner().targets;
    assert!(targets.iter().any(|t| t.agreement_id == sites[1].2 && t.acknowledge_minutes == 30), "{targets:?}");
    env.cleanup().await;
}
