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

/// The proto order line of a stored (site, day, product, diet) row: orders,
/// late changes and deliveries all carry one.
fn order_line(site: Uuid, day: NaiveDate, product: &str, diet: &str, quantity: i32) -> pb::OrderLine {
    pb::OrderLine {
        site_id: site.to_string(),
        service_day: Some(pb::Date::from_naive(day)),
        product_code: product.to_owned(),
        diet: diet.to_owned(),
        quantity,
    }
}

// ---------- context ----------

/// The sites asked for, every product, the agreements of those sites' customers and every cut-off rule.
pub async fn load_context(conn: &mut PgConnection, sites: &[Uuid]) -> Result<Context> {
    let rows: Vec<(Uuid, Uuid, String, Option<NaiveDate>, bool)> =
        sqlx::query_as("SELECT id, customer_id, name, closed_on, opening_schedule = 'every_day' FROM sites WHERE id = ANY($1)")
            .bind(sites)
            .fetch_all(&mut *conn)
            .await?;
    let customers: Vec<Uuid> = rows.iter().map(|r| r.1).collect::<HashSet<_>>().into_iter().collect();
    let sites =
        rows.into_iter().map(|(id, customer, name, closed_on, every_day)| (id, Site { customer, name, closed_on, every_day })).collect();
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
            line: Some(order_line(self.site_id, self.service_day, &self.product_code, &self.diet, self.quantity)),
            channel: channel_from(&self.channel) as i32,
            version: self.version,
            updated_at: ts(self.updated_at),
            updated_by: self.updated_by.clone(),
            customer_id: self.customer_id.to_string(),
            site_name: site_name.to_owned(),
            updated_by_name: String::new(),
        }
    }

    /// The event of a write, none when nothing changed.
    fn event(&self, previous: Option<i32>) -> Option<(String, pb::OrderEvent)> {
        Some((
            OrderChange::of(previous, self.quantity).event_type()?.to_owned(),
            pb::OrderEvent {
                order: Some(self.to_proto("")),
                previous_quantity: previous.unwrap_or(0),
                customer_id: self.customer_id.to_string(),
            },
        ))
    }
}

const ORDER_COLS: &str = "id, site_id, customer_id, service_day, product_code, diet, quantity, channel, version, updated_at, updated_by";

/// An order as written, with the quantity it had before (none: it is new).
pub struct WrittenOrder {
    pub row: OrderRow,
    pub previous: Option<i32>,
}

/// Places, changes or cancels order lines (already classified): locks what is
/// there, upserts what changes, records its history and emits its events. A
/// line that changes nothing (same quantity, or 0 where nothing is ordered) is
/// not written; an existing order of such a line is returned as it is.
pub async fn upsert_orders(conn: &mut PgConnection, all: &[Placement], channel: &str, by: &str, via: &str) -> Result<Vec<WrittenOrder>> {
    if all.is_empty() {
        return Ok(Vec::new());
    }
    // Lock and read what is there (previous quantities for history and events).
    let locked = lock_order_versions(&mut *conn, all.iter().map(|r| &r.key)).await?;
    let before: HashMap<Key, i32> = locked.into_iter().map(|(k, (_, q))| (k, q)).collect();
    let rows: Vec<&Placement> =
        all.iter().filter(|r| OrderChange::of(before.get(&r.key).copied(), r.quantity) != OrderChange::Unchanged).collect();
    let unchanged: Vec<Key> = all.iter().filter(|r| before.get(&r.key) == Some(&r.quantity)).map(|r| r.key.clone()).collect();
    let k = KeyColumns::of(rows.iter().map(|r| &r.key));
    let customers: Vec<Uuid> = rows.iter().map(|r| r.customer).collect();
    let quantities: Vec<i32> = rows.iter().map(|r| r.quantity).collect();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
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
    let events: Vec<(String, pb::OrderEvent)> = out.iter().filter_map(|w| w.row.event(w.previous)).collect();
    emit_many(&mut *conn, PRODUCER, &events).await?;
    let mut out = out;
    let u = KeyColumns::of(unchanged.iter());
    let same: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM orders o JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t"
    )))
    .bind(&u.sites)
    .bind(&u.days)
    .bind(&u.products)
    .bind(&u.diets)
    .fetch_all(&mut *conn)
    .await?;
    out.extend(same.into_iter().map(|row| WrittenOrder { previous: Some(row.quantity), row }));
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
    let events: Vec<(String, pb::OrderEvent)> = created.iter().filter_map(|r| r.event(None)).collect();
    for chunk in events.chunks(5000) {
        emit_many(&mut *conn, PRODUCER, chunk).await?;
    }
    Ok(created)
}

/// The (version, quantity) of the given lines' orders, locked until the
/// transaction ends: an expected-version check holds until the write.
pub async fn lock_order_versions<'a>(conn: &mut PgConnection, keys: impl Iterator<Item = &'a Key>) -> Result<HashMap<Key, (i32, i32)>> {
    let k = KeyColumns::of(keys);
    if k.sites.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, NaiveDate, String, String, i32, i32)> = sqlx::query_as(
        "SELECT o.site_id, o.service_day, o.product_code, o.diet, o.version, o.quantity FROM orders o
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) AS k(s, d, p, t)
           ON o.site_id = k.s AND o.service_day = k.d AND o.product_code = k.p AND o.diet = k.t
         FOR UPDATE OF o",
    )
    .bind(&k.sites)
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(s, d, p, t, v, q)| ((s, d, p, t), (v, q))).collect())
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
/// Where a page of a list of order or delivery lines starts: after this
/// (service day, site, product, diet) key.
pub type PageAfter = Option<(NaiveDate, Uuid, String, String)>;

/// Orders in [from, to], optionally of one site and/or customer: `limit` rows
/// after `after` in (service day, site, product, diet) order.
pub async fn list_orders(
    conn: &mut PgConnection,
    (from, to): (NaiveDate, NaiveDate),
    site: Option<Uuid>,
    customer: Option<Uuid>,
    after: PageAfter,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let (a_day, a_site, a_product, a_diet) = after.map_or((None, None, None, None), |(d, s, p, t)| (Some(d), Some(s), Some(p), Some(t)));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM orders WHERE service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR site_id = $3)
         AND ($4::uuid IS NULL OR customer_id = $4)
         AND ($5::date IS NULL OR (service_day, site_id, product_code, diet) > ($5, $6::uuid, $7::text, $8::text))
         ORDER BY service_day, site_id, product_code, diet LIMIT $9"
    )))
    .bind(from)
    .bind(to)
    .bind(site)
    .bind(customer)
    .bind(a_day)
    .bind(a_site)
    .bind(a_product)
    .bind(a_diet)
    .bind(limit)
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

mod late_deliveries;
pub use late_deliveries::*;
mod standing;
pub use standing::*;
mod actors;
pub use actors::*;
