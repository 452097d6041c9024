//! The ordering rules, pure: no SQL, no transport. Intake classification (is a
//! line accepted, a late-change request or rejected, and why), the change an
//! accepted line makes, scope predicates of the caller, channel and status
//! texts, cut-offs of the order week, standing-order expansion, delivery
//! corrections, budget pro-rating and the electronic-ordering rate.
//!
//! The loaded facts these rules read ([`Context`]) are plain data; `store`
//! fills them from the database.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::auth::{Principal, Role, grants};
use kumppani_platform::calendar::{self, CutoffRule};
use kumppani_platform::error::Violations;
use kumppani_proto::ordering::v1 as pb;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Most lines one PlaceOrders or ConfirmDeliveries call may carry.
pub const MAX_LINES: usize = 20_000;
/// Largest quantity of one order or delivery line.
pub const MAX_QUANTITY: i32 = 100_000;
/// Longest diet name.
pub const MAX_DIET_CHARS: usize = 60;
/// The cut-off when no rule is stored for a service line.
pub const DEFAULT_CUTOFF: CutoffRule = CutoffRule { working_days: 1, hour: 12 };
/// The service lines a cut-off rule may name.
pub const SERVICE_LINES: [&str; 6] = ["meals", "cleaning", "multi_service", "staff_dining", "coffee", "development"];
/// The reason of a line outside the caller's scope (a single order turns it into PERMISSION_DENIED).
pub const OUTSIDE_SCOPE: &str = "this site is outside your scope";

/// An order line's identity: (site, service day, product code, diet).
pub type Key = (Uuid, NaiveDate, String, String);

/// A site closure: (site, first day, last day).
pub type Closure = (Uuid, NaiveDate, NaiveDate);

/// Diets are compared trimmed and in lower case.
pub fn normalize_diet(diet: &str) -> String {
    diet.trim().to_lowercase()
}

/// Finnish short date, e.g. 7.3.2027.
pub fn fi_date(d: NaiveDate) -> String {
    d.format("%-d.%-m.%Y").to_string()
}

mod conflict;
pub use conflict::{VERSION_FIELD, check_versions, keys_to_check, version_conflict};

// ---------- channels and statuses ----------

/// The stored text of a channel.
pub fn channel_text(c: pb::Channel) -> &'static str {
    match c {
        pb::Channel::OrderingSystem => "ordering_system",
        pb::Channel::Staff => "staff",
        _ => "portal",
    }
}

/// The channel of a stored text (anything unknown is the portal).
pub fn channel_from(s: &str) -> pb::Channel {
    match s {
        "ordering_system" => pb::Channel::OrderingSystem,
        "staff" => pb::Channel::Staff,
        _ => pb::Channel::Portal,
    }
}

/// The channel is who the caller is, not what they claim.
pub fn channel_of(p: &Principal) -> pb::Channel {
    match p.role {
        Role::SystemClient => pb::Channel::OrderingSystem,
        Role::EnterpriseAdmin | Role::EnterpriseStaff => pb::Channel::Staff,
        _ => pb::Channel::Portal,
    }
}

kumppani_platform::text_enum!(late_status_text, late_status_from, pb::LateChangeStatus, {
    Pending => "pending", Accepted => "accepted", Declined => "declined",
});

// ---------- scope ----------

fn granted(p: &Principal, grant: &str) -> bool {
    p.grants.iter().any(|g| g == grant)
}

/// May the caller order for this site?
pub fn may_order(p: &Principal, site: Uuid, customer: Uuid) -> bool {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
        Role::CustomerContact => p.customer_id == Some(customer),
        Role::SiteUser => p.site_id == Some(site) && p.customer_id == Some(customer),
        Role::SystemClient => granted(p, "orders:write") && p.customer_id.is_none_or(|c| c == customer),
    }
}

/// May the caller read this site's orders?
pub fn may_read(p: &Principal, site: Uuid, customer: Uuid) -> bool {
    match p.role {
        Role::SystemClient => (granted(p, "orders:write") || granted(p, "orders:read")) && p.customer_id.is_none_or(|c| c == customer),
        _ => may_order(p, site, customer),
    }
}

/// May the caller read this site's deliveries? Who reads its orders, and the
/// production system that confirms them (within its customer grant).
pub fn may_read_deliveries(p: &Principal, site: Uuid, customer: Uuid) -> bool {
    may_read(p, site, customer) || (may_confirm_deliveries(p) && p.customer_id.is_none_or(|c| c == customer))
}

/// Staff and the production system confirm deliveries.
pub fn may_confirm_deliveries(p: &Principal) -> bool {
    p.is_enterprise() || (p.role == Role::SystemClient && granted(p, "deliveries:write"))
}

/// Staff and the ordering system materialize standing orders on demand.
pub fn may_materialize(p: &Principal) -> bool {
    p.is_enterprise() || (p.role == Role::SystemClient && granted(p, "orders:write"))
}

/// A site the caller reads: `found` is the site's (customer, name) if it exists.
pub fn readable_site(p: &Principal, site: Uuid, found: Option<(Uuid, String)>) -> Result<(Uuid, String), AppError> {
    p.require_grant(&[grants::ORDERS_READ, grants::ORDERS_WRITE])?;
    let (customer, name) = found.ok_or_else(|| AppError::not_found("site"))?;
    if !may_read(p, site, customer) {
        return Err(AppError::denied(OUTSIDE_SCOPE));
    }
    Ok((customer, name))
}

/// A site whose deliveries the caller reads: who reads its orders, and the
/// production system that confirms them (`deliveries:write`, within its customer).
pub fn delivery_site(p: &Principal, site: Uuid, found: Option<(Uuid, String)>) -> Result<(Uuid, String), AppError> {
    p.require_grant(&[grants::ORDERS_READ, grants::ORDERS_WRITE, grants::DELIVERIES_WRITE])?;
    let (customer, name) = found.ok_or_else(|| AppError::not_found("site"))?;
    if !may_read_deliveries(p, site, customer) {
        return Err(AppError::denied(OUTSIDE_SCOPE));
    }
    Ok((customer, name))
}

/// A system client reads orders, late changes and deliveries only with a grant for them.
fn check_system_reads(p: &Principal, deliveries: bool) -> Result<(), AppError> {
    if deliveries {
        p.require_grant(&[grants::ORDERS_READ, grants::ORDERS_WRITE, grants::DELIVERIES_WRITE])
    } else {
        p.require_grant(&[grants::ORDERS_READ, grants::ORDERS_WRITE])
    }
}

/// The customer a customer-wide read is narrowed to: none for staff and
/// city-wide system clients, the grant's customer for a restricted system
/// client, the caller's own customer for customer contacts and site users.
pub fn customer_restriction(p: &Principal) -> Result<Option<Uuid>, AppError> {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => Ok(None),
        Role::SystemClient => Ok(p.customer_id),
        Role::CustomerContact | Role::SiteUser => p.customer_id.map(Some).ok_or_else(|| AppError::denied("no scope")),
    }
}

/// The (site, customer) filters of ListOrders. A `site` asked for has been
/// checked with [`readable_site`]; without one, callers other than staff and
/// system clients are narrowed to their own site or customer.
pub fn orders_filter(p: &Principal, site: Option<Uuid>, customer: Option<Uuid>) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    check_system_reads(p, false)?;
    let (mut site_filter, mut customer_filter) = (site, customer);
    match (site, p.role) {
        (Some(_), _) => {}
        (None, Role::SiteUser) => site_filter = p.site_id,
        (None, Role::CustomerContact) => customer_filter = p.customer_id,
        (None, Role::SystemClient) if p.customer_id.is_some() => customer_filter = p.customer_id,
        _ => {}
    }
    if !p.is_enterprise() && site_filter.is_none() && customer_filter.is_none() && p.role != Role::SystemClient {
        return Err(AppError::denied("no scope"));
    }
    Ok((site_filter, customer_filter))
}

/// The (site, customer) filters of ListDeliveries (a `site` asked for has been checked).
pub fn deliveries_filter(p: &Principal, site: Option<Uuid>, customer: Option<Uuid>) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    check_system_reads(p, true)?;
    if site.is_some() {
        return Ok((site, customer));
    }
    if p.role == Role::SiteUser {
        return Ok((p.site_id, customer));
    }
    if p.is_enterprise() {
        return Ok((None, customer));
    }
    if customer.is_some_and(|c| Some(c) != p.customer_id) && p.role != Role::SystemClient {
        return Err(AppError::denied("this customer is outside your scope"));
    }
    Ok((None, p.customer_id.or(customer)))
}

/// Is a `site` asked for in ListLateChanges checked first? Staff see every site without a check.
pub fn late_changes_check_site(p: &Principal, site: Option<Uuid>) -> Option<Uuid> {
    site.filter(|_| !p.is_enterprise())
}

/// The (site, customer) filters of ListLateChanges.
pub fn late_changes_filter(p: &Principal, site: Option<Uuid>) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    check_system_reads(p, false)?;
    if p.is_enterprise() || site.is_some() {
        Ok((site, None))
    } else if p.role == Role::SiteUser {
        Ok((p.site_id, None))
    } else {
        Ok((None, Some(p.customer_id.ok_or_else(|| AppError::denied("no scope"))?)))
    }
}

/// Budget usage of a customer: staff see it all, the customer's contacts and
/// a system client granted that customer (with an orders grant) the customer's,
/// a site user only their own site's. `Ok(Some(site))` narrows the rows to one site.
pub fn budget_scope(p: &Principal, customer: Uuid) -> Result<Option<Uuid>, AppError> {
    let outside = || AppError::denied("this customer is outside your scope");
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => Ok(None),
        Role::SiteUser if p.customer_id == Some(customer) => p.site_id.map(Some).ok_or_else(outside),
        Role::CustomerContact if p.customer_id == Some(customer) => Ok(None),
        Role::SystemClient if p.customer_id.is_none_or(|c| c == customer) => check_system_reads(p, true).map(|()| None),
        _ => Err(outside()),
    }
}

// ---------- the loaded context ----------

/// A site of the registry projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub customer: Uuid,
    pub name: String,
    /// Closed from this day on.
    pub closed_on: Option<NaiveDate>,
    /// Open every day (care homes, round-the-clock daycares); otherwise Monday
    /// to Friday, closed on Finnish public holidays.
    pub every_day: bool,
}

impl Site {
    /// Why the site is closed on `day` (nothing can be ordered or delivered), if it is.
    pub fn closed_reason(&self, day: NaiveDate) -> Option<String> {
        if let Some(closed) = self.closed_on.filter(|c| *c <= day) {
            return Some(format!("the site is closed from {}", fi_date(closed)));
        }
        if self.every_day {
            return None;
        }
        if let Some(holiday) = calendar::holiday_name(day) {
            return Some(format!("is a public holiday ({holiday}): the site is open Monday to Friday except public holidays"));
        }
        if day.weekday().num_days_from_monday() >= 5 {
            return Some("is a weekend day: the site is open Monday to Friday except public holidays".into());
        }
        None
    }
}

/// A product of the catalogue projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub service_line: String,
}

/// An agreement of the registry projection: its service lines and the sites each covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: Uuid,
    pub customer: Uuid,
    pub year: i32,
    pub status: String,
    pub lines: Vec<(String, HashSet<Uuid>)>,
}

/// What intake needs to know, loaded once per request.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub sites: HashMap<Uuid, Site>,
    pub products: HashMap<String, Product>,
    pub agreements: Vec<Agreement>,
    /// Cut-off rules per (agreement or the default, service line).
    pub rules: HashMap<(Option<Uuid>, String), CutoffRule>,
}

impl Context {
    /// The agreement covering a site's service line on a day, or why none does.
    pub fn covering(&self, site: Uuid, customer: Uuid, line: &str, day: NaiveDate) -> Result<Uuid, String> {
        let year = day.year();
        let covers = |a: &Agreement| a.lines.iter().any(|(l, s)| l == line && s.contains(&site));
        let mine: Vec<&Agreement> = self.agreements.iter().filter(|a| a.customer == customer && a.year == year).collect();
        if let Some(a) = mine.iter().find(|a| matches!(a.status.as_str(), "signed" | "active") && covers(a)) {
            return Ok(a.id);
        }
        if let Some(a) = mine.iter().find(|a| covers(a)) {
            return Err(match a.status.as_str() {
                "expired" => format!("the {year} service agreement has expired"),
                s => format!("the {year} service agreement is not signed yet ({s})"),
            });
        }
        Err(format!("no signed {year} service agreement covers {line} at this site"))
    }

    /// The cut-off rule of an agreement's service line: its own, else the line's default, else [`DEFAULT_CUTOFF`].
    pub fn rule(&self, agreement: Uuid, line: &str) -> CutoffRule {
        self.rules
            .get(&(Some(agreement), line.to_owned()))
            .or_else(|| self.rules.get(&(None, line.to_owned())))
            .copied()
            .unwrap_or(DEFAULT_CUTOFF)
    }
}

// ---------- intake ----------

/// One order line as intake reads it, its ids and date already parsed.
#[derive(Debug, Clone, Copy)]
pub struct OrderLine<'a> {
    pub site: Uuid,
    pub day: NaiveDate,
    pub product: &'a str,
    pub diet: &'a str,
    pub quantity: i32,
}

/// Why a line was rejected: the field (relative to the line) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: &'static str,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

/// A line that is written: as an order, or as a late-change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub key: Key,
    pub customer: Uuid,
    pub quantity: i32,
}

/// What intake does with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// Takes effect now (before the cut-off, or entered by staff).
    Accepted(Placement),
    /// After the cut-off: a request staff accept or decline.
    LateChange(Placement),
    Rejected(Rejection),
}

/// Classifies one line against the loaded context, in this order: quantity,
/// diet, site, the caller's scope, the site's closing and open days, the catalogue, agreement
/// coverage, a past day, then the cut-off (staff are not held to it).
pub fn classify(line: &OrderLine<'_>, ctx: &Context, p: &Principal, now: DateTime<Utc>, today: NaiveDate) -> Intake {
    let reject = |field, reason: String| Intake::Rejected(Rejection { field, reason });
    if !(0..=MAX_QUANTITY).contains(&line.quantity) {
        return reject("quantity", format!("must be between 0 and {MAX_QUANTITY}"));
    }
    let diet = normalize_diet(line.diet);
    if diet.chars().count() > MAX_DIET_CHARS {
        return reject("diet", format!("must be at most {MAX_DIET_CHARS} characters"));
    }
    let Some(site) = ctx.sites.get(&line.site) else { return reject("site_id", "no such site".into()) };
    if !may_order(p, line.site, site.customer) {
        return reject("site_id", OUTSIDE_SCOPE.into());
    }
    if let Some(closed) = site.closed_on.filter(|c| *c <= line.day) {
        return reject("site_id", format!("the site is closed from {}", fi_date(closed)));
    }
    if let Some(reason) = site.closed_reason(line.day) {
        return reject("service_day", format!("{}: {reason}", fi_date(line.day)));
    }
    let Some(product) = ctx.products.get(line.product) else {
        return reject("product_code", "is not a product of the catalogue".into());
    };
    let agreement = match ctx.covering(line.site, site.customer, &product.service_line, line.day) {
        Ok(a) => a,
        Err(reason) => return reject("product_code", reason),
    };
    let placement =
        Placement { key: (line.site, line.day, line.product.to_owned(), diet), customer: site.customer, quantity: line.quantity };
    match ChangeMode::of(ctx.rule(agreement, &product.service_line), line.day, now, today, p.is_enterprise()) {
        ChangeMode::Normal => Intake::Accepted(placement),
        ChangeMode::LateRequest => Intake::LateChange(placement),
        ChangeMode::Closed => reject("service_day", "has passed; report what was delivered instead".into()),
    }
}

/// Classifies a request's lines ([`classify`]); `Err` lines were rejected while
/// parsing. A line repeating an earlier accepted or late line's site, day,
/// product and diet is rejected.
pub fn classify_all(
    lines: &[Result<OrderLine<'_>, Rejection>],
    ctx: &Context,
    p: &Principal,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Vec<Intake> {
    let mut seen: HashMap<Key, usize> = HashMap::new();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let intake = match line {
                Err(r) => return Intake::Rejected(r.clone()),
                Ok(line) => classify(line, ctx, p, now, today),
            };
            match &intake {
                Intake::Accepted(a) | Intake::LateChange(a) => match seen.insert(a.key.clone(), i) {
                    Some(first) => Intake::Rejected(Rejection::new(
                        "product_code",
                        format!("the same site, day, product and diet is already in line {first}"),
                    )),
                    None => intake,
                },
                Intake::Rejected(_) => intake,
            }
        })
        .collect()
}

/// The change an order write makes, from the quantity before (none: no order yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderChange {
    Placed,
    Changed,
    Cancelled,
    /// The same quantity again, or 0 where nothing is ordered: nothing changes
    /// (no new version, history or event).
    Unchanged,
}

impl OrderChange {
    pub fn of(previous: Option<i32>, quantity: i32) -> Self {
        match previous {
            None if quantity == 0 => Self::Unchanged,
            None => Self::Placed,
            Some(p) if p == quantity => Self::Unchanged,
            Some(_) if quantity == 0 => Self::Cancelled,
            Some(_) => Self::Changed,
        }
    }

    /// The event type, e.g. `ordering.order.placed`; none when unchanged.
    pub fn event_type(self) -> Option<&'static str> {
        match self {
            Self::Placed => Some("ordering.order.placed"),
            Self::Changed => Some("ordering.order.changed"),
            Self::Cancelled => Some("ordering.order.cancelled"),
            Self::Unchanged => None,
        }
    }
}

/// A late-change request can be decided once.
pub fn check_undecided(status: &str) -> Result<(), AppError> {
    if status == "pending" { Ok(()) } else { Err(AppError::precondition(format!("the request is already {status}"))) }
}

// ---------- the order week ----------

mod week;
pub use week::{ChangeMode, Now, line_mode};

/// Monday and Sunday of a day's week.
pub fn week_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
    (monday, monday + chrono::Duration::days(6))
}

/// The products a site may order on some day of the week starting `monday`:
/// (code, product), by service line and code.
pub fn orderable_products(ctx: &Context, site: Uuid, customer: Uuid, monday: NaiveDate) -> Vec<(&str, &Product)> {
    let mut products: Vec<(&str, &Product)> = ctx
        .products
        .iter()
        .filter(|(_, p)| (0..7).any(|k| ctx.covering(site, customer, &p.service_line, monday + chrono::Duration::days(k)).is_ok()))
        .map(|(code, p)| (code.as_str(), p))
        .collect();
    products.sort_by(|a, b| (a.1.service_line.as_str(), a.0).cmp(&(b.1.service_line.as_str(), b.0)));
    products
}

/// The cut-off of one service line for one day, and what a change by the caller does now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCutoff {
    pub service_line: String,
    pub cutoff: DateTime<Utc>,
    pub open: bool,
    pub mode: ChangeMode,
}

/// The cut-offs of the given service lines on `day` (lines no agreement covers that day have none).
pub fn day_cutoffs(ctx: &Context, site: Uuid, customer: Uuid, lines: &[&str], day: NaiveDate, at: Now) -> Vec<LineCutoff> {
    lines
        .iter()
        .filter_map(|line| {
            let agreement = ctx.covering(site, customer, line, day).ok()?;
            let rule = ctx.rule(agreement, line);
            Some(LineCutoff {
                service_line: (*line).to_owned(),
                cutoff: rule.cutoff(day),
                open: rule.is_open(day, at.now),
                mode: ChangeMode::of(rule, day, at.now, at.today, at.staff),
            })
        })
        .collect()
}

// ---------- standing orders ----------

/// A weekly pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub site: Uuid,
    pub customer: Uuid,
    pub product: String,
    pub diet: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Monday first.
    pub quantities: [i32; 7],
    pub include_holidays: bool,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

/// The daily (key, customer, quantity, channel) a set of patterns produces in
/// [from, to], newest pattern first, skipping zero days, holidays and closures.
pub fn expand(patterns: &[Pattern], closures: &[Closure], from: NaiveDate, to: NaiveDate) -> Vec<(Key, Uuid, i32, String)> {
    let mut groups: HashMap<(Uuid, &str, &str), Vec<&Pattern>> = HashMap::new();
    for p in patterns {
        groups.entry((p.site, p.product.as_str(), p.diet.as_str())).or_default().push(p);
    }
    let mut out = Vec::new();
    for ((site, product, diet), mut ps) in groups {
        ps.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        let mut day = from;
        while day <= to {
            if let Some(p) = ps.iter().find(|p| p.from <= day && day <= p.to) {
                let q = p.quantities[day.weekday().num_days_from_monday() as usize];
                let holiday = calendar::holiday_name(day).is_some();
                let closed = closures.iter().any(|(s, f, t)| *s == site && *f <= day && day <= *t);
                if q > 0 && (!holiday || p.include_holidays) && !closed {
                    out.push(((site, day, product.to_owned(), diet.to_owned()), p.customer, q, p.channel.clone()));
                }
            }
            day += chrono::Duration::days(1);
        }
    }
    out
}

/// Why a daily order a pattern wants is not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Closed,
    NotCovered,
}

/// May a standing order's daily order be created? The site must be known and
/// open that day (not closed, and a weekday other than a holiday unless it is open every day), the product in the catalogue and covered by an agreement.
pub fn materializable(ctx: &Context, key: &Key, customer: Uuid) -> Result<(), Skip> {
    let Some(site) = ctx.sites.get(&key.0) else { return Err(Skip::NotCovered) };
    if site.closed_reason(key.1).is_some() {
        return Err(Skip::Closed);
    }
    let covered = ctx.products.get(&key.2).is_some_and(|p| ctx.covering(key.0, customer, &p.service_line, key.1).is_ok());
    if covered { Ok(()) } else { Err(Skip::NotCovered) }
}

/// A standing order may be set when the caller orders for the site and an
/// agreement covers the product on its first day (or today, if later).
/// Returns the site's customer.
pub fn check_standing_order(ctx: &Context, p: &Principal, site: Uuid, product: &str, first_day: NaiveDate) -> Result<Uuid, AppError> {
    let info = ctx.sites.get(&site).ok_or_else(|| AppError::invalid("site_id", "no such site"))?;
    if !may_order(p, site, info.customer) {
        return Err(AppError::denied(OUTSIDE_SCOPE));
    }
    let Some(product) = ctx.products.get(product) else {
        return Err(AppError::invalid("product_code", "is not a product of the catalogue"));
    };
    ctx.covering(site, info.customer, &product.service_line, first_day).map_err(|reason| AppError::invalid("product_code", reason))?;
    Ok(info.customer)
}

/// The first day a closure may start: tomorrow for staff; for others the first
/// day whose every cut-off (at most 2 working days at 12:00) is still open.
pub fn earliest_closure_day(staff: bool, today: NaiveDate, now: DateTime<Utc>) -> NaiveDate {
    let mut d = today + chrono::Duration::days(1);
    if staff {
        return d;
    }
    let rule = CutoffRule { working_days: 2, hour: 12 };
    while !rule.is_open(d, now) {
        d += chrono::Duration::days(1);
    }
    d
}

// ---------- deliveries ----------

/// What confirming a delivered quantity does, from the quantity confirmed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryChange {
    Confirmed,
    /// A different quantity for a confirmed line: needs a reason, makes a new version.
    Corrected,
    /// The same quantity again: nothing changes.
    Unchanged,
}

impl DeliveryChange {
    pub fn of(existing: Option<i32>, quantity: i32) -> Self {
        match existing {
            None => Self::Confirmed,
            Some(old) if old != quantity => Self::Corrected,
            Some(_) => Self::Unchanged,
        }
    }

    /// The event type, none when unchanged.
    pub fn event_type(self) -> Option<&'static str> {
        match self {
            Self::Confirmed => Some("ordering.delivery.confirmed"),
            Self::Corrected => Some("ordering.delivery.corrected"),
            Self::Unchanged => None,
        }
    }
}

/// Delivered lines must name known sites within a system client's customer and catalogue products.
pub fn check_delivery_lines(lines: &[(Key, i32)], ctx: &Context, p: &Principal) -> Result<(), AppError> {
    let mut v = Violations::default();
    for (i, (k, _)) in lines.iter().enumerate() {
        match ctx.sites.get(&k.0) {
            None => v.add(format!("lines[{i}].site_id"), "no such site"),
            Some(site) => {
                if let Some(c) = p.customer_id.filter(|_| p.role == Role::SystemClient) {
                    v.check(site.customer == c, &format!("lines[{i}].site_id"), "is outside this client's grant");
                }
            }
        }
        if !ctx.products.contains_key(&k.2) {
            v.add(format!("lines[{i}].product_code"), "is not a product of the catalogue");
        }
    }
    v.finish()
}

/// Corrections of earlier confirmations need a reason.
pub fn check_correction_reason(lines: &[(Key, i32)], existing: &HashMap<Key, i32>, reason: &str) -> Result<(), AppError> {
    let corrections = lines.iter().filter(|(k, q)| DeliveryChange::of(existing.get(k).copied(), *q) == DeliveryChange::Corrected).count();
    if corrections > 0 && reason.is_empty() {
        return Err(AppError::invalid("correction_reason", format!("is required: {corrections} line(s) correct an earlier confirmation")));
    }
    Ok(())
}

// ---------- budgets, production, KPI ----------

/// The budget year's share rule lives in the platform: invoicing's year-end
/// reconciliation pro-rates budgets the same way.
pub use kumppani_platform::calendar::BudgetPeriod;

/// One ordered line of a production day: (site, site name, product, diet, quantity), by site name.
pub type ProductionLine = (Uuid, Option<String>, String, String, i32);

/// A production day: totals per (product, diet) with the number of sites, and the rows per site.
pub fn production(lines: Vec<ProductionLine>) -> (Vec<pb::ProductionRow>, Vec<pb::ProductionSite>) {
    let mut totals: BTreeMap<(String, String), (i32, i32)> = BTreeMap::new();
    let mut sites: Vec<pb::ProductionSite> = Vec::new();
    for (site, name, product, diet, q) in lines {
        let t = totals.entry((product.clone(), diet.clone())).or_default();
        t.0 += q;
        t.1 += 1;
        if sites.last().is_none_or(|s| s.site_id != site.to_string()) {
            sites.push(pb::ProductionSite { site_id: site.to_string(), site_name: name.unwrap_or_default(), rows: Vec::new() });
        }
        if let Some(s) = sites.last_mut() {
            s.rows.push(pb::ProductionRow { product_code: product, diet, quantity: q, sites: 1 });
        }
    }
    let totals = totals
        .into_iter()
        .map(|((product_code, diet), (quantity, sites))| pb::ProductionRow { product_code, diet, quantity, sites })
        .collect();
    (totals, sites)
}

/// The electronic-ordering rate (portal and ordering system) in percent, one decimal.
pub fn electronic_percent(portal: i64, system: i64, staff: i64) -> String {
    let all = portal + system + staff;
    let pct = if all == 0 { 0.0 } else { (portal + system) as f64 * 100.0 / all as f64 };
    format!("{pct:.1}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
