//! Progress of a month's run while it computes. The run is one transaction
//! (all or nothing), so nobody sees it until it commits; its progress is
//! written beside it on the pool's own connections (`run_progress`, one row
//! per month): loading → writing `done` of `total` parties → done (with the
//! run's id) or failed. Progress is advisory: failing to record it never
//! fails the run.

use kumppani_platform::AppError;
use kumppani_platform::auth::Principal;
use kumppani_platform::validate::Violations;
use kumppani_proto::invoicing::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

/// Records one run's progress (cheap to call often: writes at most every 2 %).
/// Dropped before [`Progress::done`] (an error returned early, the request
/// cancelled), it records the run as failed.
pub struct Progress {
    pool: PgPool,
    year: i32,
    month: i32,
    total: i32,
    written: i32,
    finished: bool,
}

impl Progress {
    /// A run of the month begins: phase `loading`.
    pub async fn start(pool: &PgPool, year: i32, month: i32, by: &str) -> Self {
        let r = sqlx::query(
            "INSERT INTO run_progress (year, month, phase, started_by) VALUES ($1, $2, 'loading', $3)
             ON CONFLICT (year, month) DO UPDATE SET phase = 'loading', done = 0, total = 0, started_at = now(), started_by = $3,
             updated_at = now(), run_id = NULL",
        )
        .bind(year)
        .bind(month)
        .bind(by)
        .execute(pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "recording a run's progress failed");
        }
        Self { pool: pool.clone(), year, month, total: 0, written: 0, finished: false }
    }

    async fn set(&self, phase: &str, done: i32, run: Option<Uuid>) {
        let r = sqlx::query(
            "UPDATE run_progress SET phase = $3, done = $4, total = $5, run_id = $6, updated_at = now() WHERE year = $1 AND month = $2",
        )
        .bind(self.year)
        .bind(self.month)
        .bind(phase)
        .bind(done)
        .bind(self.total)
        .bind(run)
        .execute(&self.pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "recording a run's progress failed");
        }
    }

    /// The drafts are computed: `total` parties to write.
    pub async fn writing(&mut self, total: usize) {
        self.total = i32::try_from(total).unwrap_or(i32::MAX);
        self.set("writing", 0, None).await;
    }

    /// `done` parties written.
    pub async fn advance(&mut self, done: usize) {
        let done = i32::try_from(done).unwrap_or(i32::MAX);
        if done - self.written >= (self.total / 50).max(1) {
            self.written = done;
            self.set("writing", done, None).await;
        }
    }

    /// The run committed.
    pub async fn done(mut self, run: Uuid) {
        self.finished = true;
        self.set("done", self.total, Some(run)).await;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (pool, year, month) = (self.pool.clone(), self.year, self.month);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let r = sqlx::query(
                    "UPDATE run_progress SET phase = 'failed', updated_at = now() WHERE year = $1 AND month = $2 AND phase <> 'done'",
                )
                .bind(year)
                .bind(month)
                .execute(&pool)
                .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "recording a run's progress failed");
                }
            });
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    phase: String,
    done: i32,
    total: i32,
    started_at: chrono::DateTime<chrono::Utc>,
    started_by: String,
    updated_at: chrono::DateTime<chrono::Utc>,
    run_id: Option<Uuid>,
}

/// The month's progress (staff).
pub async fn get(pool: &PgPool, p: &Principal, r: &pb::GetRunProgressRequest) -> Result<pb::RunProgress, AppError> {
    p.require_enterprise()?;
    let mut v = Violations::default();
    v.year("year", r.year, true);
    if !(1..=12).contains(&r.month) {
        v.add("month", kumppani_platform::Reason::out_of_range(1, 12));
    }
    v.finish()?;
    let mut conn = pool.acquire().await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT phase, done, total, started_at, started_by, updated_at, run_id FROM run_progress WHERE year = $1 AND month = $2",
    )
    .bind(r.year)
    .bind(r.month)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(pb::RunProgress { year: r.year, month: r.month, phase: pb::RunPhase::None as i32, ..Default::default() });
    };
    let names = kumppani_platform::actors::actor_names(&mut conn, &[row.started_by.as_str()]).await?;
    // A run whose process died leaves its progress behind: silent for ten minutes is stopped.
    let stalled = chrono::Utc::now() - row.updated_at > chrono::Duration::minutes(10);
    let phase = match row.phase.as_str() {
        "loading" if !stalled => pb::RunPhase::Loading,
        "writing" if !stalled => pb::RunPhase::Writing,
        "done" => pb::RunPhase::Done,
        _ => pb::RunPhase::Failed,
    };
    Ok(pb::RunProgress {
        year: r.year,
        month: r.month,
        phase: phase as i32,
        done: row.done,
        total: row.total,
        started_at: kumppani_platform::convert::timestamp(row.started_at),
        started_by_name: names.get(&row.started_by).cloned().unwrap_or_default(),
        started_by: row.started_by,
        updated_at: kumppani_platform::convert::timestamp(row.updated_at),
        run_id: row.run_id.map(|id| id.to_string()).unwrap_or_default(),
    })
}

impl crate::service::Invoicing {
    #[tracing::instrument(skip_all)]
    pub async fn run_progress(&self, p: &Principal, r: &pb::GetRunProgressRequest) -> Result<pb::RunProgress, AppError> {
        get(&self.pool, p, r).await
    }
}
