//! The feedback service's projections: customers, sites, contact persons and
//! agreements from contracts (routing, scope, per-agreement SLA targets);
//! product names from pricing's published price lists. Idempotent consumers
//! (platform inbox); feedback never reads another schema.

use crate::store;
use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::events::v1::Envelope;
use kumppani_proto::pricing::v1 as pricing;
use sqlx::PgConnection;
use uuid::Uuid;

pub const REGISTRY_CONSUMER: &str = "feedback-registry";
pub const CATALOGUE_CONSUMER: &str = "feedback-catalogue";
pub const DELIVERIES_CONSUMER: &str = "feedback-deliveries";

fn id(s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

fn agreement_status(s: i32) -> String {
    let name = contracts::AgreementStatus::try_from(s).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
    name.trim_start_matches("AGREEMENT_STATUS_").to_lowercase()
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
                store::project_customer(conn, id(&c.id)?, &c.code, &c.name).await?;
            } else if t.starts_with("contracts.site.") {
                let s = decode_payload::<contracts::SiteEvent>(envelope)?.site.ok_or_else(|| anyhow::anyhow!("no site"))?;
                let town = format!("{} {}", s.postal_code, s.city);
                let address =
                    [s.street_address.trim(), town.trim()].iter().filter(|x| !x.is_empty()).copied().collect::<Vec<_>>().join(", ");
                let facts = store::SiteFacts {
                    id: id(&s.id)?,
                    customer: id(&s.customer_id)?,
                    unit: if s.unit_id.is_empty() { None } else { Some(id(&s.unit_id)?) },
                    code: &s.code,
                    name: &s.name,
                    address: &address,
                    closed_on: s.closed_on.as_ref().and_then(kumppani_proto::r#type::v1::Date::to_naive),
                    kind: s.kind,
                };
                store::project_site(conn, &facts).await?;
            } else if t.starts_with("contracts.contact.") {
                let c = decode_payload::<contracts::ContactEvent>(envelope)?.contact.ok_or_else(|| anyhow::anyhow!("no contact"))?;
                store::project_contact(conn, id(&c.id)?, id(&c.customer_id)?, &c).await?;
            } else if t.starts_with("contracts.agreement.") {
                let a = decode_payload::<contracts::AgreementEvent>(envelope)?.agreement.ok_or_else(|| anyhow::anyhow!("no agreement"))?;
                store::project_agreement(conn, id(&a.id)?, id(&a.customer_id)?, a.year, &agreement_status(a.status)).await?;
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
                for p in &e.products {
                    let line = kumppani_platform::convert::service_line_text(p.service_line).unwrap_or_default();
                    store::project_product(&mut *conn, &p.code, &p.name, line).await?;
                }
            }
            Ok(())
        }
    }
}

/// Delivered quantities (reclamations per 1,000 meals).
pub struct Deliveries;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Deliveries {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            if envelope.event_type.starts_with("ordering.delivery.") {
                let e: kumppani_proto::ordering::v1::DeliveryEvent = decode_payload(envelope)?;
                let d = e.delivery.ok_or_else(|| anyhow::anyhow!("no delivery"))?;
                let line = d.line.ok_or_else(|| anyhow::anyhow!("a delivery without its line"))?;
                let day = line
                    .service_day
                    .as_ref()
                    .and_then(kumppani_proto::r#type::v1::Date::to_naive)
                    .ok_or_else(|| anyhow::anyhow!("a delivery without a service day"))?;
                store::project_delivery(&mut *conn, id(&d.id)?, id(&e.customer_id)?, day, &line.product_code, line.quantity, d.version)
                    .await?;
            }
            Ok(())
        }
    }
}
