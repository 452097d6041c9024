//! SQL of the ordering schema. Every function takes a connection, so callers
//! compose them in one transaction; a write that others must hear of writes its
//! outbox events in the same transaction. Batch writes are set-based: one
//! statement per step over `unnest`ed arrays, never one per line.

use crate::PRODUCER;
use crate::domain::{Agreement, Closure, Context, DeliveryChange, Key, OrderChange, Pattern, Placement, Product, Site, channel_from};
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::calendar::CutoffRule;
use kumppani_platform::convert::timestamp as ts;
use kumppani_platform::events::emit_many;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

type Result<T> = std::result::Result<T, AppError>;

/// The columns of an order line key, as arrays for `unnest`.
struct KeyColumns {
    sites: Vec<Uuid>,
    days: Vec<NaiveDate>,
    products: Vec<String>,
    diets: Vec<String>,
}

impl KeyColumns {
    fn of<'a>(keys: impl Iterator<Item = &'a Key>) -> Self {
        let mut c = Self { sites: Vec::new(), days: Vec::new(), products: Vec::new(), diets: Vec::new() };
        for k in keys {
            c.sites.push(k.0);
            c.days.push(k.1);
            c.products.push(k.2.clone());
            c.diets.push(k.3.clone());
        }
        c
    }
}

/// (site, day, product, diet, quantity) rows by key.
fn by_key(rows: Vec<(Uuid, NaiveDate, String, String, i32)>) -> HashMap<Key, i32> {
    rows.into_iter().map(|(s, d, p, t, q)| ((s, d, p, t), q)).collect()
}

// ---------- context ----------

/// The sites asked for, every product, the agreements of those sites' customers and every cut-off rule.
pub async fn load_context(conn: &mut PgConnection, sites: &[Uuid]) -> Result<Context> {
    let rows: Vec<(Uuid, Uuid, String, Option<NaiveDate>)> =
        sqlx::query_as("SELECT id, customer_id, name, closed_on FROM sites WHERE id = ANY($1)").bind(sites).fetch_all(&mut *conn).await?;
    let customers: Vec<Uuid> = rows.iter().map(|r| r.1).collect::<HashSet<_>>().into_iter().collect();
    let sites = rows.into_iter().map(|(id, customer, name, closed_on)| (id, Site { customer, name, closed_on })).collect();
    let products: Vec<(String, String, String)> =
        sqlx::query_as("SELECT code, name, service_line FROM products").fetch_all(&mut *conn).await?;
    let agreements: Vec<(Uuid, Uuid, i32, String, serde_json::Value)> =
        sqlx::query_as("SELECT id, customer_id, year, status, lines FROM agreements WHERE customer_id = ANY($1)")
            .bind(&customers)
            .fetch_all(&mut *conn)
            .await?;
    let rules: Vec<(Option<Uuid>, String, i32, i32)> =
        sqlx::query_as("SELECT agreement_id, service_line, working_days, hour FROM cutoff_rules").fetch_all(&mut *conn).await?;
    Ok(Context {
        sites,
        products: products.into_iter().map(|(code, name, service_line)| (code, Product { name, service_line })).collect(),
        agreements: agreements
            .into_iter()
            .map(|(id, customer, year, status, lines)| Agreement { id, customer, year, status, lines: agreement_lines(&lines) })
            .collect(),
        rules: rules
            .into_iter()
            .map(|(a, l, d, h)| ((a, l), CutoffRule { working_days: u32::try_from(d).unwrap_or(0), hour: u32::try_from(h).unwrap_or(12) }))
            .collect(),
    })
}

/// The stored `[{"service_line": "...", "site_ids": ["..."]}]` of an agreement.
fn agreement_lines(lines: &serde_json::Value) -> Vec<(String, HashSet<Uuid>)> {
    let Some(lines) = lines.as_array() else { return Vec::new() };
    lines
        .iter()
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
}

/// A site's (customer, name).
pub async fn site(conn: &mut PgConnection, id: Uuid) -> Result<Option<(Uuid, String)>> {
    Ok(sqlx::query_as("SELECT customer_id, name FROM sites WHERE id = $1").bind(id).fetch_optional(conn).await?)
}

pub async fn agreement_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM agreements WHERE id = $1)").bind(id).fetch_one(conn).await?)
}

// ---------- orders ----------

#[derive(sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub customer_id: Uuid,
    pub service_day: NaiveDate,
    pub product_code: String,
    pub diet: String,
    pub quantity: i32,
    pub channel: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl OrderRow {
    pub fn key(&self) -> Key {
        (self.site_id, self.service_day, self.product_code.clone(), self.diet.clone())
    }

    pub fn to_proto(&self, site_name: &str) -> pb::Order {
        pb::Order {
            id: self.id.to_string(),
            line: Some(pb::OrderLine {
                site_id: self.site_id.to_string(),
                service_day: Some(pb::Date::from_naive(self.service_day)),
                product_code: self.product_code.clone(),
                diet: self.diet.clone(),
                quantity: self.quantity,
            }),
            channel: channel_from(&self.channel) as i32,
            version: self.version,
            updated_at: ts(self.updated_at),
            updated_by: self.updated_by.clone(),
            customer_id: self.customer_id.to_string(),
            site_name: site_name.to_owned(),
        }
    }

    fn event(&self, previous: Option<i32>) -> (String, pb::OrderEvent) {
        (
            OrderChange::of(previous, self.quantity).event_type().to_owned(),
            pb::OrderEvent {
                order: Some(self.to_proto("")),
                previous_quantity: previous.unwrap_or(0),
                customer_id: self.customer_id.to_string(),
            },
        )
    }
}

const ORDER_COLS: &str = "id, site_id, customer_id, service_day, product_code, diet, quantity, channel, version, updated_at, updated_by";

/// An order as written, with the quantity it had before (none: it is new).
pub struct WrittenOrder {
    pub row: OrderRow,
    pub previous: Option<i32>,
}

/// Places, changes or cancels order lines (already classified): locks what is
/// there, upserts, records the history and emits the order events.
pub async fn upsert_orders(conn: &mut PgConnection, rows: &[Placement], channel: &str, by: &str, via: &str) -> Result<Vec<WrittenOrder>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let k = KeyColumns::of(rows.iter().map(|r| &r.key));
    let customers: Vec<Uuid> = rows.iter().map(|r| r.customer).collect();
    let quantities: Vec<i32> = rows.iter().map(|r| r.quantity).collect();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    // Lock and read what is there (previous quantities for history and events).
    let before: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
        "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.quantity FROM orders o
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t
         FOR UPDATE OF o",
    )
    .bind(&k.sites)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .fetch_all(&mut *conn)
    .await?;
    let before = by_key(before);
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
    .bind(&k.sites)
    .bind(&customers)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .bind(&quantities)
    .bind(channel)
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
    let out: Vec<WrittenOrder> = after
        .into_iter()
        .map(|row| {
            let previous = before.get(&row.key()).copied();
            WrittenOrder { row, previous }
        })
        .collect();
    let h_ids: Vec<Uuid> = out.iter().map(|w| w.row.id).collect();
    let h_versions: Vec<i32> = out.iter().map(|w| w.row.version).collect();
    let h_from: Vec<Option<i32>> = out.iter().map(|w| w.previous).collect();
    let h_to: Vec<i32> = out.iter().map(|w| w.row.quantity).collect();
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
    let events: Vec<(String, pb::OrderEvent)> = out.iter().map(|w| w.row.event(w.previous)).collect();
    emit_many(&mut *conn, PRODUCER, &events).await?;
    Ok(out)
}

/// Creates the daily orders of standing orders (key, customer, quantity,
/// channel) that do not exist yet (an existing order always wins), with their
/// history and `placed` events. Returns the created ones.
pub async fn create_missing_orders(conn: &mut PgConnection, rows: &[(Key, Uuid, i32, String)], by: &str) -> Result<Vec<OrderRow>> {
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let k = KeyColumns::of(rows.iter().map(|r| &r.0));
    let created: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders (id, site_id, customer_id, service_day, product_code, diet, quantity, channel, updated_by)
         SELECT id, s, c, d, p, t, q, ch, $9 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[], $8::text[])
             AS x(id, s, c, d, p, t, q, ch)
         ON CONFLICT (site_id, service_day, product_code, diet) DO NOTHING
         RETURNING {ORDER_COLS}"
    )))
    .bind(&ids)
    .bind(&k.sites)
    .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>())
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
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
    let events: Vec<(String, pb::OrderEvent)> = created.iter().map(|r| r.event(None)).collect();
    for chunk in events.chunks(5000) {
        emit_many(&mut *conn, PRODUCER, chunk).await?;
    }
    Ok(created)
}

/// Current quantities of the given lines (no lock).
pub async fn order_quantities(conn: &mut PgConnection, keys: &[Key]) -> Result<HashMap<Key, i32>> {
    let k = KeyColumns::of(keys.iter());
    let rows: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
        "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.quantity FROM orders o
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t",
    )
    .bind(&k.sites)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .fetch_all(conn)
    .await?;
    Ok(by_key(rows))
}

/// Orders in [from, to], optionally of one site and/or customer.
pub async fn list_orders(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<Uuid>,
    customer: Option<Uuid>,
) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM orders WHERE service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR site_id = $3)
         AND ($4::uuid IS NULL OR customer_id = $4) ORDER BY service_day, site_id, product_code, diet LIMIT 50000"
    )))
    .bind(from)
    .bind(to)
    .bind(site)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

/// A site's orders in [from, to], by product and diet.
pub async fn site_orders(conn: &mut PgConnection, site: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM orders WHERE site_id = $1 AND service_day BETWEEN $2 AND $3 ORDER BY product_code, diet"
    )))
    .bind(site)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// The keys of a site's orders in [from, to] that are not cancelled.
pub async fn open_order_keys(conn: &mut PgConnection, site: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<Key>> {
    let rows: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "SELECT service_day, product_code, diet FROM orders WHERE site_id = $1 AND service_day BETWEEN $2 AND $3 AND quantity > 0",
    )
    .bind(site)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(d, p, t)| (site, d, p, t)).collect())
}

// ---------- idempotency ----------

/// Claims a client's idempotency key for a request (by hash). `None`: the key
/// is fresh and now taken (concurrent duplicates wait on its row); otherwise
/// the stored (request hash, response) of the first request.
pub async fn claim_idempotency_key(
    conn: &mut PgConnection,
    client: &str,
    key: &str,
    hash: &str,
) -> Result<Option<(String, Option<Vec<u8>>)>> {
    let fresh = sqlx::query("INSERT INTO idempotency_keys (client, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(client)
        .bind(key)
        .bind(hash)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if fresh > 0 {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_as("SELECT request_hash, response FROM idempotency_keys WHERE client = $1 AND key = $2")
            .bind(client)
            .bind(key)
            .fetch_one(conn)
            .await?,
    ))
}

/// Stores the response of a claimed key, in the request's transaction.
pub async fn store_idempotent_response(conn: &mut PgConnection, client: &str, key: &str, response: Vec<u8>) -> Result<()> {
    sqlx::query("UPDATE idempotency_keys SET response = $3 WHERE client = $1 AND key = $2")
        .bind(client)
        .bind(key)
        .bind(response)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------- late changes ----------

#[derive(sqlx::FromRow)]
pub struct LateRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub customer_id: Uuid,
    pub service_day: NaiveDate,
    pub product_code: String,
    pub diet: String,
    pub quantity: i32,
    pub previous_quantity: i32,
    pub channel: String,
    pub status: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub site_name: Option<String>,
}

impl LateRow {
    pub fn key(&self) -> Key {
        (self.site_id, self.service_day, self.product_code.clone(), self.diet.clone())
    }

    pub fn to_proto(&self) -> pb::LateChange {
        pb::LateChange {
            id: self.id.to_string(),
            line: Some(pb::OrderLine {
                site_id: self.site_id.to_string(),
                service_day: Some(pb::Date::from_naive(self.service_day)),
                product_code: self.product_code.clone(),
                diet: self.diet.clone(),
                quantity: self.quantity,
            }),
            previous_quantity: self.previous_quantity,
            status: crate::domain::late_status_from(&self.status),
            requested_by: self.requested_by.clone(),
            requested_at: ts(self.requested_at),
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at.and_then(ts),
            reason: self.reason.clone(),
            site_name: self.site_name.clone().unwrap_or_default(),
            channel: channel_from(&self.channel) as i32,
        }
    }

    fn event(&self, verb: &str) -> (String, pb::LateChangeEvent) {
        (
            format!("ordering.late_change.{verb}"),
            pb::LateChangeEvent { late_change: Some(self.to_proto()), customer_id: self.customer_id.to_string() },
        )
    }
}

const LATE_COLS: &str = "l.id, l.site_id, l.customer_id, l.service_day, l.product_code, l.diet, l.quantity, l.previous_quantity, l.channel, \
     l.status, l.requested_by, l.requested_at, l.decided_by, l.decided_at, l.reason, s.name AS site_name";

/// Records late-change requests (with the quantity ordered now) and their
/// `requested` events. The rows come back in the order of `items`.
pub async fn request_late_changes(conn: &mut PgConnection, items: &[Placement], channel: &str, by: &str) -> Result<Vec<Option<LateRow>>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<Key> = items.iter().map(|a| a.key.clone()).collect();
    let current = order_quantities(&mut *conn, &keys).await?;
    let k = KeyColumns::of(keys.iter());
    let ids: Vec<Uuid> = items.iter().map(|_| Uuid::now_v7()).collect();
    let customers: Vec<Uuid> = items.iter().map(|a| a.customer).collect();
    let quantities: Vec<i32> = items.iter().map(|a| a.quantity).collect();
    let previous: Vec<i32> = items.iter().map(|a| current.get(&a.key).copied().unwrap_or(0)).collect();
    let rows: Vec<LateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH ins AS (
           INSERT INTO late_changes (id, site_id, customer_id, service_day, product_code, diet, quantity, previous_quantity, channel, status, requested_by)
           SELECT id, s, c, d, p, t, q, pq, $9, 'pending', $10
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[], $8::int[]) AS x(id, s, c, d, p, t, q, pq)
           RETURNING *)
         SELECT {LATE_COLS} FROM ins l LEFT JOIN sites s ON s.id = l.site_id"
    )))
    .bind(&ids)
    .bind(&k.sites)
    .bind(&customers)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .bind(&quantities)
    .bind(&previous)
    .bind(channel)
    .bind(by)
    .fetch_all(&mut *conn)
    .await?;
    let events: Vec<(String, pb::LateChangeEvent)> = rows.iter().map(|r| r.event("requested")).collect();
    emit_many(&mut *conn, PRODUCER, &events).await?;
    let mut by_id: HashMap<Uuid, LateRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    Ok(ids.iter().map(|id| by_id.remove(id)).collect())
}

/// One late-change request, locked for a decision.
pub async fn late_change_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<LateRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id WHERE l.id = $1 FOR UPDATE OF l"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records staff's decision and its `decided` event.
pub async fn decide_late_change(conn: &mut PgConnection, id: Uuid, status: &str, by: &str, reason: &str) -> Result<LateRow> {
    let row: LateRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH u AS (UPDATE late_changes SET status = $2, decided_by = $3, decided_at = now(), reason = $4 WHERE id = $1 RETURNING *)
         SELECT {LATE_COLS} FROM u l LEFT JOIN sites s ON s.id = l.site_id"
    )))
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(reason)
    .fetch_one(&mut *conn)
    .await?;
    emit_many(&mut *conn, PRODUCER, &[row.event("decided")]).await?;
    Ok(row)
}

/// Late-change requests, optionally by status, site and customer, by service day.
pub async fn list_late_changes(
    conn: &mut PgConnection,
    status: Option<&str>,
    site: Option<Uuid>,
    customer: Option<Uuid>,
) -> Result<Vec<LateRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id
         WHERE ($1::text IS NULL OR l.status = $1) AND ($2::uuid IS NULL OR l.site_id = $2) AND ($3::uuid IS NULL OR l.customer_id = $3)
         ORDER BY l.service_day, l.requested_at LIMIT 5000"
    )))
    .bind(status)
    .bind(site)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

/// A site's late-change requests for service days in [from, to], oldest first.
pub async fn site_late_changes(conn: &mut PgConnection, site: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<LateRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LATE_COLS} FROM late_changes l LEFT JOIN sites s ON s.id = l.site_id
         WHERE l.site_id = $1 AND l.service_day BETWEEN $2 AND $3 ORDER BY l.requested_at"
    )))
    .bind(site)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

// ---------- deliveries ----------

#[derive(sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub customer_id: Uuid,
    pub service_day: NaiveDate,
    pub product_code: String,
    pub diet: String,
    pub quantity: i32,
    pub version: i32,
    pub confirmed_by: String,
    pub confirmed_at: DateTime<Utc>,
    pub correction_reason: String,
    /// The quantity ordered for the line (0 when none).
    #[sqlx(default)]
    pub ordered_quantity: i32,
}

impl DeliveryRow {
    pub fn key(&self) -> Key {
        (self.site_id, self.service_day, self.product_code.clone(), self.diet.clone())
    }

    pub fn to_proto(&self) -> pb::Delivery {
        pb::Delivery {
            id: self.id.to_string(),
            line: Some(pb::OrderLine {
                site_id: self.site_id.to_string(),
                service_day: Some(pb::Date::from_naive(self.service_day)),
                product_code: self.product_code.clone(),
                diet: self.diet.clone(),
                quantity: self.quantity,
            }),
            ordered_quantity: self.ordered_quantity,
            version: self.version,
            confirmed_by: self.confirmed_by.clone(),
            confirmed_at: ts(self.confirmed_at),
            correction_reason: self.correction_reason.clone(),
        }
    }
}

/// The confirmed quantities of the given lines, locked.
pub async fn lock_deliveries(conn: &mut PgConnection, keys: &[Key]) -> Result<HashMap<Key, i32>> {
    let k = KeyColumns::of(keys.iter());
    let rows: Vec<(Uuid, NaiveDate, String, String, i32)> = sqlx::query_as(
        "SELECT d.site_id, d.service_day, d.product_code, d.diet, d.quantity FROM deliveries d
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON d.site_id = k.s AND d.service_day = k.d AND d.product_code = k.p AND d.diet = k.t FOR UPDATE OF d",
    )
    .bind(&k.sites)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .fetch_all(conn)
    .await?;
    Ok(by_key(rows))
}

/// Confirms delivered quantities (key, customer, quantity): a different quantity
/// for a confirmed line is a new version with `reason`; the same one changes
/// nothing. Records the history and the events of what changed, with the
/// ordered quantities. `existing` is [`lock_deliveries`] of the same keys.
pub async fn confirm_deliveries(
    conn: &mut PgConnection,
    lines: &[(Key, Uuid, i32)],
    existing: &HashMap<Key, i32>,
    by: &str,
    reason: &str,
) -> Result<Vec<DeliveryRow>> {
    let k = KeyColumns::of(lines.iter().map(|l| &l.0));
    let customers: Vec<Uuid> = lines.iter().map(|l| l.1).collect();
    let quantities: Vec<i32> = lines.iter().map(|l| l.2).collect();
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    let mut rows: Vec<DeliveryRow> = sqlx::query_as(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, confirmed_by, correction_reason)
         SELECT id, s, c, d, p, t, q, $8, '' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[]) AS x(id, s, c, d, p, t, q)
         ON CONFLICT (site_id, service_day, product_code, diet) DO UPDATE
           SET quantity = EXCLUDED.quantity, version = deliveries.version + CASE WHEN deliveries.quantity = EXCLUDED.quantity THEN 0 ELSE 1 END,
               confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now(),
               correction_reason = CASE WHEN deliveries.quantity = EXCLUDED.quantity THEN deliveries.correction_reason ELSE $9 END
         RETURNING id, site_id, customer_id, service_day, product_code, diet, quantity, version, confirmed_by, confirmed_at, correction_reason",
    )
    .bind(&ids)
    .bind(&k.sites)
    .bind(&customers)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .bind(&quantities)
    .bind(by)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?;
    let change = |r: &DeliveryRow| DeliveryChange::of(existing.get(&r.key()).copied(), r.quantity);
    let changed: Vec<&DeliveryRow> = rows.iter().filter(|r| change(r) != DeliveryChange::Unchanged).collect();
    sqlx::query(
        "INSERT INTO delivery_history (delivery_id, version, quantity, by_subject, reason)
         SELECT d, v, q, $4, $5 FROM unnest($1::uuid[], $2::int[], $3::int[]) AS x(d, v, q) ON CONFLICT DO NOTHING",
    )
    .bind(changed.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(changed.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind(changed.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    let ordered = order_quantities(&mut *conn, &lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>()).await?;
    for r in &mut rows {
        r.ordered_quantity = ordered.get(&r.key()).copied().unwrap_or(0);
    }
    let events: Vec<(String, pb::DeliveryEvent)> = rows
        .iter()
        .filter_map(|r| {
            let previous = existing.get(&r.key()).copied();
            let event_type = DeliveryChange::of(previous, r.quantity).event_type()?;
            Some((
                event_type.to_owned(),
                pb::DeliveryEvent {
                    delivery: Some(r.to_proto()),
                    customer_id: r.customer_id.to_string(),
                    previous_quantity: previous.unwrap_or(0),
                },
            ))
        })
        .collect();
    emit_many(&mut *conn, PRODUCER, &events).await?;
    Ok(rows)
}

/// Deliveries in [from, to] with the ordered quantities, optionally of one site and/or customer.
pub async fn list_deliveries(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<Uuid>,
    customer: Option<Uuid>,
) -> Result<Vec<DeliveryRow>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.site_id, d.customer_id, d.service_day, d.product_code, d.diet, d.quantity, d.version, d.confirmed_by, d.confirmed_at,
                d.correction_reason, COALESCE(o.quantity, 0) AS ordered_quantity
         FROM deliveries d LEFT JOIN orders o ON o.site_id = d.site_id AND o.service_day = d.service_day AND o.product_code = d.product_code AND o.diet = d.diet
         WHERE d.service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR d.site_id = $3) AND ($4::uuid IS NULL OR d.customer_id = $4)
         ORDER BY d.service_day, d.site_id, d.product_code LIMIT 100000",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

// ---------- budgets ----------

/// Sets a site's budgeted quantity of a product for a year.
pub async fn set_budget(
    conn: &mut PgConnection,
    customer: Uuid,
    site: Uuid,
    product: &str,
    year: i32,
    quantity: i64,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO budgets (customer_id, site_id, product_code, year, quantity, updated_by) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (site_id, product_code, year) DO UPDATE SET quantity = EXCLUDED.quantity, updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind(customer)
    .bind(site)
    .bind(product)
    .bind(year)
    .bind(quantity)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A budget with the quantity delivered in its period.
#[derive(sqlx::FromRow)]
pub struct BudgetRow {
    pub site_id: Uuid,
    pub site_name: Option<String>,
    pub product_code: String,
    pub quantity: i64,
    pub delivered: Option<i64>,
}

/// A customer's budgets of a year with what was delivered in [from, to].
pub async fn budget_usage(conn: &mut PgConnection, customer: Uuid, year: i32, from: NaiveDate, to: NaiveDate) -> Result<Vec<BudgetRow>> {
    Ok(sqlx::query_as(
        "SELECT b.site_id, s.name AS site_name, b.product_code, b.quantity,
                (SELECT sum(d.quantity)::bigint FROM deliveries d WHERE d.site_id = b.site_id AND d.product_code = b.product_code
                   AND d.service_day BETWEEN $3 AND $4) AS delivered
         FROM budgets b LEFT JOIN sites s ON s.id = b.site_id WHERE b.customer_id = $1 AND b.year = $2 ORDER BY s.name, b.product_code",
    )
    .bind(customer)
    .bind(year)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

// ---------- cut-off rules ----------

/// Sets the cut-off of a service line, for one agreement or (none) the default.
pub async fn set_cutoff_rule(
    conn: &mut PgConnection,
    agreement: Option<Uuid>,
    service_line: &str,
    working_days: i32,
    hour: i32,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO cutoff_rules (agreement_id, service_line, working_days, hour) VALUES ($1, $2, $3, $4)
         ON CONFLICT (COALESCE(agreement_id, '00000000-0000-0000-0000-000000000000'), service_line)
         DO UPDATE SET working_days = EXCLUDED.working_days, hour = EXCLUDED.hour",
    )
    .bind(agreement)
    .bind(service_line)
    .bind(working_days)
    .bind(hour)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every cut-off rule: (agreement or none for the default, service line, working days, hour), defaults first.
pub async fn cutoff_rules(conn: &mut PgConnection) -> Result<Vec<(Option<Uuid>, String, i32, i32)>> {
    Ok(sqlx::query_as(
        "SELECT agreement_id, service_line, working_days, hour FROM cutoff_rules ORDER BY agreement_id NULLS FIRST, service_line",
    )
    .fetch_all(conn)
    .await?)
}

// ---------- production and KPI ----------

/// The day's orders that are not cancelled, by site name, product and diet.
pub async fn production_lines(conn: &mut PgConnection, day: NaiveDate) -> Result<Vec<crate::domain::ProductionLine>> {
    Ok(sqlx::query_as(
        "SELECT o.site_id, s.name, o.product_code, o.diet, o.quantity FROM orders o LEFT JOIN sites s ON s.id = o.site_id
         WHERE o.service_day = $1 AND o.quantity > 0 ORDER BY s.name, o.product_code, o.diet",
    )
    .bind(day)
    .fetch_all(conn)
    .await?)
}

/// Per customer, the order lines of service days in [from, until) counted by
/// the channel they were first placed through: (customer, name, portal, ordering system, staff).
pub async fn first_channels(
    conn: &mut PgConnection,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<(Uuid, Option<String>, i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "WITH firsts AS (
           SELECT o.customer_id, h.channel FROM orders o JOIN order_history h ON h.order_id = o.id AND h.version = 1
           WHERE o.service_day >= $1 AND o.service_day < $2)
         SELECT f.customer_id, c.name,
                count(*) FILTER (WHERE f.channel = 'portal'), count(*) FILTER (WHERE f.channel = 'ordering_system'),
                count(*) FILTER (WHERE f.channel = 'staff')
         FROM firsts f LEFT JOIN customers c ON c.id = f.customer_id GROUP BY f.customer_id, c.name ORDER BY c.name",
    )
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await?)
}

// ---------- standing orders and closures ----------

type PatternRow = (Uuid, Uuid, String, String, NaiveDate, NaiveDate, Vec<i32>, bool, String, DateTime<Utc>);

/// The standing orders valid on some day of [from, to], optionally of one site.
pub async fn patterns(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate, site: Option<Uuid>) -> Result<Vec<Pattern>> {
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

/// The closures overlapping [from, to], optionally of one site.
pub async fn closures_between(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate, site: Option<Uuid>) -> Result<Vec<Closure>> {
    Ok(sqlx::query_as(
        "SELECT site_id, from_day, to_day FROM closures WHERE from_day <= $2 AND to_day >= $1 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .fetch_all(conn)
    .await?)
}

/// A standing order as stored.
#[derive(sqlx::FromRow)]
pub struct StandingOrderRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub product_code: String,
    pub diet: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub weekday_quantities: Vec<i32>,
    pub include_holidays: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl StandingOrderRow {
    pub fn to_proto(&self) -> pb::StandingOrder {
        pb::StandingOrder {
            id: self.id.to_string(),
            site_id: self.site_id.to_string(),
            product_code: self.product_code.clone(),
            diet: self.diet.clone(),
            valid_from: Some(pb::Date::from_naive(self.valid_from)),
            valid_to: Some(pb::Date::from_naive(self.valid_to)),
            weekday_quantities: self.weekday_quantities.clone(),
            include_holidays: self.include_holidays,
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
        }
    }
}

/// Stores a new standing order (`created_at` is set by the database and returned in the row).
pub async fn insert_standing_order(
    conn: &mut PgConnection,
    mut row: StandingOrderRow,
    customer: Uuid,
    channel: &str,
) -> Result<StandingOrderRow> {
    row.created_at = sqlx::query_scalar(
        "INSERT INTO standing_orders (id, site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING created_at",
    )
    .bind(row.id)
    .bind(row.site_id)
    .bind(customer)
    .bind(&row.product_code)
    .bind(&row.diet)
    .bind(row.valid_from)
    .bind(row.valid_to)
    .bind(&row.weekday_quantities)
    .bind(row.include_holidays)
    .bind(channel)
    .bind(&row.created_by)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// A site's standing orders, newest first.
pub async fn site_standing_orders(conn: &mut PgConnection, site: Uuid) -> Result<Vec<StandingOrderRow>> {
    Ok(sqlx::query_as(
        "SELECT id, site_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, created_by, created_at
         FROM standing_orders WHERE site_id = $1 ORDER BY created_at DESC",
    )
    .bind(site)
    .fetch_all(conn)
    .await?)
}

/// A closure as stored.
#[derive(sqlx::FromRow)]
pub struct ClosureRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub reason: String,
}

impl ClosureRow {
    pub fn to_proto(&self) -> pb::Closure {
        pb::Closure {
            id: self.id.to_string(),
            site_id: self.site_id.to_string(),
            from: Some(pb::Date::from_naive(self.from_day)),
            to: Some(pb::Date::from_naive(self.to_day)),
            reason: self.reason.clone(),
        }
    }
}

pub async fn insert_closure(conn: &mut PgConnection, c: &ClosureRow, by: &str) -> Result<()> {
    sqlx::query("INSERT INTO closures (id, site_id, from_day, to_day, reason, created_by) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(c.id)
        .bind(c.site_id)
        .bind(c.from_day)
        .bind(c.to_day)
        .bind(&c.reason)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// A site's closures by first day.
pub async fn site_closures(conn: &mut PgConnection, site: Uuid) -> Result<Vec<ClosureRow>> {
    Ok(sqlx::query_as("SELECT id, site_id, from_day, to_day, reason FROM closures WHERE site_id = $1 ORDER BY from_day")
        .bind(site)
        .fetch_all(conn)
        .await?)
}

/// Takes the transaction-scoped lock of the daily materialization; false when another replica holds it.
pub async fn try_materialize_lock(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('ordering-materialize'))").fetch_one(conn).await?)
}

// ---------- projections ----------
// The consumers' writes return the database's own error, which the consumer
// logs and, after its last attempt, puts in the dead letter.

pub async fn project_customer(conn: &mut PgConnection, id: Uuid, name: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO customers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn project_site(conn: &mut PgConnection, id: Uuid, customer: Uuid, name: &str, closed_on: Option<NaiveDate>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, name, closed_on) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, closed_on = EXCLUDED.closed_on, updated_at = now()",
    )
    .bind(id)
    .bind(customer)
    .bind(name)
    .bind(closed_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// `lines` as stored: `[{"service_line": "...", "site_ids": ["..."]}]`.
pub async fn project_agreement(
    conn: &mut PgConnection,
    id: Uuid,
    customer: Uuid,
    year: i32,
    status: &str,
    lines: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, lines) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, lines = EXCLUDED.lines, updated_at = now()",
    )
    .bind(id)
    .bind(customer)
    .bind(year)
    .bind(status)
    .bind(lines)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn project_product(conn: &mut PgConnection, code: &str, name: &str, service_line: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO products (code, name, service_line) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, service_line = EXCLUDED.service_line",
    )
    .bind(code)
    .bind(name)
    .bind(service_line)
    .execute(conn)
    .await?;
    Ok(())
}
