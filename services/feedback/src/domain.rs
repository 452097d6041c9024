//! The feedback rules, pure and unit-tested: stored texts of the enums,
//! validation of a new item, the lifecycle (who may do what in which status),
//! routing topics onto contracts' contact topics, the SLA clocks (working hours
//! from `platform::calendar::sla`) and the recurring-problem rule.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::calendar::sla::{Clock, WorkingHours};
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, Reason, text_enum};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use rust_decimal::Decimal;
use std::str::FromStr;

text_enum!(kind_text, kind_from, pb::FeedbackKind, {
    Reclamation => "reclamation", Feedback => "feedback", Praise => "praise", Question => "question", Idea => "idea",
});
text_enum!(topic_text, topic_from, pb::FeedbackTopic, {
    Meals => "meals", SpecialDiets => "special_diets", Cleaning => "cleaning", Ordering => "ordering",
    Invoicing => "invoicing", Agreement => "agreement", Other => "other",
});
text_enum!(severity_text, severity_from, pb::Severity, { Normal => "normal", Urgent => "urgent", Critical => "critical" });
text_enum!(status_text, status_from, pb::FeedbackStatus, {
    Received => "received", Acknowledged => "acknowledged", InProgress => "in_progress",
    WaitingForCustomer => "waiting_for_customer", Resolved => "resolved", Closed => "closed",
});
text_enum!(channel_text, channel_from, pb::FeedbackChannel, { Portal => "portal", Open311 => "open311", Phone => "phone", Email => "email" });

/// Longest description, message or note.
pub const MAX_TEXT: usize = 4000;
/// A resolved item may be reopened this long after its resolution.
pub const REOPEN_DAYS: i64 = 14;
/// The same site and topic this many times within [`RECURRING_WINDOW_DAYS`] is a recurring problem.
pub const RECURRING_COUNT: i64 = 3;
pub const RECURRING_WINDOW_DAYS: i64 = 30;
/// The handler is warned when this share (percent) of a clock's target is used.
pub const WARN_AT_PERCENT: i64 = 75;
/// Largest compensation one item can grant (euros); more is an agreement matter.
pub const MAX_COMPENSATION: i64 = 100_000;

/// The contracts topic whose contact persons handle a feedback topic; `None`:
/// nobody has it, so the contract-level contacts handle it.
pub fn contact_topic(topic: &str) -> Option<contracts::Topic> {
    match topic {
        "meals" | "special_diets" => Some(contracts::Topic::Meals),
        "cleaning" => Some(contracts::Topic::Cleaning),
        "ordering" => Some(contracts::Topic::Orders),
        "invoicing" => Some(contracts::Topic::Invoices),
        "agreement" => Some(contracts::Topic::Agreement),
        _ => None,
    }
}

/// Handler and manager of an item among the producer's contacts of the
/// customer: the handler by "who do I contact" for the topic (the first by
/// name when several), the manager the producer's contract-level contact (a
/// customer manager) other than the handler, if any.
pub fn route(contacts: &[contracts::Contact], topic: &str) -> (Option<contracts::Contact>, Option<contracts::Contact>) {
    let chosen = match contact_topic(topic) {
        Some(t) => kumppani_platform::contacts::who_to_contact(contacts, contracts::Party::Enterprise, t),
        None => kumppani_platform::contacts::who_to_contact(contacts, contracts::Party::Enterprise, contracts::Topic::Unspecified),
    };
    let by_name = |mut v: Vec<contracts::Contact>| {
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        v
    };
    let handler = by_name(chosen).into_iter().next();
    let managers: Vec<contracts::Contact> = contacts
        .iter()
        .filter(|c| c.party == contracts::Party::Enterprise as i32 && c.level == contracts::ContactLevel::Contract as i32)
        .filter(|c| handler.as_ref().is_none_or(|h| h.id != c.id))
        .cloned()
        .collect();
    (handler, by_name(managers).into_iter().next())
}

/// The contacts whose scope covers a site: customer-wide, the site's unit, or the site itself.
pub fn covering(contacts: Vec<contracts::Contact>, site: uuid::Uuid, unit: Option<uuid::Uuid>) -> Vec<contracts::Contact> {
    let site = site.to_string();
    let unit = unit.map(|u| u.to_string()).unwrap_or_default();
    contacts.into_iter().filter(|c| (c.site_id.is_empty() || c.site_id == site) && (c.unit_id.is_empty() || c.unit_id == unit)).collect()
}

/// A new item, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub kind: &'static str,
    pub topic: &'static str,
    pub severity: &'static str,
    pub channel: &'static str,
    pub site: uuid::Uuid,
    pub service_day: Option<NaiveDate>,
    pub product_code: String,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub idempotency_key: String,
    /// Checked photos, stored with the item.
    pub photos: Vec<crate::photo::NewPhoto>,
}

/// Validates a submission; every bad field at once. Staff may enter a phone
/// call or an e-mail for someone (channel + that person's name and e-mail);
/// customers' people submit through the portal as themselves.
pub fn validate_submit(
    p: &Principal,
    r: &pb::SubmitFeedbackRequest,
    photos: Vec<pb::PhotoUpload>,
    today: NaiveDate,
) -> Result<NewItem, AppError> {
    let mut v = Violations::default();
    let photos = crate::photo::check(&mut v, photos, 0);
    let kind = v.enumeration("kind", r.kind, kind_text, true);
    let topic = v.enumeration("topic", r.topic, topic_text, true);
    let severity = if r.severity == 0 { Some("normal") } else { v.enumeration("severity", r.severity, severity_text, true) };
    let site = v.uuid("site_id", &r.site_id, true);
    let service_day = v.date("service_day", r.service_day.as_ref(), false);
    if service_day.is_some_and(|d| d > today) {
        v.add("service_day", Reason::in_future());
    }
    let product_code = v.text("product_code", &r.product_code, 40, false);
    let description = v.text("description", &r.description, MAX_TEXT, true);
    let idempotency_key = v.text("idempotency_key", &r.idempotency_key, 100, false);
    let (channel, contact_name, contact_email) = if p.is_enterprise() {
        let channel = if r.channel == 0 { Some("portal") } else { v.enumeration("channel", r.channel, channel_text, true) };
        if channel == Some("open311") {
            v.add("channel", Reason::new("invalid", "Open311 requests come through the Open311 endpoint"));
        }
        let name = v.text("contact_name", &r.contact_name, 200, false);
        let email = v.text("contact_email", &r.contact_email, 254, false);
        if !email.is_empty() && !plausible_email(&email) {
            v.add("contact_email", Reason::new("email", "is not an e-mail address"));
        }
        (channel, name, email)
    } else {
        let other_channel = r.channel != 0 && r.channel != pb::FeedbackChannel::Portal as i32;
        for (field, given) in
            [("channel", other_channel), ("contact_name", !r.contact_name.is_empty()), ("contact_email", !r.contact_email.is_empty())]
        {
            if given {
                v.add(field, Reason::new("staff_only", "only staff enter feedback on someone's behalf"));
            }
        }
        (Some("portal"), p.name.clone(), p.email.clone())
    };
    v.finish()?;
    let (Some(kind), Some(topic), Some(severity), Some(channel), Some(site)) = (kind, topic, severity, channel, site) else {
        return Err(AppError::internal("validated fields missing"));
    };
    Ok(NewItem {
        kind,
        topic,
        severity,
        channel,
        site,
        service_day,
        product_code,
        description,
        contact_name,
        contact_email: contact_email.to_lowercase(),
        idempotency_key,
        photos,
    })
}

/// Enough of an e-mail address to send to: one `@`, a dot in the domain, no spaces.
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// Which side of the partnership the caller is on for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Staff,
    Customer,
}

pub fn side(p: &Principal) -> Result<Side, AppError> {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => Ok(Side::Staff),
        Role::CustomerContact if p.customer_id.is_some() => Ok(Side::Customer),
        Role::SiteUser if p.customer_id.is_some() && p.site_id.is_some() => Ok(Side::Customer),
        Role::CustomerContact | Role::SiteUser => Err(AppError::denied("your sign-in carries no customer or site scope")),
        Role::SystemClient => Err(AppError::denied("feedback is given and handled by people")),
    }
}

/// What a transition does besides the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: &'static str,
    /// The history entry's change.
    pub change: &'static str,
    /// Stops the acknowledgement clock (the first reaction of the producer).
    pub acknowledges: bool,
    /// Starts a pause of the resolve clock (waiting for the customer, resolved).
    pub pauses: bool,
    /// Ends a running pause (resumed, reopened).
    pub resumes: bool,
    pub resolves: bool,
    pub closes: bool,
}

fn t(to: &'static str, change: &'static str) -> Transition {
    Transition { to, change, acknowledges: false, pauses: false, resumes: false, resolves: false, closes: false }
}

/// The lifecycle: received → acknowledged → in progress ⇄ waiting for the
/// customer → resolved → closed; reopened within 14 days of the resolution.
/// Staff move items along; the customer's side may close a resolved item and
/// reopen one in time. A refusal names the status and the action.
pub fn transition(
    action: pb::FeedbackAction,
    status: &str,
    side: Side,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Transition, AppError> {
    use pb::FeedbackAction as A;
    let open = matches!(status, "received" | "acknowledged" | "in_progress" | "waiting_for_customer");
    let staff = side == Side::Staff;
    let refuse = |why: &str| Err(AppError::precondition(format!("cannot {} an item that is {status}: {why}", action_text(action))));
    match action {
        A::Acknowledge if !staff => Err(AppError::denied("the producer's staff acknowledge items")),
        A::Acknowledge if status == "received" => Ok(Transition { acknowledges: true, ..t("acknowledged", "acknowledged") }),
        A::Acknowledge => refuse("it has been acknowledged already"),
        A::Start if !staff => Err(AppError::denied("the producer's staff handle items")),
        A::Start if matches!(status, "received" | "acknowledged") => Ok(Transition { acknowledges: true, ..t("in_progress", "started") }),
        A::Start if status == "waiting_for_customer" => Ok(Transition { resumes: true, ..t("in_progress", "resumed") }),
        A::Start => refuse("it is not waiting to be handled"),
        A::WaitForCustomer if !staff => Err(AppError::denied("the producer's staff handle items")),
        A::WaitForCustomer if matches!(status, "received" | "acknowledged" | "in_progress") => {
            Ok(Transition { acknowledges: true, pauses: true, ..t("waiting_for_customer", "waiting_for_customer") })
        }
        A::WaitForCustomer => refuse("it is not being handled"),
        A::Resolve if !staff => Err(AppError::denied("the producer's staff resolve items")),
        A::Resolve if open => Ok(Transition {
            acknowledges: true,
            resumes: status == "waiting_for_customer",
            pauses: true,
            resolves: true,
            ..t("resolved", "resolved")
        }),
        A::Resolve => refuse("it is resolved already"),
        A::Close if status == "resolved" => Ok(Transition { closes: true, ..t("closed", "closed") }),
        A::Close if staff && open => refuse("resolve it first (with the corrective action)"),
        A::Close if !staff => refuse("only a resolved item can be closed"),
        A::Close => refuse("it is closed already"),
        A::Reopen if matches!(status, "resolved" | "closed") => match resolved_at {
            Some(at) if now <= at + Duration::days(REOPEN_DAYS) => Ok(Transition { resumes: true, ..t("in_progress", "reopened") }),
            _ => refuse("the 14 days to reopen it have passed; give new feedback instead"),
        },
        A::Reopen => refuse("it is still open"),
        A::Unspecified => Err(AppError::invalid("action", Reason::required())),
    }
}

fn action_text(a: pb::FeedbackAction) -> &'static str {
    match a {
        pb::FeedbackAction::Acknowledge => "acknowledge",
        pb::FeedbackAction::Start => "start",
        pb::FeedbackAction::WaitForCustomer => "wait for the customer on",
        pb::FeedbackAction::Resolve => "resolve",
        pb::FeedbackAction::Close => "close",
        pb::FeedbackAction::Reopen => "reopen",
        pb::FeedbackAction::Unspecified => "change",
    }
}

/// What a resolution records: the corrective action (required for a
/// reclamation) and an optional compensation (amount > 0, two decimals at
/// most, with a reason).
pub fn validate_resolution(kind: &str, r: &pb::TransitionFeedbackRequest) -> Result<(String, Option<(Decimal, String)>), AppError> {
    let mut v = Violations::default();
    let action = v.text("corrective_action", &r.corrective_action, MAX_TEXT, kind == "reclamation");
    let mut compensation = None;
    if let Some(c) = r.compensation.as_ref().filter(|c| !c.amount.is_empty() || !c.reason.is_empty()) {
        let reason = v.text("compensation.reason", &c.reason, 500, true);
        match Decimal::from_str(c.amount.trim()) {
            Ok(a) if a <= Decimal::ZERO => v.add("compensation.amount", Reason::new("positive", "must be more than zero")),
            Ok(a) if a.scale() > 2 && a.normalize().scale() > 2 => {
                v.add("compensation.amount", Reason::new("decimals", "at most two decimals (cents)"))
            }
            Ok(a) if a > Decimal::from(MAX_COMPENSATION) => v.add("compensation.amount", Reason::out_of_range("0.01", MAX_COMPENSATION)),
            Ok(a) => compensation = Some((a.round_dp(2), reason)),
            Err(_) => v.add("compensation.amount", Reason::new("decimal", "is not an amount in euros, e.g. 25.50")),
        }
    }
    v.finish()?;
    Ok((action, compensation))
}

/// The clock of an item's severity.
pub fn clock(around_the_clock: bool) -> Clock {
    if around_the_clock { Clock::AroundTheClock } else { Clock::WorkingHours(WorkingHours::STANDARD) }
}

/// A clock's facts: when it started, its target, its pauses, when it stopped
/// (if it did) and which warnings have fired.
pub struct ClockFacts<'a> {
    pub clock: Clock,
    pub start: DateTime<Utc>,
    pub target: Duration,
    pub pauses: &'a [(DateTime<Utc>, Option<DateTime<Utc>>)],
    pub stopped: Option<DateTime<Utc>>,
}

/// Where the clock stands at `now`, as the API shows it.
pub fn sla_clock(f: &ClockFacts<'_>, now: DateTime<Utc>) -> pb::SlaClock {
    let end = f.stopped.unwrap_or(now);
    let used = f.clock.elapsed(f.start, end, f.pauses);
    let paused = f.stopped.is_none() && f.pauses.iter().any(|(s, e)| e.is_none() && *s <= now);
    let due = f.clock.deadline(f.start, f.target, f.pauses);
    let state = if f.stopped.is_some() {
        if used <= f.target { pb::SlaState::Met } else { pb::SlaState::Breached }
    } else if used >= f.target {
        pb::SlaState::Breached
    } else if paused {
        pb::SlaState::Paused
    } else if used.num_seconds() * 100 >= f.target.num_seconds() * WARN_AT_PERCENT {
        pb::SlaState::Warning
    } else {
        pb::SlaState::Running
    };
    pb::SlaClock {
        state: state as i32,
        due_at: due.and_then(kumppani_platform::convert::timestamp),
        elapsed_minutes: used.num_minutes(),
        target_minutes: f.target.num_minutes(),
        stopped_at: f.stopped.and_then(kumppani_platform::convert::timestamp),
        around_the_clock: matches!(f.clock, Clock::AroundTheClock),
    }
}

/// What the SLA job should do about a running clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    None,
    Warn,
    Breach,
}

pub fn alarm(f: &ClockFacts<'_>, warned: bool, breached: bool, now: DateTime<Utc>) -> Alarm {
    if f.stopped.is_some() || breached {
        return Alarm::None;
    }
    let used = f.clock.elapsed(f.start, now, f.pauses);
    if used >= f.target {
        Alarm::Breach
    } else if !warned && used.num_seconds() * 100 >= f.target.num_seconds() * WARN_AT_PERCENT {
        Alarm::Warn
    } else {
        Alarm::None
    }
}

/// When a running clock next needs the SLA job: its warning instant if not
/// yet warned, else its breach instant; `None` when it stopped, breached or
/// stands still in an open pause.
pub fn next_alarm(f: &ClockFacts<'_>, warned: bool, breached: bool) -> Option<DateTime<Utc>> {
    if f.stopped.is_some() || breached {
        return None;
    }
    let at = if warned { f.target } else { Duration::seconds(f.target.num_seconds() * WARN_AT_PERCENT / 100) };
    f.clock.deadline(f.start, at, f.pauses)
}

/// Open items by age in working days (8 working hours a day, Finnish
/// holidays off): "0-1", "1-3", "3-10", "10-".
pub fn backlog(received: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<(&'static str, i64)> {
    let mut buckets = vec![("0-1", 0), ("1-3", 0), ("3-10", 0), ("10-", 0)];
    let wh = clock(false);
    for at in received {
        let days = wh.elapsed(*at, now, &[]).num_minutes() / (8 * 60);
        let b = match days {
            0 => 0,
            1..=2 => 1,
            3..=9 => 2,
            _ => 3,
        };
        buckets[b].1 += 1;
    }
    buckets
}

/// `part` per 1,000 of `whole`, two decimals, half up; empty when `whole` is 0.
pub fn per_thousand(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return String::new();
    }
    let v = Decimal::from(part) * Decimal::from(1000) / Decimal::from(whole);
    format!("{:.2}", v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// Is this the third (or later) item of a site and topic within the window?
pub fn is_recurring(same_site_and_topic_in_window: i64) -> bool {
    same_site_and_topic_in_window >= RECURRING_COUNT
}

/// An item's rating: 1–5 with an optional comment, once, by the customer's
/// side, after resolution.
pub fn validate_rating(r: &pb::RateHandlingRequest) -> Result<String, AppError> {
    let mut v = Violations::default();
    if !(1..=5).contains(&r.rating) {
        v.add("rating", Reason::out_of_range(1, 5));
    }
    let comment = v.text("comment", &r.comment, 2000, false);
    v.finish()?;
    Ok(comment)
}

/// The SLA target fields of a SetSlaTarget request.
pub fn validate_target(r: &pb::SetSlaTargetRequest) -> Result<(&'static str, Option<&'static str>, Option<uuid::Uuid>), AppError> {
    let mut v = Violations::default();
    let severity = v.enumeration("severity", r.severity, severity_text, true);
    let topic = if r.topic == 0 { None } else { v.enumeration("topic", r.topic, topic_text, true) };
    let agreement = v.uuid("agreement_id", &r.agreement_id, false);
    if !(1..=525_600).contains(&r.acknowledge_minutes) {
        v.add("acknowledge_minutes", Reason::out_of_range(1, 525_600));
    }
    if !(1..=525_600).contains(&r.resolve_minutes) {
        v.add("resolve_minutes", Reason::out_of_range(1, 525_600));
    } else if r.resolve_minutes < r.acknowledge_minutes {
        v.add("resolve_minutes", Reason::new("below_acknowledge", "must not be shorter than the acknowledgement target"));
    }
    v.finish()?;
    let Some(severity) = severity else { return Err(AppError::internal("validated severity missing")) };
    Ok((severity, topic, agreement))
}
