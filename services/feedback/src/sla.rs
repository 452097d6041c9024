//! The SLA job: every minute it finds the items whose clock reached its
//! warning (75 % of the target) or its breach, by the `next_alarm_at` index
//! every change keeps. A warning notifies the handler; a breach escalates the
//! item to the manager. Both are events (`feedback.sla.warning`,
//! `feedback.sla.breached`) written in the same transaction as the marker, so
//! an alarm fires exactly once even with several replicas (rows are locked,
//! others skip them).
//!
//! [`tick`] takes `now` as an argument: tests move the clock instead of waiting.

use crate::PRODUCER;
use crate::convert;
use crate::domain::{self, Alarm};
use crate::store;
use chrono::{DateTime, Utc};
use kumppani_platform::AppError;
use kumppani_platform::Shutdown;
use kumppani_platform::events::emit_many;
use kumppani_proto::feedback::v1 as pb;
use sqlx::PgPool;

/// Who the job is in the items' history.
pub const ACTOR: &str = "feedback-sla";
/// Items per transaction.
const BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Items that were due a look.
    pub due: usize,
    pub warnings: usize,
    pub breaches: usize,
}

/// One pass at `now`: every due item, in batches, each batch one transaction
/// of a fixed number of statements whatever the number of alarms (the
/// marks, the history, the notifications and the events each written
/// set-based), so a pass that catches up after an outage is not one round
/// trip per alarm.
#[tracing::instrument(skip(pool))]
pub async fn tick(pool: &PgPool, now: DateTime<Utc>) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    loop {
        let mut tx = pool.begin().await?;
        let rows = store::due_items_locked(&mut tx, now, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let mut pauses = store::pauses(&mut tx, &ids).await?;
        let mut out = store::SlaWrites::default();
        let mut events = Vec::new();
        for row in rows {
            pass.due += 1;
            let p = pauses.remove(&row.id).unwrap_or_default();
            let (ack, resolve) = convert::facts(&row, &p);
            let alarms = [
                ("acknowledge", domain::alarm(&ack, row.acknowledge_warned_at.is_some(), row.acknowledge_breached_at.is_some(), now)),
                ("resolve", domain::alarm(&resolve, row.resolve_warned_at.is_some(), row.resolve_breached_at.is_some(), now)),
            ];
            // The item as the alarms leave it (a second alarm of the same pass sees the first one's escalation).
            let mut fresh = row.clone();
            for (clock, alarm) in alarms {
                let breach = match alarm {
                    Alarm::None => continue,
                    Alarm::Warn => false,
                    Alarm::Breach => true,
                };
                if breach {
                    pass.breaches += 1
                } else {
                    pass.warnings += 1
                }
                raise(&mut out, &mut fresh, clock, breach, now);
                let event = pb::SlaEvent { item: Some(convert::item(&fresh, &p, now)), clock: clock.to_owned() };
                events.push((if breach { "feedback.sla.breached" } else { "feedback.sla.warning" }.to_owned(), event));
            }
            // A due time that has not moved past `now` would be looked at again at once: the
            // clock's facts say nothing is due, so the next look is a minute later.
            let next = convert::next_alarm(&fresh, &p).map(|at| if at <= now { now + chrono::Duration::minutes(1) } else { at });
            let due = convert::due_at(&fresh, &p);
            out.marks.push(store::ClockMarks { changed: fresh.version != row.version, item: fresh, next_alarm: next, due });
        }
        store::write_sla(&mut tx, &out, ACTOR, now).await?;
        emit_many(&mut tx, PRODUCER, &events).await?;
        tx.commit().await?;
    }
    Ok(pass)
}

/// Marks one warning or breach on `item` (what [`store::write_sla`] stores)
/// and adds its history and notifications: the handler is warned or told of
/// the breach; at a breach the manager is notified and, the first time, the
/// item is escalated to them.
fn raise(out: &mut store::SlaWrites, item: &mut store::ItemRow, clock: &str, breach: bool, now: DateTime<Utc>) {
    let (warned, breached) = match clock {
        "acknowledge" => (&mut item.acknowledge_warned_at, &mut item.acknowledge_breached_at),
        _ => (&mut item.resolve_warned_at, &mut item.resolve_breached_at),
    };
    if breach {
        warned.get_or_insert(now);
        *breached = Some(now);
    } else {
        *warned = Some(now);
    }
    item.version += 1;
    let kind = if breach { "sla_breached" } else { "sla_warning" };
    let handler = store::Person::from_json(&item.handler);
    let manager = store::Person::from_json(&item.manager);
    out.history.push((item.id, kind.to_owned(), clock.to_owned()));
    out.notify(&handler.email, kind, item.id, clock);
    if breach && !item.escalated {
        out.history.push((item.id, "escalated".to_owned(), manager.name.clone()));
    }
    if breach {
        item.escalated = true;
        out.notify(&manager.email, "escalated", item.id, clock);
    }
}

/// Runs [`tick`] every `every` until shutdown; a failed pass is logged and
/// tried again at the next interval.
pub async fn run(pool: PgPool, every: std::time::Duration, shutdown: Shutdown) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                match tick(&pool, Utc::now()).await {
                    Ok(p) if p.due > 0 => tracing::info!(due = p.due, warnings = p.warnings, breaches = p.breaches, "SLA pass"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "SLA pass failed"),
                }
            }
            () = shutdown.cancelled() => break,
        }
    }
}
