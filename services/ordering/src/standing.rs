//! Standing orders: a weekly pattern per site, product and diet that produces
//! the daily orders. One-off orders always win (materialization never
//! overwrites an order); public holidays are skipped unless the pattern says
//! otherwise (care homes serve every day); closures skip days and cancel
//! orders already made for them. The patterns' expansion is pure
//! ([`domain::expand`]); this module runs it against the database.

use crate::domain::{self, Key, Skip};
use crate::store::{self, ClosureRow, StandingOrderRow};
use chrono::{NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::auth::Principal;
use kumppani_platform::calendar;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// How far ahead the service keeps standing orders materialized.
pub const HORIZON_DAYS: i64 = 28;

/// What a materialization did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Materialized {
    pub created: i32,
    /// An order (one-off or earlier) already existed.
    pub skipped_existing: i32,
    pub skipped_closed: i32,
    pub skipped_not_covered: i32,
}

/// Creates the missing daily orders of the standing orders in [from, to],
/// optionally of one site and/or one customer.
pub async fn materialize(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    (site, customer): (Option<Uuid>, Option<Uuid>),
    by: &str,
) -> Result<Materialized, AppError> {
    let ps = store::patterns(&mut *conn, from, to, site, customer).await?;
    let cs = store::closures_between(&mut *conn, from, to, site).await?;
    let wanted = domain::expand(&ps, &cs, from, to);
    let mut sites: Vec<Uuid> = wanted.iter().map(|w| w.0.0).collect();
    sites.sort_unstable();
    sites.dedup();
    let ctx = store::load_context(&mut *conn, &sites).await?;
    let mut out = Materialized::default();
    let mut rows: Vec<(Key, Uuid, i32, String)> = Vec::new();
    for (key, customer, q, channel) in wanted {
        match domain::materializable(&ctx, &key, customer) {
            Ok(()) => rows.push((key, customer, q, channel)),
            Err(Skip::Closed) => out.skipped_closed += 1,
            Err(Skip::NotCovered) => out.skipped_not_covered += 1,
        }
    }
    if rows.is_empty() {
        return Ok(out);
    }
    let created = store::create_missing_orders(&mut *conn, &rows, by).await?;
    out.created = i32::try_from(created.len()).unwrap_or(i32::MAX);
    out.skipped_existing = i32::try_from(rows.len() - created.len()).unwrap_or(i32::MAX);
    Ok(out)
}

/// A standing order to set, validated.
#[derive(Debug, Clone)]
pub struct NewStandingOrder {
    pub site: Uuid,
    pub product_code: String,
    pub diet: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Seven, Monday first.
    pub weekday_quantities: Vec<i32>,
    pub include_holidays: bool,
}

/// Sets a standing order and materializes its coming weeks at once.
pub async fn set(pool: &PgPool, p: &Principal, new: NewStandingOrder) -> Result<StandingOrderRow, AppError> {
    let mut tx = pool.begin().await?;
    let ctx = store::load_context(&mut tx, &[new.site]).await?;
    let today = calendar::today();
    let customer = domain::check_standing_order(&ctx, p, new.site, &new.product_code, new.from.max(today))?;
    let row = StandingOrderRow {
        id: Uuid::now_v7(),
        site_id: new.site,
        product_code: new.product_code,
        diet: domain::normalize_diet(&new.diet),
        valid_from: new.from,
        valid_to: new.to,
        weekday_quantities: new.weekday_quantities,
        include_holidays: new.include_holidays,
        created_by: p.subject.clone(),
        created_at: Utc::now(),
    };
    let channel = domain::channel_text(domain::channel_of(p));
    let row = store::insert_standing_order(&mut tx, row, customer, channel).await?;
    // The coming weeks at once, so the site sees its orders; later days follow daily.
    let start = (today + chrono::Duration::days(1)).max(row.valid_from);
    let end = row.valid_to.min(today + chrono::Duration::days(HORIZON_DAYS));
    if start <= end {
        materialize(&mut tx, start, end, (Some(row.site_id), None), &p.subject).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// A site's standing orders (newest first) and closures, for a caller who reads the site.
pub async fn list(pool: &PgPool, p: &Principal, site: Uuid) -> Result<(Vec<StandingOrderRow>, Vec<ClosureRow>), AppError> {
    let mut conn = pool.acquire().await?;
    domain::readable_site(p, site, store::site(&mut conn, site).await?)?;
    let orders = store::site_standing_orders(&mut conn, site).await?;
    let closures = store::site_closures(&mut conn, site).await?;
    Ok((orders, closures))
}

/// A closure skips the site's standing orders and cancels orders already made
/// for those days. Its first day is checked by the caller against
/// [`domain::earliest_closure_day`].
pub async fn add_closure(
    pool: &PgPool,
    p: &Principal,
    site: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    reason: String,
) -> Result<ClosureRow, AppError> {
    let mut tx = pool.begin().await?;
    let (customer, _) = domain::readable_site(p, site, store::site(&mut tx, site).await?)?;
    if !domain::may_order(p, site, customer) {
        return Err(AppError::denied(domain::OUTSIDE_SCOPE));
    }
    let closure = ClosureRow { id: Uuid::now_v7(), site_id: site, from_day: from, to_day: to, reason };
    store::insert_closure(&mut tx, &closure, &p.subject).await?;
    let cancel: Vec<domain::Placement> = store::open_order_keys(&mut tx, site, from, to)
        .await?
        .into_iter()
        .map(|key| domain::Placement { key, customer, quantity: 0 })
        .collect();
    store::upsert_orders(&mut tx, &cancel, domain::channel_text(domain::channel_of(p)), &p.subject, "closure").await?;
    tx.commit().await?;
    Ok(closure)
}

/// The service's own daily job: keeps the coming weeks materialized.
pub async fn keep_materialized(pool: PgPool, shutdown: kumppani_platform::Shutdown) {
    loop {
        let from = calendar::today() + chrono::Duration::days(1);
        let to = calendar::today() + chrono::Duration::days(HORIZON_DAYS);
        let result = async {
            let mut tx = pool.begin().await?;
            // One replica at a time; others skip this round.
            if store::try_materialize_lock(&mut tx).await? {
                let r = materialize(&mut tx, from, to, (None, None), "standing-order").await?;
                if r.created > 0 {
                    tracing::info!(created = r.created, "standing orders materialized");
                }
            }
            tx.commit().await?;
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "materializing standing orders failed; will retry");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}
