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
use kumppani_platform::events::emit;
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

/// One pass at `now`: every due item, in batches, each batch one transaction.
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
        for row in &rows {
            pass.due += 1;
            let p = pauses.remove(&row.id).unwrap_or_default();
            let (ack, resolve) = convert::facts(row, &p);
            let alarms = [
                ("acknowledge", domain::alarm(&ack, row.acknowledge_warned_at.is_some(), row.acknowledge_breached_at.is_some(), now)),
                ("resolve", domain::alarm(&resolve, row.resolve_warned_at.is_some(), row.resolve_breached_at.is_some(), now)),
            ];
            // The item as the last alarm left it (unchanged when none fired).
            let mut latest: Option<(store::ItemRow, Vec<store::Pause>)> = None;
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
                // A second alarm of the same pass sees the first one's escalation.
                let current = latest.as_ref().map_or(row, |l| &l.0).clone();
                latest = Some(raise(&mut tx, &current, clock, breach, now).await?);
            }
            let (fresh, p) = match &latest {
                Some((fresh, p)) => (fresh, p.as_slice()),
                None => (row, p.as_slice()),
            };
            // A due time that has not moved past `now` would be looked at again at once: the
            // clock's facts say nothing is due, so the next look is a minute later.
            let next = convert::next_alarm(fresh, p).map(|at| if at <= now { now + chrono::Duration::minutes(1) } else { at });
            store::set_clock_marks(&mut tx, row.id, next, convert::due_at(fresh, p)).await?;
        }
        tx.commit().await?;
    }
    Ok(pass)
}

async fn reload(conn: &mut sqlx::PgConnection, id: uuid::Uuid) -> Result<(store::ItemRow, Vec<store::Pause>), AppError> {
    let row = store::item(&mut *conn, id, false).await?.ok_or_else(|| AppError::internal("locked item lost"))?;
    let p = store::pauses(&mut *conn, &[id]).await?.remove(&id).unwrap_or_default();
    Ok((row, p))
}

/// Marks, records, notifies and announces one warning or breach; the item as it is after.
async fn raise(
    conn: &mut sqlx::PgConnection,
    row: &store::ItemRow,
    clock: &str,
    breach: bool,
    now: DateTime<Utc>,
) -> Result<(store::ItemRow, Vec<store::Pause>), AppError> {
    store::mark_alarm(&mut *conn, row.id, clock, breach, now).await?;
    let (change, kind) = if breach { ("sla_breached", "sla_breached") } else { ("sla_warning", "sla_warning") };
    let handler = store::Person::from_json(&row.handler);
    let manager = store::Person::from_json(&row.manager);
    store::add_history(&mut *conn, row.id, change, clock, ACTOR, now).await?;
    store::notify(&mut *conn, &handler.email, kind, row.id, clock, now).await?;
    if breach && !row.escalated {
        store::add_history(&mut *conn, row.id, "escalated", &manager.name, ACTOR, now).await?;
    }
    if breach {
        store::notify(&mut *conn, &manager.email, "escalated", row.id, clock, now).await?;
    }
    let (fresh, p) = reload(&mut *conn, row.id).await?;
    let event = pb::SlaEvent { item: Some(convert::item(&fresh, &p, now)), clock: clock.to_owned() };
    let event_type = if breach { "feedback.sla.breached" } else { "feedback.sla.warning" };
    emit(&mut *conn, PRODUCER, event_type, &event).await?;
    Ok((fresh, p))
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
