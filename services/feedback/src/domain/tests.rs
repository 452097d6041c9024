//! Unit tests of the feedback rules.
#![allow(clippy::unwrap_used)]

use super::*;
use chrono::TimeZone;
use chrono_tz::Europe::Helsinki;
use kumppani_platform::ErrorCode;

const CUSTOMER: uuid::Uuid = uuid::Uuid::from_u128(2);
const SITE: uuid::Uuid = uuid::Uuid::from_u128(1);

fn principal(role: Role) -> Principal {
    Principal {
        subject: "someone".into(),
        name: "Tiina Tuominen".into(),
        email: "Tiina.Tuominen@Oulu.example".into(),
        role,
        customer_id: (role != Role::EnterpriseStaff).then_some(CUSTOMER),
        site_id: (role == Role::SiteUser).then_some(SITE),
        grants: Vec::new(),
    }
}

fn hel(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Helsinki.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

fn submit() -> pb::SubmitFeedbackRequest {
    pb::SubmitFeedbackRequest {
        kind: pb::FeedbackKind::Reclamation as i32,
        topic: pb::FeedbackTopic::SpecialDiets as i32,
        site_id: SITE.to_string(),
        description: "Gluteeniton annos puuttui".into(),
        ..Default::default()
    }
}

fn fields(e: &AppError) -> Vec<&str> {
    let mut f: Vec<&str> = e.violations.iter().map(|v| v.field.as_str()).collect();
    f.sort_unstable();
    f
}

fn contact(
    id: &str,
    name: &str,
    party: contracts::Party,
    level: contracts::ContactLevel,
    topics: &[contracts::Topic],
) -> contracts::Contact {
    contracts::Contact {
        id: id.into(),
        party: party as i32,
        customer_id: CUSTOMER.to_string(),
        name: name.into(),
        level: level as i32,
        email: format!("{id}@example.fi"),
        topics: topics.iter().map(|t| *t as i32).collect(),
        ..Default::default()
    }
}

#[test]
fn a_site_user_submits_as_themselves() {
    let new = validate_submit(&principal(Role::SiteUser), &submit(), Vec::new(), today()).unwrap();
    assert_eq!((new.kind, new.topic, new.severity, new.channel), ("reclamation", "special_diets", "normal", "portal"));
    assert_eq!(new.contact_name, "Tiina Tuominen");
    assert_eq!(new.contact_email, "tiina.tuominen@oulu.example");
}

#[test]
fn every_bad_field_is_named_at_once() {
    let r = pb::SubmitFeedbackRequest {
        kind: 0,
        topic: 99,
        site_id: "not-a-uuid".into(),
        description: "  ".into(),
        service_day: Some(pb::Date::from_naive(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())),
        ..Default::default()
    };
    let e = validate_submit(&principal(Role::SiteUser), &r, Vec::new(), today()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(fields(&e), ["description", "kind", "service_day", "site_id", "topic"]);
}

#[test]
fn the_portal_may_say_its_channel() {
    let r = pb::SubmitFeedbackRequest { channel: pb::FeedbackChannel::Portal as i32, ..submit() };
    assert_eq!(validate_submit(&principal(Role::SiteUser), &r, Vec::new(), today()).unwrap().channel, "portal");
}

#[test]
fn only_staff_enter_feedback_on_someones_behalf() {
    let r = pb::SubmitFeedbackRequest { channel: pb::FeedbackChannel::Phone as i32, contact_name: "Maija".into(), ..submit() };
    let e = validate_submit(&principal(Role::CustomerContact), &r, Vec::new(), today()).unwrap_err();
    assert_eq!(fields(&e), ["channel", "contact_name"]);
    let staff = principal(Role::EnterpriseStaff);
    let new = validate_submit(
        &staff,
        &pb::SubmitFeedbackRequest { contact_email: "maija@oulu.example".into(), ..r.clone() },
        Vec::new(),
        today(),
    )
    .unwrap();
    assert_eq!((new.channel, new.contact_name.as_str()), ("phone", "Maija"));
    let e = validate_submit(&staff, &pb::SubmitFeedbackRequest { contact_email: "maija at oulu".into(), ..r.clone() }, Vec::new(), today())
        .unwrap_err();
    assert_eq!(fields(&e), ["contact_email"]);
    let e = validate_submit(&staff, &pb::SubmitFeedbackRequest { channel: pb::FeedbackChannel::Open311 as i32, ..r }, Vec::new(), today())
        .unwrap_err();
    assert_eq!(fields(&e), ["channel"]);
}

#[test]
fn system_clients_do_not_give_feedback() {
    assert_eq!(side(&principal(Role::SystemClient)).unwrap_err().code, ErrorCode::PermissionDenied);
}

#[test]
fn email_plausibility() {
    for ok in ["a@b.fi", "tiina.tuominen@ouka.fi"] {
        assert!(plausible_email(ok), "{ok}");
    }
    for bad in ["", "a", "a@b", "@b.fi", "a@.fi", "a@b.", "a b@c.fi", "a@b@c.fi"] {
        assert!(!plausible_email(bad), "{bad}");
    }
}

#[test]
fn routing_prefers_the_topic_person_and_escalates_to_the_contract_level() {
    use contracts::{ContactLevel as L, Party as P, Topic as T};
    let contacts = vec![
        contact("kati", "Kati Keittiö", P::Enterprise, L::Operational, &[T::Meals]),
        contact("sami", "Sami Siivous", P::Enterprise, L::Operational, &[T::Cleaning]),
        contact("anna", "Anna Asiakkuus", P::Enterprise, L::Contract, &[]),
        contact("asiakas", "Asiakkaan Yhteyshenkilö", P::Customer, L::Contract, &[T::Meals]),
    ];
    let (h, m) = route(&contacts, "special_diets");
    assert_eq!((h.unwrap().id, m.unwrap().id), ("kati".to_owned(), "anna".to_owned()));
    let (h, m) = route(&contacts, "cleaning");
    assert_eq!((h.unwrap().id, m.unwrap().id), ("sami".to_owned(), "anna".to_owned()));
    // Nobody has "other": the contract-level contact handles it, and is not their own manager.
    let (h, m) = route(&contacts, "other");
    assert_eq!(h.unwrap().id, "anna");
    assert!(m.is_none());
    // The customer's own people are never handlers.
    let (h, _) = route(&contacts[3..], "meals");
    assert!(h.is_none());
}

#[test]
fn only_contacts_covering_the_site_route_it() {
    use contracts::{ContactLevel as L, Party as P, Topic as T};
    let (site, other, unit) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(9), uuid::Uuid::from_u128(5));
    let mut here = contact("here", "Hanna Täällä", P::Enterprise, L::Operational, &[T::Meals]);
    here.site_id = site.to_string();
    let mut there = contact("there", "Aino Muualla", P::Enterprise, L::Operational, &[T::Meals]);
    there.site_id = other.to_string();
    let mut unit_wide = contact("unit", "Ulla Yksikkö", P::Enterprise, L::Operational, &[T::Meals]);
    unit_wide.unit_id = unit.to_string();
    let wide = contact("wide", "Ville Laaja", P::Enterprise, L::Contract, &[]);
    let kept: Vec<String> =
        covering(vec![here, there, unit_wide.clone(), wide.clone()], site, Some(unit)).into_iter().map(|c| c.id).collect();
    assert_eq!(kept, ["here", "unit", "wide"]);
    let kept: Vec<String> = covering(vec![unit_wide, wide], site, None).into_iter().map(|c| c.id).collect();
    assert_eq!(kept, ["wide"]);
}

#[test]
fn a_customers_person_needs_the_scope_of_their_token() {
    let mut p = principal(Role::SiteUser);
    p.site_id = None;
    assert_eq!(side(&p).unwrap_err().code, ErrorCode::PermissionDenied);
    let mut p = principal(Role::CustomerContact);
    p.customer_id = None;
    assert_eq!(side(&p).unwrap_err().code, ErrorCode::PermissionDenied);
}

#[test]
fn the_lifecycle() {
    use pb::FeedbackAction as A;
    let now = hel(2026, 12, 2, 10, 0);
    let ok = |a, status, side| transition(a, status, side, None, now).map(|t| t.to);
    assert_eq!(ok(A::Acknowledge, "received", Side::Staff).unwrap(), "acknowledged");
    assert_eq!(ok(A::Start, "acknowledged", Side::Staff).unwrap(), "in_progress");
    assert_eq!(ok(A::WaitForCustomer, "in_progress", Side::Staff).unwrap(), "waiting_for_customer");
    assert_eq!(ok(A::Start, "waiting_for_customer", Side::Staff).unwrap(), "in_progress");
    assert_eq!(ok(A::Resolve, "in_progress", Side::Staff).unwrap(), "resolved");
    assert_eq!(ok(A::Close, "resolved", Side::Customer).unwrap(), "closed");
    // The customer's side does not handle; the producer does not skip resolution.
    assert_eq!(ok(A::Acknowledge, "received", Side::Customer).unwrap_err().code, ErrorCode::PermissionDenied);
    assert_eq!(ok(A::Resolve, "received", Side::Customer).unwrap_err().code, ErrorCode::PermissionDenied);
    assert_eq!(ok(A::Close, "in_progress", Side::Staff).unwrap_err().code, ErrorCode::FailedPrecondition);
    assert_eq!(ok(A::Acknowledge, "acknowledged", Side::Staff).unwrap_err().code, ErrorCode::FailedPrecondition);
    assert_eq!(ok(A::Unspecified, "received", Side::Staff).unwrap_err().code, ErrorCode::InvalidArgument);
}

#[test]
fn what_a_transition_does_to_the_clocks() {
    use pb::FeedbackAction as A;
    let now = hel(2026, 12, 2, 10, 0);
    let wait = transition(A::WaitForCustomer, "received", Side::Staff, None, now).unwrap();
    assert!(wait.acknowledges && wait.pauses && !wait.resumes);
    let resolve = transition(A::Resolve, "waiting_for_customer", Side::Staff, None, now).unwrap();
    assert!(resolve.resolves && resolve.resumes && resolve.pauses);
    let resume = transition(A::Start, "waiting_for_customer", Side::Staff, None, now).unwrap();
    assert!(resume.resumes && !resume.pauses);
}

#[test]
fn reopening_within_fourteen_days_only() {
    use pb::FeedbackAction as A;
    let resolved = hel(2026, 11, 18, 12, 0);
    let t = transition(A::Reopen, "resolved", Side::Customer, Some(resolved), resolved + Duration::days(14)).unwrap();
    assert_eq!((t.to, t.change, t.resumes), ("in_progress", "reopened", true));
    assert!(transition(A::Reopen, "closed", Side::Customer, Some(resolved), resolved + Duration::days(13)).is_ok());
    let e =
        transition(A::Reopen, "closed", Side::Customer, Some(resolved), resolved + Duration::days(14) + Duration::seconds(1)).unwrap_err();
    assert_eq!(e.code, ErrorCode::FailedPrecondition);
    assert!(e.message.contains("14 days"), "{}", e.message);
    assert!(transition(A::Reopen, "in_progress", Side::Customer, None, resolved).is_err());
}

#[test]
fn resolution_needs_a_corrective_action_for_a_reclamation_and_a_sound_compensation() {
    let r = |action: &str, amount: &str, reason: &str| pb::TransitionFeedbackRequest {
        corrective_action: action.into(),
        compensation: Some(pb::Compensation { amount: amount.into(), reason: reason.into() }),
        ..Default::default()
    };
    let e = validate_resolution("reclamation", &r("", "", "")).unwrap_err();
    assert_eq!(fields(&e), ["corrective_action"]);
    assert_eq!(validate_resolution("praise", &r("", "", "")).unwrap(), (String::new(), None));
    let (_, c) = validate_resolution("reclamation", &r("Ruokalista korjattu", "25.5", "Puuttuneet annokset")).unwrap();
    assert_eq!(c, Some((Decimal::new(2550, 2), "Puuttuneet annokset".to_owned())));
    for (amount, reason, field) in [
        ("0", "x", "compensation.amount"),
        ("-3", "x", "compensation.amount"),
        ("1.005", "x", "compensation.amount"),
        ("kymppi", "x", "compensation.amount"),
        ("100000.01", "x", "compensation.amount"),
        ("10", "", "compensation.reason"),
    ] {
        let e = validate_resolution("reclamation", &r("done", amount, reason)).unwrap_err();
        assert_eq!(fields(&e), [field], "{amount} {reason}");
    }
}

fn facts(start: DateTime<Utc>, target_h: i64, stopped: Option<DateTime<Utc>>) -> ClockFacts<'static> {
    ClockFacts { clock: clock(false), start, target: Duration::hours(target_h), pauses: &[], stopped }
}

#[test]
fn the_clock_as_the_api_shows_it() {
    // Friday 27.11.2026 15:00, 4 working hours: due Monday 11:00.
    let start = hel(2026, 11, 27, 15, 0);
    let c = sla_clock(&facts(start, 4, None), hel(2026, 11, 28, 12, 0));
    assert_eq!(c.state, pb::SlaState::Running as i32);
    assert_eq!(c.elapsed_minutes, 60);
    assert_eq!(c.due_at, kumppani_platform::convert::timestamp(hel(2026, 11, 30, 11, 0)));
    // 3 of 4 hours used: a warning.
    assert_eq!(sla_clock(&facts(start, 4, None), hel(2026, 11, 30, 10, 0)).state, pb::SlaState::Warning as i32);
    assert_eq!(sla_clock(&facts(start, 4, None), hel(2026, 11, 30, 11, 0)).state, pb::SlaState::Breached as i32);
    // Stopped in time: met, and stays met.
    let met = facts(start, 4, Some(hel(2026, 11, 30, 9, 0)));
    assert_eq!(sla_clock(&met, hel(2026, 12, 30, 9, 0)).state, pb::SlaState::Met as i32);
    let late = facts(start, 4, Some(hel(2026, 11, 30, 12, 0)));
    assert_eq!(sla_clock(&late, hel(2026, 12, 30, 9, 0)).state, pb::SlaState::Breached as i32);
    // Waiting for the customer: paused, no due time.
    let pauses = [(hel(2026, 11, 30, 8, 30), None)];
    let paused = ClockFacts { pauses: &pauses, ..facts(start, 4, None) };
    let c = sla_clock(&paused, hel(2026, 12, 10, 9, 0));
    assert_eq!((c.state, c.elapsed_minutes, c.due_at), (pb::SlaState::Paused as i32, 90, None));
}

#[test]
fn alarms_fire_once_each() {
    let start = hel(2026, 11, 30, 8, 0);
    let f = facts(start, 4, None);
    assert_eq!(alarm(&f, false, false, hel(2026, 11, 30, 10, 59)), Alarm::None);
    assert_eq!(alarm(&f, false, false, hel(2026, 11, 30, 11, 0)), Alarm::Warn);
    assert_eq!(alarm(&f, true, false, hel(2026, 11, 30, 11, 30)), Alarm::None);
    assert_eq!(alarm(&f, true, false, hel(2026, 11, 30, 12, 0)), Alarm::Breach);
    // A job that was down breaches without warning first.
    assert_eq!(alarm(&f, false, false, hel(2026, 12, 1, 12, 0)), Alarm::Breach);
    assert_eq!(alarm(&f, true, true, hel(2026, 12, 1, 12, 0)), Alarm::None);
    assert_eq!(alarm(&facts(start, 4, Some(start)), false, false, hel(2026, 12, 1, 12, 0)), Alarm::None);
}

#[test]
fn the_next_alarm_is_the_warning_then_the_breach() {
    // Friday 15:00, 4 working hours: warn at 3 h (Monday 10:00), breach Monday 11:00.
    let f = facts(hel(2026, 11, 27, 15, 0), 4, None);
    assert_eq!(next_alarm(&f, false, false), Some(hel(2026, 11, 30, 10, 0)));
    assert_eq!(next_alarm(&f, true, false), Some(hel(2026, 11, 30, 11, 0)));
    assert_eq!(next_alarm(&f, true, true), None);
    let critical = ClockFacts { clock: clock(true), ..facts(hel(2026, 12, 5, 23, 0), 1, None) };
    assert_eq!(next_alarm(&critical, false, false), Some(hel(2026, 12, 5, 23, 45)));
}

#[test]
fn backlog_counts_working_days() {
    // Now: Monday 30.11.2026 12:00. Friday 27.11 12:00 is one working day ago (Fri 12–16 + Mon 8–12).
    let now = hel(2026, 11, 30, 12, 0);
    let items = [hel(2026, 11, 30, 9, 0), hel(2026, 11, 27, 12, 0), hel(2026, 11, 23, 12, 0), hel(2026, 11, 2, 12, 0)];
    assert_eq!(backlog(&items, now), vec![("0-1", 1), ("1-3", 1), ("3-10", 1), ("10-", 1)]);
}

#[test]
fn reclamations_per_thousand_meals() {
    assert_eq!(per_thousand(3, 12_000), "0.25");
    assert_eq!(per_thousand(1, 3), "333.33");
    assert_eq!(per_thousand(1, 0), "");
}

#[test]
fn recurring_is_the_third_within_the_window() {
    assert!(!is_recurring(2));
    assert!(is_recurring(3));
}

#[test]
fn ratings_and_targets() {
    let rating = |r: i32| validate_rating(&pb::RateHandlingRequest { rating: r, ..Default::default() });
    assert!(rating(0).is_err() && rating(6).is_err() && rating(1).is_ok() && rating(5).is_ok());
    let target = |ack: i64, resolve: i64| pb::SetSlaTargetRequest {
        severity: pb::Severity::Urgent as i32,
        acknowledge_minutes: ack,
        resolve_minutes: resolve,
        ..Default::default()
    };
    assert_eq!(validate_target(&target(120, 480)).unwrap(), ("urgent", None, None));
    assert_eq!(fields(&validate_target(&target(120, 60)).unwrap_err()), ["resolve_minutes"]);
    assert_eq!(fields(&validate_target(&target(0, 600_000)).unwrap_err()), ["acknowledge_minutes", "resolve_minutes"]);
}
