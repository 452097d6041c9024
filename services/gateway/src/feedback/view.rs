//! What the feedback pages show, without I/O: enum values worded in the
//! user's language (`feedback-kind-*`, `feedback-status-*`, `sla-state-*`, …
//! from the proto names), instants in Europe/Helsinki, SLA clocks, and which
//! actions an item offers to whom ([`Allowed`], unit-tested). The service
//! decides; the pages only offer what it would accept.

use crate::i18n::I18n;
use kumppani_proto::feedback::v1 as pb;
use kumppani_proto::pbjson_types::Timestamp;

/// The Fluent key of a proto enum value: `FEEDBACK_STATUS_IN_PROGRESS` → `feedback-status-in-progress`.
fn enum_key(proto_name: &str) -> String {
    proto_name.to_lowercase().replace('_', "-")
}

/// An unspecified or unknown value is shown as nothing.
fn label(i: &I18n, proto_name: &str) -> String {
    if proto_name.ends_with("_UNSPECIFIED") { String::new() } else { i.t(&enum_key(proto_name)) }
}

pub(super) fn kind(i: &I18n, v: i32) -> String {
    label(i, pb::FeedbackKind::try_from(v).unwrap_or_default().as_str_name())
}
pub(super) fn topic(i: &I18n, v: i32) -> String {
    label(i, pb::FeedbackTopic::try_from(v).unwrap_or_default().as_str_name())
}
pub(super) fn severity(i: &I18n, v: i32) -> String {
    label(i, pb::Severity::try_from(v).unwrap_or_default().as_str_name())
}
pub(super) fn status(i: &I18n, v: i32) -> String {
    label(i, pb::FeedbackStatus::try_from(v).unwrap_or_default().as_str_name())
}
pub(super) fn channel(i: &I18n, v: i32) -> String {
    label(i, pb::FeedbackChannel::try_from(v).unwrap_or_default().as_str_name())
}
fn sla_state(i: &I18n, v: i32) -> String {
    label(i, pb::SlaState::try_from(v).unwrap_or_default().as_str_name())
}

/// The choices of a select: (proto value, label), without the unspecified value.
pub(super) fn choices(i: &I18n, names: &[&str]) -> Vec<(String, String)> {
    names.iter().enumerate().map(|(n, name)| ((n + 1).to_string(), label(i, name))).collect()
}

pub(super) const KINDS: &[&str] =
    &["FEEDBACK_KIND_RECLAMATION", "FEEDBACK_KIND_FEEDBACK", "FEEDBACK_KIND_PRAISE", "FEEDBACK_KIND_QUESTION", "FEEDBACK_KIND_IDEA"];
pub(super) const TOPICS: &[&str] = &[
    "FEEDBACK_TOPIC_MEALS",
    "FEEDBACK_TOPIC_SPECIAL_DIETS",
    "FEEDBACK_TOPIC_CLEANING",
    "FEEDBACK_TOPIC_ORDERING",
    "FEEDBACK_TOPIC_INVOICING",
    "FEEDBACK_TOPIC_AGREEMENT",
    "FEEDBACK_TOPIC_OTHER",
];
pub(super) const SEVERITIES: &[&str] = &["SEVERITY_NORMAL", "SEVERITY_URGENT", "SEVERITY_CRITICAL"];

/// An instant as the Helsinki day and time ("3.12.2027 14:05"); "–" when absent.
pub(super) fn at(t: &Option<Timestamp>) -> String {
    let local =
        t.as_ref().and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0)).map(|t| t.with_timezone(&chrono_tz::Europe::Helsinki));
    match local {
        Some(l) => l.format("%-d.%-m.%Y %H:%M").to_string(),
        None => "–".to_owned(),
    }
}

/// Whether an instant is still to come at `now` (seconds since the epoch).
pub(super) fn is_after(t: &Option<Timestamp>, now: i64) -> bool {
    t.as_ref().is_some_and(|t| t.seconds > now)
}

/// Minutes as hours with one decimal ("90" → "1.5", "480" → "8"), as the backends write decimals.
pub(super) fn hours(minutes: i64) -> String {
    let tenths = (minutes.max(0) * 10 + 30) / 60;
    if tenths % 10 == 0 { (tenths / 10).to_string() } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

/// An SLA clock as shown: its state worded, the HDS status-label variant, when it is due, hours used of the target.
pub(super) struct Clock {
    pub state: String,
    /// `hds-status-label--…` variant: breached is an error, a warning an alert, met a success.
    pub tone: &'static str,
    pub due: String,
    pub hours: String,
    pub around_the_clock: bool,
}

pub(super) fn clock(i: &I18n, c: &Option<pb::SlaClock>) -> Option<Clock> {
    let c = c.as_ref().filter(|c| c.state != pb::SlaState::Unspecified as i32)?;
    let tone = match pb::SlaState::try_from(c.state).unwrap_or_default() {
        pb::SlaState::Breached => "hds-status-label--error",
        pb::SlaState::Warning => "hds-status-label--alert",
        pb::SlaState::Met => "hds-status-label--success",
        _ => "hds-status-label--info",
    };
    let due = match (&c.stopped_at, &c.due_at) {
        (Some(_), _) => i.t_args("sla-stopped-at", &[("at", at(&c.stopped_at))]),
        (None, Some(_)) => i.t_args("sla-due-at", &[("at", at(&c.due_at))]),
        (None, None) => String::new(),
    };
    let hours = i.t_args(
        "sla-hours-of-target",
        &[("elapsed", i.decimal(&hours(c.elapsed_minutes))), ("target", i.decimal(&hours(c.target_minutes)))],
    );
    Some(Clock { state: sla_state(i, c.state), tone, due, hours, around_the_clock: c.around_the_clock })
}

/// The short form of a clock in a list: "Myöhässä, 3.12.2027 14:05".
pub(super) fn clock_short(i: &I18n, c: &Option<pb::SlaClock>) -> (String, &'static str) {
    match clock(i, c) {
        Some(c) if c.due.is_empty() => (c.state, c.tone),
        Some(c) => (format!("{}, {}", c.state, c.due), c.tone),
        None => ("–".to_owned(), ""),
    }
}

/// A history entry's change worded (`feedback-change-<change>`), else the change as it is.
pub(super) fn change(i: &I18n, change: &str) -> String {
    let key = format!("feedback-change-{}", change.replace('_', "-"));
    let text = i.t(&key);
    if text == key { change.to_owned() } else { text }
}

/// A notification's kind worded (`feedback-notification-<kind>`), and its detail:
/// a status notification's detail is the status's stored text, worded too.
pub(super) fn notification(i: &I18n, kind: &str, detail: &str) -> (String, String) {
    let key = format!("feedback-notification-{}", kind.replace('_', "-"));
    let text = i.t(&key);
    let text = if text == key { kind.to_owned() } else { text };
    (text, detail_text(i, kind, detail))
}

/// A notification's or a history entry's detail in words: what the service
/// stores as codes (a status, a topic, the clock, a channel, a rating) is
/// worded; free text (a name, a note, the first words) stays as it is.
pub(super) fn detail_text(i: &I18n, kind: &str, detail: &str) -> String {
    let worded = |key: String| {
        let t = i.t(&key);
        if t == key { detail.to_owned() } else { t }
    };
    match (kind, detail) {
        ("status", d) => worded(format!("feedback-status-{}", d.replace('_', "-"))),
        ("recurring", d) => worded(enum_key(&format!("FEEDBACK_TOPIC_{}", d.to_uppercase()))),
        (_, "acknowledge") => i.t("feedback-sla-acknowledge"),
        (_, "resolve") => i.t("feedback-sla-resolve"),
        ("rated", d) => i.t_args("feedback-rating-of-five", &[("rating", d.to_owned())]),
        ("received", d) => match d.split_once(": ") {
            Some((channel @ ("phone" | "email"), who)) => {
                format!("{}: {who}", label(i, &format!("FEEDBACK_CHANNEL_{}", channel.to_uppercase())))
            }
            _ if d == "open311" => label(i, "FEEDBACK_CHANNEL_OPEN311"),
            _ => d.to_owned(),
        },
        _ => detail.to_owned(),
    }
}

/// What an item offers the signed-in person: the staff's lifecycle buttons by
/// status, and the submitter's side closing, reopening (within `reopen_until`)
/// and rating (once, after resolution).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Allowed {
    pub acknowledge: bool,
    pub start: bool,
    /// Resuming an item that waits for the customer is `start` too.
    pub resume: bool,
    pub wait: bool,
    pub resolve: bool,
    pub close: bool,
    pub reopen: bool,
    pub rate: bool,
    pub reassign: bool,
    pub message: bool,
    /// Staff may write an internal note.
    pub internal: bool,
}

impl Allowed {
    pub fn of(status: pb::FeedbackStatus, staff: bool, rated: bool, reopen_open: bool) -> Self {
        use pb::FeedbackStatus as S;
        let done = matches!(status, S::Resolved | S::Closed);
        let open = !done && status != S::Unspecified;
        if staff {
            Self {
                acknowledge: status == S::Received,
                start: matches!(status, S::Received | S::Acknowledged),
                resume: status == S::WaitingForCustomer,
                wait: matches!(status, S::Acknowledged | S::InProgress),
                resolve: matches!(status, S::Acknowledged | S::InProgress | S::WaitingForCustomer),
                close: status == S::Resolved,
                reassign: open,
                message: status != S::Closed,
                internal: true,
                ..Self::default()
            }
        } else {
            Self {
                close: status == S::Resolved,
                reopen: done && reopen_open,
                rate: done && !rated,
                message: status != S::Closed,
                ..Self::default()
            }
        }
    }

    /// Whether the staff's lifecycle section has anything to offer.
    pub fn any_staff_action(&self) -> bool {
        self.acknowledge || self.start || self.resume || self.wait || self.resolve || self.reassign
    }
}

/// The action a form's `action` field names.
pub(super) fn action(name: &str) -> Option<pb::FeedbackAction> {
    Some(match name {
        "acknowledge" => pb::FeedbackAction::Acknowledge,
        "start" => pb::FeedbackAction::Start,
        "wait" => pb::FeedbackAction::WaitForCustomer,
        "resolve" => pb::FeedbackAction::Resolve,
        "close" => pb::FeedbackAction::Close,
        "reopen" => pb::FeedbackAction::Reopen,
        _ => return None,
    })
}

pub(super) use crate::page::date_field;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pb::FeedbackStatus as S;

    #[test]
    fn stored_codes_are_worded_free_text_is_not() {
        let fi = I18n::new("fi");
        assert_eq!(detail_text(&fi, "recurring", "special_diets"), "Erityisruokavaliot");
        assert_eq!(detail_text(&fi, "sla_warning", "acknowledge"), "Kuittaus");
        assert_eq!(detail_text(&fi, "sla_breached", "resolve"), "Ratkaisu");
        assert_eq!(detail_text(&fi, "received", "phone: Maija Meikäläinen"), "puhelin: Maija Meikäläinen");
        assert_eq!(detail_text(&fi, "status", "in_progress"), i_t(&fi, "feedback-status-in-progress"));
        assert_eq!(detail_text(&fi, "escalated", "Anna Asiakkuus"), "Anna Asiakkuus");
        assert_eq!(detail_text(&fi, "recurring", "unknown_topic"), "unknown_topic");
        let sv = I18n::new("sv");
        assert_eq!(detail_text(&sv, "recurring", "meals"), i_t(&sv, "feedback-topic-meals"));
        assert!(!detail_text(&sv, "rated", "4").contains("rating"));
    }

    fn i_t(i: &I18n, key: &str) -> String {
        i.t(key)
    }

    #[test]
    fn staff_move_an_item_along_its_lifecycle() {
        let received = Allowed::of(S::Received, true, false, false);
        assert!(received.acknowledge && received.start && received.reassign && received.message && received.internal);
        assert!(!received.resolve && !received.close && !received.reopen && !received.rate);
        let working = Allowed::of(S::InProgress, true, false, false);
        assert!(working.wait && working.resolve && !working.acknowledge && !working.start);
        let waiting = Allowed::of(S::WaitingForCustomer, true, false, false);
        assert!(waiting.resume && waiting.resolve && !waiting.wait);
        let resolved = Allowed::of(S::Resolved, true, false, true);
        assert!(resolved.close && !resolved.reopen && !resolved.rate && !resolved.reassign, "staff do not reopen or rate");
        let closed = Allowed::of(S::Closed, true, false, true);
        assert!(!closed.any_staff_action() && !closed.message && !closed.close);
    }

    #[test]
    fn the_submitters_side_closes_reopens_within_the_window_and_rates_once() {
        let open = Allowed::of(S::InProgress, false, false, false);
        assert_eq!(open, Allowed { message: true, ..Allowed::default() }, "only the conversation while it is handled");
        let resolved = Allowed::of(S::Resolved, false, false, true);
        assert!(resolved.close && resolved.reopen && resolved.rate && !resolved.internal && !resolved.any_staff_action());
        let late = Allowed::of(S::Resolved, false, false, false);
        assert!(!late.reopen && late.close, "the 14 days have passed");
        let closed = Allowed::of(S::Closed, false, true, true);
        assert!(closed.reopen && !closed.rate && !closed.close && !closed.message, "rated already");
    }

    #[test]
    fn every_value_and_change_is_worded_in_every_language() {
        for lang in crate::i18n::LANGUAGES {
            let i = I18n::new(lang);
            let names = KINDS.iter().chain(TOPICS).chain(SEVERITIES).map(|n| (*n).to_owned());
            let statuses = (1..=6).map(|v| S::try_from(v).unwrap().as_str_name().to_owned());
            let states = (1..=5).map(|v| pb::SlaState::try_from(v).unwrap().as_str_name().to_owned());
            let channels = (1..=4).map(|v| pb::FeedbackChannel::try_from(v).unwrap().as_str_name().to_owned());
            for name in names.chain(statuses).chain(states).chain(channels) {
                let text = label(&i, &name);
                assert!(!text.is_empty() && text != enum_key(&name), "{lang}: {name} has no label");
            }
            for c in [
                "received",
                "acknowledged",
                "started",
                "waiting_for_customer",
                "resumed",
                "resolved",
                "closed",
                "reopened",
                "reassigned",
                "rated",
                "sla_warning",
                "sla_breached",
                "escalated",
                "recurring_flagged",
            ] {
                assert_ne!(change(&i, c), c, "{lang}: change {c}");
            }
            for k in ["feedback_received", "assigned", "message", "status", "sla_warning", "sla_breached", "escalated", "recurring"] {
                assert_ne!(notification(&i, k, "").0, k, "{lang}: notification {k}");
            }
            assert_ne!(notification(&i, "status", "waiting_for_customer").1, "waiting_for_customer");
        }
        let fi = I18n::new("fi");
        assert_eq!(status(&fi, S::WaitingForCustomer as i32), "Odottaa asiakasta");
        assert_eq!(kind(&fi, pb::FeedbackKind::Reclamation as i32), "Reklamaatio");
        assert_eq!(status(&fi, 0), "", "unspecified shows nothing");
        assert_eq!(status(&I18n::new("sv"), S::InProgress as i32), "Under behandling");
    }

    #[test]
    fn clocks_read_in_helsinki_time_and_hours() {
        assert_eq!(hours(90), "1.5");
        assert_eq!(hours(480), "8");
        assert_eq!(hours(0), "0");
        assert_eq!(hours(-5), "0");
        assert_eq!(hours(100), "1.7");
        let summer = Some(Timestamp { seconds: 1_814_000_000, nanos: 0 }); // 2027-06-26 08:53:20 UTC
        assert_eq!(at(&summer), "26.6.2027 11:53");
        assert_eq!(at(&None), "–");
        let fi = I18n::new("fi");
        let c = pb::SlaClock {
            state: pb::SlaState::Breached as i32,
            due_at: summer,
            elapsed_minutes: 600,
            target_minutes: 480,
            stopped_at: None,
            around_the_clock: false,
        };
        let shown = clock(&fi, &Some(c)).unwrap();
        assert_eq!(shown.tone, "hds-status-label--error");
        assert!(shown.due.contains("26.6.2027 11:53"), "{}", shown.due);
        assert!(shown.hours.contains("10") && shown.hours.contains('8'), "{}", shown.hours);
        assert!(clock(&fi, &None).is_none());
        assert_eq!(clock_short(&fi, &None).0, "–");
    }

    #[test]
    fn form_values_round_trip() {
        let d = date_field("2027-03-01").unwrap();
        assert_eq!(d.map(|d| (d.year, d.month, d.day)), Some((2027, 3, 1)));
        assert_eq!(date_field(" ").unwrap(), None);
        assert!(date_field("1.3.2027").is_err());
        assert_eq!(action("wait"), Some(pb::FeedbackAction::WaitForCustomer));
        assert_eq!(action("delete"), None);
        assert_eq!(choices(&I18n::new("en"), SEVERITIES)[2].0, (pb::Severity::Critical as i32).to_string());
    }
}
