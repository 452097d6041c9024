//! The invoicing demo: September and October 2026 invoiced and issued on the
//! group calendar's dates, a pass-through line (window washing bought from a
//! subcontractor) on October's invoice, one September invoice credited and
//! invoiced again, a delivery of October corrected after October was invoiced
//! (a correction row on November's invoice), an answered and an open invoice
//! question, and November's run as a draft awaiting review. September and
//! October are exported to the group's billing (the directory sink): September
//! and the credit note accepted, one October invoice rejected with a reason.
//!
//! Runs after the platform has started (invoicing learns customers, sites,
//! agreements and prices from events): waits until its projection has them,
//! then works through the invoicing service's own API, as staff would.
//! Idempotent: does nothing when a run exists.

use crate::ids::demo_id;
use kumppani_invoicing::service::Invoicing;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::db::connect_as_service;
use kumppani_platform::events::emit;
use kumppani_proto::invoicing::v1 as pb;
use kumppani_proto::ordering::v1 as ordering;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn staff() -> Principal {
    Principal {
        subject: crate::users::SEED_SUBJECT.to_owned(),
        name: crate::users::seed_actor_name("invoicing"),
        email: String::new(),
        role: Role::EnterpriseAdmin,
        customer_id: None,
        site_id: None,
        grants: Vec::new(),
    }
}

fn date(y: i32, m: u32, d: u32) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad demo date"))
}

/// Waits until invoicing's projection knows the demo city's customers, sites,
/// both price lists and the VAT table (from the other services' events).
async fn wait_for_projection(pool: &sqlx::PgPool, timeout: Duration) -> anyhow::Result<()> {
    let city = crate::city::demo_city();
    let customers = i64::try_from(city.customers.len())?;
    let sites = i64::try_from(city.customers.iter().flat_map(|c| c.units.iter()).map(|u| u.sites.len()).sum::<usize>())?;
    let started = Instant::now();
    loop {
        // Customers count once their billing details (with the postal address) have arrived too.
        let (c, s, l, v, a): (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM customers WHERE billing->>'street_address' <> ''), (SELECT count(*) FROM sites),
                    (SELECT count(*) FROM price_lists), (SELECT count(*) FROM vat_rates), (SELECT count(*) FROM agreements WHERE year = 2026)",
        )
        .fetch_one(pool)
        .await?;
        if c >= customers && s >= sites && l >= 2 && v > 0 && a >= customers {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < timeout,
            "invoicing's projection did not catch up ({c}/{customers} customers, {s}/{sites} sites)"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Seeds the invoicing demo at `admin_url` once the platform runs.
pub async fn seed(admin_url: &str) -> anyhow::Result<()> {
    let pool = connect_as_service(admin_url, kumppani_invoicing::SCHEMA, true, 4).await?;
    let done: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM runs)").fetch_one(&pool).await?;
    if done {
        return Ok(());
    }
    wait_for_projection(&pool, Duration::from_secs(300)).await?;
    let api = Invoicing { pool: pool.clone(), export: Default::default() };
    let p = staff();
    let run = |year, month| pb::StartRunRequest { year, month };
    // September, issued on the calendar's date (the 5th working day of October).
    let september = api.start_run(&p, run(2026, 9)).await?;
    api.issue_run_on(&p, &september.id, Some(kumppani_invoicing::domain::default_invoice_date(period(2026, 9)?))).await?;
    // October, with a pass-through line for window washing bought from a subcontractor.
    let city = crate::city::demo_city();
    let (customer, site) = city
        .customers
        .iter()
        .find_map(|c| {
            let s = c.units.iter().flat_map(|u| u.sites.iter()).find(|s| s.kind == "school" && s.status == "active")?;
            Some((demo_id("customer", &c.code), demo_id("site", &s.code)))
        })
        .ok_or_else(|| anyhow::anyhow!("no demo school"))?;
    let line = pb::AddManualLineRequest {
        kind: pb::ManualLineKind::PassThrough as i32,
        customer_id: customer.to_string(),
        site_id: site.to_string(),
        year: 2026,
        month: 10,
        description: "Ikkunanpesu, alihankinta (syyskausi)".into(),
        amount: "1240.00".into(),
        vat_rate: String::new(),
        supplier: "Kirkas Ikkuna Oy".into(),
        supplier_invoice_number: "KI-2026-1043".into(),
        idempotency_key: "demo-pass-through-2026-10".into(),
        ..Default::default()
    };
    api.add_manual_line(&p, line).await?;
    let october = api.start_run(&p, run(2026, 10)).await?;
    let october_date = kumppani_invoicing::domain::default_invoice_date(period(2026, 10)?);
    api.issue_run_on(&p, &october.id, Some(october_date)).await?;
    // The group's billing received September and accepted it all.
    let batch = api.export_run(&p, &september.id).await?;
    acknowledge(&api, &batch, None).await?;
    // One September invoice went to the wrong cost centre: credited (its credit
    // note travels on its own) and invoiced again.
    if let Some(first) = september.customers.first() {
        let credit =
            pb::CreditInvoiceRequest { id: first.invoice_id.clone(), reason: "Väärä kustannuspaikka; laskutetaan uudelleen".into() };
        let note = api.credit_invoice_on(&p, credit, Some(date(2026, 10, 14)?)).await?;
        let batch = api.export_credit_note(&p, &note.id).await?;
        acknowledge(&api, &batch, None).await?;
        let again = api.start_run(&p, run(2026, 9)).await?;
        api.issue_run_on(&p, &again.id, Some(date(2026, 10, 14)?)).await?;
        api.export_run(&p, &again.id).await?;
    }
    // October: exported; the group rejected one invoice (the state shows on the run page).
    let batch = api.export_run(&p, &october.id).await?;
    acknowledge(&api, &batch, Some("Ostajan viite puuttuu: lisää kustannuspaikka ja lähetä uudelleen")).await?;
    ask_questions(&api, &october).await?;
    correct_an_october_delivery(admin_url, &pool).await?;
    // November: a draft for review (the calendar's date is the 5th working day of December).
    api.start_run(&p, run(2026, 11)).await?;
    pool.close().await;
    Ok(())
}

/// The group's billing (`group-billing`, grant `billing:export`) answers a
/// batch: every invoice accepted, or with `reject_first` the first rejected
/// with that reason and the rest accepted.
async fn acknowledge(api: &Invoicing, batch: &pb::ExportBatch, reject_first: Option<&str>) -> anyhow::Result<()> {
    let group = Principal {
        subject: "group-billing".into(),
        name: "Konsernin laskutus".into(),
        email: String::new(),
        role: Role::SystemClient,
        customer_id: None,
        site_id: None,
        grants: vec![kumppani_platform::auth::grants::BILLING_EXPORT.to_owned()],
    };
    let invoices = batch
        .invoices
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let reason = if k == 0 { reject_first.unwrap_or_default() } else { "" };
            pb::InvoiceAcknowledgement { invoice_id: i.invoice_id.clone(), accepted: reason.is_empty(), reason: reason.to_owned() }
        })
        .collect();
    api.acknowledge_export(&group, pb::AcknowledgeExportRequest { batch_id: batch.id.clone(), invoices }).await?;
    Ok(())
}

/// Sivistys' contract contact asked about a row of October's invoice (answered
/// by the finance manager); Hyvinvointi's contact's question is still open.
async fn ask_questions(api: &Invoicing, october: &pb::Run) -> anyhow::Result<()> {
    let users = crate::users::demo_users();
    let person = |username: &str| users.iter().find(|u| u.username == username).cloned();
    for (username, code, line_no, question, answer) in [
        (
            "sopimus.sivistys",
            "SIVI",
            1,
            "Lokakuun lounasmäärä on suurempi kuin syyskuussa, vaikka lapsia on saman verran. Mistä ero johtuu?",
            Some("Lokakuussa oli 22 toimituspäivää, syyskuussa 21; päiväkohtaiset määrät näkyvät eritelmässä kohteittain."),
        ),
        ("sopimus.hyvinvointi", "HYVI", 0, "Voiko laskulle lisätä kustannuspaikan 4100 erikseen hoivakotien osalta?", None),
    ] {
        let (Some(user), Some(invoice)) =
            (person(username), october.customers.iter().find(|c| c.customer_id == demo_id("customer", code).to_string()))
        else {
            continue;
        };
        let asker = Principal {
            subject: user.username.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role,
            customer_id: user.customer_id,
            site_id: user.site_id,
            grants: Vec::new(),
        };
        let q = api
            .ask(&asker, pb::AskAboutInvoiceRequest { invoice_id: invoice.invoice_id.clone(), line_no, question: question.into() })
            .await?;
        if let Some(answer) = answer {
            api.answer(&staff(), pb::AnswerInvoiceQuestionRequest { id: q.id, answer: answer.into() }).await?;
        }
    }
    Ok(())
}

fn period(year: i32, month: i32) -> anyhow::Result<kumppani_invoicing::domain::Period> {
    kumppani_invoicing::domain::Period::new(year, month).ok_or_else(|| anyhow::anyhow!("bad demo month"))
}

/// A daycare's lunch of 15.10.2026 corrected down by three after October was
/// invoiced: in ordering (row, history, `delivery.corrected` event) and in
/// invoicing's projection (as the event would, so November's draft has it now).
async fn correct_an_october_delivery(admin_url: &str, invoicing: &sqlx::PgPool) -> anyhow::Result<()> {
    let day = date(2026, 10, 15)?;
    let row: Option<(Uuid, Uuid, Uuid, String, i32)> = sqlx::query_as(
        "SELECT id, site_id, customer_id, product_code, quantity FROM deliveries
         WHERE service_day = $1 AND product_code = 'LOUNAS-PK' AND quantity > 10 AND version = 1 ORDER BY id LIMIT 1",
    )
    .bind(day)
    .fetch_optional(invoicing)
    .await?;
    let Some((id, site, customer, product, quantity)) = row else { return Ok(()) };
    let corrected = quantity - 3;
    let reason = "Kolme lasta sairaana; korjattu jälkikäteen";
    let ordering_pool = connect_as_service(admin_url, kumppani_ordering::SCHEMA, true, 1).await?;
    let mut tx = ordering_pool.begin().await?;
    sqlx::query("UPDATE deliveries SET quantity = $2, version = 2, correction_reason = $3 WHERE id = $1 AND version = 1")
        .bind(id)
        .bind(corrected)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO delivery_history (delivery_id, version, quantity, by_subject, reason) VALUES ($1, 2, $2, 'demo-seed', $3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(corrected)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    let delivery = ordering::Delivery {
        id: id.to_string(),
        line: Some(ordering::OrderLine {
            site_id: site.to_string(),
            service_day: Some(ordering::Date::from_naive(day)),
            product_code: product,
            diet: String::new(),
            quantity: corrected,
        }),
        ordered_quantity: quantity,
        version: 2,
        confirmed_by: "demo-seed".into(),
        correction_reason: reason.into(),
        ..Default::default()
    };
    let event = ordering::DeliveryEvent { delivery: Some(delivery), customer_id: customer.to_string(), previous_quantity: quantity };
    emit(&mut tx, kumppani_ordering::PRODUCER, "ordering.delivery.corrected", &event).await?;
    tx.commit().await?;
    ordering_pool.close().await;
    sqlx::query("UPDATE deliveries SET quantity = $2, version = 2, reason = $3, updated_at = now() WHERE id = $1 AND version = 1")
        .bind(id)
        .bind(corrected)
        .bind(reason)
        .execute(invoicing)
        .await?;
    Ok(())
}
