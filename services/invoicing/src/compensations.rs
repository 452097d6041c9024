//! Compensations granted in feedback (`feedback.compensation.granted`) become
//! credit lines on the customer's next invoice: the amount as a negative
//! line of the month it was granted (Europe/Helsinki), the item's number and
//! reason shown, `source = feedback` and the item's id as `source_ref`. City
//! units are outside the scope of VAT; an external customer's credit carries
//! the rate valid in that month of the item's topic's category (meals and
//! special diets: food, others: general). Idempotent by the event's id.

use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_proto::events::v1::Envelope;
use kumppani_proto::feedback::v1 as fb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::str::FromStr;
use uuid::Uuid;

pub const CONSUMER: &str = "invoicing-compensations";

/// Who the credit lines are by (the `created_by` of the manual line).
pub const ACTOR: &str = "feedback";

pub struct Compensations;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Compensations {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            if envelope.event_type != "feedback.compensation.granted" {
                return Ok(());
            }
            let e: fb::CompensationEvent = decode_payload(envelope)?;
            let amount = Decimal::from_str(e.amount.trim()).map_err(|err| anyhow::anyhow!("bad amount {:?}: {err}", e.amount))?;
            anyhow::ensure!(amount > Decimal::ZERO, "a compensation of {amount} is not a credit");
            let customer = Uuid::parse_str(&e.customer_id)?;
            let site = if e.site_id.is_empty() { None } else { Some(Uuid::parse_str(&e.site_id)?) };
            let at = envelope
                .occurred_at
                .as_ref()
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                .ok_or_else(|| anyhow::anyhow!("an event without its time"))?;
            let day = at.with_timezone(&chrono_tz::Europe::Helsinki).date_naive();
            use chrono::Datelike;
            let kind: Option<(String,)> =
                sqlx::query_as("SELECT kind FROM customers WHERE id = $1").bind(customer).fetch_optional(&mut *conn).await?;
            // Not known yet: the registry's events come first; retried until they have.
            let Some((kind,)) = kind else { anyhow::bail!("customer {customer} not in the projection yet") };
            let (rate, category) = if kind.starts_with("internal") {
                (Decimal::ZERO, "outside_scope".to_owned())
            } else {
                let category =
                    if matches!(fb::FeedbackTopic::try_from(e.topic), Ok(fb::FeedbackTopic::Meals | fb::FeedbackTopic::SpecialDiets)) {
                        "food"
                    } else {
                        "general"
                    };
                let rate: Option<(Decimal,)> = sqlx::query_as(
                    "SELECT rate FROM vat_rates WHERE category = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2)",
                )
                .bind(category)
                .bind(day)
                .fetch_optional(&mut *conn)
                .await?;
                let Some((rate,)) = rate else { anyhow::bail!("no {category} VAT rate valid on {day}") };
                (rate, category.to_owned())
            };
            sqlx::query(
                "INSERT INTO manual_lines (id, kind, customer_id, site_id, year, month, description, amount, vat_rate, vat_category,
                                           reason, source, source_ref, idempotency_key, created_by)
                 VALUES ($1, 'credit', $2, $3, $4, $5, $6, $7, $8, $9, $10, 'feedback', $11, $12, $13)
                 ON CONFLICT (created_by, idempotency_key) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(customer)
            .bind(site)
            .bind(day.year())
            .bind(i32::try_from(day.month()).unwrap_or(1))
            .bind(format!("Hyvitys, palaute #{}", e.item_number))
            .bind(-amount)
            .bind(rate)
            .bind(category)
            .bind(&e.reason)
            .bind(&e.item_id)
            .bind(&envelope.id)
            .bind(ACTOR)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
    }
}
