//! The pricing service's local projection of the contracts service's customers
//! and sites, kept from `kumppani.contracts.customer.*` and `.site.*` events by
//! an idempotent consumer (platform inbox). Pricing never reads the contracts schema.

use crate::store;
use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::events::v1::Envelope;
use sqlx::PgConnection;
use uuid::Uuid;

/// Durable consumer name (also the inbox key and dead-letter suffix).
pub const CONSUMER: &str = "pricing-registry";

pub struct RegistryProjection;

fn customer_kind(kind: i32) -> &'static str {
    match contracts::CustomerKind::try_from(kind) {
        Ok(contracts::CustomerKind::External) => "external",
        Ok(contracts::CustomerKind::InternalBusinessUnit) => "internal_business_unit",
        _ => "internal_service_area",
    }
}

#[allow(clippy::manual_async_fn)]
impl EventHandler for RegistryProjection {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            if envelope.event_type.starts_with("contracts.customer.") {
                let e: contracts::CustomerEvent = decode_payload(envelope)?;
                let c = e.customer.ok_or_else(|| anyhow::anyhow!("customer event without customer"))?;
                store::upsert_customer(conn, Uuid::parse_str(&c.id)?, &c.name, customer_kind(c.kind)).await?;
            } else if envelope.event_type.starts_with("contracts.site.") {
                let e: contracts::SiteEvent = decode_payload(envelope)?;
                let s = e.site.ok_or_else(|| anyhow::anyhow!("site event without site"))?;
                store::upsert_site(conn, Uuid::parse_str(&s.id)?, Uuid::parse_str(&s.customer_id)?, &s.name).await?;
            }
            Ok(())
        }
    }
}
