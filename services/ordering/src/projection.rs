//! The ordering service's projections: customers, sites and agreements from the
//! contracts service's events, the product catalogue from the pricing service's
//! published price lists. Idempotent consumers (platform inbox); ordering never
//! reads another schema.

use crate::domain::Site;
use crate::store;
use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::events::v1::Envelope;
use kumppani_proto::pricing::v1 as pricing;
use sqlx::PgConnection;
use uuid::Uuid;

pub const REGISTRY_CONSUMER: &str = "ordering-registry";
pub const CATALOGUE_CONSUMER: &str = "ordering-catalogue";

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

/// Open on weekends and public holidays? Events from before sites had an
/// opening schedule fall back to the kind (care homes serve every day).
fn open_every_day(s: &contracts::Site) -> bool {
    match contracts::OpeningSchedule::try_from(s.opening_schedule) {
        Ok(contracts::OpeningSchedule::EveryDay) => true,
        Ok(contracts::OpeningSchedule::Weekdays) => false,
        _ => s.kind == contracts::SiteKind::CareHome as i32,
    }
}

fn line_text(s: i32) -> &'static str {
    kumppani_platform::convert::service_line_text(s).unwrap_or("unknown")
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
                store::project_customer(conn, Uuid::parse_str(&c.id)?, &c.name).await?;
            } else if t.starts_with("contracts.site.") {
                let s = decode_payload::<contracts::SiteEvent>(envelope)?.site.ok_or_else(|| anyhow::anyhow!("no site"))?;
                let site = Site {
                    customer: Uuid::parse_str(&s.customer_id)?,
                    closed_on: s.closed_on.as_ref().and_then(contracts::Date::to_naive),
                    every_day: open_every_day(&s),
                    name: s.name,
                };
                store::project_site(conn, Uuid::parse_str(&s.id)?, &site).await?;
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
                let (id, customer) = (Uuid::parse_str(&a.id)?, Uuid::parse_str(&a.customer_id)?);
                store::project_agreement(conn, id, customer, a.year, status_text(a.status), serde_json::Value::Array(lines)).await?;
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
                    store::project_product(&mut *conn, &p.code, &p.name, line).await?;
                }
            }
            Ok(())
        }
    }
}
