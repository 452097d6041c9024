//! SQL of the contracts schema, and only here. Every function takes a
//! connection so callers compose them inside one transaction together with
//! the outbox write. Reads map rows to proto messages; writes take validated
//! values (the adapter validated them) and map unique-key violations that are
//! the caller's mistake to field errors.

use crate::domain;
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::actor_name_sql;
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::Principal;
use kumppani_platform::validate::unique_to_field;
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

pub use kumppani_platform::convert::timestamp as ts;

// ---------- customers ----------

#[derive(sqlx::FromRow)]
pub struct CustomerRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub business_id: Option<String>,
    pub segment: String,
    pub partnership_stage: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub site_count: i64,
    #[sqlx(flatten)]
    pub billing: BillingRow,
}

impl From<CustomerRow> for pb::Customer {
    fn from(r: CustomerRow) -> Self {
        Self {
            id: r.id.to_string(),
            code: r.code,
            name: r.name,
            kind: domain::customer_kind_from(&r.kind),
            business_id: r.business_id.unwrap_or_default(),
            segment: r.segment,
            partnership_stage: domain::stage_from(&r.partnership_stage),
            created_at: ts(r.created_at),
            updated_at: ts(r.updated_at),
            site_count: i32::try_from(r.site_count).unwrap_or(i32::MAX),
            billing: Some(r.billing.into()),
        }
    }
}

const CUSTOMER_COLS: &str = "c.id, c.code, c.name, c.kind, c.business_id, c.segment, c.partnership_stage, c.created_at, c.updated_at, \
     (SELECT count(*) FROM sites s WHERE s.customer_id = c.id) AS site_count, c.invoicing_level, c.einvoice_address, c.operator_id, \
     c.peppol_id, c.buyer_reference, c.payment_terms_days, c.invoice_language, c.billing_street, c.billing_postal_code, c.billing_city";

pub async fn get_customer(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::Customer>, sqlx::Error> {
    let row: Option<CustomerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Into::into))
}

pub struct CustomerFilter {
    pub query: String,
    pub kind: Option<&'static str>,
    pub stage: Option<&'static str>,
    pub only: Option<Uuid>,
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

pub async fn list_customers(conn: &mut PgConnection, f: &CustomerFilter) -> Result<Vec<pb::Customer>, sqlx::Error> {
    let (after_name, after_id) = f.after.clone().unzip();
    let rows: Vec<CustomerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CUSTOMER_COLS} FROM customers c
         WHERE ($1 = '' OR c.name ILIKE '%' || $1 || '%' OR c.code ILIKE '%' || $1 || '%')
           AND ($2::text IS NULL OR c.kind = $2)
           AND ($3::text IS NULL OR c.partnership_stage = $3)
           AND ($4::uuid IS NULL OR c.id = $4)
           AND ($5::text IS NULL OR (lower(c.name), c.id) > ($5, $6))
         ORDER BY lower(c.name), c.id LIMIT $7"
    )))
    .bind(escape_like(&f.query))
    .bind(f.kind)
    .bind(f.stage)
    .bind(f.only)
    .bind(after_name)
    .bind(after_id)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

fn escape_like(s: &str) -> String {
    s.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn unit_customer(conn: &mut PgConnection, unit_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT customer_id FROM units WHERE id = $1").bind(unit_id).fetch_optional(conn).await
}

// ---------- sites ----------

#[derive(sqlx::FromRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub street_address: String,
    pub postal_code: String,
    pub city: String,
    pub floor_area_m2: Decimal,
    pub meals_per_day: i32,
    pub special_diets: serde_json::Value,
    pub meal_producer: String,
    pub cleaning_producer: String,
    pub closed_on: Option<NaiveDate>,
    pub opened_on: Option<NaiveDate>,
    pub opening_schedule: String,
    pub customer_name: String,
    pub unit_name: Option<String>,
}

impl From<SiteRow> for pb::Site {
    fn from(r: SiteRow) -> Self {
        let diets: Vec<(String, i32)> = serde_json::from_value(r.special_diets).unwrap_or_default();
        let closed = r.closed_on.is_some_and(|d| d <= domain::today_helsinki());
        Self {
            id: r.id.to_string(),
            customer_id: r.customer_id.to_string(),
            unit_id: r.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            code: r.code,
            name: r.name,
            kind: domain::site_kind_from(&r.kind),
            street_address: r.street_address,
            postal_code: r.postal_code,
            city: r.city,
            floor_area_m2: r.floor_area_m2.normalize().to_string(),
            meals_per_day: r.meals_per_day,
            special_diets: diets.into_iter().map(|(diet, count)| pb::SpecialDiet { diet, count }).collect(),
            meal_producer: r.meal_producer,
            cleaning_producer: r.cleaning_producer,
            status: if closed { pb::SiteStatus::Closed } else { pb::SiteStatus::Active } as i32,
            closed_on: r.closed_on.map(pb::Date::from_naive),
            customer_name: r.customer_name,
            unit_name: r.unit_name.unwrap_or_default(),
            opening_schedule: domain::opening_schedule_from(&r.opening_schedule),
            opened_on: r.opened_on.map(pb::Date::from_naive),
        }
    }
}

const SITE_COLS: &str = "s.id, s.customer_id, s.unit_id, s.code, s.name, s.kind, s.street_address, s.postal_code, s.city, \
     s.floor_area_m2, s.meals_per_day, s.special_diets, s.meal_producer, s.cleaning_producer, s.closed_on, \
     s.opened_on, s.opening_schedule, c.name AS customer_name, u.name AS unit_name";
const SITE_FROM: &str = "sites s JOIN customers c ON c.id = s.customer_id LEFT JOIN units u ON u.id = s.unit_id";

pub async fn get_site(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::Site>, sqlx::Error> {
    let row: Option<SiteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SITE_COLS} FROM {SITE_FROM} WHERE s.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Into::into))
}

pub struct SiteFilter {
    pub customer_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub kind: Option<&'static str>,
    pub query: String,
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

pub async fn list_sites(conn: &mut PgConnection, f: &SiteFilter) -> Result<Vec<pb::Site>, sqlx::Error> {
    let (after_name, after_id) = f.after.clone().unzip();
    let rows: Vec<SiteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLS} FROM {SITE_FROM}
         WHERE ($1::uuid IS NULL OR s.customer_id = $1)
           AND ($2::uuid IS NULL OR s.unit_id = $2)
           AND ($3::uuid IS NULL OR s.id = $3)
           AND ($4::text IS NULL OR s.kind = $4)
           AND ($5 = '' OR s.name ILIKE '%' || $5 || '%' OR s.code ILIKE '%' || $5 || '%' OR s.street_address ILIKE '%' || $5 || '%')
           AND ($6::text IS NULL OR (lower(s.name), s.id) > ($6, $7))
         ORDER BY lower(s.name), s.id LIMIT $8"
    )))
    .bind(f.customer_id)
    .bind(f.unit_id)
    .bind(f.site_id)
    .bind(f.kind)
    .bind(escape_like(&f.query))
    .bind(after_name)
    .bind(after_id)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

// ---------- contacts ----------

#[derive(sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub party: String,
    pub customer_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub name: String,
    pub title: String,
    pub level: String,
    pub email: String,
    pub phone: String,
    pub topics: Vec<String>,
    pub language: String,
}

impl From<ContactRow> for pb::Contact {
    fn from(r: ContactRow) -> Self {
        Self {
            id: r.id.to_string(),
            party: domain::party_from(&r.party),
            customer_id: r.customer_id.to_string(),
            unit_id: r.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            site_id: r.site_id.map(|u| u.to_string()).unwrap_or_default(),
            name: r.name,
            title: r.title,
            level: domain::level_from(&r.level),
            email: r.email,
            phone: r.phone,
            topics: r.topics.iter().map(|t| domain::topic_from(t)).collect(),
            language: r.language,
        }
    }
}

const CONTACT_COLS: &str = "id, party, customer_id, unit_id, site_id, name, title, level, email, phone, topics, language";

/// Contacts of a customer; with `site`, only those whose scope covers that site
/// (customer-wide, the site's unit, or the site itself).
pub async fn list_contacts(
    conn: &mut PgConnection,
    customer_id: Uuid,
    site: Option<(Uuid, Option<Uuid>)>,
) -> Result<Vec<pb::Contact>, sqlx::Error> {
    let (site_id, unit_id) = site.unzip();
    let rows: Vec<ContactRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTACT_COLS} FROM contacts
         WHERE customer_id = $1
           AND ($2::uuid IS NULL OR site_id IS NULL OR site_id = $2)
           AND ($2::uuid IS NULL OR unit_id IS NULL OR unit_id = $3)
         ORDER BY party DESC, (site_id IS NOT NULL) DESC, (unit_id IS NOT NULL) DESC, level, name"
    )))
    .bind(customer_id)
    .bind(site_id)
    .bind(unit_id.flatten())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

// ---------- agreements ----------

#[derive(sqlx::FromRow)]
pub struct AgreementRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub year: i32,
    pub status: String,
    pub customer_responsible: String,
    pub enterprise_responsible: String,
    pub communication_duties: String,
    pub tendering_duties: String,
    pub development_items: String,
    pub change_handling: String,
    pub signed_on: Option<NaiveDate>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

fn signed_by_deadline(year: i32, signed_on: Option<NaiveDate>) -> bool {
    match (signed_on, domain::signing_deadline(year)) {
        (Some(s), Some(d)) => s <= d,
        _ => false,
    }
}

impl AgreementRow {
    pub fn summary(&self) -> pb::AgreementSummary {
        pb::AgreementSummary {
            id: self.id.to_string(),
            customer_id: self.customer_id.to_string(),
            customer_name: self.customer_name.clone(),
            year: self.year,
            status: domain::status_from(&self.status),
            signed_on: self.signed_on.map(pb::Date::from_naive),
            signed_by_deadline: signed_by_deadline(self.year, self.signed_on),
        }
    }
}

const AGREEMENT_COLS: &str = "a.id, a.customer_id, c.name AS customer_name, a.year, a.status, a.customer_responsible, \
     a.enterprise_responsible, a.communication_duties, a.tendering_duties, a.development_items, a.change_handling, \
     a.signed_on, a.version, a.updated_at";

pub async fn agreement_row(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<AgreementRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF a" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {AGREEMENT_COLS} FROM agreements a JOIN customers c ON c.id = a.customer_id WHERE a.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The whole agreement: lines with per-site levels, annexes, status history.
/// With `only_site`, per-site levels are limited to that site (site users).
pub async fn load_agreement(conn: &mut PgConnection, id: Uuid, only_site: Option<Uuid>) -> Result<Option<pb::Agreement>, sqlx::Error> {
    let Some(row) = agreement_row(&mut *conn, id, false).await? else {
        return Ok(None);
    };
    let lines: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, service_line, description FROM agreement_lines WHERE agreement_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let levels: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(
        "SELECT ls.line_id, ls.site_id, s.name, ls.service_level FROM agreement_line_sites ls
         JOIN agreement_lines l ON l.id = ls.line_id JOIN sites s ON s.id = ls.site_id
         WHERE l.agreement_id = $1 AND ($2::uuid IS NULL OR ls.site_id = $2) ORDER BY s.name",
    )
    .bind(id)
    .bind(only_site)
    .fetch_all(&mut *conn)
    .await?;
    let annexes: Vec<(Uuid, String, i32, String, String, DateTime<Utc>, String, String)> = sqlx::query_as(concat!(
        "SELECT id, title, version, body, file_ref, added_at, added_by, ",
        actor_name_sql!("added_by"),
        " FROM annexes WHERE agreement_id = $1 ORDER BY title, version"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let history: Vec<(Option<String>, String, DateTime<Utc>, String, String, String)> = sqlx::query_as(concat!(
        "SELECT from_status, to_status, at, by_subject, note, ",
        actor_name_sql!("by_subject"),
        " FROM agreement_status_history WHERE agreement_id = $1 ORDER BY seq"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(pb::Agreement {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        customer_name: row.customer_name.clone(),
        year: row.year,
        status: domain::status_from(&row.status),
        terms: Some(pb::AgreementTerms {
            customer_responsible: row.customer_responsible.clone(),
            enterprise_responsible: row.enterprise_responsible.clone(),
            communication_duties: row.communication_duties.clone(),
            tendering_duties: row.tendering_duties.clone(),
            development_items: row.development_items.clone(),
            change_handling: row.change_handling.clone(),
        }),
        lines: lines
            .into_iter()
            .map(|(line_id, service_line, description)| pb::AgreementLine {
                id: line_id.to_string(),
                service_line: domain::line_from(&service_line),
                description,
                site_levels: levels
                    .iter()
                    .filter(|(l, ..)| *l == line_id)
                    .map(|(_, site_id, site_name, level)| pb::SiteServiceLevel {
                        site_id: site_id.to_string(),
                        site_name: site_name.clone(),
                        service_level: level.clone(),
                    })
                    .collect(),
            })
            .collect(),
        annexes: annexes
            .into_iter()
            .map(|(id, title, version, body, file_ref, added_at, added_by, added_by_name)| pb::Annex {
                id: id.to_string(),
                title,
                version,
                body,
                file_ref,
                added_at: ts(added_at),
                added_by,
                added_by_name,
            })
            .collect(),
        signing_deadline: domain::signing_deadline(row.year).map(pb::Date::from_naive),
        signed_on: row.signed_on.map(pb::Date::from_naive),
        signed_by_deadline: signed_by_deadline(row.year, row.signed_on),
        version: row.version,
        history: history
            .into_iter()
            .map(|(from, to, at, by, note, by_name)| pb::StatusChange {
                from: from.as_deref().map(domain::status_from).unwrap_or(0),
                to: domain::status_from(&to),
                at: ts(at),
                by,
                note,
                by_name,
            })
            .collect(),
        updated_at: ts(row.updated_at),
    }))
}

pub struct AgreementFilter {
    pub customer_id: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<&'static str>,
    /// Site users: only agreements with a line covering this site.
    pub covering_site: Option<Uuid>,
    /// Site users: only signed agreements ([`domain::visible_to_operational_level`]).
    pub signed_only: bool,
    pub after: Option<(i32, String, Uuid)>,
    pub limit: i64,
}

pub async fn list_agreements(conn: &mut PgConnection, f: &AgreementFilter) -> Result<Vec<pb::AgreementSummary>, sqlx::Error> {
    let (after_year, after_name, after_id) = match f.after.clone() {
        Some((y, n, i)) => (Some(y), Some(n), Some(i)),
        None => (None, None, None),
    };
    let rows: Vec<AgreementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {AGREEMENT_COLS} FROM agreements a JOIN customers c ON c.id = a.customer_id
         WHERE ($1::uuid IS NULL OR a.customer_id = $1)
           AND ($2::int IS NULL OR a.year = $2)
           AND ($3::text IS NULL OR a.status = $3)
           AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM agreement_line_sites ls JOIN agreement_lines l ON l.id = ls.line_id
                                            WHERE l.agreement_id = a.id AND ls.site_id = $4))
           AND ($5::int IS NULL OR (-a.year, lower(c.name), a.id) > (-$5, $6, $7))
           AND (NOT $9 OR a.status = ANY($10))
         ORDER BY -a.year, lower(c.name), a.id LIMIT $8"
    )))
    .bind(f.customer_id)
    .bind(f.year)
    .bind(f.status)
    .bind(f.covering_site)
    .bind(after_year)
    .bind(after_name)
    .bind(after_id)
    .bind(f.limit)
    .bind(f.signed_only)
    .bind(&domain::SIGNED_STATUSES[..])
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(AgreementRow::summary).collect())
}

/// Begins a transaction of a write by `p` that records who did it, and keeps
/// their display name (`actors`) in it.
pub async fn begin_as(pool: &PgPool, p: &Principal) -> Result<Transaction<'static, Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    remember_actor(&mut tx, p).await?;
    Ok(tx)
}

pub async fn record_status(
    conn: &mut PgConnection,
    agreement_id: Uuid,
    from: Option<&str>,
    to: &str,
    by: &str,
    note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO agreement_status_history (agreement_id, from_status, to_status, by_subject, note) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(agreement_id)
    .bind(from)
    .bind(to)
    .bind(by)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- amendments ----------

#[derive(sqlx::FromRow)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub title: String,
    pub description: String,
    pub effective_date: NaiveDate,
    pub status: String,
    pub changes_pricing_structure: bool,
    pub affected_customers: i32,
    pub customer_group_approved_on: Option<NaiveDate>,
    pub customer_group_approval_ref: String,
    pub proposed_by: String,
    pub decided_by: String,
    pub decided_on: Option<NaiveDate>,
    pub decision_reason: String,
    pub created_at: DateTime<Utc>,
    pub proposed_by_name: String,
    pub decided_by_name: String,
}

impl From<AmendmentRow> for pb::Amendment {
    fn from(r: AmendmentRow) -> Self {
        Self {
            id: r.id.to_string(),
            agreement_id: r.agreement_id.to_string(),
            title: r.title,
            description: r.description,
            effective_date: Some(pb::Date::from_naive(r.effective_date)),
            status: domain::amendment_status_from(&r.status),
            changes_pricing_structure: r.changes_pricing_structure,
            affected_customers: r.affected_customers,
            customer_group_approved_on: r.customer_group_approved_on.map(pb::Date::from_naive),
            customer_group_approval_ref: r.customer_group_approval_ref,
            proposed_by: r.proposed_by,
            decided_by: r.decided_by,
            decided_on: r.decided_on.map(pb::Date::from_naive),
            decision_reason: r.decision_reason,
            created_at: ts(r.created_at),
            proposed_by_name: r.proposed_by_name,
            decided_by_name: r.decided_by_name,
        }
    }
}

const AMENDMENT_COLS: &str = concat!(
    "id, agreement_id, title, description, effective_date, status, changes_pricing_structure, \
     affected_customers, customer_group_approved_on, customer_group_approval_ref, proposed_by, decided_by, decided_on, \
     decision_reason, created_at, ",
    actor_name_sql!("proposed_by"),
    " AS proposed_by_name, ",
    actor_name_sql!("decided_by"),
    " AS decided_by_name"
);

pub async fn amendment(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<AmendmentRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {AMENDMENT_COLS} FROM amendments WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list_amendments(conn: &mut PgConnection, agreement_id: Uuid) -> Result<Vec<pb::Amendment>, sqlx::Error> {
    let rows: Vec<AmendmentRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {AMENDMENT_COLS} FROM amendments WHERE agreement_id = $1 ORDER BY created_at")))
            .bind(agreement_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

mod billing;
mod writes;
pub use billing::*;
pub use writes::*;
