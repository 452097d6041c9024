//! The partnership's rules, pure and unit-tested: when a calendar step is due
//! for an agreement year, what counts as late, when a reminder goes, the
//! dispute's two-month clock, and the validation of every request.

use chrono::{Datelike, Months, NaiveDate};
use kumppani_platform::validate::{Reason, Violations};
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;

kumppani_platform::text_enum!(owner_party_text, owner_party_from, pb::OwnerParty, {
    Enterprise => "enterprise", Customer => "customer", Both => "both",
});
kumppani_platform::text_enum!(task_status_text, task_status_from, pb::TaskStatus, {
    Planned => "planned", InProgress => "in_progress", Done => "done", Skipped => "skipped",
});
kumppani_platform::text_enum!(dispute_status_text, dispute_status_from, pb::DisputeStatus, {
    Open => "open", Escalated => "escalated", Settled => "settled",
});

/// A reminder goes this many days before a task's due date.
pub const REMINDER_DAYS: u64 = 7;
/// A dispute not settled within this many months escalates (Liite 2 §3).
pub const DISPUTE_MONTHS: u32 = 2;

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 2000;
const OUTCOME_MAX: usize = 4000;
const DISPUTE_TEXT_MAX: usize = 8000;

/// The due date of a step (`month`, `day`) when preparing agreement `year`:
/// that day of the year before, a day past the month's end being its last day.
pub fn due_date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year - 1, month, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some(first.with_day(day.min(last.day()))?.max(first))
}

/// Not done or skipped and its due date has passed.
pub fn overdue(status: &str, due_on: NaiveDate, today: NaiveDate) -> bool {
    is_open(status) && due_on < today
}

/// A task still to be done.
pub fn is_open(status: &str) -> bool {
    matches!(status, "planned" | "in_progress")
}

/// Done after its due date.
pub fn done_late(due_on: NaiveDate, done_on: Option<NaiveDate>) -> bool {
    done_on.is_some_and(|d| d > due_on)
}

/// Is the reminder of an open task due today (a week before its due date)?
pub fn reminder_due(due_on: NaiveDate, today: NaiveDate) -> bool {
    due_on.checked_sub_days(chrono::Days::new(REMINDER_DAYS)).is_some_and(|d| d <= today) && today <= due_on
}

/// The day a dispute escalates when not settled: two months after it was
/// found (the month's last day when that month is shorter: 31.12 → 28.2).
pub fn escalates_on(opened_on: NaiveDate) -> NaiveDate {
    opened_on.checked_add_months(Months::new(DISPUTE_MONTHS)).unwrap_or(NaiveDate::MAX)
}

/// Days until escalation (negative once past); 0 when settled.
pub fn days_left(status: &str, escalates_on: NaiveDate, today: NaiveDate) -> i32 {
    if status == "settled" {
        return 0;
    }
    i32::try_from((escalates_on - today).num_days()).unwrap_or(i32::MIN)
}

/// `part / whole` as a percentage with one decimal ("87.5"); "" when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return String::new();
    }
    (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp(1).normalize().to_string()
}

/// A template step as validated.
#[derive(Debug, Clone)]
pub struct StepInput {
    pub position: i32,
    pub month: i32,
    pub day: i32,
    pub owner_party: &'static str,
    pub responsible: String,
    pub title: [String; 3],
    pub description: [String; 3],
    pub active: bool,
}

fn local(v: &mut Violations, field: &str, t: Option<&pb::LocalText>, max: usize, fi_required: bool) -> [String; 3] {
    let t = t.cloned().unwrap_or_default();
    [
        v.text(&format!("{field}.fi"), &t.fi, max, fi_required),
        v.text(&format!("{field}.sv"), &t.sv, max, false),
        v.text(&format!("{field}.en"), &t.en, max, false),
    ]
}

/// Every bad field of a step at once.
pub fn validate_step(r: &pb::SetCalendarStepRequest) -> Result<StepInput, kumppani_platform::AppError> {
    let mut v = Violations::default();
    v.check((1..=1000).contains(&r.position), "position", Reason::out_of_range(1, 1000));
    v.check((1..=12).contains(&r.month), "month", Reason::out_of_range(1, 12));
    v.check((1..=31).contains(&r.day), "day", Reason::out_of_range(1, 31));
    let owner_party = v.enumeration("owner_party", r.owner_party, owner_party_text, true);
    let responsible = v.text("responsible", &r.responsible, TITLE_MAX, false);
    let title = local(&mut v, "title", r.title.as_ref(), TITLE_MAX, true);
    let description = local(&mut v, "description", r.description.as_ref(), DESCRIPTION_MAX, false);
    v.finish()?;
    Ok(StepInput {
        position: r.position,
        month: r.month,
        day: r.day,
        owner_party: owner_party.unwrap_or("both"),
        responsible,
        title,
        description,
        active: r.active,
    })
}

/// A task's change as validated (contact ids are checked against the registry by the caller).
#[derive(Debug, Clone)]
pub struct TaskChange {
    pub enterprise_owner: Option<uuid::Uuid>,
    pub customer_owner: Option<uuid::Uuid>,
    pub due_on: Option<NaiveDate>,
    pub status: &'static str,
    pub outcome: String,
    pub done_on: Option<NaiveDate>,
}

/// Every bad field of a task change at once. Done needs a day (default today)
/// not in the future; skipped needs the reason in the outcome.
pub fn validate_task_change(r: &pb::UpdateCalendarTaskRequest, today: NaiveDate) -> Result<TaskChange, kumppani_platform::AppError> {
    let mut v = Violations::default();
    let enterprise_owner = v.uuid("enterprise_owner_contact_id", &r.enterprise_owner_contact_id, false);
    let customer_owner = v.uuid("customer_owner_contact_id", &r.customer_owner_contact_id, false);
    let due_on = v.date("due_on", r.due_on.as_ref(), false);
    let status = v.enumeration("status", r.status, task_status_text, true);
    let outcome = v.text("outcome", &r.outcome, OUTCOME_MAX, false);
    let done_on = v.date("done_on", r.done_on.as_ref(), false);
    v.check(r.expected_version > 0, "expected_version", Reason::required());
    let done_on = match status {
        Some("done") => {
            let d = done_on.unwrap_or(today);
            v.check(d <= today, "done_on", Reason::in_future());
            Some(d)
        }
        _ => {
            v.check(done_on.is_none(), "done_on", Reason::new("only_when_done", "is given only when the task is done"));
            None
        }
    };
    if status == Some("skipped") {
        v.check(!outcome.trim().is_empty(), "outcome", Reason::new("reason_required", "must say why the step is skipped"));
    }
    v.finish()?;
    Ok(TaskChange { enterprise_owner, customer_owner, due_on, status: status.unwrap_or("planned"), outcome, done_on })
}

/// A new dispute as validated.
#[derive(Debug, Clone)]
pub struct DisputeInput {
    pub agreement_id: uuid::Uuid,
    pub topic: String,
    pub description: String,
    pub opened_on: NaiveDate,
    pub escalation_name: String,
    pub escalation_email: String,
}

pub fn validate_dispute(r: &pb::OpenDisputeRequest, today: NaiveDate) -> Result<DisputeInput, kumppani_platform::AppError> {
    let mut v = Violations::default();
    let agreement_id = v.uuid("agreement_id", &r.agreement_id, true);
    let topic = v.text("topic", &r.topic, TITLE_MAX, true);
    let description = v.text("description", &r.description, DISPUTE_TEXT_MAX, true);
    let opened_on = v.date("opened_on", r.opened_on.as_ref(), false).unwrap_or(today);
    v.check(opened_on <= today, "opened_on", Reason::in_future());
    let escalation_name = v.text("escalation_name", &r.escalation_name, TITLE_MAX, false);
    let escalation_email = v.text("escalation_email", &r.escalation_email, 254, false);
    if !escalation_email.is_empty() && !crate::domain::valid_email(&escalation_email) {
        v.add("escalation_email", Reason::new("invalid_email", "is not an e-mail address"));
    }
    v.finish()?;
    Ok(DisputeInput { agreement_id: agreement_id.unwrap_or_default(), topic, description, opened_on, escalation_name, escalation_email })
}

/// A settlement as validated: the outcome and a day between the opening and today.
pub fn validate_settlement(
    r: &pb::SettleDisputeRequest,
    opened_on: NaiveDate,
    today: NaiveDate,
) -> Result<(String, NaiveDate), kumppani_platform::AppError> {
    let mut v = Violations::default();
    let outcome = v.text("outcome", &r.outcome, DISPUTE_TEXT_MAX, true);
    let settled_on = v.date("settled_on", r.settled_on.as_ref(), false).unwrap_or(today);
    v.check(settled_on <= today, "settled_on", Reason::in_future());
    v.check(
        settled_on >= opened_on,
        "settled_on",
        Reason::new("before_dispute_opened", "must not be before the dispute was opened").with("opened_on", opened_on),
    );
    v.check(r.expected_version > 0, "expected_version", Reason::required());
    v.finish()?;
    Ok((outcome, settled_on))
}

kumppani_platform::text_enum!(meeting_kind_text, meeting_kind_from, pb::MeetingKind, {
    CustomerMeeting => "customer_meeting", StatusReview => "status_review",
});
kumppani_platform::text_enum!(project_status_text, project_status_from, pb::ProjectStatus, {
    Planned => "planned", Active => "active", Completed => "completed", Cancelled => "cancelled",
});

/// A meeting as validated.
#[derive(Debug, Clone)]
pub struct MeetingInput {
    pub customer_id: uuid::Uuid,
    pub kind: &'static str,
    pub held_on: NaiveDate,
    pub title: String,
    pub participants: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
}

pub fn validate_meeting(r: &pb::SaveMeetingRequest) -> Result<MeetingInput, kumppani_platform::AppError> {
    let mut v = Violations::default();
    let customer_id = v.uuid("customer_id", &r.customer_id, true);
    let kind = v.enumeration("kind", r.kind, meeting_kind_text, true);
    let held_on = v.date("held_on", r.held_on.as_ref(), true);
    let title = v.text("title", &r.title, TITLE_MAX, true);
    let participants = v.text("participants", &r.participants, 2000, false);
    let agenda = v.text("agenda", &r.agenda, DISPUTE_TEXT_MAX, false);
    let minutes = v.text("minutes", &r.minutes, 20_000, false);
    let decisions = v.text("decisions", &r.decisions, DISPUTE_TEXT_MAX, false);
    v.finish()?;
    Ok(MeetingInput {
        customer_id: customer_id.unwrap_or_default(),
        kind: kind.unwrap_or("customer_meeting"),
        held_on: held_on.unwrap_or_default(),
        title,
        participants,
        agenda,
        minutes,
        decisions,
    })
}

/// An action item as validated.
#[derive(Debug, Clone)]
pub struct ActionInput {
    pub description: String,
    pub owner: Option<uuid::Uuid>,
    pub due_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
}

pub fn validate_action(r: &pb::SaveActionItemRequest, today: NaiveDate) -> Result<ActionInput, kumppani_platform::AppError> {
    let mut v = Violations::default();
    let description = v.text("description", &r.description, 2000, true);
    let owner = v.uuid("owner_contact_id", &r.owner_contact_id, false);
    let due_on = v.date("due_on", r.due_on.as_ref(), false);
    let done_on = v.date("done_on", r.done_on.as_ref(), false);
    v.check(done_on.is_none_or(|d| d <= today), "done_on", Reason::in_future());
    v.finish()?;
    Ok(ActionInput { description, owner, due_on, done_on })
}

/// A project as validated.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub customer_id: uuid::Uuid,
    pub title: String,
    pub goal: String,
    pub enterprise_responsible: Option<uuid::Uuid>,
    pub customer_responsible: Option<uuid::Uuid>,
    pub status: &'static str,
    pub hours_planned: Decimal,
    pub hours_used: Decimal,
}

/// Hours: empty is 0; otherwise at least 0, at most 999 999.9, one decimal.
fn hours(v: &mut Violations, field: &str, raw: &str) -> Decimal {
    let raw = raw.trim();
    if raw.is_empty() {
        return Decimal::ZERO;
    }
    match raw.parse::<Decimal>() {
        Err(_) => v.add(field, Reason::new("not_a_number", "is not a number (e.g. 12.5)")),
        Ok(h) if h.is_sign_negative() && !h.is_zero() => v.add(field, Reason::negative()),
        Ok(h) if h.scale() > 1 && h.normalize().scale() > 1 => {
            v.add(field, Reason::new("too_many_decimals", "has at most 1 decimal").with("max", 1))
        }
        Ok(h) if h >= Decimal::from(1_000_000) => v.add(field, Reason::out_of_range(0, "999999.9")),
        Ok(h) => return h.normalize(),
    }
    Decimal::ZERO
}

pub fn validate_project(r: &pb::SaveProjectRequest) -> Result<ProjectInput, kumppani_platform::AppError> {
    let mut v = Violations::default();
    let customer_id = v.uuid("customer_id", &r.customer_id, true);
    let title = v.text("title", &r.title, TITLE_MAX, true);
    let goal = v.text("goal", &r.goal, 4000, false);
    let enterprise_responsible = v.uuid("enterprise_responsible_contact_id", &r.enterprise_responsible_contact_id, false);
    let customer_responsible = v.uuid("customer_responsible_contact_id", &r.customer_responsible_contact_id, false);
    let status = v.enumeration("status", r.status, project_status_text, true);
    let hours_planned = hours(&mut v, "hours_planned", &r.hours_planned);
    let hours_used = hours(&mut v, "hours_used", &r.hours_used);
    v.finish()?;
    Ok(ProjectInput {
        customer_id: customer_id.unwrap_or_default(),
        title,
        goal,
        enterprise_responsible,
        customer_responsible,
        status: status.unwrap_or("planned"),
        hours_planned,
        hours_used,
    })
}

/// A milestone as validated: a title, a planned day, a done day not in the future.
pub fn validate_milestone(
    r: &pb::SaveMilestoneRequest,
    today: NaiveDate,
) -> Result<(String, NaiveDate, Option<NaiveDate>), kumppani_platform::AppError> {
    let mut v = Violations::default();
    let title = v.text("title", &r.title, TITLE_MAX, true);
    let planned_on = v.date("planned_on", r.planned_on.as_ref(), true);
    let done_on = v.date("done_on", r.done_on.as_ref(), false);
    v.check(done_on.is_none_or(|d| d <= today), "done_on", Reason::in_future());
    v.finish()?;
    Ok((title, planned_on.unwrap_or_default(), done_on))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn steps_fall_in_the_year_before_the_agreement_year_and_clamp_to_the_month() {
        assert_eq!(due_date(2027, 3, 31), Some(d(2026, 3, 31)));
        assert_eq!(due_date(2027, 4, 31), Some(d(2026, 4, 30)));
        assert_eq!(due_date(2025, 2, 30), Some(d(2024, 2, 29)));
        assert_eq!(due_date(2027, 12, 31), Some(d(2026, 12, 31)));
        assert_eq!(due_date(2027, 13, 1), None);
    }

    #[test]
    fn the_dispute_clock_is_two_calendar_months() {
        assert_eq!(escalates_on(d(2026, 10, 3)), d(2026, 12, 3));
        assert_eq!(escalates_on(d(2026, 12, 31)), d(2027, 2, 28));
        assert_eq!(days_left("open", d(2026, 12, 3), d(2026, 12, 1)), 2);
        assert_eq!(days_left("escalated", d(2026, 12, 3), d(2026, 12, 5)), -2);
        assert_eq!(days_left("settled", d(2026, 12, 3), d(2026, 12, 5)), 0);
    }

    #[test]
    fn late_and_reminders() {
        assert!(overdue("planned", d(2026, 11, 30), d(2026, 12, 1)));
        assert!(!overdue("planned", d(2026, 11, 30), d(2026, 11, 30)));
        assert!(!overdue("done", d(2026, 11, 30), d(2026, 12, 1)));
        assert!(!overdue("skipped", d(2026, 11, 30), d(2026, 12, 1)));
        assert!(done_late(d(2026, 11, 30), Some(d(2026, 12, 1))));
        assert!(!done_late(d(2026, 11, 30), Some(d(2026, 11, 30))));
        assert!(reminder_due(d(2026, 12, 31), d(2026, 12, 24)));
        assert!(!reminder_due(d(2026, 12, 31), d(2026, 12, 23)));
        assert!(!reminder_due(d(2026, 12, 31), d(2027, 1, 1)));
    }

    #[test]
    fn hours_are_decimals_with_one_decimal() {
        let r = |planned: &str, used: &str| pb::SaveProjectRequest {
            customer_id: uuid::Uuid::nil().to_string(),
            title: "Hävikki".into(),
            status: pb::ProjectStatus::Active as i32,
            hours_planned: planned.into(),
            hours_used: used.into(),
            ..Default::default()
        };
        let p = validate_project(&r("120.5", "")).unwrap();
        assert_eq!((p.hours_planned.to_string(), p.hours_used.to_string()), ("120.5".into(), "0".into()));
        let e = validate_project(&r("1.25", "-3")).unwrap_err();
        let codes: Vec<(&str, &str)> = e.violations.iter().map(|v| (v.field.as_str(), v.code.as_str())).collect();
        assert_eq!(codes, [("hours_planned", "too_many_decimals"), ("hours_used", "negative")]);
        assert!(validate_project(&r("kymmenen", "")).is_err());
    }

    #[test]
    fn percentages_have_one_decimal_and_nothing_due_is_empty() {
        assert_eq!(percent(7, 8), "87.5");
        assert_eq!(percent(2, 3), "66.7");
        assert_eq!(percent(3, 3), "100");
        assert_eq!(percent(0, 0), "");
    }

    #[test]
    fn a_task_change_reports_every_bad_field() {
        let r = pb::UpdateCalendarTaskRequest {
            id: String::new(),
            expected_version: 0,
            enterprise_owner_contact_id: "x".into(),
            status: pb::TaskStatus::Skipped as i32,
            done_on: Some(pb::Date::from_naive(d(2026, 1, 1))),
            ..Default::default()
        };
        let e = validate_task_change(&r, d(2026, 12, 3)).unwrap_err();
        let fields: Vec<&str> = e.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["enterprise_owner_contact_id", "expected_version", "done_on", "outcome"]);
        let done = pb::UpdateCalendarTaskRequest { expected_version: 1, status: pb::TaskStatus::Done as i32, ..Default::default() };
        assert_eq!(validate_task_change(&done, d(2026, 12, 3)).unwrap().done_on, Some(d(2026, 12, 3)));
    }
}
