//! SQL of late changes, deliveries, budgets, cut-off rules, production and the KPI.

use super::*;

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
            line: Some(order_line(self.site_id, self.service_day, &self.product_code, &self.diet, self.quantity)),
            previous_quantity: self.previous_quantity,
            status: crate::domain::late_status_from(&self.status),
            requested_by: self.requested_by.clone(),
            requested_at: ts(self.requested_at),
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at.and_then(ts),
            reason: self.reason.clone(),
            site_name: self.site_name.clone().unwrap_or_default(),
            channel: channel_from(&self.channel) as i32,
            ..Default::default()
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
            line: Some(order_line(self.site_id, self.service_day, &self.product_code, &self.diet, self.quantity)),
            ordered_quantity: self.ordered_quantity,
            version: self.version,
            confirmed_by: self.confirmed_by.clone(),
            confirmed_at: ts(self.confirmed_at),
            correction_reason: self.correction_reason.clone(),
            ..Default::default()
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

const DELIVERY_COLS: &str = "d.id, d.site_id, d.customer_id, d.service_day, d.product_code, d.diet, d.quantity, d.version, d.confirmed_by, \
     d.confirmed_at, d.correction_reason, COALESCE(o.quantity, 0) AS ordered_quantity";
const DELIVERY_FROM: &str = "deliveries d LEFT JOIN orders o \
     ON o.site_id = d.site_id AND o.service_day = d.service_day AND o.product_code = d.product_code AND o.diet = d.diet";

/// Confirms delivered quantities (key, customer, quantity): a different quantity
/// for a confirmed line is a new version with `reason`; the same one changes
/// nothing (no new version, who or when, no event). Records the history and the
/// events of what changed. Returns every line's delivery, with the ordered
/// quantity, in the order of `lines`. `existing` is [`lock_deliveries`] of the same keys.
pub async fn confirm_deliveries(
    conn: &mut PgConnection,
    lines: &[(Key, Uuid, i32)],
    existing: &HashMap<Key, i32>,
    by: &str,
    reason: &str,
) -> Result<Vec<DeliveryRow>> {
    let change = |k: &Key, q: i32| DeliveryChange::of(existing.get(k).copied(), q);
    let writes: Vec<&(Key, Uuid, i32)> = lines.iter().filter(|(k, _, q)| change(k, *q) != DeliveryChange::Unchanged).collect();
    let k = KeyColumns::of(writes.iter().map(|l| &l.0));
    let ids: Vec<Uuid> = writes.iter().map(|_| Uuid::now_v7()).collect();
    let written: Vec<(Uuid, Uuid, NaiveDate, String, String, i32, i32)> = sqlx::query_as(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, confirmed_by, correction_reason)
         SELECT id, s, c, d, p, t, q, $8, '' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[]) AS x(id, s, c, d, p, t, q)
         ON CONFLICT (site_id, service_day, product_code, diet) DO UPDATE
           SET quantity = EXCLUDED.quantity, version = deliveries.version + 1, confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now(),
               correction_reason = $9
         RETURNING id, site_id, service_day, product_code, diet, quantity, version",
    )
    .bind(&ids)
    .bind(&k.sites)
    .bind(writes.iter().map(|l| l.1).collect::<Vec<_>>())
    .bind(&k.days)
    .bind(&k.products)
    .bind(&k.diets)
    .bind(writes.iter().map(|l| l.2).collect::<Vec<_>>())
    .bind(by)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO delivery_history (delivery_id, version, quantity, by_subject, reason)
         SELECT d, v, q, $4, $5 FROM unnest($1::uuid[], $2::int[], $3::int[]) AS x(d, v, q) ON CONFLICT DO NOTHING",
    )
    .bind(written.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind(written.iter().map(|r| r.6).collect::<Vec<_>>())
    .bind(written.iter().map(|r| r.5).collect::<Vec<_>>())
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    let all = KeyColumns::of(lines.iter().map(|l| &l.0));
    let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM}
         JOIN unnest($1::uuid[], $2::date[], $3::text[], $4::text[]) WITH ORDINALITY AS k(s, d, p, t, n)
           ON d.site_id = k.s AND d.service_day = k.d AND d.product_code = k.p AND d.diet = k.t ORDER BY k.n"
    )))
    .bind(&all.sites)
    .bind(&all.days)
    .bind(&all.products)
    .bind(&all.diets)
    .fetch_all(&mut *conn)
    .await?;
    let changed: HashSet<Uuid> = written.iter().map(|r| r.0).collect();
    let events: Vec<(String, pb::DeliveryEvent)> = rows
        .iter()
        .filter(|r| changed.contains(&r.id))
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
    (from, to): (NaiveDate, NaiveDate),
    site: Option<Uuid>,
    customer: Option<Uuid>,
    after: super::PageAfter,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let (a_day, a_site, a_product, a_diet) = after.map_or((None, None, None, None), |(d, s, p, t)| (Some(d), Some(s), Some(p), Some(t)));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM}
         WHERE d.service_day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR d.site_id = $3) AND ($4::uuid IS NULL OR d.customer_id = $4)
         AND ($5::date IS NULL OR (d.service_day, d.site_id, d.product_code, d.diet) > ($5, $6::uuid, $7::text, $8::text))
         ORDER BY d.service_day, d.site_id, d.product_code, d.diet LIMIT $9"
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

/// One delivery with the ordered quantity.
pub async fn delivery(conn: &mut PgConnection, id: Uuid) -> Result<Option<DeliveryRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM} WHERE d.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A delivery's versions, oldest first: (version, quantity, by, at, reason).
pub async fn delivery_versions(conn: &mut PgConnection, id: Uuid) -> Result<Vec<pb::DeliveryVersion>> {
    let rows: Vec<(i32, i32, String, DateTime<Utc>, String)> =
        sqlx::query_as("SELECT version, quantity, by_subject, at, reason FROM delivery_history WHERE delivery_id = $1 ORDER BY version")
            .bind(id)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(version, quantity, confirmed_by, at, correction_reason)| pb::DeliveryVersion {
            version,
            quantity,
            confirmed_by,
            confirmed_at: ts(at),
            correction_reason,
        })
        .collect())
}

// ---------- budgets ----------

/// Sets a site's budgeted quantity of a product for a year and announces it
/// (`ordering.budget.set`, in the same transaction: invoicing's reconciliation
/// learns budgets from it).
pub async fn set_budget(conn: &mut PgConnection, budget: &pb::Budget, customer: Uuid, site: Uuid, by: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO budgets (customer_id, site_id, product_code, year, quantity, updated_by) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (site_id, product_code, year) DO UPDATE SET quantity = EXCLUDED.quantity, updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind(customer)
    .bind(site)
    .bind(&budget.product_code)
    .bind(budget.year)
    .bind(budget.quantity)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let event = pb::BudgetEvent { budget: Some(budget.clone()), updated_by: by.to_owned() };
    emit_many(&mut *conn, PRODUCER, &[("ordering.budget.set".to_owned(), event)]).await?;
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

/// A customer's budgets of a year (optionally of one site) with what was delivered in [from, to].
pub async fn budget_usage(
    conn: &mut PgConnection,
    customer: Uuid,
    site: Option<Uuid>,
    year: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<BudgetRow>> {
    Ok(sqlx::query_as(
        "SELECT b.site_id, s.name AS site_name, b.product_code, b.quantity,
                (SELECT sum(d.quantity)::bigint FROM deliveries d WHERE d.site_id = b.site_id AND d.product_code = b.product_code
                   AND d.service_day BETWEEN $3 AND $4) AS delivered
         FROM budgets b LEFT JOIN sites s ON s.id = b.site_id
         WHERE b.customer_id = $1 AND b.year = $2 AND ($5::uuid IS NULL OR b.site_id = $5) ORDER BY s.name, b.product_code",
    )
    .bind(customer)
    .bind(year)
    .bind(from)
    .bind(to)
    .bind(site)
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

/// The cut-off rules: (agreement or none for the default, service line, working days, hour), defaults first;
/// with `customer`, the defaults and that customer's agreements' rules only.
pub async fn cutoff_rules(conn: &mut PgConnection, customer: Option<Uuid>) -> Result<Vec<(Option<Uuid>, String, i32, i32)>> {
    Ok(sqlx::query_as(
        "SELECT agreement_id, service_line, working_days, hour FROM cutoff_rules
         WHERE agreement_id IS NULL OR $1::uuid IS NULL OR agreement_id IN (SELECT id FROM agreements WHERE customer_id = $1)
         ORDER BY agreement_id NULLS FIRST, service_line",
    )
    .bind(customer)
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
