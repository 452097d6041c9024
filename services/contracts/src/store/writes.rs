//! Writes: validated inputs in, unique keys mapped to field errors.

use super::*;

// ---------- writes ----------

/// A validated new or changed customer.
pub struct CustomerInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub business_id: &'a str,
    pub segment: &'a str,
    pub stage: Option<&'a str>,
}

pub async fn insert_customer(conn: &mut PgConnection, id: Uuid, c: &CustomerInput<'_>) -> Result<(), AppError> {
    sqlx::query("INSERT INTO customers (id, code, name, kind, business_id, segment, partnership_stage) VALUES ($1,$2,$3,$4,$5,$6,$7)")
        .bind(id)
        .bind(c.code)
        .bind(c.name)
        .bind(c.kind)
        .bind((!c.business_id.is_empty()).then_some(c.business_id))
        .bind(c.segment)
        .bind(c.stage)
        .execute(conn)
        .await
        .map_err(|e| unique_to_field(e, &[("customers_code_key", "code", "is already in use")]))?;
    Ok(())
}

/// Changes the given (non-empty) fields; false when there is no such customer.
pub async fn update_customer(conn: &mut PgConnection, id: Uuid, c: &CustomerInput<'_>) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE customers SET name = COALESCE(NULLIF($2, ''), name), segment = COALESCE(NULLIF($3, ''), segment),
         partnership_stage = COALESCE($4, partnership_stage), business_id = COALESCE(NULLIF($5, ''), business_id),
         updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(c.name)
    .bind(c.segment)
    .bind(c.stage)
    .bind(c.business_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

pub async fn insert_unit(conn: &mut PgConnection, id: Uuid, customer_id: Uuid, code: &str, name: &str) -> Result<(), AppError> {
    sqlx::query("INSERT INTO units (id, customer_id, code, name) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(customer_id)
        .bind(code)
        .bind(name)
        .execute(conn)
        .await
        .map_err(|e| unique_to_field(e, &[("units_customer_id_code_key", "code", "is already in use for this customer")]))?;
    Ok(())
}

/// A validated new or changed site; empty texts and `None` leave a field as it is on update.
pub struct SiteInput<'a> {
    pub customer_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub street: &'a str,
    pub postal: &'a str,
    pub city: &'a str,
    pub area: Option<Decimal>,
    pub meals_per_day: i32,
    /// (diet, count); `None` on update keeps the stored diets.
    pub diets: Option<Vec<(String, i32)>>,
    pub meal_producer: &'a str,
    pub cleaning_producer: &'a str,
    pub closed_on: Option<NaiveDate>,
    /// The first day served; `None` on update keeps the stored one.
    pub opened_on: Option<NaiveDate>,
    /// `weekdays` or `every_day`; empty on update keeps the stored schedule.
    pub opening_schedule: &'a str,
}

fn producer(p: &str) -> &str {
    if p.is_empty() { "own" } else { p }
}

pub async fn insert_site(conn: &mut PgConnection, id: Uuid, s: &SiteInput<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, unit_id, code, name, kind, street_address, postal_code, city, floor_area_m2,
         meals_per_day, special_diets, meal_producer, cleaning_producer, opening_schedule, opened_on)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
    )
    .bind(id)
    .bind(s.customer_id)
    .bind(s.unit_id)
    .bind(s.code)
    .bind(s.name)
    .bind(s.kind)
    .bind(s.street)
    .bind(s.postal)
    .bind(s.city)
    .bind(s.area.unwrap_or_default())
    .bind(s.meals_per_day)
    .bind(serde_json::to_value(s.diets.as_deref().unwrap_or_default()).unwrap_or_default())
    .bind(producer(s.meal_producer))
    .bind(producer(s.cleaning_producer))
    .bind(s.opening_schedule)
    .bind(s.opened_on)
    .execute(conn)
    .await
    .map_err(|e| unique_to_field(e, &[("sites_code_key", "code", "is already in use")]))?;
    Ok(())
}

pub async fn update_site(conn: &mut PgConnection, id: Uuid, s: &SiteInput<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sites SET name = COALESCE(NULLIF($2, ''), name), street_address = COALESCE(NULLIF($3, ''), street_address),
         postal_code = COALESCE(NULLIF($4, ''), postal_code), city = COALESCE(NULLIF($5, ''), city),
         floor_area_m2 = COALESCE($6, floor_area_m2), meals_per_day = CASE WHEN $7 > 0 THEN $7 ELSE meals_per_day END,
         special_diets = COALESCE($8, special_diets), meal_producer = COALESCE(NULLIF($9, ''), meal_producer),
         cleaning_producer = COALESCE(NULLIF($10, ''), cleaning_producer), closed_on = COALESCE($11, closed_on),
         opening_schedule = COALESCE(NULLIF($12, ''), opening_schedule), opened_on = COALESCE($13, opened_on), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(s.name)
    .bind(s.street)
    .bind(s.postal)
    .bind(s.city)
    .bind(s.area)
    .bind(s.meals_per_day)
    .bind(s.diets.as_ref().map(|d| serde_json::to_value(d).unwrap_or_default()))
    .bind(s.meal_producer)
    .bind(s.cleaning_producer)
    .bind(s.closed_on)
    .bind(s.opening_schedule)
    .bind(s.opened_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_contact(
    conn: &mut PgConnection,
    c: &pb::Contact,
    party: &str,
    level: &str,
    topics: &[String],
) -> Result<(), sqlx::Error> {
    let opt = |s: &str| Uuid::parse_str(s).ok();
    sqlx::query(
        "INSERT INTO contacts (id, party, customer_id, unit_id, site_id, name, title, level, email, phone, topics, language)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
    )
    .bind(opt(&c.id))
    .bind(party)
    .bind(opt(&c.customer_id))
    .bind(opt(&c.unit_id))
    .bind(opt(&c.site_id))
    .bind(&c.name)
    .bind(&c.title)
    .bind(level)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(topics)
    .bind(&c.language)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_agreement(
    conn: &mut PgConnection,
    id: Uuid,
    customer_id: Uuid,
    year: i32,
    t: &pb::AgreementTerms,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, customer_responsible, enterprise_responsible, communication_duties,
         tendering_duties, development_items, change_handling) VALUES ($1,$2,$3,'draft',$4,$5,$6,$7,$8,$9)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(year)
    .bind(&t.customer_responsible)
    .bind(&t.enterprise_responsible)
    .bind(&t.communication_duties)
    .bind(&t.tendering_duties)
    .bind(&t.development_items)
    .bind(&t.change_handling)
    .execute(conn)
    .await
    .map_err(|e| match AppError::from(e) {
        e if e.code == kumppani_platform::ErrorCode::AlreadyExists => {
            AppError::new(kumppani_platform::ErrorCode::AlreadyExists, format!("the customer already has an agreement for {year}"))
        }
        e => e,
    })?;
    Ok(())
}

/// The one place an agreement's version is bumped (every change to it, its lines, annexes or status).
pub async fn bump_agreement_version(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE agreements SET version = version + 1, updated_at = now() WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn update_terms(conn: &mut PgConnection, id: Uuid, t: &pb::AgreementTerms) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE agreements SET customer_responsible = $2, enterprise_responsible = $3, communication_duties = $4,
         tendering_duties = $5, development_items = $6, change_handling = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(&t.customer_responsible)
    .bind(&t.enterprise_responsible)
    .bind(&t.communication_duties)
    .bind(&t.tendering_duties)
    .bind(&t.development_items)
    .bind(&t.change_handling)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn line_count(conn: &mut PgConnection, agreement_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM agreement_lines WHERE agreement_id = $1").bind(agreement_id).fetch_one(conn).await
}

/// Adds a service line (at the end) with its per-site service levels.
pub async fn insert_line(
    conn: &mut PgConnection,
    agreement_id: Uuid,
    service_line: &str,
    description: &str,
    levels: &[(Uuid, String)],
) -> Result<(), AppError> {
    let line_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO agreement_lines (id, agreement_id, service_line, description, position)
         SELECT $1, $2, $3, $4, COALESCE(max(position), 0) + 1 FROM agreement_lines WHERE agreement_id = $2",
    )
    .bind(line_id)
    .bind(agreement_id)
    .bind(service_line)
    .bind(description)
    .execute(&mut *conn)
    .await
    .map_err(|e| match AppError::from(e) {
        e if e.code == kumppani_platform::ErrorCode::AlreadyExists => {
            AppError::invalid("service_line", kumppani_platform::Reason::new("duplicate", "the agreement already has this service line"))
        }
        e => e,
    })?;
    for (site_id, level) in levels {
        sqlx::query(
            "INSERT INTO agreement_line_sites (line_id, site_id, service_level) VALUES ($1, $2, $3)
             ON CONFLICT (line_id, site_id) DO UPDATE SET service_level = EXCLUDED.service_level",
        )
        .bind(line_id)
        .bind(site_id)
        .bind(level)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds an annex; one with an existing title is its next version (earlier versions stay).
pub async fn insert_annex(
    conn: &mut PgConnection,
    agreement_id: Uuid,
    title: &str,
    body: &str,
    file_ref: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO annexes (id, agreement_id, title, version, body, file_ref, added_by)
         SELECT $1, $2, $3, COALESCE(max(version), 0) + 1, $4, $5, $6 FROM annexes WHERE agreement_id = $2 AND title = $3",
    )
    .bind(Uuid::now_v7())
    .bind(agreement_id)
    .bind(title)
    .bind(body)
    .bind(file_ref)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the agreement to `to` (recording the signing date when signed).
pub async fn set_status(conn: &mut PgConnection, id: Uuid, to: &str, signed_on: Option<NaiveDate>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE agreements SET status = $2, signed_on = CASE WHEN $2 = 'signed' THEN $3 ELSE signed_on END WHERE id = $1")
        .bind(id)
        .bind(to)
        .bind(signed_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// A validated amendment proposal.
pub struct AmendmentInput<'a> {
    pub agreement_id: Uuid,
    pub title: &'a str,
    pub description: &'a str,
    pub effective: NaiveDate,
    pub changes_pricing_structure: bool,
    pub affected_customers: i32,
    pub proposed_by: &'a str,
}

pub async fn insert_amendment(conn: &mut PgConnection, id: Uuid, a: &AmendmentInput<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO amendments (id, agreement_id, title, description, effective_date, status, changes_pricing_structure,
         affected_customers, proposed_by) VALUES ($1,$2,$3,$4,$5,'proposed',$6,$7,$8)",
    )
    .bind(id)
    .bind(a.agreement_id)
    .bind(a.title)
    .bind(a.description)
    .bind(a.effective)
    .bind(a.changes_pricing_structure)
    .bind(a.affected_customers)
    .bind(a.proposed_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_group_approval(conn: &mut PgConnection, id: Uuid, on: NaiveDate, reference: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE amendments SET customer_group_approved_on = $2, customer_group_approval_ref = $3 WHERE id = $1")
        .bind(id)
        .bind(on)
        .bind(reference)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn decide_amendment(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    by: &str,
    on: NaiveDate,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE amendments SET status = $2, decided_by = $3, decided_on = $4, decision_reason = $5 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(by)
        .bind(on)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}
