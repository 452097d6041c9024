//! Standing orders: a weekly pattern per site, product and diet that produces
//! the daily orders. One-off orders always win (materialization never
//! overwrites an order); public holidays are skipped unless the pattern says
//! otherwise (care homes serve every day); closures skip days and cancel
//! orders already made for them.

use crate::PRODUCER;
use crate::calendar;
use crate::grpc::{self, Ctx, Key, OrderingApi, date_arg, from_date, ts, uuid_arg};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::auth::Principal;
use kumppani_platform::error::Violations;
use kumppani_platform::events::emit_many;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// A weekly pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub site: Uuid,
    pub customer: Uuid,
    pub product: String,
    pub diet: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Monday first.
    pub quantities: [i32; 7],
    pub include_holidays: bool,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

/// The daily (key, customer, quantity, channel) a set of patterns produces in
/// [from, to], newest pattern first, skipping zero days, holidays and closures.
pub fn expand(
    patterns: &[Pattern],
    closures: &[(Uuid, NaiveDate, NaiveDate)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Key, Uuid, i32, String)> {
    let mut groups: HashMap<(Uuid, &str, &str), Vec<&Pattern>> = HashMap::new();
    for p in patterns {
        groups.entry((p.site, p.product.as_str(), p.diet.as_str())).or_default().push(p);
    }
    let mut out = Vec::new();
    for ((site, product, diet), mut ps) in groups {
        ps.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        let mut day = from;
        while day <= to {
            if let Some(p) = ps.iter().find(|p| p.from <= day && day <= p.to) {
                let q = p.quantities[day.weekday().num_days_from_monday() as usize];
                let holiday = calendar::holiday_name(day).is_some();
                let closed = closures.iter().any(|(s, f, t)| *s == site && *f <= day && day <= *t);
                if q > 0 && (!holiday || p.include_holidays) && !closed {
                    out.push(((site, day, product.to_owned(), diet.to_owned()), p.customer, q, p.channel.clone()));
                }
            }
            day += chrono::Duration::days(1);
        }
    }
    out
}

type PatternRow = (Uuid, Uuid, String, String, NaiveDate, NaiveDate, Vec<i32>, bool, String, DateTime<Utc>);

async fn patterns(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate, site: Option<Uuid>) -> Result<Vec<Pattern>, AppError> {
    let rows: Vec<PatternRow> = sqlx::query_as(
        "SELECT site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_at
         FROM standing_orders WHERE valid_from <= $2 AND valid_to >= $1 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(site, customer, product, diet, from, to, q, include_holidays, channel, created_at)| {
            let mut quantities = [0; 7];
            for (i, v) in q.into_iter().take(7).enumerate() {
                quantities[i] = v;
            }
            Pattern { site, customer, product, diet, from, to, quantities, include_holidays, channel, created_at }
        })
        .collect())
}

async fn closures(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<Uuid>,
) -> Result<Vec<(Uuid, NaiveDate, NaiveDate)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT site_id, from_day, to_day FROM closures WHERE from_day <= $2 AND to_day >= $1 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .fetch_all(conn)
    .await?)
}

/// Creates the missing daily orders of the standing orders in [from, to].
pub async fn materialize(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<Uuid>,
    by: &str,
) -> Result<pb::MaterializeStandingOrdersResponse, AppError> {
    let ps = patterns(&mut *conn, from, to, site).await?;
    let cs = closures(&mut *conn, from, to, site).await?;
    let wanted = expand(&ps, &cs, from, to);
    let mut sites: Vec<Uuid> = wanted.iter().map(|w| w.0.0).collect();
    sites.sort_unstable();
    sites.dedup();
    let ctx = Ctx::load(&mut *conn, &sites).await?;
    let mut out = pb::MaterializeStandingOrdersResponse::default();
    let mut rows: Vec<(Key, Uuid, i32, String)> = Vec::new();
    for (key, customer, q, channel) in wanted {
        let Some(info) = ctx.sites.get(&key.0) else {
            out.skipped_not_covered += 1;
            continue;
        };
        if info.closed_on.is_some_and(|c| c <= key.1) {
            out.skipped_closed += 1;
            continue;
        }
        let covered = ctx.products.get(&key.2).is_some_and(|(_, line)| ctx.covering(key.0, customer, line, key.1).is_ok());
        if !covered {
            out.skipped_not_covered += 1;
            continue;
        }
        rows.push((key, customer, q, channel));
    }
    if rows.is_empty() {
        return Ok(out);
    }
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let created: Vec<grpc::OrderRow> = sqlx::query_as(
        "INSERT INTO orders (id, site_id, customer_id, service_day, product_code, diet, quantity, channel, updated_by)
         SELECT id, s, c, d, p, t, q, ch, $9 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[], $8::text[])
             AS x(id, s, c, d, p, t, q, ch)
         ON CONFLICT (site_id, service_day, product_code, diet) DO NOTHING
         RETURNING id, site_id, customer_id, service_day, product_code, diet, quantity, channel, version, updated_at, updated_by",
    )
    .bind(&ids)
    .bind(rows.iter().map(|r| r.0.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.0.1).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.0.2.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.0.3.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>())
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
    out.created = i32::try_from(created.len()).unwrap_or(i32::MAX);
    out.skipped_existing = i32::try_from(rows.len() - created.len()).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO order_history (order_id, version, quantity_from, quantity_to, channel, by_subject, via)
         SELECT o, 1, NULL, q, ch, $4, 'standing_order' FROM unnest($1::uuid[], $2::int[], $3::text[]) AS x(o, q, ch)",
    )
    .bind(created.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(created.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind(created.iter().map(|r| r.channel.clone()).collect::<Vec<_>>())
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let events: Vec<(String, pb::OrderEvent)> = created
        .iter()
        .map(|r| {
            (
                "ordering.order.placed".to_owned(),
                pb::OrderEvent { order: Some(grpc::order_proto(r, "")), previous_quantity: 0, customer_id: r.customer_id.to_string() },
            )
        })
        .collect();
    for chunk in events.chunks(5000) {
        emit_many(&mut *conn, PRODUCER, chunk).await?;
    }
    Ok(out)
}

/// How far ahead the service keeps standing orders materialized.
pub const HORIZON_DAYS: i64 = 28;

pub async fn set(api: &OrderingApi, p: &Principal, r: pb::SetStandingOrderRequest) -> Result<pb::StandingOrder, AppError> {
    let mut v = Violations::default();
    let site = uuid_arg(&mut v, "site_id", &r.site_id, true);
    let from = date_arg(&mut v, "valid_from", r.valid_from.as_ref(), true);
    let to = date_arg(&mut v, "valid_to", r.valid_to.as_ref(), true);
    v.check(!r.product_code.is_empty(), "product_code", "is required");
    v.check(r.weekday_quantities.len() == 7, "weekday_quantities", "give seven quantities, Monday first");
    for (i, q) in r.weekday_quantities.iter().enumerate() {
        v.check((0..=100_000).contains(q), &format!("weekday_quantities[{i}]"), "must be between 0 and 100000");
    }
    if let (Some(f), Some(t)) = (from, to) {
        v.check(f <= t && (t - f).num_days() <= 400, "valid_to", "must be on or after valid_from, at most 400 days later");
        v.check(t > calendar::today(), "valid_to", "must be in the future");
    }
    v.finish()?;
    let (Some(site), Some(from), Some(to)) = (site, from, to) else { return Err(AppError::invalid("site_id", "is required")) };
    let mut tx = api.pool.begin().await?;
    let ctx = Ctx::load(&mut tx, &[site]).await?;
    let info = ctx.sites.get(&site).ok_or_else(|| AppError::invalid("site_id", "no such site"))?;
    if !grpc::may_order(p, site, info.customer) {
        return Err(AppError::denied("this site is outside your scope"));
    }
    let Some((_, line)) = ctx.products.get(&r.product_code) else {
        return Err(AppError::invalid("product_code", "is not a product of the catalogue"));
    };
    if let Err(reason) = ctx.covering(site, info.customer, line, from.max(calendar::today())) {
        return Err(AppError::invalid("product_code", reason));
    }
    let id = Uuid::now_v7();
    let diet = r.diet.trim().to_lowercase();
    let channel = grpc::channel_text(grpc::channel_of(p));
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO standing_orders (id, site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING created_at",
    )
    .bind(id)
    .bind(site)
    .bind(info.customer)
    .bind(&r.product_code)
    .bind(&diet)
    .bind(from)
    .bind(to)
    .bind(&r.weekday_quantities)
    .bind(r.include_holidays)
    .bind(channel)
    .bind(&p.subject)
    .fetch_one(&mut *tx)
    .await?;
    // The coming weeks at once, so the site sees its orders; later days follow daily.
    let start = (calendar::today() + chrono::Duration::days(1)).max(from);
    let end = to.min(calendar::today() + chrono::Duration::days(HORIZON_DAYS));
    if start <= end {
        materialize(&mut tx, start, end, Some(site), &p.subject).await?;
    }
    tx.commit().await?;
    Ok(pb::StandingOrder {
        id: id.to_string(),
        site_id: site.to_string(),
        product_code: r.product_code,
        diet,
        valid_from: Some(from_date(from)),
        valid_to: Some(from_date(to)),
        weekday_quantities: r.weekday_quantities,
        include_holidays: r.include_holidays,
        created_by: p.subject.clone(),
        created_at: ts(created_at),
    })
}

pub async fn list(api: &OrderingApi, p: &Principal, r: pb::ListStandingOrdersRequest) -> Result<pb::ListStandingOrdersResponse, AppError> {
    let mut v = Violations::default();
    let site = uuid_arg(&mut v, "site_id", &r.site_id, true);
    v.finish()?;
    let site = site.ok_or_else(|| AppError::invalid("site_id", "is required"))?;
    let mut conn = api.pool.acquire().await?;
    api.site_scope(p, &mut conn, site).await?;
    let rows: Vec<(Uuid, String, String, NaiveDate, NaiveDate, Vec<i32>, bool, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, created_by, created_at
         FROM standing_orders WHERE site_id = $1 ORDER BY created_at DESC",
    )
    .bind(site)
    .fetch_all(&mut *conn)
    .await?;
    let cl: Vec<(Uuid, NaiveDate, NaiveDate, String)> =
        sqlx::query_as("SELECT id, from_day, to_day, reason FROM closures WHERE site_id = $1 ORDER BY from_day")
            .bind(site)
            .fetch_all(&mut *conn)
            .await?;
    Ok(pb::ListStandingOrdersResponse {
        standing_orders: rows
            .into_iter()
            .map(|(id, product_code, diet, f, t, q, h, by, at)| pb::StandingOrder {
                id: id.to_string(),
                site_id: site.to_string(),
                product_code,
                diet,
                valid_from: Some(from_date(f)),
                valid_to: Some(from_date(t)),
                weekday_quantities: q,
                include_holidays: h,
                created_by: by,
                created_at: ts(at),
            })
            .collect(),
        closures: cl
            .into_iter()
            .map(|(id, f, t, reason)| pb::Closure {
                id: id.to_string(),
                site_id: site.to_string(),
                from: Some(from_date(f)),
                to: Some(from_date(t)),
                reason,
            })
            .collect(),
    })
}

/// A closure skips the site's standing orders and cancels orders already made
/// for those days. For non-staff it must start after every cut-off (3 working days ahead).
pub async fn add_closure(api: &OrderingApi, p: &Principal, r: pb::AddClosureRequest) -> Result<pb::Closure, AppError> {
    let mut v = Violations::default();
    let site = uuid_arg(&mut v, "site_id", &r.site_id, true);
    let from = date_arg(&mut v, "from", r.from.as_ref(), true);
    let to = date_arg(&mut v, "to", r.to.as_ref(), true);
    v.check(!r.reason.trim().is_empty(), "reason", "is required");
    if let (Some(f), Some(t)) = (from, to) {
        v.check(f <= t && (t - f).num_days() <= 366, "to", "must be on or after `from`, at most a year later");
        let earliest = if p.is_enterprise() { calendar::today() + chrono::Duration::days(1) } else { next_open_day() };
        v.check(
            f >= earliest,
            "from",
            &format!("must be {} or later (earlier days are past their cut-off: ask for a late change)", earliest.format("%-d.%-m.%Y")),
        );
    }
    v.finish()?;
    let (Some(site), Some(from), Some(to)) = (site, from, to) else { return Err(AppError::invalid("site_id", "is required")) };
    let mut tx = api.pool.begin().await?;
    let (customer, _) = api.site_scope(p, &mut tx, site).await?;
    if !grpc::may_order(p, site, customer) {
        return Err(AppError::denied("this site is outside your scope"));
    }
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO closures (id, site_id, from_day, to_day, reason, created_by) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(id)
        .bind(site)
        .bind(from)
        .bind(to)
        .bind(r.reason.trim())
        .bind(&p.subject)
        .execute(&mut *tx)
        .await?;
    let existing: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "SELECT service_day, product_code, diet FROM orders WHERE site_id = $1 AND service_day BETWEEN $2 AND $3 AND quantity > 0",
    )
    .bind(site)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let cancel: Vec<(Key, Uuid, i32)> = existing.into_iter().map(|(d, p, t)| ((site, d, p, t), customer, 0)).collect();
    grpc::upsert_orders(&mut tx, &cancel, grpc::channel_text(grpc::channel_of(p)), &p.subject, "closure").await?;
    tx.commit().await?;
    Ok(pb::Closure {
        id: id.to_string(),
        site_id: site.to_string(),
        from: Some(from_date(from)),
        to: Some(from_date(to)),
        reason: r.reason.trim().to_owned(),
    })
}

/// The first day whose every cut-off (at most 2 working days at 12:00) is still open.
fn next_open_day() -> NaiveDate {
    let now = Utc::now();
    let rule = calendar::CutoffRule { working_days: 2, hour: 12 };
    let mut d = calendar::today() + chrono::Duration::days(1);
    while !rule.is_open(d, now) {
        d += chrono::Duration::days(1);
    }
    d
}

/// The service's own daily job: keeps the coming weeks materialized.
pub async fn keep_materialized(pool: sqlx::PgPool, shutdown: kumppani_platform::Shutdown) {
    loop {
        let from = calendar::today() + chrono::Duration::days(1);
        let to = calendar::today() + chrono::Duration::days(HORIZON_DAYS);
        let result = async {
            let mut tx = pool.begin().await?;
            // One replica at a time; others skip this round.
            let got: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('ordering-materialize'))").fetch_one(&mut *tx).await?;
            if got {
                let r = materialize(&mut tx, from, to, None, "standing-order").await?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_pattern_skips_weekends_holidays_and_closures_and_the_newest_wins() {
        let site = Uuid::from_u128(1);
        let base = Pattern {
            site,
            customer: Uuid::from_u128(2),
            product: "LOUNAS-PK".into(),
            diet: String::new(),
            from: d(2027, 3, 22),
            to: d(2027, 4, 4),
            quantities: [40, 40, 40, 40, 35, 0, 0],
            include_holidays: false,
            channel: "portal".into(),
            created_at: Utc::now() - chrono::Duration::hours(1),
        };
        let newer = Pattern { from: d(2027, 3, 31), quantities: [50; 7], created_at: Utc::now(), ..base.clone() };
        let closures = vec![(site, d(2027, 3, 24), d(2027, 3, 24))];
        let days: Vec<(u32, i32)> = {
            let mut v: Vec<(u32, i32)> =
                expand(&[base, newer], &closures, d(2027, 3, 22), d(2027, 4, 4)).into_iter().map(|(k, _, q, _)| (k.1.day(), q)).collect();
            v.sort();
            v
        };
        // 22–23 base; 24 closed; 25 base; 26 Good Friday; 27–28 weekend (0); 29 Easter Monday; 30 base; 31.3.–4.4. the newer pattern, 50 every day.
        assert_eq!(days, vec![(1, 50), (2, 50), (3, 50), (4, 50), (22, 40), (23, 40), (25, 40), (30, 40), (31, 50)]);
    }
}
