//! Validates the renderings with real validators: Finvoice 3.0 and UBL 2.1 XSDs (lxml),
//! the compiled EN 16931 and Peppol BIS Billing 3.0 Schematron (saxonche), and the PDF's
//! text through `pdftotext`. Python comes from `scripts/xml-venv.sh` (a virtualenv under
//! `target/`); python3 and pdftotext (poppler-utils) must be installed: without them the
//! tests fail, they do not skip.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kumppani_einvoice::model::Invoice;
use kumppani_einvoice::{finvoice, money, pdf, peppol, sample};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn standards() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standards")
}

/// The virtualenv's python (made once per test run).
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let found = Command::new("python3").arg("--version").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "python3 is required for the XML validation tests (Debian: apt-get install python3 python3-venv); it was not found: {found:?}"
        );
        let out = Command::new("bash").arg(repo_root().join("scripts/xml-venv.sh")).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/xml-venv.sh failed (it makes target/xml-venv with python3 -m venv, Debian package python3-venv, and installs lxml and saxonche from PyPI):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        PathBuf::from(stdout.lines().last().unwrap().trim())
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kumppani-einvoice-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs scripts/xml-validate.py and asserts every document is valid.
fn validate(xsd: &Path, xslts: &[PathBuf], files: &[PathBuf]) {
    let mut cmd = Command::new(python());
    cmd.arg(repo_root().join("scripts/xml-validate.py")).arg("--xsd").arg(xsd);
    for x in xslts {
        cmd.arg("--xslt").arg(x);
    }
    cmd.args(files);
    let out = cmd.output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{report}");
    assert!(out.status.success(), "validation failed:\n{report}");
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn samples() -> Vec<(&'static str, Invoice)> {
    vec![
        ("internal-outside-scope", sample::internal_outside_scope().unwrap()),
        ("external-two-rates", sample::external_two_rates().unwrap()),
        ("credit-note", sample::credit_note().unwrap()),
        ("many-rows-sv", sample::many_rows().unwrap()),
    ]
}

#[test]
fn finvoice_validates_against_the_finvoice_3_xsd() {
    let dir = temp_dir("finvoice");
    let files: Vec<_> =
        samples().iter().map(|(name, inv)| write(&dir, &format!("{name}.xml"), finvoice::to_xml(inv).unwrap().as_bytes())).collect();
    validate(&standards().join("finvoice/Finvoice3.0.xsd"), &[], &files);
    std::fs::remove_dir_all(dir).unwrap();
}

fn schematron() -> Vec<PathBuf> {
    vec![standards().join("peppol-bis3/CEN-EN16931-UBL.xslt"), standards().join("peppol-bis3/PEPPOL-EN16931-UBL.xslt")]
}

fn peppol_files(dir: &Path, credit_notes: bool) -> Vec<PathBuf> {
    samples()
        .iter()
        .filter(|(_, inv)| inv.header.kind.is_credit_note() == credit_notes)
        .map(|(name, inv)| {
            let attachments = [
                peppol::Attachment::pdf(format!("{}.pdf", inv.header.number), "Lasku ja laskutusliite", pdf::render(inv)),
                peppol::Attachment::csv(
                    format!("{}-liite.csv", inv.header.number),
                    "Laskutusliite CSV",
                    kumppani_einvoice::csv::specification(inv).unwrap().into_bytes(),
                ),
            ];
            write(dir, &format!("{name}.xml"), peppol::to_xml(inv, &attachments).unwrap().as_bytes())
        })
        .collect()
}

#[test]
fn peppol_invoices_pass_ubl_xsd_and_en16931_and_peppol_rules() {
    let dir = temp_dir("peppol-invoice");
    let files = peppol_files(&dir, false);
    assert_eq!(files.len(), 3);
    validate(&standards().join("ubl21/xsd/maindoc/UBL-Invoice-2.1.xsd"), &schematron(), &files);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn peppol_credit_note_passes_ubl_xsd_and_en16931_and_peppol_rules() {
    let dir = temp_dir("peppol-credit-note");
    let files = peppol_files(&dir, true);
    assert_eq!(files.len(), 1);
    validate(&standards().join("ubl21/xsd/maindoc/UBL-CreditNote-2.1.xsd"), &schematron(), &files);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_validator_rejects_a_broken_document() {
    // The validation is real: a Peppol invoice without its buyer reference and with a
    // wrong total fails the Schematron.
    let dir = temp_dir("negative");
    let inv = sample::external_two_rates().unwrap();
    let xml = peppol::to_xml(&inv, &[]).unwrap();
    let total = money::dot(inv.totals.total, 2);
    let broken = xml.replacen(&format!(">{total}</cbc:PayableAmount>"), ">1.00</cbc:PayableAmount>", 1);
    assert_ne!(xml, broken);
    let file = write(&dir, "broken.xml", broken.as_bytes());
    let out = Command::new(python())
        .arg(repo_root().join("scripts/xml-validate.py"))
        .arg("--xsd")
        .arg(standards().join("ubl21/xsd/maindoc/UBL-Invoice-2.1.xsd"))
        .args(schematron().iter().flat_map(|x| ["--xslt".as_ref(), x.as_os_str()]))
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a wrong PayableAmount must fail: {report}");
    assert!(report.contains("BR-CO-16") || report.contains("fatal"), "{report}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn pdftotext(pdf: &[u8], name: &str) -> String {
    let dir = temp_dir("pdf");
    let file = write(&dir, &format!("{name}.pdf"), pdf);
    let out = Command::new("pdftotext").arg("-layout").arg("-enc").arg("UTF-8").arg(&file).arg("-").output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("pdftotext is required for the PDF test (Debian: apt-get install poppler-utils): {e}"),
    };
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pdf_text_has_totals_reference_and_sites() {
    let inv = sample::internal_outside_scope().unwrap();
    let text = pdftotext(&pdf::render(&inv), "internal");
    for expected in [
        money::fi_eur(inv.totals.total),
        inv.reference.finnish_grouped(),
        inv.reference.rf_grouped(),
        "Päiväkoti Mäntylä".to_string(),
        "Päiväkoti Sörnäinen".to_string(),
        "Raaka-aineet".to_string(),
        "Kaksi annosta palautettiin".to_string(),
        "Muutokset edelliseen kuukauteen".to_string(),
        "2026-0412".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in the PDF text:\n{text}");
    }

    let ext = sample::external_two_rates().unwrap();
    let text = pdftotext(&pdf::render(&ext), "external");
    for expected in [
        money::fi_eur(ext.totals.total),
        money::fi_eur(ext.totals.vat_total),
        "Lasi & Kirkas Oy lasku 88120".to_string(),
        "Toimisto Hämeentie".to_string(),
        "25,5".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in the PDF text:\n{text}");
    }

    let sv = sample::many_rows().unwrap();
    let text = pdftotext(&pdf::render(&sv), "many");
    for expected in ["FAKTURA".to_string(), "Skola Åminne".to_string(), "Skola Öljymäki".to_string(), money::fi_eur(sv.totals.total)] {
        assert!(text.contains(&expected), "{expected:?} not in the PDF text:\n{text}");
    }
    assert!(text.matches('\u{c}').count() >= 2, "many rows take several pages");
    std::fs::remove_dir_all(temp_dir("pdf")).unwrap();
}
