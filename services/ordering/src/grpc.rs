//! The ordering service's tonic adapter and intake. Every write runs in one
//! transaction with its outbox events; the ordering system's writes are
//! idempotent by key; batch intake uses set-based SQL (one statement per step,
//! not per line) so thousands of lines fit in one call.

use crate::PRODUCER;
use crate::calendar::{self, CutoffRule};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::auth::{self, Principal, Role, Verifier};
use kumppani_platform::error::Violations;
use kumppani_platform::events::emit_many;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::ordering::v1::ordering_service_server::OrderingService;
use prost::Message;
use sha2::Digest;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashMap, HashSet};
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct OrderingApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

/// Most lines one PlaceOrders call may carry.
pub const MAX_LINES: usize = 20_000;
const MAX_QUANTITY: i32 = 100_000;

pub use kumppani_platform::convert::timestamp as ts;

pub fn to_date(d: &pb::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?)
}

pub fn from_date(d: NaiveDate) -> pb::Date {
    pb::Date { year: d.year(), month: d.month() as i32, day: d.day() as i32 }
}

pub(crate) fn channel_text(c: pb::Channel) -> &'static str {
    match c {
        pb::Channel::OrderingSystem => "ordering_system",
        pb::Channel::Staff => "staff",
        _ => "portal",
    }
}

fn channel_from(s: &str) -> i32 {
    (match s {
        "ordering_system" => pb::Channel::OrderingSystem,
        "staff" => pb::Channel::Staff,
        _ => pb::Channel::Portal,
    }) as i32
}

/// The channel is who the caller is, not what they claim.
pub(crate) fn channel_of(p: &Principal) -> pb::Channel {
    match p.role {
        Role::SystemClient => pb::Channel::OrderingSystem,
        Role::EnterpriseAdmin | Role::EnterpriseStaff => pb::Channel::Staff,
        _ => pb::Channel::Portal,
    }
}

pub(crate) struct SiteInfo {
    pub(crate) customer: Uuid,
    pub(crate) name: String,
    pub(crate) closed_on: Option<NaiveDate>,
}

struct AgreementInfo {
    id: Uuid,
    customer: Uuid,
    year: i32,
    status: String,
    lines: Vec<(String, HashSet<Uuid>)>,
}

/// What intake needs to know, loaded once per request.
pub(crate) struct Ctx {
    pub(crate) sites: HashMap<Uuid, SiteInfo>,
    pub(crate) products: HashMap<String, (String, String)>,
    agreements: Vec<AgreementInfo>,
    rules: HashMap<(Option<Uuid>, String), CutoffRule>,
}

impl Ctx {
    pub(crate) async fn load(conn: &mut PgConnection, sites: &[Uuid]) -> Result<Self, AppError> {
        let rows: Vec<(Uuid, Uuid, String, Option<NaiveDate>)> =
            sqlx::query_as("SELECT id, customer_id, name, closed_on FROM sites WHERE id = ANY($1)")
                .bind(sites)
                .fetch_all(&mut *conn)
                .await?;
        let customers: Vec<Uuid> = rows.iter().map(|r| r.1).collect::<HashSet<_>>().into_iter().collect();
        let sites = rows.into_iter().map(|(id, customer, name, closed_on)| (id, SiteInfo { customer, name, closed_on })).collect();
        let products: Vec<(String, String, String)> =
            sqlx::query_as("SELECT code, name, service_line FROM products").fetch_all(&mut *conn).await?;
        let agreements: Vec<(Uuid, Uuid, i32, String, serde_json::Value)> =
            sqlx::query_as("SELECT id, customer_id, year, status, lines FROM agreements WHERE customer_id = ANY($1)")
                .bind(&customers)
                .fetch_all(&mut *conn)
                .await?;
        let rules: Vec<(Option<Uuid>, String, i32, i32)> =
            sqlx::query_as("SELECT agreement_id, service_line, working_days, hour FROM cutoff_rules").fetch_all(&mut *conn).await?;
        Ok(Self {
            sites,
            products: products.into_iter().map(|(c, n, l)| (c, (n, l))).collect(),
            agreements: agreements
                .into_iter()
                .map(|(id, customer, year, status, lines)| AgreementInfo {
                    id,
                    customer,
                    year,
                    status,
                    lines: lines
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|l| {
                                    let line = l.get("service_line").and_then(|v| v.as_str()).unwrap_or("").to_owned();
                                    let sites = l
                                        .get("site_ids")
                                        .and_then(|v| v.as_array())
                                        .map(|s| s.iter().filter_map(|x| x.as_str().and_then(|x| Uuid::parse_str(x).ok())).collect())
                                        .unwrap_or_default();
                                    (line, sites)
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            rules: rules
                .into_iter()
                .map(|(a, l, d, h)| {
                    ((a, l), CutoffRule { working_days: u32::try_from(d).unwrap_or(0), hour: u32::try_from(h).unwrap_or(12) })
                })
                .collect(),
        })
    }

    /// The agreement covering a site's service line on a day, or why none does.
    pub(crate) fn covering(&self, site: Uuid, customer: Uuid, line: &str, day: NaiveDate) -> Result<Uuid, String> {
        let year = day.year();
        let mine: Vec<&AgreementInfo> = self.agreements.iter().filter(|a| a.customer == customer && a.year == year).collect();
        if let Some(a) = mine
            .iter()
            .find(|a| matches!(a.status.as_str(), "signed" | "active") && a.lines.iter().any(|(l, s)| l == line && s.contains(&site)))
        {
            return Ok(a.id);
        }
        if let Some(a) = mine.iter().find(|a| a.lines.iter().any(|(l, s)| l == line && s.contains(&site))) {
            return Err(match a.status.as_str() {
                "expired" => format!("the {year} service agreement has expired"),
                s => format!("the {year} service agreement is not signed yet ({s})"),
            });
        }
        Err(format!("no signed {year} service agreement covers {line} at this site"))
    }

    fn rule(&self, agreement: Uuid, line: &str) -> CutoffRule {
        self.rules
            .get(&(Some(agreement), line.to_owned()))
            .or_else(|| self.rules.get(&(None, line.to_owned())))
            .copied()
            .unwrap_or(CutoffRule { working_days: 1, hour: 12 })
    }
}

/// May the caller order for this site?
pub(crate) fn may_order(p: &Principal, site: Uuid, customer: Uuid) -> bool {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
        Role::CustomerContact => p.customer_id == Some(customer),
        Role::SiteUser => p.site_id == Some(site) && p.customer_id == Some(customer),
        Role::SystemClient => p.grants.iter().any(|g| g == "orders:write") && p.customer_id.is_none_or(|c| c == customer),
    }
}

fn may_read(p: &Principal, site: Uuid, customer: Uuid) -> bool {
    match p.role {
        Role::SystemClient => {
            p.grants.iter().any(|g| g == "orders:write" || g == "orders:read") && p.customer_id.is_none_or(|c| c == customer)
        }
        _ => may_order(p, site, customer),
    }
}

pub(crate) type Key = (Uuid, NaiveDate, String, String);

struct Accepted {
    index: usize,
    key: Key,
    customer: Uuid,
    quantity: i32,
}

fn reject(index: usize, field: &str, error: impl Into<String>) -> pb::LineResult {
    pb::LineResult {
        index: i32::try_from(index).unwrap_or(i32::MAX),
        outcome: pb::OrderOutcome::Rejected as i32,
        error: error.into(),
        error_field: field.to_owned(),
        ..Default::default()
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrderRow {
    pub(crate) id: Uuid,
    pub(crate) site_id: Uuid,
    pub(crate) customer_id: Uuid,
    pub(crate) service_day: NaiveDate,
    pub(crate) product_code: String,
    pub(crate) diet: String,
    pub(crate) quantity: i32,
    pub(crate) channel: String,
    pub(crate) version: i32,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) updated_by: String,
}

pub(crate) fn order_proto(r: &OrderRow, site_name: &str) -> pb::Order {
    pb::Order {
        id: r.id.to_string(),
        line: Some(pb::OrderLine {
            site_id: r.site_id.to_string(),
            service_day: Some(from_date(r.service_day)),
            product_code: r.product_code.clone(),
            diet: r.diet.clone(),
            quantity: r.quantity,
        }),
        channel: channel_from(&r.channel),
        version: r.version,
        updated_at: ts(r.updated_at),
        updated_by: r.updated_by.clone(),
        customer_id: r.customer_id.to_string(),
        site_name: site_name.to_owned(),
    }
}

const ORDER_COLS: &str = "id, site_id, customer_id, service_day, product_code, diet, quantity, channel, version, updated_at, updated_by";

/// Applies order lines (already validated) and returns the rows with their previous quantities.
pub(crate) async fn upsert_orders(
    conn: &mut PgConnection,
    rows: &[(Key, Uuid, i32)],
    channel: &str,
    by: &str,
    via: &str,
) -> Result<Vec<(OrderRow, Option<i32>)>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sites: Vec<Uuid> = rows.iter().map(|r| r.0.0).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.0.1).collect();
    let products: Vec<String> = rows.iter().map(|r| r.0.2.clone()).collect();
    let diets: Vec<String> = rows.iter().map(|r| r.0.3.clone()).collect();
    let customers: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
    let quantities: Vec<i32> = rows.iter().map(|r| r.2).collect();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    // Lock and read what is there (previous quantities for history and events).
    let before: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
        "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.quantity FROM orders o
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t
         FOR UPDATE OF o",
    )
    .bind(&sites)
    .bind(&days)
    .bind(&products)
    .bind(&diets)
    .fetch_all(&mut *conn)
    .await?;
    let before: HashMap<Key, i32> = before.into_iter().map(|(s, d, p, t, q)| ((s, d, p, t), q)).collect();
    let after: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders (id, site_id, customer_id, service_day, product_code, diet, quantity, channel, updated_by)
         SELECT id, s, c, d, p, t, q, $8, $9 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[])
             AS x(id, s, c, d, p, t, q)
         ON CONFLICT (site_id, service_day, product_code, diet) DO UPDATE
             SET quantity = EXCLUDED.quantity, channel = EXCLUDED.channel, version = orders.version + 1,
                 updated_at = now(), updated_by = EXCLUDED.updated_by
         RETURNING {ORDER_COLS}"
    )))
    .bind(&ids)
    .bind(&sites)
    .bind(&customers)
    .bind(&days)
    .bind(&products)
    .bind(&diets)
    .bind(&quantities)
    .bind(channel)
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
    let out: Vec<(OrderRow, Option<i32>)> = after
        .into_iter()
        .map(|r| {
            let prev = before.get(&(r.site_id, r.service_day, r.product_code.clone(), r.diet.clone())).copied();
            (r, prev)
        })
        .collect();
    let h_ids: Vec<Uuid> = out.iter().map(|(r, _)| r.id).collect();
    let h_versions: Vec<i32> = out.iter().map(|(r, _)| r.version).collect();
    let h_from: Vec<Option<i32>> = out.iter().map(|(_, p)| *p).collect();
    let h_to: Vec<i32> = out.iter().map(|(r, _)| r.quantity).collect();
    sqlx::query(
        "INSERT INTO order_history (order_id, version, quantity_from, quantity_to, channel, by_subject, via)
         SELECT o, v, f, t, $5, $6, $7 FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[]) AS x(o, v, f, t)",
    )
    .bind(&h_ids)
    .bind(&h_versions)
    .bind(&h_from)
    .bind(&h_to)
    .bind(channel)
    .bind(by)
    .bind(via)
    .execute(&mut *conn)
    .await?;
    let events: Vec<(String, pb::OrderEvent)> = out
        .iter()
        .map(|(r, prev)| {
            let verb = match prev {
                None => "placed",
                Some(_) if r.quantity == 0 => "cancelled",
                Some(_) => "changed",
            };
            (
                format!("ordering.order.{verb}"),
                pb::OrderEvent {
                    order: Some(order_proto(r, "")),
                    previous_quantity: prev.unwrap_or(0),
                    customer_id: r.customer_id.to_string(),
                },
            )
        })
        .collect();
    emit_many(&mut *conn, PRODUCER, &events).await?;
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct LateRow {
    id: Uuid,
    site_id: Uuid,
    customer_id: Uuid,
    service_day: NaiveDate,
    product_code: String,
    diet: String,
    quantity: i32,
    previous_quantity: i32,
    channel: String,
    status: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    decided_by: String,
    decided_at: Option<DateTime<Utc>>,
    reason: String,
    site_name: Option<String>,
}

const LATE_COLS: &str = "l.id, l.site_id, l.customer_id, l.service_day, l.product_code, l.diet, l.quantity, l.previous_quantity, l.channel, \
     l.status, l.requested_by, l.requested_at, l.decided_by, l.decided_at, l.reason, s.name AS site_name";

fn late_proto(r: &LateRow) -> pb::LateChange {
    pb::LateChange {
        id: r.id.to_string(),
        line: Some(pb::OrderLine {
            site_id: r.site_id.to_string(),
            service_day: Some(from_date(r.service_day)),
            product_code: r.product_code.clone(),
            diet: r.diet.clone(),
            quantity: r.quantity,
        }),
        previous_quantity: r.previous_quantity,
        status: (match r.status.as_str() {
            "accepted" => pb::LateChangeStatus::Accepted,
            "declined" => pb::LateChangeStatus::Declined,
            _ => pb::LateChangeStatus::Pending,
        }) as i32,
        requested_by: r.requested_by.clone(),
        requested_at: ts(r.requested_at),
        decided_by: r.decided_by.clone(),
        decided_at: r.decided_at.and_then(ts),
        reason: r.reason.clone(),
        site_name: r.site_name.clone().unwrap_or_default(),
        channel: channel_from(&r.channel),
    }
}

impl OrderingApi {
    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }

    /// Intake of order lines: validation, scope, agreement, cut-off, then set-based writes.
    pub async fn intake(
        &self,
        p: &Principal,
        lines: Vec<pb::OrderLine>,
        key: &str,
        request_bytes: &[u8],
    ) -> Result<pb::PlaceOrdersResponse, AppError> {
        if p.role == Role::SystemClient && key.trim().is_empty() {
            return Err(AppError::invalid("idempotency_key", "is required for system clients: a retried request must not order twice"));
        }
        if lines.is_empty() {
            return Err(AppError::invalid("lines", "give at least one order line"));
        }
        if lines.len() > MAX_LINES {
            return Err(AppError::invalid("lines", format!("at most {MAX_LINES} lines per call")));
        }
        let channel = channel_of(p);
        let mut tx = self.pool.begin().await?;
        if !key.trim().is_empty() {
            let hash = format!("{:x}", sha2::Sha256::digest(request_bytes));
            let fresh = sqlx::query("INSERT INTO idempotency_keys (client, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&p.subject)
                .bind(key.trim())
                .bind(&hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if fresh == 0 {
                let (stored_hash, response): (String, Option<Vec<u8>>) =
                    sqlx::query_as("SELECT request_hash, response FROM idempotency_keys WHERE client = $1 AND key = $2")
                        .bind(&p.subject)
                        .bind(key.trim())
                        .fetch_one(&mut *tx)
                        .await?;
                if stored_hash != hash {
                    return Err(AppError::invalid("idempotency_key", "was already used for a different request"));
                }
                let mut r = pb::PlaceOrdersResponse::decode(response.unwrap_or_default().as_slice())
                    .map_err(|e| AppError::internal(e.to_string()))?;
                r.replayed = true;
                return Ok(r);
            }
        }
        let mut site_ids: Vec<Uuid> = lines.iter().filter_map(|l| Uuid::parse_str(&l.site_id).ok()).collect();
        site_ids.sort_unstable();
        site_ids.dedup();
        let ctx = Ctx::load(&mut tx, &site_ids).await?;
        let now = Utc::now();
        let today = calendar::today();
        let mut results: Vec<Option<pb::LineResult>> = vec![None; lines.len()];
        let mut accepted: Vec<Accepted> = Vec::new();
        let mut late: Vec<Accepted> = Vec::new();
        let mut seen: HashMap<Key, usize> = HashMap::new();
        for (i, line) in lines.iter().enumerate() {
            let Ok(site) = Uuid::parse_str(&line.site_id) else {
                results[i] = Some(reject(i, "site_id", "must be a UUID"));
                continue;
            };
            let Some(day) = line.service_day.as_ref().and_then(to_date) else {
                results[i] = Some(reject(i, "service_day", "is required and must be a valid date"));
                continue;
            };
            if !(0..=MAX_QUANTITY).contains(&line.quantity) {
                results[i] = Some(reject(i, "quantity", format!("must be between 0 and {MAX_QUANTITY}")));
                continue;
            }
            let diet = line.diet.trim().to_lowercase();
            if diet.chars().count() > 60 {
                results[i] = Some(reject(i, "diet", "must be at most 60 characters"));
                continue;
            }
            let Some(info) = ctx.sites.get(&site) else {
                results[i] = Some(reject(i, "site_id", "no such site"));
                continue;
            };
            if !may_order(p, site, info.customer) {
                results[i] = Some(reject(i, "site_id", "this site is outside your scope"));
                continue;
            }
            if info.closed_on.is_some_and(|c| c <= day) {
                results[i] = Some(reject(
                    i,
                    "site_id",
                    format!("the site is closed from {}", info.closed_on.map(|d| d.format("%-d.%-m.%Y").to_string()).unwrap_or_default()),
                ));
                continue;
            }
            let Some((_, service_line)) = ctx.products.get(&line.product_code) else {
                results[i] = Some(reject(i, "product_code", "is not a product of the catalogue"));
                continue;
            };
            let agreement = match ctx.covering(site, info.customer, service_line, day) {
                Ok(a) => a,
                Err(reason) => {
                    results[i] = Some(reject(i, "product_code", reason));
                    continue;
                }
            };
            if day < today {
                results[i] = Some(reject(i, "service_day", "has passed; report what was delivered instead"));
                continue;
            }
            let key: Key = (site, day, line.product_code.clone(), diet);
            if let Some(first) = seen.insert(key.clone(), i) {
                results[i] = Some(reject(i, "product_code", format!("the same site, day, product and diet is already in line {first}")));
                continue;
            }
            let item = Accepted { index: i, key, customer: info.customer, quantity: line.quantity };
            if ctx.rule(agreement, service_line).is_open(day, now) || p.is_enterprise() {
                accepted.push(item);
            } else {
                late.push(item);
            }
        }
        // Orders that take effect.
        let rows: Vec<(Key, Uuid, i32)> = accepted.iter().map(|a| (a.key.clone(), a.customer, a.quantity)).collect();
        let written = upsert_orders(&mut tx, &rows, channel_text(channel), &p.subject, "order").await?;
        let by_key: HashMap<Key, &OrderRow> =
            written.iter().map(|(r, _)| ((r.site_id, r.service_day, r.product_code.clone(), r.diet.clone()), r)).collect();
        for a in &accepted {
            let name = ctx.sites.get(&a.key.0).map(|s| s.name.as_str()).unwrap_or("");
            results[a.index] = Some(pb::LineResult {
                index: i32::try_from(a.index).unwrap_or(i32::MAX),
                outcome: pb::OrderOutcome::Accepted as i32,
                order: by_key.get(&a.key).map(|r| order_proto(r, name)),
                ..Default::default()
            });
        }
        // After the cut-off: late-change requests, not silent refusals.
        if !late.is_empty() {
            let sites: Vec<Uuid> = late.iter().map(|a| a.key.0).collect();
            let days: Vec<NaiveDate> = late.iter().map(|a| a.key.1).collect();
            let products: Vec<String> = late.iter().map(|a| a.key.2.clone()).collect();
            let diets: Vec<String> = late.iter().map(|a| a.key.3.clone()).collect();
            let current: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
                "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.quantity FROM orders o
                 JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
                   ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t",
            )
            .bind(&sites)
            .bind(&days)
            .bind(&products)
            .bind(&diets)
            .fetch_all(&mut *tx)
            .await?;
            let current: HashMap<Key, i32> = current.into_iter().map(|(s, d, p, t, q)| ((s, d, p, t), q)).collect();
            let ids: Vec<Uuid> = late.iter().map(|_| Uuid::now_v7()).collect();
            let customers: Vec<Uuid> = late.iter().map(|a| a.customer).collect();
            let quantities: Vec<i32> = late.iter().map(|a| a.quantity).collect();
            let previous: Vec<i32> = late.iter().map(|a| current.get(&a.key).copied().unwrap_or(0)).collect();
            let rows: Vec<LateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "WITH ins AS (
                   INSERT INTO late_changes (id, site_id, customer_id, service_day, product_code, diet, quantity, previous_quantity, channel, status, requested_by)
                   SELECT id, s, c, d, p, t, q, pq, $10, 'pending', $11
                   FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[], $8::int[]) AS x(id, s, c, d, p, t, q, pq)
                   RETURNING *)
                 SELECT {} FROM ins l LEFT JOIN sites s ON s.id = l.site_id WHERE $9",
                LATE_COLS
            )))
            .bind(&ids)
            .bind(&sites)
            .bind(&customers)
            .bind(&days)
            .bind(&products)
            .bind(&diets)
            .bind(&quantities)
            .bind(&previous)
            .bind(true)
            .bind(channel_text(channel))
            .bind(&p.subject)
            .fetch_all(&mut *tx)
            .await?;
            let events: Vec<(String, pb::LateChangeEvent)> = rows
                .iter()
                .map(|r| {
                    (
                        "ordering.late_change.requested".to_owned(),
                        pb::LateChangeEvent { late_change: Some(late_proto(r)), customer_id: r.customer_id.to_string() },
                    )
                })
                .collect();
            emit_many(&mut tx, PRODUCER, &events).await?;
            let by_id: HashMap<Uuid, &LateRow> = rows.iter().map(|r| (r.id, r)).collect();
            for (a, id) in late.iter().zip(&ids) {
                results[a.index] = Some(pb::LineResult {
                    index: i32::try_from(a.index).unwrap_or(i32::MAX),
                    outcome: pb::OrderOutcome::LateChangeRequested as i32,
                    late_change: by_id.get(id).map(|r| late_proto(r)),
                    ..Default::default()
                });
            }
        }
        let results: Vec<pb::LineResult> =
            results.into_iter().enumerate().map(|(i, r)| r.unwrap_or_else(|| reject(i, "", "not processed"))).collect();
        let count = |o: pb::OrderOutcome| i32::try_from(results.iter().filter(|r| r.outcome == o as i32).count()).unwrap_or(i32::MAX);
        let response = pb::PlaceOrdersResponse {
            accepted: count(pb::OrderOutcome::Accepted),
            late_change_requested: count(pb::OrderOutcome::LateChangeRequested),
            rejected: count(pb::OrderOutcome::Rejected),
            results,
            replayed: false,
        };
        if !key.trim().is_empty() {
            sqlx::query("UPDATE idempotency_keys SET response = $3 WHERE client = $1 AND key = $2")
                .bind(&p.subject)
                .bind(key.trim())
                .bind(response.encode_to_vec())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    pub(crate) async fn site_scope(&self, p: &Principal, conn: &mut PgConnection, site: Uuid) -> Result<(Uuid, String), AppError> {
        let row: Option<(Uuid, String)> =
            sqlx::query_as("SELECT customer_id, name FROM sites WHERE id = $1").bind(site).fetch_optional(conn).await?;
        let (customer, name) = row.ok_or_else(|| AppError::not_found("site"))?;
        if !may_read(p, site, customer) {
            return Err(AppError::denied("this site is outside your scope"));
        }
        Ok((customer, name))
    }
}

pub(crate) fn uuid_arg(v: &mut Violations, field: &str, s: &str, required: bool) -> Option<Uuid> {
    v.uuid(field, s, required)
}

pub(crate) fn date_arg(v: &mut Violations, field: &str, d: Option<&pb::Date>, required: bool) -> Option<NaiveDate> {
    match d {
        None => {
            if required {
                v.add(field, "is required");
            }
            None
        }
        Some(d) => {
            let r = to_date(d);
            if r.is_none() {
                v.add(field, "is not a valid calendar date");
            }
            r
        }
    }
}

#[tonic::async_trait]
impl OrderingService for OrderingApi {
    #[tracing::instrument(skip_all)]
    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> R<pb::PlaceOrderResponse> {
        let p = self.principal(&req).await?;
        let bytes = req.get_ref().encode_to_vec();
        let r = req.into_inner();
        let line = r.line.ok_or_else(|| AppError::invalid("line", "is required"))?;
        let mut out = self.intake(&p, vec![line], &r.idempotency_key, &bytes).await?;
        let mut result = out.results.pop().unwrap_or_default();
        if result.outcome == pb::OrderOutcome::Rejected as i32 {
            let field = if result.error_field.is_empty() { "line".to_owned() } else { format!("line.{}", result.error_field) };
            // One line: a rejection is an error the caller must see as such.
            let e = if result.error.contains("outside your scope") {
                AppError::denied(result.error.clone())
            } else {
                AppError::invalid(field, std::mem::take(&mut result.error))
            };
            return Err(e.into());
        }
        Ok(Response::new(pb::PlaceOrderResponse { result: Some(result), replayed: out.replayed }))
    }

    #[tracing::instrument(skip_all, fields(lines = req.get_ref().lines.len()))]
    async fn place_orders(&self, req: Request<pb::PlaceOrdersRequest>) -> R<pb::PlaceOrdersResponse> {
        let p = self.principal(&req).await?;
        let bytes = req.get_ref().encode_to_vec();
        let r = req.into_inner();
        Ok(Response::new(self.intake(&p, r.lines, &r.idempotency_key, &bytes).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_orders(&self, req: Request<pb::ListOrdersRequest>) -> R<pb::ListOrdersResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = uuid_arg(&mut v, "site_id", &r.site_id, false);
        let mut customer = uuid_arg(&mut v, "customer_id", &r.customer_id, false);
        let from = date_arg(&mut v, "from", r.from.as_ref(), true);
        let to = date_arg(&mut v, "to", r.to.as_ref(), true);
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 366, "to", "must be on or after `from` and at most a year later");
        }
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let mut site_filter = site;
        match (site, p.role) {
            (Some(s), _) => {
                self.site_scope(&p, &mut conn, s).await?;
            }
            (None, Role::SiteUser) => site_filter = p.site_id,
            (None, Role::CustomerContact) => customer = p.customer_id,
            (None, Role::SystemClient) if p.customer_id.is_some() => customer = p.customer_id,
            _ => {}
        }
        if !p.is_enterprise() && site_filter.is_none() && customer.is_none() && p.role != Role::SystemClient {
            return Err(AppError::denied("no scope").into());
        }
        let rows: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM orders WHERE service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR site_id = $3)
             AND ($4::uuid IS NULL OR customer_id = $4) ORDER BY service_day, site_id, product_code, diet LIMIT 50000"
        )))
        .bind(from)
        .bind(to)
        .bind(site_filter)
        .bind(customer)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListOrdersResponse { orders: rows.iter().map(|r| order_proto(r, "")).collect() }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_order_week(&self, req: Request<pb::GetOrderWeekRequest>) -> R<pb::OrderWeek> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = if r.site_id.is_empty() && p.role == Role::SiteUser { p.site_id } else { uuid_arg(&mut v, "site_id", &r.site_id, true) };
        let day = date_arg(&mut v, "day", r.day.as_ref(), false).unwrap_or_else(calendar::today);
        v.finish()?;
        let site = site.ok_or_else(|| AppError::invalid("site_id", "is required"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let (customer, site_name) = self.site_scope(&p, &mut conn, site).await?;
        let monday = day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
        let sunday = monday + chrono::Duration::days(6);
        let ctx = Ctx::load(&mut conn, &[site]).await?;
        let mut products: Vec<pb::OrderableProduct> = ctx
            .products
            .iter()
            .filter(|(_, (_, line))| (0..7).any(|k| ctx.covering(site, customer, line, monday + chrono::Duration::days(k)).is_ok()))
            .map(|(code, (name, line))| pb::OrderableProduct { code: code.clone(), name: name.clone(), service_line: line.clone() })
            .collect();
        products.sort_by(|a, b| (a.service_line.as_str(), a.code.as_str()).cmp(&(b.service_line.as_str(), b.code.as_str())));
        let orders: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLS} FROM orders WHERE site_id = $1 AND service_day BETWEEN $2 AND $3 ORDER BY product_code, diet"
        )))
        .bind(site)
        .bind(monday)
        .bind(sunday)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        let lates: Vec<LateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id
             WHERE l.site_id = $1 AND l.service_day BETWEEN $2 AND $3 ORDER BY l.requested_at"
        )))
        .bind(site)
        .bind(monday)
        .bind(sunday)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        let now = Utc::now();
        let names: HashMap<&str, &str> = ctx.products.iter().map(|(c, (n, _))| (c.as_str(), n.as_str())).collect();
        let days = (0..7)
            .map(|k| {
                let d = monday + chrono::Duration::days(k);
                let mut lines: Vec<&str> = products.iter().map(|p| p.service_line.as_str()).collect();
                lines.sort_unstable();
                lines.dedup();
                let cutoffs: Vec<pb::LineCutoff> = lines
                    .iter()
                    .filter_map(|line| {
                        let agreement = ctx.covering(site, customer, line, d).ok()?;
                        let rule = ctx.rule(agreement, line);
                        let c = rule.cutoff(d);
                        Some(pb::LineCutoff { service_line: (*line).to_owned(), cutoff: ts(c), open: rule.is_open(d, now) })
                    })
                    .collect();
                let first = cutoffs.iter().filter_map(|c| c.cutoff).min_by_key(|t| (t.seconds, t.nanos));
                pb::OrderDay {
                    date: Some(from_date(d)),
                    working_day: calendar::is_working_day(d),
                    holiday: calendar::holiday_name(d).unwrap_or("").to_owned(),
                    open: cutoffs.iter().any(|c| c.open),
                    cutoff: first,
                    products: orders
                        .iter()
                        .filter(|o| o.service_day == d)
                        .map(|o| pb::OrderDayProduct {
                            product_code: o.product_code.clone(),
                            product_name: names.get(o.product_code.as_str()).copied().unwrap_or("").to_owned(),
                            diet: o.diet.clone(),
                            quantity: o.quantity,
                            order_id: o.id.to_string(),
                            version: o.version,
                        })
                        .collect(),
                    late_changes: lates.iter().filter(|l| l.service_day == d).map(late_proto).collect(),
                    cutoffs,
                }
            })
            .collect();
        Ok(Response::new(pb::OrderWeek { site_id: site.to_string(), site_name, days, products }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_late_changes(&self, req: Request<pb::ListLateChangesRequest>) -> R<pb::ListLateChangesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = uuid_arg(&mut v, "site_id", &r.site_id, false);
        v.finish()?;
        let status = match pb::LateChangeStatus::try_from(r.status).unwrap_or_default() {
            pb::LateChangeStatus::Pending => Some("pending"),
            pb::LateChangeStatus::Accepted => Some("accepted"),
            pb::LateChangeStatus::Declined => Some("declined"),
            pb::LateChangeStatus::Unspecified => None,
        };
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let (site, customer) = if p.is_enterprise() {
            (site, None)
        } else if let Some(s) = site {
            self.site_scope(&p, &mut conn, s).await?;
            (Some(s), None)
        } else if p.role == Role::SiteUser {
            (p.site_id, None)
        } else {
            (None, Some(p.customer_id.ok_or_else(|| AppError::denied("no scope"))?))
        };
        let rows: Vec<LateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id
             WHERE ($1::text IS NULL OR l.status = $1) AND ($2::uuid IS NULL OR l.site_id = $2) AND ($3::uuid IS NULL OR l.customer_id = $3)
             ORDER BY l.service_day, l.requested_at LIMIT 5000"
        )))
        .bind(status)
        .bind(site)
        .bind(customer)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListLateChangesResponse { late_changes: rows.iter().map(late_proto).collect() }))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_late_change(&self, req: Request<pb::DecideLateChangeRequest>) -> R<pb::LateChange> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = uuid_arg(&mut v, "id", &r.id, true);
        v.check(r.accept || !r.reason.trim().is_empty(), "reason", "is required when declining: the site sees it");
        v.check(r.reason.chars().count() <= 2000, "reason", "must be at most 2000 characters");
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row: LateRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id WHERE l.id = $1 FOR UPDATE OF l"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::not_found("late-change request"))?;
        if row.status != "pending" {
            return Err(AppError::precondition(format!("the request is already {}", row.status)).into());
        }
        let status = if r.accept { "accepted" } else { "declined" };
        if r.accept {
            let key: Key = (row.site_id, row.service_day, row.product_code.clone(), row.diet.clone());
            upsert_orders(&mut tx, &[(key, row.customer_id, row.quantity)], &row.channel, &p.subject, "late_change").await?;
        }
        let updated: LateRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH u AS (UPDATE late_changes SET status = $2, decided_by = $3, decided_at = now(), reason = $4 WHERE id = $1 RETURNING *)
             SELECT {LATE_COLS} FROM u l LEFT JOIN sites s ON s.id = l.site_id"
        )))
        .bind(id)
        .bind(status)
        .bind(&p.subject)
        .bind(r.reason.trim())
        .fetch_one(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let out = late_proto(&updated);
        emit_many(
            &mut tx,
            PRODUCER,
            &[(
                "ordering.late_change.decided".to_owned(),
                pb::LateChangeEvent { late_change: Some(out.clone()), customer_id: row.customer_id.to_string() },
            )],
        )
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(out))
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_deliveries(&self, req: Request<pb::ConfirmDeliveriesRequest>) -> R<pb::ConfirmDeliveriesResponse> {
        let p = self.principal(&req).await?;
        let allowed = p.is_enterprise() || (p.role == Role::SystemClient && p.grants.iter().any(|g| g == "deliveries:write"));
        if !allowed {
            return Err(AppError::denied("only the enterprise's staff and the production system confirm deliveries").into());
        }
        let r = req.into_inner();
        let mut v = Violations::default();
        v.check(!r.lines.is_empty(), "lines", "give at least one delivered line");
        v.check(r.lines.len() <= MAX_LINES, "lines", "too many lines for one call");
        let mut keys: Vec<(Key, i32)> = Vec::new();
        let mut seen = HashSet::new();
        for (i, l) in r.lines.iter().enumerate() {
            let site = uuid_arg(&mut v, &format!("lines[{i}].site_id"), &l.site_id, true);
            let day = date_arg(&mut v, &format!("lines[{i}].service_day"), l.service_day.as_ref(), true);
            if l.product_code.is_empty() {
                v.add(format!("lines[{i}].product_code"), "is required");
            }
            if !(0..=MAX_QUANTITY).contains(&l.quantity) {
                v.add(format!("lines[{i}].quantity"), format!("must be between 0 and {MAX_QUANTITY}"));
            }
            if let Some(d) = day {
                v.check(d <= calendar::today(), &format!("lines[{i}].service_day"), "deliveries are confirmed for days that have come");
            }
            if let (Some(s), Some(d)) = (site, day) {
                let key = (s, d, l.product_code.clone(), l.diet.trim().to_lowercase());
                if !seen.insert(key.clone()) {
                    v.add(format!("lines[{i}]"), "the same site, day, product and diet appears twice");
                }
                keys.push((key, l.quantity));
            }
            if v.len() > 20 {
                break;
            }
        }
        v.finish()?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let site_ids: Vec<Uuid> = keys.iter().map(|(k, _)| k.0).collect::<HashSet<_>>().into_iter().collect();
        let ctx = Ctx::load(&mut tx, &site_ids).await?;
        let mut v = Violations::default();
        for (i, (k, _)) in keys.iter().enumerate() {
            if !ctx.sites.contains_key(&k.0) {
                v.add(format!("lines[{i}].site_id"), "no such site");
            } else if let Some(c) = p.customer_id.filter(|_| p.role == Role::SystemClient) {
                v.check(
                    ctx.sites.get(&k.0).is_some_and(|s| s.customer == c),
                    &format!("lines[{i}].site_id"),
                    "is outside this client's grant",
                );
            }
            if !ctx.products.contains_key(&k.2) {
                v.add(format!("lines[{i}].product_code"), "is not a product of the catalogue");
            }
        }
        v.finish()?;
        let sites: Vec<Uuid> = keys.iter().map(|(k, _)| k.0).collect();
        let days: Vec<NaiveDate> = keys.iter().map(|(k, _)| k.1).collect();
        let products: Vec<String> = keys.iter().map(|(k, _)| k.2.clone()).collect();
        let diets: Vec<String> = keys.iter().map(|(k, _)| k.3.clone()).collect();
        let existing: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
            "SELECT d.site_id, d.service_day, d.product_code, d.diet, d.quantity FROM deliveries d
             JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
               ON d.site_id = k.s AND d.service_day = k.d AND d.product_code = k.p AND d.diet = k.t FOR UPDATE OF d",
        )
        .bind(&sites)
        .bind(&days)
        .bind(&products)
        .bind(&diets)
        .fetch_all(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let existing: HashMap<Key, i32> = existing.into_iter().map(|(s, d, p, t, q)| ((s, d, p, t), q)).collect();
        let reason = r.correction_reason.trim().to_owned();
        let corrections = keys.iter().filter(|(k, q)| existing.get(k).is_some_and(|old| old != q)).count();
        if corrections > 0 && reason.is_empty() {
            return Err(AppError::invalid(
                "correction_reason",
                format!("is required: {corrections} line(s) correct an earlier confirmation"),
            )
            .into());
        }
        let customers: Vec<Uuid> = keys.iter().map(|(k, _)| ctx.sites.get(&k.0).map(|s| s.customer).unwrap_or_default()).collect();
        let quantities: Vec<i32> = keys.iter().map(|(_, q)| *q).collect();
        let ids: Vec<Uuid> = keys.iter().map(|_| Uuid::now_v7()).collect();
        let rows: Vec<(Uuid, Uuid, Uuid, NaiveDate, String, String, i32, i32, String, DateTime<Utc>, String)> = sqlx::query_as(
            "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, confirmed_by, correction_reason)
             SELECT id, s, c, d, p, t, q, $8, '' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[]) AS x(id, s, c, d, p, t, q)
             ON CONFLICT (site_id, service_day, product_code, diet) DO UPDATE
               SET quantity = EXCLUDED.quantity, version = deliveries.version + CASE WHEN deliveries.quantity = EXCLUDED.quantity THEN 0 ELSE 1 END,
                   confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now(),
                   correction_reason = CASE WHEN deliveries.quantity = EXCLUDED.quantity THEN deliveries.correction_reason ELSE $9 END
             RETURNING id, site_id, customer_id, service_day, product_code, diet, quantity, version, confirmed_by, confirmed_at, correction_reason",
        )
        .bind(&ids)
        .bind(&sites)
        .bind(&customers)
        .bind(&days)
        .bind(&products)
        .bind(&diets)
        .bind(&quantities)
        .bind(&p.subject)
        .bind(&reason)
        .fetch_all(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let changed: Vec<_> = rows.iter().filter(|r| existing.get(&(r.1, r.3, r.4.clone(), r.5.clone())) != Some(&r.6)).collect();
        let h_ids: Vec<Uuid> = changed.iter().map(|r| r.0).collect();
        let h_versions: Vec<i32> = changed.iter().map(|r| r.7).collect();
        let h_qty: Vec<i32> = changed.iter().map(|r| r.6).collect();
        sqlx::query(
            "INSERT INTO delivery_history (delivery_id, version, quantity, by_subject, reason)
             SELECT d, v, q, $4, $5 FROM unnest($1::uuid[], $2::int[], $3::int[]) AS x(d, v, q) ON CONFLICT DO NOTHING",
        )
        .bind(&h_ids)
        .bind(&h_versions)
        .bind(&h_qty)
        .bind(&p.subject)
        .bind(&reason)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let ordered: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
            "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.quantity FROM orders o
             JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
               ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t",
        )
        .bind(&sites)
        .bind(&days)
        .bind(&products)
        .bind(&diets)
        .fetch_all(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let ordered: HashMap<Key, i32> = ordered.into_iter().map(|(s, d, p, t, q)| ((s, d, p, t), q)).collect();
        let deliveries: Vec<pb::Delivery> = rows
            .iter()
            .map(|r| pb::Delivery {
                id: r.0.to_string(),
                line: Some(pb::OrderLine {
                    site_id: r.1.to_string(),
                    service_day: Some(from_date(r.3)),
                    product_code: r.4.clone(),
                    diet: r.5.clone(),
                    quantity: r.6,
                }),
                ordered_quantity: ordered.get(&(r.1, r.3, r.4.clone(), r.5.clone())).copied().unwrap_or(0),
                version: r.7,
                confirmed_by: r.8.clone(),
                confirmed_at: ts(r.9),
                correction_reason: r.10.clone(),
            })
            .collect();
        let events: Vec<(String, pb::DeliveryEvent)> = rows
            .iter()
            .zip(&deliveries)
            .filter_map(|(r, d)| {
                let key = (r.1, r.3, r.4.clone(), r.5.clone());
                let verb = match existing.get(&key) {
                    None => "confirmed",
                    Some(old) if *old != r.6 => "corrected",
                    Some(_) => return None,
                };
                Some((
                    format!("ordering.delivery.{verb}"),
                    pb::DeliveryEvent {
                        delivery: Some(d.clone()),
                        customer_id: r.2.to_string(),
                        previous_quantity: existing.get(&key).copied().unwrap_or(0),
                    },
                ))
            })
            .collect();
        emit_many(&mut tx, PRODUCER, &events).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(pb::ConfirmDeliveriesResponse { deliveries, replayed: false }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_deliveries(&self, req: Request<pb::ListDeliveriesRequest>) -> R<pb::ListDeliveriesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = uuid_arg(&mut v, "site_id", &r.site_id, false);
        let mut customer = uuid_arg(&mut v, "customer_id", &r.customer_id, false);
        let from = date_arg(&mut v, "from", r.from.as_ref(), true);
        let to = date_arg(&mut v, "to", r.to.as_ref(), true);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let mut site_filter = site;
        if let Some(s) = site {
            self.site_scope(&p, &mut conn, s).await?;
        } else if p.role == Role::SiteUser {
            site_filter = p.site_id;
        } else if !p.is_enterprise() {
            if customer.is_some_and(|c| Some(c) != p.customer_id) && p.role != Role::SystemClient {
                return Err(AppError::denied("this customer is outside your scope").into());
            }
            customer = p.customer_id.or(customer);
        }
        let rows: Vec<(Uuid, Uuid, NaiveDate, String, String, i32, i32, String, DateTime<Utc>, String, Option<i32>)> = sqlx::query_as(
            "SELECT d.id, d.site_id, d.service_day, d.product_code, d.diet, d.quantity, d.version, d.confirmed_by, d.confirmed_at, d.correction_reason, o.quantity
             FROM deliveries d LEFT JOIN orders o ON o.site_id = d.site_id AND o.service_day = d.service_day AND o.product_code = d.product_code AND o.diet = d.diet
             WHERE d.service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR d.site_id = $3) AND ($4::uuid IS NULL OR d.customer_id = $4)
             ORDER BY d.service_day, d.site_id, d.product_code LIMIT 100000",
        )
        .bind(from)
        .bind(to)
        .bind(site_filter)
        .bind(customer)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: rows
                .into_iter()
                .map(|r| pb::Delivery {
                    id: r.0.to_string(),
                    line: Some(pb::OrderLine {
                        site_id: r.1.to_string(),
                        service_day: Some(from_date(r.2)),
                        product_code: r.3,
                        diet: r.4,
                        quantity: r.5,
                    }),
                    ordered_quantity: r.10.unwrap_or(0),
                    version: r.6,
                    confirmed_by: r.7,
                    confirmed_at: ts(r.8),
                    correction_reason: r.9,
                })
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_budget(&self, req: Request<pb::SetBudgetRequest>) -> R<pb::Budget> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let b = req.into_inner().budget.ok_or_else(|| AppError::invalid("budget", "is required"))?;
        let mut v = Violations::default();
        let site = uuid_arg(&mut v, "budget.site_id", &b.site_id, true);
        v.check((2000..=2100).contains(&b.year), "budget.year", "must be between 2000 and 2100");
        v.check(b.quantity >= 0, "budget.quantity", "must not be negative");
        v.check(!b.product_code.is_empty(), "budget.product_code", "is required");
        v.finish()?;
        let site = site.ok_or_else(|| AppError::invalid("budget.site_id", "is required"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let (customer, _) = self.site_scope(&p, &mut conn, site).await?;
        sqlx::query(
            "INSERT INTO budgets (customer_id, site_id, product_code, year, quantity, updated_by) VALUES ($1,$2,$3,$4,$5,$6)
             ON CONFLICT (site_id, product_code, year) DO UPDATE SET quantity = EXCLUDED.quantity, updated_by = EXCLUDED.updated_by, updated_at = now()",
        )
        .bind(customer)
        .bind(site)
        .bind(&b.product_code)
        .bind(b.year)
        .bind(b.quantity)
        .bind(&p.subject)
        .execute(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::Budget { customer_id: customer.to_string(), ..b }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_budget_usage(&self, req: Request<pb::GetBudgetUsageRequest>) -> R<pb::GetBudgetUsageResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer = uuid_arg(&mut v, "customer_id", &r.customer_id, true);
        v.check((2000..=2100).contains(&r.year), "year", "must be between 2000 and 2100");
        let as_of = date_arg(&mut v, "as_of", r.as_of.as_ref(), false);
        v.finish()?;
        let customer = customer.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        if !p.is_enterprise() && p.customer_id != Some(customer) {
            return Err(AppError::denied("this customer is outside your scope").into());
        }
        let start = NaiveDate::from_ymd_opt(r.year, 1, 1).ok_or_else(|| AppError::invalid("year", "invalid"))?;
        let end = NaiveDate::from_ymd_opt(r.year, 12, 31).ok_or_else(|| AppError::invalid("year", "invalid"))?;
        let as_of = as_of.unwrap_or_else(calendar::today).clamp(start - chrono::Duration::days(1), end);
        let elapsed = (as_of - start).num_days() + 1;
        let total = (end - start).num_days() + 1;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rows: Vec<(Uuid, Option<String>, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT b.site_id, s.name, b.product_code, b.quantity,
                    (SELECT sum(d.quantity)::bigint FROM deliveries d WHERE d.site_id = b.site_id AND d.product_code = b.product_code
                       AND d.service_day BETWEEN $3 AND $4)
             FROM budgets b LEFT JOIN sites s ON s.id = b.site_id WHERE b.customer_id = $1 AND b.year = $2 ORDER BY s.name, b.product_code",
        )
        .bind(customer)
        .bind(r.year)
        .bind(start)
        .bind(as_of)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        let usage = rows
            .into_iter()
            .map(|(site, name, product, budget, delivered)| {
                let to_date = if elapsed <= 0 { 0 } else { budget * elapsed.min(total) / total };
                let delivered = delivered.unwrap_or(0);
                pb::BudgetUsage {
                    site_id: site.to_string(),
                    site_name: name.unwrap_or_default(),
                    product_code: product,
                    budgeted: budget,
                    budgeted_to_date: to_date,
                    delivered_to_date: delivered,
                    difference: delivered - to_date,
                }
            })
            .collect();
        Ok(Response::new(pb::GetBudgetUsageResponse { usage }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_standing_order(&self, req: Request<pb::SetStandingOrderRequest>) -> R<pb::StandingOrder> {
        let p = self.principal(&req).await?;
        Ok(Response::new(crate::standing::set(self, &p, req.into_inner()).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_standing_orders(&self, req: Request<pb::ListStandingOrdersRequest>) -> R<pb::ListStandingOrdersResponse> {
        let p = self.principal(&req).await?;
        Ok(Response::new(crate::standing::list(self, &p, req.into_inner()).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn add_closure(&self, req: Request<pb::AddClosureRequest>) -> R<pb::Closure> {
        let p = self.principal(&req).await?;
        Ok(Response::new(crate::standing::add_closure(self, &p, req.into_inner()).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn materialize_standing_orders(
        &self,
        req: Request<pb::MaterializeStandingOrdersRequest>,
    ) -> R<pb::MaterializeStandingOrdersResponse> {
        let p = self.principal(&req).await?;
        let allowed = p.is_enterprise() || (p.role == Role::SystemClient && p.grants.iter().any(|g| g == "orders:write"));
        if !allowed {
            return Err(AppError::denied("only staff and the ordering system materialize standing orders").into());
        }
        let r = req.into_inner();
        let mut v = Violations::default();
        let from = date_arg(&mut v, "from", r.from.as_ref(), true);
        let to = date_arg(&mut v, "to", r.to.as_ref(), true);
        let site = uuid_arg(&mut v, "site_id", &r.site_id, false);
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 120, "to", "must be on or after `from`, at most 120 days later");
            v.check(f > calendar::today(), "from", "must be in the future: days that have come are not ordered any more");
        }
        v.finish()?;
        let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid("from", "is required").into()) };
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let out = crate::standing::materialize(&mut tx, from, to, site, &p.subject).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(out))
    }

    #[tracing::instrument(skip_all)]
    async fn set_cutoff_rule(&self, req: Request<pb::SetCutoffRuleRequest>) -> R<pb::CutoffRule> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let rule = req.into_inner().rule.ok_or_else(|| AppError::invalid("rule", "is required"))?;
        let mut v = Violations::default();
        let agreement = uuid_arg(&mut v, "rule.agreement_id", &rule.agreement_id, false);
        v.check(
            matches!(rule.service_line.as_str(), "meals" | "cleaning" | "multi_service" | "staff_dining" | "coffee" | "development"),
            "rule.service_line",
            "must be meals, cleaning, multi_service, staff_dining, coffee or development",
        );
        v.check((0..=10).contains(&rule.working_days), "rule.working_days", "must be between 0 and 10");
        v.check((0..=23).contains(&rule.hour), "rule.hour", "must be between 0 and 23");
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(a) = agreement {
            let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM agreements WHERE id = $1)")
                .bind(a)
                .fetch_one(&mut *conn)
                .await
                .map_err(AppError::from)?;
            if !known {
                return Err(AppError::invalid("rule.agreement_id", "no such agreement").into());
            }
        }
        sqlx::query(
            "INSERT INTO cutoff_rules (agreement_id, service_line, working_days, hour) VALUES ($1, $2, $3, $4)
             ON CONFLICT (COALESCE(agreement_id, '00000000-0000-0000-0000-000000000000'), service_line)
             DO UPDATE SET working_days = EXCLUDED.working_days, hour = EXCLUDED.hour",
        )
        .bind(agreement)
        .bind(&rule.service_line)
        .bind(rule.working_days)
        .bind(rule.hour)
        .execute(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(rule))
    }

    #[tracing::instrument(skip_all)]
    async fn list_cutoff_rules(&self, req: Request<pb::ListCutoffRulesRequest>) -> R<pb::ListCutoffRulesResponse> {
        self.principal(&req).await?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rows: Vec<(Option<Uuid>, String, i32, i32)> = sqlx::query_as(
            "SELECT agreement_id, service_line, working_days, hour FROM cutoff_rules ORDER BY agreement_id NULLS FIRST, service_line",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListCutoffRulesResponse {
            rules: rows
                .into_iter()
                .map(|(a, service_line, working_days, hour)| pb::CutoffRule {
                    agreement_id: a.map(|a| a.to_string()).unwrap_or_default(),
                    service_line,
                    working_days,
                    hour,
                })
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_production_day(&self, req: Request<pb::GetProductionDayRequest>) -> R<pb::ProductionDay> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let mut v = Violations::default();
        let day = date_arg(&mut v, "day", req.get_ref().day.as_ref(), true);
        v.finish()?;
        let day = day.ok_or_else(|| AppError::invalid("day", "is required"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rows: Vec<(Uuid, Option<String>, String, String, i32)> = sqlx::query_as(
            "SELECT o.site_id, s.name, o.product_code, o.diet, o.quantity FROM orders o LEFT JOIN sites s ON s.id = o.site_id
             WHERE o.service_day = $1 AND o.quantity > 0 ORDER BY s.name, o.product_code, o.diet",
        )
        .bind(day)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        let mut totals: std::collections::BTreeMap<(String, String), (i32, i32)> = std::collections::BTreeMap::new();
        let mut sites: Vec<pb::ProductionSite> = Vec::new();
        for (site, name, product, diet, q) in rows {
            let t = totals.entry((product.clone(), diet.clone())).or_default();
            t.0 += q;
            t.1 += 1;
            if sites.last().is_none_or(|s| s.site_id != site.to_string()) {
                sites.push(pb::ProductionSite { site_id: site.to_string(), site_name: name.unwrap_or_default(), rows: Vec::new() });
            }
            if let Some(s) = sites.last_mut() {
                s.rows.push(pb::ProductionRow { product_code: product, diet, quantity: q, sites: 1 });
            }
        }
        Ok(Response::new(pb::ProductionDay {
            day: Some(from_date(day)),
            totals: totals
                .into_iter()
                .map(|((product_code, diet), (quantity, sites))| pb::ProductionRow { product_code, diet, quantity, sites })
                .collect(),
            sites,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_ordering_rate(&self, req: Request<pb::GetOrderingRateRequest>) -> R<pb::GetOrderingRateResponse> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let start = NaiveDate::from_ymd_opt(r.year, u32::try_from(r.month).unwrap_or(0), 1);
        v.check(start.is_some(), "month", "give a valid year and month");
        v.finish()?;
        let start = start.ok_or_else(|| AppError::invalid("month", "invalid"))?;
        let end = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        // Each order line counts once, by the channel it was first placed through.
        let rows: Vec<(Uuid, Option<String>, i64, i64, i64)> = sqlx::query_as(
            "WITH firsts AS (
               SELECT o.customer_id, h.channel FROM orders o JOIN order_history h ON h.order_id = o.id AND h.version = 1
               WHERE o.service_day >= $1 AND o.service_day < $2)
             SELECT f.customer_id, c.name,
                    count(*) FILTER (WHERE f.channel = 'portal'), count(*) FILTER (WHERE f.channel = 'ordering_system'),
                    count(*) FILTER (WHERE f.channel = 'staff')
             FROM firsts f LEFT JOIN customers c ON c.id = f.customer_id GROUP BY f.customer_id, c.name ORDER BY c.name",
        )
        .bind(start)
        .bind(end)
        .fetch_all(&mut *conn)
        .await
        .map_err(AppError::from)?;
        let rates = rows
            .into_iter()
            .map(|(c, name, portal, system, staff)| {
                let all = portal + system + staff;
                let pct = if all == 0 { 0.0 } else { (portal + system) as f64 * 100.0 / all as f64 };
                pb::OrderingRate {
                    customer_id: c.to_string(),
                    customer_name: name.unwrap_or_default(),
                    portal: i32::try_from(portal).unwrap_or(i32::MAX),
                    ordering_system: i32::try_from(system).unwrap_or(i32::MAX),
                    staff: i32::try_from(staff).unwrap_or(i32::MAX),
                    electronic_percent: format!("{pct:.1}"),
                }
            })
            .collect();
        Ok(Response::new(pb::GetOrderingRateResponse { rates }))
    }
}
