//! Rows → protos: an item with its SLA clocks as they stand now.

use crate::domain::{self, ClockFacts};
use crate::store::{HistoryRow, ItemRow, MessageRow, NotificationRow, Pause, Person, TargetRow};
use chrono::{DateTime, Duration, Utc};
use kumppani_platform::convert::timestamp;
use kumppani_proto::feedback::v1 as pb;

fn person(v: &serde_json::Value) -> Option<pb::Handler> {
    let p = Person::from_json(v);
    (!p.name.is_empty() || !p.contact_id.is_empty()).then_some(pb::Handler {
        contact_id: p.contact_id,
        name: p.name,
        email: p.email,
        title: p.title,
    })
}

/// The facts of an item's acknowledgement and resolution clocks (the
/// acknowledgement clock has no pauses: waiting for the customer acknowledges).
pub fn facts<'a>(r: &ItemRow, pauses: &'a [Pause]) -> (ClockFacts<'a>, ClockFacts<'a>) {
    let clock = domain::clock(r.around_the_clock);
    let ack = ClockFacts {
        clock,
        start: r.created_at,
        target: Duration::minutes(i64::from(r.acknowledge_minutes)),
        pauses: &[],
        stopped: r.acknowledged_at,
    };
    let resolve =
        ClockFacts { clock, start: r.created_at, target: Duration::minutes(i64::from(r.resolve_minutes)), pauses, stopped: r.resolved_at };
    (ack, resolve)
}

/// The acknowledgement and resolution clocks of an item at `now`.
pub fn clocks(r: &ItemRow, pauses: &[Pause], now: DateTime<Utc>) -> (pb::SlaClock, pb::SlaClock) {
    let (ack, resolve) = facts(r, pauses);
    // A breach the SLA job recorded stands (the record and the clock agree but for a job's minute).
    let recorded = |mut c: pb::SlaClock, breached: bool| {
        if breached {
            c.state = pb::SlaState::Breached as i32;
        }
        c
    };
    (
        recorded(domain::sla_clock(&ack, now), r.acknowledge_breached_at.is_some()),
        recorded(domain::sla_clock(&resolve, now), r.resolve_breached_at.is_some()),
    )
}

/// When the item is due: the earliest due time of a clock still running
/// (in the past when breached); `None` when none runs or it stands still.
pub fn due_at(r: &ItemRow, pauses: &[Pause]) -> Option<DateTime<Utc>> {
    let (ack, resolve) = facts(r, pauses);
    [ack, resolve].iter().filter(|f| f.stopped.is_none()).filter_map(|f| f.clock.deadline(f.start, f.target, f.pauses)).min()
}

/// When the SLA job must look at the item next.
pub fn next_alarm(r: &ItemRow, pauses: &[Pause]) -> Option<DateTime<Utc>> {
    let (ack, resolve) = facts(r, pauses);
    let a = domain::next_alarm(&ack, r.acknowledge_warned_at.is_some(), r.acknowledge_breached_at.is_some());
    let b = domain::next_alarm(&resolve, r.resolve_warned_at.is_some(), r.resolve_breached_at.is_some());
    a.into_iter().chain(b).min()
}

pub fn item(r: &ItemRow, pauses: &[Pause], now: DateTime<Utc>) -> pb::FeedbackItem {
    let (acknowledge, resolve) = clocks(r, pauses, now);
    pb::FeedbackItem {
        id: r.id.to_string(),
        number: r.number,
        kind: domain::kind_from(&r.kind),
        topic: domain::topic_from(&r.topic),
        severity: domain::severity_from(&r.severity),
        status: domain::status_from(&r.status),
        channel: domain::channel_from(&r.channel),
        customer_id: r.customer_id.to_string(),
        customer_name: r.customer_name.clone(),
        site_id: r.site_id.to_string(),
        site_name: r.site_name.clone(),
        service_day: r.service_day.map(pb::Date::from_naive),
        product_code: r.product_code.clone(),
        product_name: r.product_name.clone(),
        description: r.description.clone(),
        submitted_by: r.submitted_by.clone(),
        submitted_by_name: if r.submitted_by_name.is_empty() { r.contact_name.clone() } else { r.submitted_by_name.clone() },
        contact_email: r.contact_email.clone(),
        handler: person(&r.handler),
        manager: person(&r.manager),
        acknowledge: Some(acknowledge),
        resolve: Some(resolve),
        escalated: r.escalated,
        recurring: r.recurring,
        corrective_action: r.corrective_action.clone(),
        compensation: r
            .compensation_amount
            .map(|a| pb::Compensation { amount: format!("{:.2}", a), reason: r.compensation_reason.clone() }),
        rating: r.rating.unwrap_or(0),
        rating_comment: r.rating_comment.clone(),
        created_at: timestamp(r.created_at),
        resolved_at: r.resolved_at.and_then(timestamp),
        reopen_until: r.resolved_at.and_then(|t| timestamp(t + Duration::days(domain::REOPEN_DAYS))),
        version: r.version,
        messages: Vec::new(),
        history: Vec::new(),
        photos: Vec::new(),
    }
}

pub fn message(m: MessageRow) -> pb::Message {
    pb::Message {
        id: m.id.to_string(),
        body: m.body,
        internal: m.internal,
        author: m.author,
        author_name: m.author_name,
        from_staff: m.from_staff,
        created_at: timestamp(m.created_at),
    }
}

pub fn photo(p: crate::store::photo::PhotoRow) -> pb::Photo {
    pb::Photo {
        id: p.id.to_string(),
        filename: p.filename,
        content_type: p.content_type,
        size_bytes: i64::from(p.size_bytes),
        added_by: p.added_by,
        added_by_name: p.added_by_name,
        added_at: timestamp(p.added_at),
    }
}

pub fn history(h: HistoryRow) -> pb::HistoryEntry {
    pb::HistoryEntry { change: h.change, detail: h.detail, by: h.by_subject, by_name: h.by_name, at: timestamp(h.at) }
}

pub fn notification(n: NotificationRow) -> pb::Notification {
    pb::Notification {
        id: n.id.to_string(),
        kind: n.kind,
        item_id: n.item_id.to_string(),
        item_number: n.item_number,
        site_name: n.site_name,
        detail: n.detail,
        created_at: timestamp(n.created_at),
        read_at: n.read_at.and_then(timestamp),
    }
}

pub fn target(t: TargetRow) -> pb::SlaTarget {
    pb::SlaTarget {
        id: t.id.to_string(),
        severity: domain::severity_from(&t.severity),
        topic: t.topic.as_deref().map(domain::topic_from).unwrap_or(0),
        agreement_id: t.agreement_id.map(|a| a.to_string()).unwrap_or_default(),
        acknowledge_minutes: i64::from(t.acknowledge_minutes),
        resolve_minutes: i64::from(t.resolve_minutes),
        around_the_clock: t.around_the_clock,
    }
}
