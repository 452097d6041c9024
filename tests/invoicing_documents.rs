//! The demo city's invoices as the group's billing and a controller meet them:
//! the invoicing demo (September and October 2026 issued, a credit note and a
//! re-invoice, a pass-through line, a late correction on November's draft)
//! seeded by `kumppani dev`, and each issued invoice's files through the REST
//! API validated by the real validators: Finvoice 3.0 against its XSD, Peppol
//! BIS Billing 3.0 against the UBL XSD and the EN 16931 and Peppol schematron,
//! the PDF read back with pdftotext, the CSV row by row.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::TestEnv;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn standards(p: &str) -> PathBuf {
    root().join("services/einvoice/tests/standards").join(p)
}

/// The python of scripts/xml-venv.sh (lxml + saxonche); fails when python3 is missing.
fn python() -> PathBuf {
    let out = Command::new("bash").arg(root().join("scripts/xml-venv.sh")).output().expect("bash runs scripts/xml-venv.sh");
    assert!(
        out.status.success(),
        "scripts/xml-venv.sh failed (python3 and python3-venv needed):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim())
}

fn validate(xsd: &Path, xslts: &[PathBuf], file: &Path) {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("scripts/xml-validate.py")).arg("--xsd").arg(xsd);
    for x in xslts {
        cmd.arg("--xslt").arg(x);
    }
    let out = cmd.arg(file).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} is not valid:\n{report}", file.display());
}

async fn get(env: &TestEnv, path: &str) -> (reqwest::StatusCode, String, Vec<u8>) {
    let r = reqwest::Client::new().get(format!("{}/api/v1{path}", env.http)).bearer_auth(env.staff()).send().await.unwrap();
    let status = r.status();
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_demo_invoices_and_their_files_pass_the_standards() {
    let mut env = TestEnv::start(true).await;
    let demo = env.platform.as_mut().unwrap().invoicing_demo.take().expect("the invoicing demo runs with the seed");
    demo.await.unwrap().unwrap();
    let list = env.rest_json("/invoices?year=2026&month=9&pageSize=100", &env.staff()).await;
    let invoices = list["invoices"].as_array().unwrap().clone();
    let kinds = |kind: &str| invoices.iter().filter(|i| i["kind"] == kind).count();
    assert_eq!(kinds("INVOICE_KIND_CREDIT_NOTE"), 1, "one September invoice was credited");
    let credited = invoices.iter().filter(|i| i["status"] == "INVOICE_STATUS_CREDITED").count();
    assert_eq!(credited, 1);
    let live = invoices.iter().filter(|i| i["kind"] == "INVOICE_KIND_INVOICE" && i["status"] == "INVOICE_STATUS_ISSUED").count();
    assert!(live >= 12, "every demo customer (SIVI per unit) has one live September invoice: {live}");

    // October carries the pass-through line with its supplier's reference.
    let october = env.rest_json("/invoices?year=2026&month=10&pageSize=100", &env.staff()).await;
    let mut pass_through = false;
    for i in october["invoices"].as_array().unwrap() {
        let full = env.rest_json(&format!("/invoices/{}", i["id"].as_str().unwrap()), &env.staff()).await;
        pass_through |= full["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "ROW_KIND_PASS_THROUGH" && r["supplierInvoiceNumber"] == "KI-2026-1043");
    }
    assert!(pass_through, "October's pass-through line");
    // November is a draft run whose invoices include the late correction of an October delivery.
    let runs = env.rest_json("/invoice-runs?year=2026", &env.staff()).await;
    assert!(runs["runs"].is_array(), "{runs}");
    let november = runs["runs"].as_array().unwrap().iter().find(|r| r["month"] == 11).expect("November's run").clone();
    assert_eq!(november["status"], "RUN_STATUS_DRAFT");
    let drafts = env.rest_json("/invoices?year=2026&month=11&status=INVOICE_STATUS_DRAFT&pageSize=100", &env.staff()).await;
    let mut correction = None;
    for i in drafts["invoices"].as_array().unwrap() {
        let full = env.rest_json(&format!("/invoices/{}?days=true", i["id"].as_str().unwrap()), &env.staff()).await;
        assert!(full["rows"].is_array(), "{full}");
        if let Some(r) = full["rows"].as_array().unwrap().iter().find(|r| r["kind"] == "ROW_KIND_CORRECTION") {
            correction = Some(r.clone());
        }
    }
    let correction = correction.expect("a correction row on November's draft");
    assert_eq!(correction["quantity"], "-3");
    assert!(correction["originalInvoiceNumber"].as_str().unwrap().starts_with("2026100"), "{correction}");
    assert_eq!(correction["days"][0]["reason"], "Kolme lasta sairaana; korjattu jälkikäteen");

    // An answered and an open invoice question.
    let questions = env.rest_json("/invoice-questions", &env.staff()).await;
    let statuses: Vec<&str> = questions["questions"].as_array().unwrap().iter().map(|q| q["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), 2, "{questions}");
    assert!(statuses.contains(&"QUESTION_STATUS_OPEN") && statuses.contains(&"QUESTION_STATUS_ANSWERED"));

    // Files of an internal customer's invoice, the Peppol customer's and the credit note.
    let dir = std::env::temp_dir().join(format!("kumppani-invoice-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let finvoice_xsd = standards("finvoice/Finvoice3.0.xsd");
    let chosen: Vec<&serde_json::Value> = invoices
        .iter()
        .filter(|i| i["status"] == "INVOICE_STATUS_ISSUED" || i["kind"] == "INVOICE_KIND_CREDIT_NOTE")
        .filter(|i| {
            i["peppolId"].as_str().is_some_and(|p| !p.is_empty())
                || i["kind"] == "INVOICE_KIND_CREDIT_NOTE"
                || i["customerName"].as_str().unwrap().contains("Sivistys")
        })
        .collect();
    assert!(chosen.iter().any(|i| !i["peppolId"].as_str().unwrap_or("").is_empty()), "the Peppol customer's invoice");
    for i in chosen {
        let id = i["id"].as_str().unwrap();
        let number = i["number"].as_str().unwrap();
        let (status, media, xml) = get(&env, &format!("/invoices/{id}/finvoice")).await;
        assert_eq!((status.as_u16(), media.as_str()), (200, "application/xml"), "{}", String::from_utf8_lossy(&xml));
        let file = dir.join(format!("{number}.finvoice.xml"));
        std::fs::write(&file, &xml).unwrap();
        validate(&finvoice_xsd, &[], &file);
        if !i["peppolId"].as_str().unwrap_or("").is_empty() {
            let (status, _, xml) = get(&env, &format!("/invoices/{id}/peppol")).await;
            assert_eq!(status.as_u16(), 200, "{}", String::from_utf8_lossy(&xml));
            let credit = i["kind"] == "INVOICE_KIND_CREDIT_NOTE";
            let xsd = standards(if credit { "ubl21/xsd/maindoc/UBL-CreditNote-2.1.xsd" } else { "ubl21/xsd/maindoc/UBL-Invoice-2.1.xsd" });
            let file = dir.join(format!("{number}.peppol.xml"));
            std::fs::write(&file, &xml).unwrap();
            validate(&xsd, &[standards("peppol-bis3/CEN-EN16931-UBL.xslt"), standards("peppol-bis3/PEPPOL-EN16931-UBL.xslt")], &file);
        }
        // The PDF says what the portal says: number, reference, total, every site.
        let (status, media, pdf) = get(&env, &format!("/invoices/{id}/pdf")).await;
        assert_eq!((status.as_u16(), media.as_str()), (200, "application/pdf"));
        let pdf_file = dir.join(format!("{number}.pdf"));
        std::fs::write(&pdf_file, &pdf).unwrap();
        let out = Command::new("pdftotext").arg("-layout").arg("-enc").arg("UTF-8").arg(&pdf_file).arg("-").output();
        let text = match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).replace('\u{a0}', " "),
            other => panic!("pdftotext is required (Debian: apt-get install poppler-utils): {other:?}"),
        };
        let full = env.rest_json(&format!("/invoices/{id}"), &env.staff()).await;
        assert!(text.contains(number), "the number in the PDF");
        let total = full["total"].as_str().unwrap().replace('-', "").replace('.', ",");
        let grouped = {
            let (int, frac) = total.split_once(',').unwrap();
            let mut g = String::new();
            for (n, c) in int.chars().enumerate() {
                if n > 0 && (int.len() - n) % 3 == 0 {
                    g.push(' ');
                }
                g.push(c);
            }
            format!("{g},{frac}")
        };
        assert!(text.contains(&grouped), "the total {grouped} in the PDF of {number}");
        for site in full["sites"].as_array().unwrap().iter().take(5) {
            assert!(text.contains(site["siteName"].as_str().unwrap()), "site {} in the PDF of {number}", site["siteName"]);
        }
        // The CSV: one row per site, product and day.
        let (status, _, csv) = get(&env, &format!("/invoices/{id}/specification.csv")).await;
        assert_eq!(status.as_u16(), 200);
        let days = env.rest_json(&format!("/invoices/{id}?days=true"), &env.staff()).await;
        let spec_rows = days["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["siteName"].as_str().unwrap_or("").is_empty() && !r["productCode"].as_str().unwrap_or("").is_empty());
        let expected: usize = spec_rows.map(|r| r["days"].as_array().map_or(0, Vec::len).max(1)).sum();
        let lines = String::from_utf8(csv).unwrap().lines().count() - 1;
        assert_eq!(lines, expected, "CSV rows of {number}");
    }
    // A draft has no files yet: a clear refusal, not a 500.
    let draft = drafts["invoices"][0]["id"].as_str().unwrap();
    let (status, _, body) = get(&env, &format!("/invoices/{draft}/pdf")).await;
    assert_eq!(status.as_u16(), 409, "{}", String::from_utf8_lossy(&body));
    env.cleanup().await;
}
