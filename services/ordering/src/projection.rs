//! The ordering service's projections: customers, sites and agreements from the
//! contracts service's events, the product catalogue from the pricing service's
//! published price lists. Idempotent consumers (platform inbox); ordering never
//! reads another schema.

use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::events::v1::Envelope;
use kumppani_proto::pricing::v1 as pricing;
use sqlx::PgConnection;
use uuid::Uuid;

pub const REGISTRY_CONSUMER: &str = "ordering-registry";
pub const CATALOGUE_CONSUMER: &str = "ordering-catalogue";

fn date(d: Option<&contracts::Date>) -> Option<chrono::NaiveDate> {
    d.and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?))
}

fn status_text(s: i32) -> &'static str {
    match contracts::AgreementStatus::try_from(s) {
        Ok(contracts::AgreementStatus::Draft) => "draft",
        Ok(contracts::AgreementStatus::Negotiation) => "negotiation",
        Ok(contracts::AgreementStatus::Signed) => "signed",
        Ok(contracts::AgreementStatus::Active) => "active",
        Ok(contracts::AgreementStatus::Expired) => "expired",
        _ => "unknown",
    }
}

fn line_text(s: i32) -> &'static str {
    match contracts::ServiceLine::try_from(s) {
        Ok(contracts::ServiceLine::Meals) => "meals",
        Ok(contracts::ServiceLine::Cleaning) => "cleaning",
        Ok(contracts::ServiceLine::MultiService) => "multi_service",
        Ok(contracts::ServiceLine::StaffDining) => "staff_dining",
        Ok(contracts::ServiceLine::Coffee) => "coffee",
        _ => "unknown",
    }
}

pub struct Registry;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Registry {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            let t = envelope.event_type.as_str();
            if t.starts_with("contracts.customer.") {
                let c = decode_payload::<contracts::CustomerEvent>(envelope)?.customer.ok_or_else(|| anyhow::anyhow!("no customer"))?;
                sqlx::query("INSERT INTO customers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
                    .bind(Uuid::parse_str(&c.id)?)
                    .bind(&c.name)
                    .execute(conn)
                    .await?;
            } else if t.starts_with("contracts.site.") {
                let s = decode_payload::<contracts::SiteEvent>(envelope)?.site.ok_or_else(|| anyhow::anyhow!("no site"))?;
                sqlx::query(
                    "INSERT INTO sites (id, customer_id, name, closed_on) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, closed_on = EXCLUDED.closed_on, updated_at = now()",
                )
                .bind(Uuid::parse_str(&s.id)?)
                .bind(Uuid::parse_str(&s.customer_id)?)
                .bind(&s.name)
                .bind(date(s.closed_on.as_ref()))
                .execute(conn)
                .await?;
            } else if t.starts_with("contracts.agreement.") {
                let a = decode_payload::<contracts::AgreementEvent>(envelope)?.agreement.ok_or_else(|| anyhow::anyhow!("no agreement"))?;
                let lines: Vec<serde_json::Value> = a
                    .lines
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "service_line": line_text(l.service_line),
                            "site_ids": l.site_levels.iter().map(|s| s.site_id.clone()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                sqlx::query(
                    "INSERT INTO agreements (id, customer_id, year, status, lines) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, lines = EXCLUDED.lines, updated_at = now()",
                )
                .bind(Uuid::parse_str(&a.id)?)
                .bind(Uuid::parse_str(&a.customer_id)?)
                .bind(a.year)
                .bind(status_text(a.status))
                .bind(serde_json::Value::Array(lines))
                .execute(conn)
                .await?;
            }
            Ok(())
        }
    }
}

pub struct Catalogue;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Catalogue {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            if envelope.event_type == "pricing.price_list.published" {
                let e: pricing::PriceListEvent = decode_payload(envelope)?;
                for p in e.products {
                    let line = match pricing::ServiceLine::try_from(p.service_line) {
                        Ok(pricing::ServiceLine::Meals) => "meals",
                        Ok(pricing::ServiceLine::Cleaning) => "cleaning",
                        Ok(pricing::ServiceLine::MultiService) => "multi_service",
                        Ok(pricing::ServiceLine::StaffDining) => "staff_dining",
                        Ok(pricing::ServiceLine::Coffee) => "coffee",
                        Ok(pricing::ServiceLine::Development) => "development",
                        _ => continue,
                    };
                    sqlx::query(
                        "INSERT INTO products (code, name, service_line) VALUES ($1, $2, $3)
                         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, service_line = EXCLUDED.service_line",
                    )
                    .bind(&p.code)
                    .bind(&p.name)
                    .bind(line)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(())
        }
    }
}
