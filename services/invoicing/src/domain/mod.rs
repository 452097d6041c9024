//! Invoicing rules, pure and unit-tested: the month, who is invoiced (customer
//! or billing unit), the draft of a month from the projection (delivered
//! quantities at the price in force on each service day, corrections of
//! invoiced months, fixed monthly services pro rata, manual lines), money
//! rounding and VAT (EN 16931), the default invoice date, invoice numbers.
//!
//! Invariants (see ARCHITECTURE.md "Invoicing"):
//! * a delivered unit is billed exactly once: each draft bills
//!   `current quantity − quantity billed by issued, uncredited invoices`;
//! * the price of a (product, site, day) is the shared rule of
//!   `kumppani_price_rules::PriceBook`, never re-implemented here;
//! * row amount = quantity × unit price rounded to cents half-up; VAT per
//!   (category, rate) on the sum of that rate's rows, rounded half-up;
//!   total = Σ rows + Σ VAT exactly.

pub mod changes;
pub mod money;

use chrono::{Datelike, NaiveDate};
use kumppani_price_rules::{PriceBook, Resolved};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

pub use money::{VatSubtotal, round_cents, vat_breakdown};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    /// `None` unless year is 2000..=2100 and month 1..=12.
    pub fn new(year: i32, month: i32) -> Option<Self> {
        let month = u32::try_from(month).ok()?;
        ((2000..=2100).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }
    pub fn of(day: NaiveDate) -> Self {
        Self { year: day.year(), month: day.month() }
    }
    pub fn first(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }
    pub fn last(self) -> NaiveDate {
        self.next().first().pred_opt().unwrap_or_default()
    }
    pub fn days(self) -> u32 {
        self.last().day()
    }
    pub fn next(self) -> Self {
        if self.month == 12 { Self { year: self.year + 1, month: 1 } } else { Self { year: self.year, month: self.month + 1 } }
    }
    pub fn prev(self) -> Self {
        if self.month == 1 { Self { year: self.year - 1, month: 12 } } else { Self { year: self.year, month: self.month - 1 } }
    }
    pub fn contains(self, day: NaiveDate) -> bool {
        Self::of(day) == self
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.month, self.year)
    }
}

/// The group billing calendar's default: the 5th working day of the
/// following month (Finnish public holidays counted).
pub fn default_invoice_date(p: Period) -> NaiveDate {
    let mut day = p.next().first();
    let mut n = 0;
    loop {
        if kumppani_platform::calendar::is_working_day(day) {
            n += 1;
            if n == 5 {
                return day;
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// Who gets one invoice a month: a customer, or one of its units when the
/// customer is invoiced per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Party {
    pub customer: Uuid,
    pub unit: Option<Uuid>,
}

/// Billing details as the invoice uses them (a unit's overrides applied).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Billing {
    pub per_unit: bool,
    pub einvoice_address: String,
    pub operator_id: String,
    pub peppol_id: String,
    pub buyer_reference: String,
    pub payment_terms_days: i32,
    pub language: String,
    #[serde(default)]
    pub street_address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
}

impl Billing {
    /// The customer's details with a unit's non-empty overrides on top.
    pub fn with_overrides(&self, unit: &Billing) -> Billing {
        let pick = |own: &str, base: &str| if own.is_empty() { base.to_owned() } else { own.to_owned() };
        Billing {
            per_unit: self.per_unit,
            einvoice_address: pick(&unit.einvoice_address, &self.einvoice_address),
            operator_id: pick(&unit.operator_id, &self.operator_id),
            peppol_id: pick(&unit.peppol_id, &self.peppol_id),
            buyer_reference: pick(&unit.buyer_reference, &self.buyer_reference),
            payment_terms_days: if unit.payment_terms_days > 0 { unit.payment_terms_days } else { self.payment_terms_days },
            language: pick(&unit.language, &self.language),
            street_address: pick(&unit.street_address, &self.street_address),
            postal_code: pick(&unit.postal_code, &self.postal_code),
            city: pick(&unit.city, &self.city),
        }
    }
}

/// The buyer as an invoice was made out to (a snapshot: later registry
/// changes do not alter an issued invoice).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Buyer {
    pub customer_name: String,
    pub unit_name: String,
    pub business_id: String,
    pub kind: String,
    pub billing: Billing,
}

impl Buyer {
    /// Internal (city) customers are outside the scope of VAT.
    pub fn internal(&self) -> bool {
        self.kind.starts_with("internal")
    }
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub business_id: String,
    pub billing: Billing,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub id: Uuid,
    pub customer: Uuid,
    pub name: String,
    pub billing: Billing,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub id: Uuid,
    pub customer: Uuid,
    pub unit: Option<Uuid>,
    pub name: String,
    pub floor_area: Decimal,
    pub opened_on: Option<NaiveDate>,
    /// The first day it is closed.
    pub closed_on: Option<NaiveDate>,
}

/// The latest version of a confirmed delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub version: i32,
    pub site: Uuid,
    pub day: NaiveDate,
    pub product: String,
    pub diet: String,
    pub quantity: i32,
    pub reason: String,
}

/// What issued, uncredited invoices have billed of a delivery so far.
#[derive(Debug, Clone)]
pub struct Billed {
    pub quantity: i32,
    /// The (latest) invoice that billed it.
    pub invoice: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowKind {
    Delivered,
    Fixed,
    PassThrough,
    Credit,
    Adjustment,
    Correction,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Fixed => "fixed",
            Self::PassThrough => "pass_through",
            Self::Credit => "credit",
            Self::Adjustment => "adjustment",
            Self::Correction => "correction",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Delivered, Self::Fixed, Self::PassThrough, Self::Credit, Self::Adjustment, Self::Correction]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A staff-entered line waiting for an invoice.
#[derive(Debug, Clone)]
pub struct ManualLine {
    pub id: Uuid,
    pub kind: RowKind,
    pub customer: Uuid,
    pub site: Option<Uuid>,
    pub description: String,
    pub amount: Decimal,
    pub vat_rate: Decimal,
    pub vat_category: String,
    pub supplier: String,
    pub supplier_invoice_number: String,
    pub reason: String,
}

/// One row of an invoice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub line_no: i32,
    pub kind: Option<RowKind>,
    pub site: Option<Uuid>,
    pub site_name: String,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub vat_category: String,
    pub vat_rate: Decimal,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub components: Vec<(String, Decimal)>,
    pub price_source: String,
    pub description: String,
    pub supplier: String,
    pub supplier_invoice_number: String,
    pub reason: String,
    pub original_invoice: Option<Uuid>,
    pub pro_rata: String,
    pub manual_line: Option<Uuid>,
}

/// A delivery version behind a row, and the quantity this invoice bills of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub line_no: i32,
    pub delivery: Uuid,
    pub version: i32,
    pub day: NaiveDate,
    pub diet: String,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub billed_before: i32,
    pub reason: String,
}

/// The invoice a party would get for the month.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub rows: Vec<Row>,
    pub items: Vec<Item>,
    pub vat: Vec<VatSubtotal>,
    pub net: Decimal,
    pub vat_total: Decimal,
    pub total: Decimal,
}

/// Everything a month's drafts are computed from, loaded from the projection.
pub struct Inputs<'a> {
    pub period: Period,
    /// Month to date: only service days up to this day.
    pub until: Option<NaiveDate>,
    pub customers: &'a HashMap<Uuid, Customer>,
    pub sites: &'a HashMap<Uuid, Site>,
    /// Sites whose agreement of the year covers cleaning (fixed monthly cleaning).
    pub cleaning_sites: &'a HashSet<Uuid>,
    pub book: &'a PriceBook,
    /// Deliveries of the month and those of earlier months that may need a correction.
    pub deliveries: &'a [Delivery],
    pub billed: &'a HashMap<Uuid, Billed>,
    /// (site, product) fixed services already billed for the month.
    pub fixed_billed: &'a HashSet<(Uuid, String)>,
    pub manual: &'a [ManualLine],
    /// Parties that already have an issued invoice for the month.
    pub invoiced: &'a HashSet<Party>,
    /// Only these parties (month to date of one customer); `None` = all.
    pub only: Option<&'a HashSet<Party>>,
}

impl Inputs<'_> {
    pub fn party_of_site(&self, site: &Site) -> Party {
        let per_unit = self.customers.get(&site.customer).is_some_and(|c| c.billing.per_unit);
        Party { customer: site.customer, unit: if per_unit { site.unit } else { None } }
    }

    fn wanted(&self, party: &Party) -> bool {
        !self.invoiced.contains(party) && self.only.is_none_or(|o| o.contains(party))
    }
}

/// The grouping of deliveries into rows: site, product, kind, price, and for
/// corrections the invoice corrected. Borrowed from the inputs and the price
/// cache, so grouping a delivery allocates nothing (a month is ~1,000,000).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RowKey<'a> {
    site_name: &'a str,
    site: Uuid,
    product: &'a str,
    kind: RowKind,
    original: Option<Uuid>,
    unit_price: Decimal,
    price_fingerprint: std::rc::Rc<str>,
}

struct Group {
    resolved: Resolved,
    from: NaiveDate,
    to: NaiveDate,
    quantity: i64,
    items: Vec<Item>,
}

fn fingerprint(r: &Resolved) -> String {
    format!("{:?}|{}|{}|{}|{}", r.price.components, r.vat_category, r.vat_rate, r.source as i32, r.source_id)
}

fn price_source(r: &Resolved) -> String {
    match r.source {
        kumppani_proto::pricing::v1::PriceSource::Site => "site".to_owned(),
        kumppani_proto::pricing::v1::PriceSource::Customer => "customer".to_owned(),
        _ => format!("list v{}", r.list_version),
    }
}

/// The drafts of every wanted party for the month, and the problems that
/// kept lines out (a day without a price, an unknown site).
pub fn compute(inp: &Inputs<'_>) -> (BTreeMap<Party, Draft>, Vec<String>) {
    let mut problems = Vec::new();
    let mut groups: BTreeMap<Party, BTreeMap<RowKey<'_>, Group>> = BTreeMap::new();
    // The price of (site, product, day), resolved once, with its fingerprint.
    let mut cache: HashMap<(Uuid, &str, NaiveDate), Result<(Resolved, std::rc::Rc<str>), String>> = HashMap::new();
    let first = inp.period.first();
    let last = inp.until.map_or(inp.period.last(), |u| u.min(inp.period.last()));
    for d in inp.deliveries {
        if d.day > last {
            continue;
        }
        let Some(site) = inp.sites.get(&d.site) else {
            problems.push(format!("delivery {} is for an unknown site {}", d.id, d.site));
            continue;
        };
        let party = inp.party_of_site(site);
        if !inp.wanted(&party) {
            continue;
        }
        let billed = inp.billed.get(&d.id);
        let before = billed.map_or(0, |b| b.quantity);
        let delta = d.quantity - before;
        if delta == 0 {
            continue;
        }
        let (kind, original) = if d.day >= first { (RowKind::Delivered, None) } else { (RowKind::Correction, billed.map(|b| b.invoice)) };
        let priced = cache.entry((d.site, d.product.as_str(), d.day)).or_insert_with(|| {
            inp.book.resolve(&d.product, d.site, d.day).map(|r| {
                let f = fingerprint(&r);
                (r, f.into())
            })
        });
        let (resolved, price_fingerprint) = match priced {
            Ok((r, f)) => (&*r, f.clone()),
            Err(e) => {
                problems.push(format!("{} {} {}: {e}", site.name, d.product, d.day));
                continue;
            }
        };
        let key = RowKey {
            site_name: &site.name,
            site: site.id,
            product: &d.product,
            kind,
            original,
            unit_price: resolved.price.unit_price,
            price_fingerprint,
        };
        let item = Item {
            line_no: 0,
            delivery: d.id,
            version: d.version,
            day: d.day,
            diet: d.diet.clone(),
            quantity: delta,
            unit_price: resolved.price.unit_price,
            billed_before: before,
            reason: if kind == RowKind::Correction { d.reason.clone() } else { String::new() },
        };
        let g = groups.entry(party).or_default().entry(key).or_insert_with(|| Group {
            resolved: resolved.clone(),
            from: d.day,
            to: d.day,
            quantity: 0,
            items: Vec::new(),
        });
        g.from = g.from.min(d.day);
        g.to = g.to.max(d.day);
        g.quantity += i64::from(delta);
        g.items.push(item);
    }
    let mut drafts: BTreeMap<Party, Draft> = BTreeMap::new();
    for (party, rows) in groups {
        let draft = drafts.entry(party).or_default();
        for (key, mut g) in rows {
            let product = inp.book.products.get(key.product);
            let quantity = Decimal::from(g.quantity);
            g.items.sort_by(|a, b| (a.day, &a.diet).cmp(&(b.day, &b.diet)));
            draft.rows.push(Row {
                kind: Some(key.kind),
                site: Some(key.site),
                site_name: key.site_name.to_owned(),
                product_code: key.product.to_owned(),
                product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
                unit: product.map(|p| unit_text(p.unit).to_owned()).unwrap_or_default(),
                quantity,
                unit_price: key.unit_price,
                amount: round_cents(quantity * key.unit_price),
                vat_category: g.resolved.vat_category.clone(),
                vat_rate: g.resolved.vat_rate,
                from: Some(g.from),
                to: Some(g.to),
                components: g.resolved.price.components.clone(),
                price_source: price_source(&g.resolved),
                original_invoice: key.original,
                ..Row::default()
            });
            let line = draft.rows.len();
            draft.items.extend(g.items.into_iter().map(|i| Item { line_no: i32::try_from(line).unwrap_or(i32::MAX), ..i }));
        }
    }
    if inp.until.is_none() || inp.until.is_some_and(|u| u >= inp.period.last()) {
        fixed_rows(inp, &mut drafts, &mut problems);
    }
    for m in inp.manual {
        let Some(customer) = inp.customers.get(&m.customer) else { continue };
        let site = m.site.and_then(|s| inp.sites.get(&s));
        let party = match site {
            Some(s) => inp.party_of_site(s),
            None => Party { customer: customer.id, unit: None },
        };
        if !inp.wanted(&party) {
            continue;
        }
        drafts.entry(party).or_default().rows.push(Row {
            kind: Some(m.kind),
            site: site.map(|s| s.id),
            site_name: site.map(|s| s.name.clone()).unwrap_or_default(),
            quantity: Decimal::ONE,
            unit_price: m.amount,
            amount: round_cents(m.amount),
            vat_category: m.vat_category.clone(),
            vat_rate: m.vat_rate,
            description: m.description.clone(),
            supplier: m.supplier.clone(),
            supplier_invoice_number: m.supplier_invoice_number.clone(),
            reason: m.reason.clone(),
            manual_line: Some(m.id),
            ..Row::default()
        });
    }
    for d in drafts.values_mut() {
        finish(d);
    }
    (drafts, problems)
}

fn unit_text(unit: i32) -> &'static str {
    use kumppani_proto::pricing::v1::Unit;
    match Unit::try_from(unit) {
        Ok(Unit::Meal) => "meal",
        Ok(Unit::M2Month) => "m2_month",
        Ok(Unit::M2) => "m2",
        Ok(Unit::Hour) => "hour",
        Ok(Unit::Serving) => "serving",
        _ => "",
    }
}

/// Fixed monthly services: every site whose agreement covers cleaning pays
/// floor area × the m2_month price for the days it is open in the month
/// (pro rata by calendar days), split where the price changes.
fn fixed_rows(inp: &Inputs<'_>, drafts: &mut BTreeMap<Party, Draft>, problems: &mut Vec<String>) {
    use kumppani_proto::pricing::v1::Unit;
    let mut monthly: Vec<&kumppani_proto::pricing::v1::Product> =
        inp.book.products.values().filter(|p| p.unit == Unit::M2Month as i32).collect();
    monthly.sort_by(|a, b| a.code.cmp(&b.code));
    let (first, last) = (inp.period.first(), inp.period.last());
    let days_in_month = Decimal::from(inp.period.days());
    let mut sites: Vec<&Site> = inp.cleaning_sites.iter().filter_map(|s| inp.sites.get(s)).collect();
    sites.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    for site in sites {
        let party = inp.party_of_site(site);
        if !inp.wanted(&party) || site.floor_area <= Decimal::ZERO {
            continue;
        }
        let open_from = site.opened_on.map_or(first, |o| o.max(first));
        let open_to = site.closed_on.and_then(|c| c.pred_opt()).map_or(last, |c| c.min(last));
        if open_from > open_to {
            continue;
        }
        for p in &monthly {
            if inp.fixed_billed.contains(&(site.id, p.code.clone())) {
                continue;
            }
            let segments = match inp.book.segments(&p.code, site.id, open_from, open_to) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{} {} {}: {e}", site.name, p.code, inp.period));
                    continue;
                }
            };
            for s in segments {
                let open_days = (s.to - s.from).num_days() + 1;
                let whole = open_days == i64::from(inp.period.days());
                let quantity = if whole {
                    site.floor_area
                } else {
                    (site.floor_area * Decimal::from(open_days) / days_in_month)
                        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                };
                drafts.entry(party).or_default().rows.push(Row {
                    kind: Some(RowKind::Fixed),
                    site: Some(site.id),
                    site_name: site.name.clone(),
                    product_code: p.code.clone(),
                    product_name: p.name.clone(),
                    unit: "m2_month".to_owned(),
                    quantity,
                    unit_price: s.resolved.price.unit_price,
                    amount: round_cents(quantity * s.resolved.price.unit_price),
                    vat_category: s.resolved.vat_category.clone(),
                    vat_rate: s.resolved.vat_rate,
                    from: Some(s.from),
                    to: Some(s.to),
                    components: s.resolved.price.components.clone(),
                    price_source: price_source(&s.resolved),
                    pro_rata: if whole { String::new() } else { format!("{open_days}/{}", inp.period.days()) },
                    ..Row::default()
                });
            }
        }
    }
}

/// Orders the rows (site, then kind, product and days), numbers them (items
/// follow their row) and computes the totals.
pub fn finish(d: &mut Draft) {
    let mut order: Vec<usize> = (0..d.rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&d.rows[a], &d.rows[b]);
        (x.site.is_none(), &x.site_name, x.site, x.kind, &x.product_code, x.from, &x.description).cmp(&(
            y.site.is_none(),
            &y.site_name,
            y.site,
            y.kind,
            &y.product_code,
            y.from,
            &y.description,
        ))
    });
    // Old line numbers (1-based, as the items carry them) → new.
    let mut renumber = vec![0i32; d.rows.len() + 1];
    let mut rows = Vec::with_capacity(d.rows.len());
    for (new, old) in order.into_iter().enumerate() {
        let no = i32::try_from(new + 1).unwrap_or(i32::MAX);
        renumber[old + 1] = no;
        rows.push(Row { line_no: no, ..d.rows[old].clone() });
    }
    for i in &mut d.items {
        i.line_no = usize::try_from(i.line_no).ok().and_then(|l| renumber.get(l).copied()).unwrap_or(i.line_no);
    }
    d.items.sort_by_key(|i| (i.line_no, i.day));
    d.rows = rows;
    d.vat = vat_breakdown(d.rows.iter().map(|r| (r.vat_category.as_str(), r.vat_rate, r.amount)));
    d.net = d.rows.iter().map(|r| r.amount).sum();
    d.vat_total = d.vat.iter().map(|v| v.vat).sum();
    d.total = d.net + d.vat_total;
}

/// The invoice number of a series' n:th invoice of a year: year, series
/// digit (1 = invoices, 9 = credit notes) and six digits, e.g. `20261000042`.
/// Digits only, so it is also the base of the reference number.
pub fn invoice_number(year: i32, credit_note: bool, seq: i32) -> String {
    format!("{year}{}{seq:06}", if credit_note { 9 } else { 1 })
}

#[cfg(test)]
mod tests;
