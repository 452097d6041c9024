//! Billing details: the customer's (columns of `customers`) and each unit's
//! overrides (columns of `units`, NULL = the customer's value), and the
//! `CustomerEvent` that carries both.

use super::*;
use crate::domain::billing::BillingInput;

/// Billing columns as read: a customer's (every field) or a unit's overrides (NULL = inherit).
#[derive(sqlx::FromRow, Default)]
pub struct BillingRow {
    pub invoicing_level: Option<String>,
    pub einvoice_address: Option<String>,
    pub operator_id: Option<String>,
    pub peppol_id: Option<String>,
    pub buyer_reference: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub invoice_language: Option<String>,
    pub billing_street: Option<String>,
    pub billing_postal_code: Option<String>,
    pub billing_city: Option<String>,
}

impl From<BillingRow> for pb::BillingDetails {
    fn from(r: BillingRow) -> Self {
        Self {
            invoicing_level: r.invoicing_level.as_deref().map(domain::billing::invoicing_level_from).unwrap_or(0),
            einvoice_address: r.einvoice_address.unwrap_or_default(),
            operator_id: r.operator_id.unwrap_or_default(),
            peppol_id: r.peppol_id.unwrap_or_default(),
            buyer_reference: r.buyer_reference.unwrap_or_default(),
            payment_terms_days: r.payment_terms_days.unwrap_or(0),
            invoice_language: r.invoice_language.unwrap_or_default(),
            street_address: r.billing_street.unwrap_or_default(),
            postal_code: r.billing_postal_code.unwrap_or_default(),
            city: r.billing_city.unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: Uuid,
    customer_id: Uuid,
    code: String,
    name: String,
    #[sqlx(flatten)]
    billing: BillingRow,
}

/// The units of a customer with their billing overrides, by name.
pub async fn list_units(conn: &mut PgConnection, customer_id: Uuid) -> Result<Vec<pb::Unit>, sqlx::Error> {
    let rows: Vec<UnitRow> = sqlx::query_as(
        "SELECT id, customer_id, code, name, NULL::text AS invoicing_level, einvoice_address, operator_id, peppol_id,
                buyer_reference, payment_terms_days, invoice_language, billing_street, billing_postal_code, billing_city
         FROM units WHERE customer_id = $1 ORDER BY name, id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| pb::Unit {
            id: r.id.to_string(),
            customer_id: r.customer_id.to_string(),
            code: r.code,
            name: r.name,
            billing: Some(r.billing.into()),
        })
        .collect())
}

/// Locks the customer's row for a change of its billing details or units, so
/// that concurrent changes are written (and their events emitted) one after
/// the other; false when there is no such customer.
pub async fn lock_customer(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i32>("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(conn).await?.is_some())
}

/// Replaces the customer's billing details (the invoicing level only when
/// given) and records who did it.
pub async fn set_customer_billing(conn: &mut PgConnection, id: Uuid, b: &BillingInput, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE customers SET invoicing_level = COALESCE($2, invoicing_level), einvoice_address = $3, operator_id = $4,
         peppol_id = $5, buyer_reference = $6, payment_terms_days = COALESCE($7, payment_terms_days),
         invoice_language = COALESCE($8, invoice_language), billing_updated_by = $9, billing_updated_at = now(),
         billing_street = $10, billing_postal_code = $11, billing_city = $12, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(b.invoicing_level)
    .bind(&b.einvoice_address)
    .bind(&b.operator_id)
    .bind(&b.peppol_id)
    .bind(&b.buyer_reference)
    .bind(b.payment_terms_days)
    .bind(b.invoice_language)
    .bind(by)
    .bind(&b.street_address)
    .bind(&b.postal_code)
    .bind(&b.city)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a unit's billing overrides (`None` inherits) and records who did
/// it; the customer counts as updated. False when the unit is not the customer's.
pub async fn set_unit_billing(
    conn: &mut PgConnection,
    customer_id: Uuid,
    unit_id: Uuid,
    b: &BillingInput,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE units SET einvoice_address = $3, operator_id = $4, peppol_id = $5, buyer_reference = $6,
         payment_terms_days = $7, invoice_language = $8, billing_updated_by = $9, billing_updated_at = now(),
         billing_street = $10, billing_postal_code = $11, billing_city = $12
         WHERE id = $2 AND customer_id = $1",
    )
    .bind(customer_id)
    .bind(unit_id)
    .bind(&b.einvoice_address)
    .bind(&b.operator_id)
    .bind(&b.peppol_id)
    .bind(&b.buyer_reference)
    .bind(b.payment_terms_days)
    .bind(b.invoice_language)
    .bind(by)
    .bind(&b.street_address)
    .bind(&b.postal_code)
    .bind(&b.city)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n > 0 {
        sqlx::query("UPDATE customers SET updated_at = now() WHERE id = $1").bind(customer_id).execute(conn).await?;
    }
    Ok(n > 0)
}

/// The event of a change to a customer: the customer with its billing details
/// and every unit with its overrides. `None` when there is no such customer.
pub async fn customer_event(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::CustomerEvent>, sqlx::Error> {
    let Some(customer) = get_customer(&mut *conn, id).await? else { return Ok(None) };
    let units = list_units(conn, id).await?;
    Ok(Some(pb::CustomerEvent { customer: Some(customer), units }))
}
