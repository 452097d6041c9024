//! The invoicing service's projections: customers (with billing details),
//! units, sites and agreements from contracts; products, published price
//! lists, site/customer prices and VAT rates from pricing; confirmed and
//! corrected deliveries and budgets from ordering. Idempotent consumers (platform inbox);
//! invoicing never reads another schema and never calls another service.

use crate::domain::Billing;
use crate::store::projection as store;
use kumppani_platform::events::{EventHandler, HandlerResult, decode_payload};
use kumppani_price_rules::PriceData;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::events::v1::Envelope;
use kumppani_proto::ordering::v1 as ordering;
use kumppani_proto::pricing::v1 as pricing;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::str::FromStr;
use uuid::Uuid;

pub const REGISTRY_CONSUMER: &str = "invoicing-registry";
pub const PRICES_CONSUMER: &str = "invoicing-prices";
pub const DELIVERIES_CONSUMER: &str = "invoicing-deliveries";

fn customer_kind(kind: i32) -> &'static str {
    match contracts::CustomerKind::try_from(kind) {
        Ok(contracts::CustomerKind::External) => "external",
        Ok(contracts::CustomerKind::InternalBusinessUnit) => "internal_business_unit",
        _ => "internal_service_area",
    }
}

/// Billing details as invoicing applies them.
pub fn billing_of(b: Option<&contracts::BillingDetails>) -> Billing {
    let Some(b) = b else { return Billing::default() };
    Billing {
        per_unit: b.invoicing_level == contracts::InvoicingLevel::Unit as i32,
        einvoice_address: b.einvoice_address.clone(),
        operator_id: b.operator_id.clone(),
        peppol_id: b.peppol_id.clone(),
        buyer_reference: b.buyer_reference.clone(),
        payment_terms_days: b.payment_terms_days,
        language: b.invoice_language.clone(),
        street_address: b.street_address.clone(),
        postal_code: b.postal_code.clone(),
        city: b.city.clone(),
    }
}

fn line_text(s: i32) -> &'static str {
    kumppani_platform::convert::service_line_text(s).unwrap_or("unknown")
}

fn id(s: &str) -> anyhow::Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

fn date(d: Option<&kumppani_proto::r#type::v1::Date>) -> Option<chrono::NaiveDate> {
    d.and_then(kumppani_proto::r#type::v1::Date::to_naive)
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
                let e = decode_payload::<contracts::CustomerEvent>(envelope)?;
                let c = e.customer.ok_or_else(|| anyhow::anyhow!("no customer"))?;
                let customer = id(&c.id)?;
                let billing = serde_json::to_value(billing_of(c.billing.as_ref()))?;
                store::customer(conn, customer, &c.code, &c.name, customer_kind(c.kind), &c.business_id, &billing).await?;
                for u in &e.units {
                    let billing = serde_json::to_value(billing_of(u.billing.as_ref()))?;
                    store::unit(conn, id(&u.id)?, customer, &u.name, &billing).await?;
                }
            } else if t.starts_with("contracts.site.") {
                let s = decode_payload::<contracts::SiteEvent>(envelope)?.site.ok_or_else(|| anyhow::anyhow!("no site"))?;
                let area = Decimal::from_str(s.floor_area_m2.trim()).unwrap_or_default();
                let unit = if s.unit_id.is_empty() { None } else { Some(id(&s.unit_id)?) };
                if let Some(u) = unit.filter(|_| !s.unit_name.is_empty()) {
                    store::unit_name(conn, u, id(&s.customer_id)?, &s.unit_name).await?;
                }
                let site = store::SiteRow {
                    id: id(&s.id)?,
                    customer_id: id(&s.customer_id)?,
                    unit_id: unit,
                    name: s.name.clone(),
                    floor_area_m2: area,
                    opened_on: date(s.opened_on.as_ref()),
                    closed_on: date(s.closed_on.as_ref()),
                };
                store::site(conn, &site).await?;
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
                let status = contracts::AgreementStatus::try_from(a.status).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
                let status = status.trim_start_matches("AGREEMENT_STATUS_").to_lowercase();
                store::agreement(conn, id(&a.id)?, id(&a.customer_id)?, a.year, &status, &serde_json::Value::Array(lines)).await?;
            }
            Ok(())
        }
    }
}

fn component_text(kind: i32) -> &'static str {
    match pricing::CostComponentKind::try_from(kind) {
        Ok(pricing::CostComponentKind::RawMaterials) => "raw_materials",
        Ok(pricing::CostComponentKind::Labour) => "labour",
        Ok(pricing::CostComponentKind::Premises) => "premises",
        Ok(pricing::CostComponentKind::Equipment) => "equipment",
        Ok(pricing::CostComponentKind::Transport) => "transport",
        Ok(pricing::CostComponentKind::Administration) => "administration",
        Ok(pricing::CostComponentKind::PurchasedServices) => "purchased_services",
        _ => "other",
    }
}

fn money(s: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(s.trim()).map_err(|e| anyhow::anyhow!("bad amount {s:?}: {e}"))
}

/// A price as the shared price rule holds it.
pub fn price_data(p: &pricing::Price) -> anyhow::Result<PriceData> {
    let components =
        p.components.iter().map(|c| Ok((component_text(c.kind).to_owned(), money(&c.amount)?))).collect::<anyhow::Result<_>>()?;
    Ok(PriceData { unit_price: money(&p.unit_price)?, components })
}

pub struct Prices;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Prices {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            match envelope.event_type.as_str() {
                "pricing.price_list.published" => {
                    let e: pricing::PriceListEvent = decode_payload(envelope)?;
                    for p in &e.products {
                        store::product(&mut *conn, p).await?;
                    }
                    let list = e.price_list.ok_or_else(|| anyhow::anyhow!("no price list"))?;
                    let from =
                        date(list.effective_from.as_ref()).ok_or_else(|| anyhow::anyhow!("a published list without effective_from"))?;
                    let mut prices = serde_json::Map::new();
                    for p in &list.prices {
                        prices.insert(p.product_code.clone(), serde_json::to_value(price_data(p)?)?);
                    }
                    store::price_list(&mut *conn, id(&list.id)?, list.year, list.version, from, &serde_json::Value::Object(prices)).await?;
                }
                "pricing.price_override.set" => {
                    let o = decode_payload::<pricing::PriceOverrideEvent>(envelope)?
                        .r#override
                        .ok_or_else(|| anyhow::anyhow!("no override"))?;
                    let price = o.price.as_ref().ok_or_else(|| anyhow::anyhow!("an override without a price"))?;
                    let from = date(o.effective_from.as_ref()).ok_or_else(|| anyhow::anyhow!("an override without effective_from"))?;
                    let (site, customer) = if o.scope == pricing::PriceSource::Site as i32 {
                        (Some(id(&o.site_id)?), None)
                    } else {
                        (None, Some(id(&o.customer_id)?))
                    };
                    let data = serde_json::to_value(price_data(price)?)?;
                    store::price_override(&mut *conn, id(&o.id)?, site, customer, &price.product_code, from, &data).await?;
                }
                "pricing.vat_rate.set" => {
                    let e: pricing::VatRatesEvent = decode_payload(envelope)?;
                    let mut rows = Vec::new();
                    for r in &e.rates {
                        let category = kumppani_price_rules::vat_category_text(r.category).to_owned();
                        let from = date(r.valid_from.as_ref()).ok_or_else(|| anyhow::anyhow!("a VAT rate without valid_from"))?;
                        rows.push(kumppani_price_rules::VatRow {
                            category,
                            rate: money(&r.rate)?,
                            valid_from: from,
                            valid_to: date(r.valid_to.as_ref()),
                        });
                    }
                    store::vat_rates(&mut *conn, &rows).await?;
                }
                _ => {}
            }
            Ok(())
        }
    }
}

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
                let e: ordering::DeliveryEvent = decode_payload(envelope)?;
                let d = e.delivery.ok_or_else(|| anyhow::anyhow!("no delivery"))?;
                let line = d.line.ok_or_else(|| anyhow::anyhow!("a delivery without its line"))?;
                let day = date(line.service_day.as_ref()).ok_or_else(|| anyhow::anyhow!("a delivery without a service day"))?;
                let row = store::DeliveryRow {
                    id: id(&d.id)?,
                    site_id: id(&line.site_id)?,
                    customer_id: id(&e.customer_id)?,
                    service_day: day,
                    product_code: line.product_code,
                    diet: line.diet,
                    quantity: line.quantity,
                    version: d.version,
                    reason: d.correction_reason,
                };
                store::delivery(&mut *conn, &row).await?;
            } else if envelope.event_type == "ordering.budget.set" {
                let b = decode_payload::<ordering::BudgetEvent>(envelope)?.budget.ok_or_else(|| anyhow::anyhow!("no budget"))?;
                store::budget(&mut *conn, id(&b.customer_id)?, id(&b.site_id)?, &b.product_code, b.year, b.quantity).await?;
            }
            Ok(())
        }
    }
}
