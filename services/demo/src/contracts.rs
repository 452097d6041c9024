//! Seeds the demo city (see [`crate::city`]) through the same tables and
//! outbox as the API, so other services receive its events. Idempotent: ids are
//! UUIDv5 of the demo codes and a seeded registry is left alone.

use crate::city::{DemoAgreement, DemoContact, DemoCustomer, DemoSite, demo_city};
use crate::ids::demo_id;
use chrono::NaiveDate;
use kumppani_contracts::{PRODUCER, store};
use kumppani_platform::events::emit;
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use uuid::Uuid;

/// What was seeded.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub already_seeded: bool,
    pub customers: usize,
    pub sites: usize,
    pub contacts: usize,
    pub agreements: usize,
}

pub(crate) fn is_enterprise(c: &DemoContact) -> bool {
    c.email.ends_with("@serviisi.example")
}

/// Care homes and round-the-clock daycares (vuorohoitopäiväkoti) are open
/// every day; the kind's default (`contracts::domain`) covers the rest.
pub fn opening_schedule(s: &DemoSite) -> &'static str {
    if s.name.to_lowercase().contains("vuorohoito") { "every_day" } else { kumppani_contracts::domain::default_opening_schedule(s.kind) }
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Seeds the demo city unless it is there already.
pub async fn seed(pool: &PgPool) -> anyhow::Result<SeedReport> {
    let city = demo_city();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('kumppani-contracts-seed'))").execute(&mut *tx).await?;
    let first = city.customers.first().map(|c| demo_id("customer", &c.code)).unwrap_or_default();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)").bind(first).fetch_one(&mut *tx).await?;
    if exists {
        return Ok(SeedReport { already_seeded: true, ..Default::default() });
    }
    let mut report = SeedReport::default();
    for c in &city.customers {
        seed_customer(&mut tx, c, &mut report).await?;
    }
    // The contact persons travel as events too (feedback routes by them).
    for c in &city.customers {
        let contacts = store::list_contacts(&mut tx, demo_id("customer", &c.code), None).await?;
        let events: Vec<(String, pb::ContactEvent)> = contacts
            .into_iter()
            .map(|contact| ("contracts.contact.created".to_owned(), pb::ContactEvent { contact: Some(contact) }))
            .collect();
        kumppani_platform::events::emit_many(&mut tx, PRODUCER, &events).await?;
    }
    tx.commit().await?;
    Ok(report)
}

async fn insert_contact(
    conn: &mut PgConnection,
    customer_id: Uuid,
    scope: (Option<Uuid>, Option<Uuid>),
    c: &DemoContact,
    party_override: Option<&str>,
) -> anyhow::Result<()> {
    let party = party_override.unwrap_or(if is_enterprise(c) { "enterprise" } else { "customer" });
    let scope_key = format!("{customer_id}:{:?}:{:?}:{}", scope.0, scope.1, c.email);
    sqlx::query(
        "INSERT INTO contacts (id, party, customer_id, unit_id, site_id, name, title, level, email, phone, topics, language)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (id) DO NOTHING",
    )
    .bind(demo_id("contact", &scope_key))
    .bind(party)
    .bind(customer_id)
    .bind(scope.0)
    .bind(scope.1)
    .bind(&c.name)
    .bind(&c.title)
    .bind(c.level)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(c.topics.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
    .bind(c.language)
    .execute(conn)
    .await?;
    Ok(())
}

async fn seed_customer(tx: &mut PgConnection, c: &DemoCustomer, report: &mut SeedReport) -> anyhow::Result<()> {
    let customer_id = demo_id("customer", &c.code);
    sqlx::query("INSERT INTO customers (id, code, name, kind, business_id, segment, partnership_stage) VALUES ($1,$2,$3,$4,$5,$6,$7)")
        .bind(customer_id)
        .bind(&c.code)
        .bind(&c.name)
        .bind(c.kind)
        .bind(&c.business_id)
        .bind(&c.segment)
        .bind(c.stage)
        .execute(&mut *tx)
        .await?;
    report.customers += 1;
    if let Some(customer) = store::get_customer(&mut *tx, customer_id).await? {
        emit(&mut *tx, PRODUCER, "contracts.customer.created", &pb::CustomerEvent { customer: Some(customer), units: Vec::new() }).await?;
    }
    for p in &c.contacts {
        insert_contact(&mut *tx, customer_id, (None, None), p, Some("customer")).await?;
        report.contacts += 1;
    }
    for p in &c.enterprise_contacts {
        insert_contact(&mut *tx, customer_id, (None, None), p, Some("enterprise")).await?;
        report.contacts += 1;
    }
    let mut site_ids: HashMap<&str, Uuid> = HashMap::new();
    for u in &c.units {
        let unit_id = demo_id("unit", &format!("{}:{}", c.code, u.code));
        sqlx::query("INSERT INTO units (id, customer_id, code, name) VALUES ($1,$2,$3,$4)")
            .bind(unit_id)
            .bind(customer_id)
            .bind(&u.code)
            .bind(&u.name)
            .execute(&mut *tx)
            .await?;
        for p in &u.contacts {
            insert_contact(&mut *tx, customer_id, (Some(unit_id), None), p, None).await?;
            report.contacts += 1;
        }
        for s in &u.sites {
            let site_id = demo_id("site", &s.code);
            site_ids.insert(s.code.as_str(), site_id);
            let diets: Vec<(String, i32)> = s.special_diets.iter().map(|(d, n)| (d.clone(), i32::try_from(*n).unwrap_or(0))).collect();
            sqlx::query(
                "INSERT INTO sites (id, customer_id, unit_id, code, name, kind, street_address, postal_code, city, floor_area_m2,
                 meals_per_day, special_diets, meal_producer, cleaning_producer, closed_on, opening_schedule)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
            )
            .bind(site_id)
            .bind(customer_id)
            .bind(unit_id)
            .bind(&s.code)
            .bind(&s.name)
            .bind(s.kind)
            .bind(&s.street_address)
            .bind(&s.postal_code)
            .bind(&s.city)
            .bind(Decimal::from(s.floor_area_m2))
            .bind(i32::try_from(s.meals_per_day).unwrap_or(0))
            .bind(serde_json::to_value(&diets)?)
            .bind(&s.meal_producer)
            .bind(&s.cleaning_producer)
            .bind(if s.status == "closed" { date(2026, 7, 31) } else { None })
            .bind(opening_schedule(s))
            .execute(&mut *tx)
            .await?;
            report.sites += 1;
            for p in &s.contacts {
                insert_contact(&mut *tx, customer_id, (None, Some(site_id)), p, None).await?;
                report.contacts += 1;
            }
            if let Some(site) = store::get_site(&mut *tx, site_id).await? {
                let verb = if s.status == "closed" { "closed" } else { "created" };
                emit(&mut *tx, PRODUCER, &format!("contracts.site.{verb}"), &pb::SiteEvent { site: Some(site) }).await?;
            }
        }
    }
    crate::billing::seed_billing(&mut *tx, c).await?;
    // The current year's agreement is active; the coming year's is in the demo's state.
    let current = DemoAgreement { status: "active", signed_on: Some((2025, 12, 12)), ..clone_agreement(&c.agreement_2027) };
    seed_agreement(&mut *tx, customer_id, &c.code, 2026, &current, &site_ids).await?;
    seed_agreement(&mut *tx, customer_id, &c.code, 2027, &c.agreement_2027, &site_ids).await?;
    report.agreements += 2;
    Ok(())
}

fn clone_agreement(a: &DemoAgreement) -> DemoAgreement {
    DemoAgreement {
        status: a.status,
        signed_on: a.signed_on,
        customer_responsible: a.customer_responsible.clone(),
        enterprise_responsible: a.enterprise_responsible.clone(),
        communication_duties: a.communication_duties.clone(),
        tendering_duties: a.tendering_duties.clone(),
        development_items: a.development_items.clone(),
        change_handling: a.change_handling.clone(),
        lines: a
            .lines
            .iter()
            .map(|l| crate::city::DemoLine {
                service_line: l.service_line,
                description: l.description.clone(),
                site_levels: l.site_levels.clone(),
            })
            .collect(),
        annexes: a.annexes_2026.clone(),
        annexes_2026: a.annexes_2026.clone(),
    }
}

async fn seed_agreement(
    tx: &mut PgConnection,
    customer_id: Uuid,
    code: &str,
    year: i32,
    a: &DemoAgreement,
    site_ids: &HashMap<&str, Uuid>,
) -> anyhow::Result<()> {
    let id = demo_id("agreement", &format!("{code}:{year}"));
    let signed_on = a.signed_on.and_then(|(y, m, d)| date(y, m, d));
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, customer_responsible, enterprise_responsible, communication_duties,
         tendering_duties, development_items, change_handling, signed_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(year)
    .bind(a.status)
    .bind(&a.customer_responsible)
    .bind(&a.enterprise_responsible)
    .bind(&a.communication_duties)
    .bind(&a.tendering_duties)
    .bind(&a.development_items)
    .bind(&a.change_handling)
    .bind(signed_on)
    .execute(&mut *tx)
    .await?;
    let path: &[&str] = match a.status {
        "negotiation" => &["draft", "negotiation"],
        "signed" => &["draft", "negotiation", "signed"],
        "active" => &["draft", "negotiation", "signed", "active"],
        _ => &["draft"],
    };
    let mut previous: Option<&str> = None;
    for step in path {
        store::record_status(&mut *tx, id, previous, step, "demo-seed", "").await?;
        previous = Some(step);
    }
    for (pos, line) in a.lines.iter().enumerate() {
        let line_id = demo_id("line", &format!("{code}:{year}:{}", line.service_line));
        sqlx::query("INSERT INTO agreement_lines (id, agreement_id, service_line, description, position) VALUES ($1,$2,$3,$4,$5)")
            .bind(line_id)
            .bind(id)
            .bind(line.service_line)
            .bind(&line.description)
            .bind(i32::try_from(pos).unwrap_or(0) + 1)
            .execute(&mut *tx)
            .await?;
        let (sites, levels): (Vec<Uuid>, Vec<String>) =
            line.site_levels.iter().filter_map(|(site, level)| site_ids.get(site.as_str()).map(|id| (*id, level.clone()))).unzip();
        sqlx::query(
            "INSERT INTO agreement_line_sites (line_id, site_id, service_level) SELECT $1, s, l FROM unnest($2::uuid[], $3::text[]) AS x(s, l)",
        )
        .bind(line_id)
        .bind(&sites)
        .bind(&levels)
        .execute(&mut *tx)
        .await?;
    }
    for x in &a.annexes {
        sqlx::query("INSERT INTO annexes (id, agreement_id, title, version, body, added_by) VALUES ($1,$2,$3,$4,$5,'demo-seed')")
            .bind(demo_id("annex", &format!("{code}:{year}:{}:{}", x.title, x.version)))
            .bind(id)
            .bind(&x.title)
            .bind(i32::try_from(x.version).unwrap_or(1))
            .bind(&x.body)
            .execute(&mut *tx)
            .await?;
    }
    if year == 2026 && code == "SIVI" {
        sqlx::query(
            "INSERT INTO amendments (id, agreement_id, title, description, effective_date, status, proposed_by, decided_by, decided_on, decision_reason)
             VALUES ($1, $2, 'Uusi päiväkoti Hiukkavaaraan', 'Hiukkavaaran uusi päiväkoti lisätään ateria- ja puhtauspalvelujen piiriin 1.8.2026 alkaen.',
                     '2026-08-01', 'approved', 'demo-seed', 'demo-seed', '2026-05-20', 'Varhaiskasvatuksen palveluverkkopäätös')",
        )
        .bind(demo_id("amendment", "SIVI:2026:hiukkavaara"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    if year == 2027 && a.status == "signed" && code == "SIVI" {
        sqlx::query(
            "INSERT INTO amendments (id, agreement_id, title, description, effective_date, status, changes_pricing_structure, affected_customers, proposed_by)
             VALUES ($1, $2, 'Kohdekohtaiseen hinnoitteluun siirtyminen', 'Puhtauspalvelujen hinnoittelu muuttuu neliöhintaisesta kohdekohtaiseksi 1.3.2027 alkaen. Muutos koskee useaa asiakasta, joten se vaatii asiakkuusryhmän hyväksynnän ennen johtokuntaa.',
                     '2027-03-01', 'proposed', true, 5, 'demo-seed')",
        )
        .bind(demo_id("amendment", "SIVI:2027:site-pricing"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(agreement) = store::load_agreement(&mut *tx, id, None).await? {
        let verb = match a.status {
            "signed" => "signed",
            "active" => "activated",
            _ => "created",
        };
        emit(
            &mut *tx,
            PRODUCER,
            &format!("contracts.agreement.{verb}"),
            &pb::AgreementEvent { agreement: Some(agreement), previous_status: 0 },
        )
        .await?;
    }
    Ok(())
}
