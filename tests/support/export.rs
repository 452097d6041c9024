//! A month ready to export to the city group's billing: an internal customer
//! (Finvoice) and an external one with a Peppol id, one delivery day each,
//! and the month's run started (a draft, 2 invoices, 107.59 €).

use super::TestEnv;
use super::fixtures::{date, today};
use chrono::{Datelike, NaiveDate};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::ordering::v1 as ord;
use kumppani_proto::pricing::v1 as pricing;
use kumppani_proto::r#type::v1::ServiceLine;
use std::time::Duration;

fn billing(peppol: bool, ovt: &str) -> contracts::BillingDetails {
    contracts::BillingDetails {
        invoicing_level: contracts::InvoicingLevel::Customer as i32,
        einvoice_address: ovt.into(),
        operator_id: "003721291126".into(),
        peppol_id: if peppol { format!("0216:{ovt}") } else { String::new() },
        buyer_reference: "KP 4100".into(),
        payment_terms_days: 14,
        invoice_language: "fi".into(),
        street_address: "PL 1".into(),
        postal_code: "90015".into(),
        city: "Oulu".into(),
    }
}

/// Last month's run, started (not issued): its invoices are the internal
/// customer's (20 lunches) and the Peppol customer's (7 lunches).
pub async fn last_months_run(env: &mut TestEnv) -> inv::Run {
    let t = env.staff();
    let last = today().with_day(1).unwrap().pred_opt().unwrap();
    let (year, month) = (last.year(), last.month() as i32);
    let internal = env.internal_customer("EXP").await.id;
    let external = env.customer("EXX", contracts::CustomerKind::External, "2331972-7").await.id;
    for (c, peppol, ovt) in [(&internal, false, "003701876901100"), (&external, true, "003723319727")] {
        let set =
            contracts::SetBillingDetailsRequest { customer_id: c.clone(), unit_id: String::new(), billing: Some(billing(peppol, ovt)) };
        env.client.set_billing_details(env.req(set, &t)).await.unwrap();
    }
    let a = env.site(&internal, "EXP-1", contracts::SiteKind::Daycare).await.id;
    let b = env.site(&external, "EXX-1", contracts::SiteKind::Office).await.id;
    env.agreement(&internal, year, &[&a], &[ServiceLine::Meals], true).await;
    env.agreement(&external, year, &[&b], &[ServiceLine::Meals], true).await;
    let c = |k: pricing::CostComponentKind, v: &str| pricing::CostComponent { kind: k as i32, amount: v.into() };
    let lunch = pricing::Price {
        product_code: "LOUNAS-PK".into(),
        unit_price: "3.85".into(),
        components: vec![c(pricing::CostComponentKind::RawMaterials, "1.60"), c(pricing::CostComponentKind::Labour, "2.25")],
    };
    env.published_price_list(year, &[lunch], None).await;
    let day = NaiveDate::from_ymd_opt(year, month as u32, 1)
        .unwrap()
        .iter_days()
        .find(|d| kumppani_platform::calendar::is_working_day(*d))
        .unwrap();
    let line = |site: &str, q: i32| ord::OrderLine {
        site_id: site.into(),
        service_day: Some(date(day)),
        product_code: "LOUNAS-PK".into(),
        diet: String::new(),
        quantity: q,
    };
    let confirm = ord::ConfirmDeliveriesRequest {
        lines: vec![line(&a, 20), line(&b, 7)],
        correction_reason: String::new(),
        idempotency_key: "exp-1".into(),
    };
    let started = std::time::Instant::now();
    while let Err(e) = env.ordering.confirm_deliveries(env.req(confirm.clone(), &t)).await {
        assert!(started.elapsed() < Duration::from_secs(30), "ordering never knew the sites: {e:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Invoicing learns the deliveries and the billing details from events.
    loop {
        let run = env.invoicing.start_run(env.req(inv::StartRunRequest { year, month }, &t)).await.unwrap().into_inner();
        if run.invoice_count == 2 && run.total == "107.59" {
            return run;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the projection did not catch up: {run:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
