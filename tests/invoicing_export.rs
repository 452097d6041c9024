//! Export to the city group's billing: an issued run's batch (e-invoices, PDFs
//! and a manifest with every file's SHA-256) written to the directory sink,
//! exporting again giving the same names and bytes, and the group's billing
//! client (grant `billing:export` only) acknowledging invoice by invoice.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, NaiveDate};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::ordering::v1 as ord;
use kumppani_proto::pricing::v1 as pricing;
use kumppani_proto::r#type::v1::ServiceLine;
use sha2::Digest;
use std::time::Duration;
use support::fixtures::{date, today};
use support::{TestEnv, code, violations};

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

#[tokio::test]
async fn an_issued_run_is_exported_once_with_its_manifest_and_acknowledged_by_the_group() {
    let mut env = TestEnv::start(false).await;
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
    let run = loop {
        let run = env.invoicing.start_run(env.req(inv::StartRunRequest { year, month }, &t)).await.unwrap().into_inner();
        if run.invoice_count == 2 && run.total == "107.59" {
            break run;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the projection did not catch up: {run:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // A draft is not exported.
    let export = |id: &str| inv::ExportRunRequest { run_id: id.into() };
    assert_eq!(code(env.invoicing.export_run(env.req(export(&run.id), &t)).await), tonic::Code::FailedPrecondition);
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap();
    let batch = env.invoicing.export_run(env.req(export(&run.id), &t)).await.unwrap().into_inner();
    assert_eq!((batch.invoice_count, batch.total.as_str(), batch.files.len()), (2, "107.59", 4));
    let names: Vec<&str> = batch.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.iter().filter(|n| n.ends_with(".finvoice.xml")).count(), 1, "the internal customer's Finvoice: {names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with(".peppol.xml")).count(), 1, "the Peppol customer's UBL: {names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 2);
    // On disk: every file as the manifest says (name, size, SHA-256).
    let dir = std::path::PathBuf::from(&batch.location);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!((manifest["invoice_count"].as_u64(), manifest["total"].as_str()), (Some(2), Some("107.59")));
    let mut digests = Vec::new();
    for f in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(dir.join(f["name"].as_str().unwrap())).unwrap();
        assert_eq!(format!("{:x}", sha2::Sha256::digest(&bytes)), f["sha256"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap());
        digests.push(f["sha256"].as_str().unwrap().to_owned());
    }
    // Exporting again: the same batch, names and bytes.
    let again = env.invoicing.export_run(env.req(export(&run.id), &t)).await.unwrap().into_inner();
    assert_eq!(again.id, batch.id);
    assert_eq!(again.files.iter().map(|f| f.sha256.clone()).collect::<Vec<_>>(), digests);

    // The group's billing: it reads batches, not invoices, and answers per invoice.
    let group = env.issuer().token_for(Role::SystemClient, None, None, vec!["billing:export".into()]).unwrap();
    let listed = env.invoicing.list_export_batches(env.req(inv::ListExportBatchesRequest { year }, &group)).await.unwrap().into_inner();
    assert_eq!(listed.batches.len(), 1);
    let first = &batch.invoices[0];
    let get = inv::GetInvoiceRequest { id: first.invoice_id.clone(), ..Default::default() };
    assert_eq!(code(env.invoicing.get_invoice(env.req(get, &group)).await), tonic::Code::PermissionDenied);
    let other = env.issuer().token_for(Role::SystemClient, None, None, vec!["invoices:read".into()]).unwrap();
    assert_eq!(
        code(env.invoicing.list_export_batches(env.req(inv::ListExportBatchesRequest { year }, &other)).await),
        tonic::Code::PermissionDenied
    );
    let ack = |accepted: bool, reason: &str, i: usize| inv::InvoiceAcknowledgement {
        invoice_id: batch.invoices[i].invoice_id.clone(),
        accepted,
        reason: reason.into(),
    };
    let bad = inv::AcknowledgeExportRequest { batch_id: batch.id.clone(), invoices: vec![ack(true, "", 0), ack(false, "", 1)] };
    assert_eq!(violations(env.invoicing.acknowledge_export(env.req(bad, &group)).await), ["invoices[1].reason"]);
    let unchanged =
        env.invoicing.get_export_batch(env.req(inv::GetExportBatchRequest { id: batch.id.clone() }, &t)).await.unwrap().into_inner();
    assert!(unchanged.invoices.iter().all(|i| i.status == inv::ExportStatus::Exported as i32), "nothing written");
    let good = inv::AcknowledgeExportRequest {
        batch_id: batch.id.clone(),
        invoices: vec![ack(true, "", 0), ack(false, "Kustannuspaikka puuttuu", 1)],
    };
    let answered = env.invoicing.acknowledge_export(env.req(good, &group)).await.unwrap().into_inner();
    let states: Vec<(i32, &str)> = answered.invoices.iter().map(|i| (i.status, i.reason.as_str())).collect();
    assert_eq!(states, vec![(inv::ExportStatus::Accepted as i32, ""), (inv::ExportStatus::Rejected as i32, "Kustannuspaikka puuttuu")]);
    assert_eq!(env.outbox_count("invoicing", "invoicing.export.rejected").await, 1);
    assert_eq!(env.outbox_count("invoicing", "invoicing.export.acknowledged").await, 1);
    env.cleanup().await;
}
