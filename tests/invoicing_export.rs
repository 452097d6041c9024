//! Export to the city group's billing: an issued run's batch (e-invoices, PDFs
//! and a manifest with every file's SHA-256) written to the directory sink,
//! exporting again giving the same names and bytes, and the group's billing
//! client (grant `billing:export` only) acknowledging invoice by invoice.
#![allow(clippy::unwrap_used)]

mod support;

use kumppani_platform::auth::Role;
use kumppani_proto::invoicing::v1 as inv;
use sha2::Digest;
use support::{TestEnv, code, violations};

#[tokio::test]
async fn an_issued_run_is_exported_once_with_its_manifest_and_acknowledged_by_the_group() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let run = support::export::last_months_run(&mut env).await;
    let year = run.year;
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
    // The folder is named by the whole run id: two runs of a month started within a minute
    // (the clock part of a UUIDv7) must not share one.
    assert!(batch.location.ends_with(&format!("{year}-{:02}-{}", run.month, run.id.replace('-', ""))), "{}", batch.location);
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

#[tokio::test]
async fn a_credit_note_travels_in_a_batch_of_its_own() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let run = support::export::last_months_run(&mut env).await;
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap();
    let run_batch = env.invoicing.export_run(env.req(inv::ExportRunRequest { run_id: run.id.clone() }, &t)).await.unwrap().into_inner();
    let internal = run_batch.invoices.iter().find(|i| i.total == "77.00").expect("the internal customer's invoice (20 × 3.85)");
    // An invoice is not exported on its own: it travels in its run's batch.
    let alone = |id: &str| inv::ExportCreditNoteRequest { invoice_id: id.into() };
    assert_eq!(code(env.invoicing.export_credit_note(env.req(alone(&internal.invoice_id), &t)).await), tonic::Code::FailedPrecondition);
    let credit = inv::CreditInvoiceRequest { id: internal.invoice_id.clone(), reason: "Väärä kohde".into() };
    let note = env.invoicing.credit_invoice(env.req(credit, &t)).await.unwrap().into_inner();
    let batch = env.invoicing.export_credit_note(env.req(alone(&note.id), &t)).await.unwrap().into_inner();
    assert_eq!((batch.credit_note_id.as_str(), batch.run_id.as_str()), (note.id.as_str(), ""));
    assert_eq!((batch.invoice_count, batch.total.as_str(), batch.files.len()), (1, "-77.00", 2));
    assert_eq!((batch.year, batch.month), (run.year, run.month));
    let dir = std::path::PathBuf::from(&batch.location);
    assert!(batch.location.contains(&format!("credit-{}", note.number)), "{}", batch.location);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!((manifest["credit_note"].as_str(), manifest["total"].as_str()), (Some(note.id.as_str()), Some("-77.00")));
    let finvoice = batch.files.iter().find(|f| f.name.ends_with(".finvoice.xml")).unwrap();
    let xml = std::fs::read_to_string(dir.join(&finvoice.name)).unwrap();
    assert!(xml.contains(&internal.number), "the credit note's e-invoice names the invoice it credits");
    // Again: the same batch, the same bytes; the run's batch is untouched by it.
    let again = env.invoicing.export_credit_note(env.req(alone(&note.id), &t)).await.unwrap().into_inner();
    assert_eq!((again.id.as_str(), again.files.len()), (batch.id.as_str(), 2));
    assert_eq!(again.files.iter().map(|f| &f.sha256).collect::<Vec<_>>(), batch.files.iter().map(|f| &f.sha256).collect::<Vec<_>>());
    let listed =
        env.invoicing.list_export_batches(env.req(inv::ListExportBatchesRequest { year: run.year }, &t)).await.unwrap().into_inner();
    assert_eq!(listed.batches.len(), 2);
    assert!(listed.batches.iter().any(|b| b.id == run_batch.id && b.invoice_count == 2));
    // The group's billing acknowledges it like any exported invoice.
    let group = env.issuer().token_for(Role::SystemClient, None, None, vec!["billing:export".into()]).unwrap();
    let ack = inv::AcknowledgeExportRequest {
        batch_id: batch.id.clone(),
        invoices: vec![inv::InvoiceAcknowledgement { invoice_id: note.id.clone(), accepted: true, reason: String::new() }],
    };
    let acked = env.invoicing.acknowledge_export(env.req(ack, &group)).await.unwrap().into_inner();
    assert_eq!(acked.invoices[0].status, inv::ExportStatus::Accepted as i32);
    env.cleanup().await;
}
