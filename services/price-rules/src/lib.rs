//! The price in force for a product, a site and a day, and the VAT on it.
//!
//! The one rule both pricing (`ResolvePrices`, price sheets) and invoicing (the
//! monthly invoice) apply, so an invoice can never disagree with what pricing
//! showed: **site-specific price, then customer-specific price, then the
//! published list version in force on the day**; overrides set the price level
//! of their own year only; internal (city) customers are outside the scope of
//! VAT, others pay the product category's rate valid on the day.
//!
//! Pure data in, answers out: each service loads a [`PriceBook`] from its own
//! tables (pricing from its own, invoicing from its projection of pricing's
//! events) and asks it.

use chrono::{Datelike, NaiveDate};
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

/// A price: its cost components by kind, summing exactly to the unit price.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceData {
    pub unit_price: Decimal,
    /// (kind text, amount), in the order given.
    pub components: Vec<(String, Decimal)>,
}

/// One VAT rate row: a category's rate over a date range.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VatRow {
    pub category: String,
    pub rate: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The VAT rate of a category on a day.
pub fn vat_on(rates: &[VatRow], category: &str, day: NaiveDate) -> Option<Decimal> {
    rates.iter().find(|r| r.category == category && r.valid_from <= day && r.valid_to.is_none_or(|t| day <= t)).map(|r| r.rate)
}

/// The VAT category text of a product's category (`food`, `general`, `outside_scope`).
pub fn vat_category_text(category: i32) -> &'static str {
    match pb::VatCategory::try_from(category) {
        Ok(pb::VatCategory::Food) => "food",
        Ok(pb::VatCategory::OutsideScope) => "outside_scope",
        _ => "general",
    }
}

/// A published list version.
#[derive(Debug, Clone)]
pub struct ListEntry {
    pub id: Uuid,
    pub year: i32,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub prices: HashMap<String, PriceData>,
}

/// A site- or customer-specific price from a date.
#[derive(Debug, Clone)]
pub struct OverrideEntry {
    pub id: Uuid,
    pub effective_from: NaiveDate,
    pub price: PriceData,
}

/// Everything needed to resolve prices, loaded once per request or run.
#[derive(Debug, Default)]
pub struct PriceBook {
    pub products: HashMap<String, pb::Product>,
    /// Published lists sorted by (effective_from, version).
    pub lists: Vec<ListEntry>,
    /// (site, product) → overrides sorted by effective_from (then creation).
    pub site_overrides: HashMap<(Uuid, String), Vec<OverrideEntry>>,
    pub customer_overrides: HashMap<(Uuid, String), Vec<OverrideEntry>>,
    /// site → customer (projection of contracts).
    pub site_customer: HashMap<Uuid, Uuid>,
    /// customer → kind text (projection of contracts); `internal*` = outside VAT.
    pub customer_kind: HashMap<Uuid, String>,
    pub vat: Vec<VatRow>,
}

/// A resolved price: what it is, where it comes from, its VAT.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub price: PriceData,
    pub vat_category: String,
    pub vat_rate: Decimal,
    pub source: pb::PriceSource,
    pub source_id: Uuid,
    pub list_version: i32,
}

/// A run of consecutive days with one resolved price (see [`PriceBook::segments`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub resolved: Resolved,
}

fn latest_effective(entries: Option<&Vec<OverrideEntry>>, day: NaiveDate) -> Option<&OverrideEntry> {
    // Overrides set the price level of their own year only.
    entries?.iter().rev().find(|e| e.effective_from <= day && e.effective_from.year() == day.year())
}

impl PriceBook {
    /// The price of `product` at `site` on `day` (the site's customer from the projection).
    pub fn resolve(&self, product: &str, site: Uuid, day: NaiveDate) -> Result<Resolved, String> {
        let customer = *self.site_customer.get(&site).ok_or_else(|| "unknown site".to_owned())?;
        self.resolve_for(product, customer, Some(site), day)
    }

    /// Resolution for a customer, and one of its sites when given.
    pub fn resolve_for(&self, product: &str, customer: Uuid, site: Option<Uuid>, day: NaiveDate) -> Result<Resolved, String> {
        let p = self.products.get(product).ok_or_else(|| format!("unknown product {product}"))?;
        let key = product.to_owned();
        let site_override = site.and_then(|s| latest_effective(self.site_overrides.get(&(s, key.clone())), day));
        let (price, source, source_id, list_version) = if let Some(o) = site_override {
            (o.price.clone(), pb::PriceSource::Site, o.id, 0)
        } else if let Some(o) = latest_effective(self.customer_overrides.get(&(customer, key.clone())), day) {
            (o.price.clone(), pb::PriceSource::Customer, o.id, 0)
        } else {
            let list = self
                .lists
                .iter()
                .rev()
                .find(|l| l.year == day.year() && l.effective_from <= day)
                .ok_or_else(|| format!("no published price list in force on {day}"))?;
            let price = list.prices.get(product).ok_or_else(|| format!("{product} has no price in the {} list", list.year))?;
            (price.clone(), pb::PriceSource::List, list.id, list.version)
        };
        let internal = self.customer_kind.get(&customer).is_none_or(|k| k.starts_with("internal"));
        let (vat_category, vat_rate) = if internal {
            ("outside_scope".to_owned(), Decimal::ZERO)
        } else {
            let category = vat_category_text(p.vat_category);
            let rate = vat_on(&self.vat, category, day).ok_or_else(|| format!("no {category} VAT rate valid on {day}"))?;
            (category.to_owned(), rate)
        };
        Ok(Resolved { price, vat_category, vat_rate, source, source_id, list_version })
    }

    /// The days `from..=to` split where the resolved price (or its VAT)
    /// changes: one segment per price in force. A mid-month price change gives
    /// two segments; a day with no price fails the whole call.
    pub fn segments(&self, product: &str, site: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<Segment>, String> {
        let mut out: Vec<Segment> = Vec::new();
        for day in from.iter_days().take_while(|d| *d <= to) {
            let r = self.resolve(product, site, day)?;
            match out.last_mut() {
                Some(s) if s.resolved == r => s.to = day,
                _ => out.push(Segment { from: day, to: day, resolved: r }),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
