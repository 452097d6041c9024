//! The invoicing service end to end: deliveries confirmed in ordering reach
//! invoicing's projection through events; a month's run drafts one invoice
//! per customer whose totals equal quantity × price, issuing numbers them
//! gaplessly (and is idempotent), a late correction lands on the next invoice
//! referring to the original, a credit note makes room for a new invoice,
//! scope holds and bad input names its fields.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, NaiveDate};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::ordering::v1 as ord;
use kumppani_proto::pricing::v1 as pricing;
use kumppani_proto::r#type::v1::ServiceLine;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;
use support::fixtures::{date, today};
use support::{TestEnv, code, violations};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// The month before this one, and its working days.
fn last_month() -> (i32, i32, Vec<NaiveDate>) {
    let first = today().with_day(1).unwrap();
    let last = first.pred_opt().unwrap();
    let days = last
        .with_day(1)
        .unwrap()
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| kumppani_platform::calendar::is_working_day(*d))
        .collect();
    (last.year(), last.month() as i32, days)
}

struct Billing {
    internal: String,
    external: String,
    sites: Vec<String>,
    shop: String,
}

/// An internal customer with two daycares (meals), an external one with a
/// canteen; last month's year has a published list: lunch 3.85 (food VAT for
/// external customers), snack 1.20.
async fn setup(env: &mut TestEnv, year: i32) -> Billing {
    let internal = env.internal_customer("INV").await.id;
    let external = env.customer("EXT", contracts::CustomerKind::External, "2331972-7").await.id;
    let a = env.site(&internal, "INV-1", contracts::SiteKind::Daycare).await.id;
    let b = env.site(&internal, "INV-2", contracts::SiteKind::Daycare).await.id;
    let shop = env.site(&external, "EXT-1", contracts::SiteKind::Office).await.id;
    env.agreement(&internal, year, &[&a, &b], &[ServiceLine::Meals], true).await;
    env.agreement(&external, year, &[&shop], &[ServiceLine::Meals], true).await;
    let c = |k: pricing::CostComponentKind, a: &str| pricing::CostComponent { kind: k as i32, amount: a.into() };
    let price = |code: &str, raw: &str, labour: &str, total: &str| pricing::Price {
        product_code: code.into(),
        unit_price: total.into(),
        components: vec![c(pricing::CostComponentKind::RawMaterials, raw), c(pricing::CostComponentKind::Labour, labour)],
    };
    env.published_price_list(year, &[price("LOUNAS-PK", "1.60", "2.25", "3.85"), price("VALIPALA", "0.50", "0.70", "1.20")], None).await;
    Billing { internal, external, sites: vec![a, b], shop }
}

fn line(site: &str, day: NaiveDate, product: &str, quantity: i32) -> ord::OrderLine {
    ord::OrderLine { site_id: site.into(), service_day: Some(date(day)), product_code: product.into(), diet: String::new(), quantity }
}

/// Confirms delivered quantities once ordering's projections know the sites and the catalogue.
async fn confirm(env: &mut TestEnv, lines: Vec<ord::OrderLine>, reason: &str) {
    let t = env.staff();
    let r = ord::ConfirmDeliveriesRequest { lines, correction_reason: reason.into(), idempotency_key: uuid::Uuid::new_v4().to_string() };
    let started = std::time::Instant::now();
    loop {
        match env.ordering.confirm_deliveries(env.req(r.clone(), &t)).await {
            Ok(_) => return,
            Err(e) if e.code() == tonic::Code::InvalidArgument && started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("confirming deliveries failed: {e:?}"),
        }
    }
}

/// Re-runs the month's draft until a customer's draft reaches `total` (the
/// projection catches up with the delivery events).
async fn run_until(env: &TestEnv, year: i32, month: i32, customer: &str, total: &str) -> inv::Run {
    let t = env.staff();
    let started = std::time::Instant::now();
    loop {
        let run = env.invoicing.clone().start_run(env.req(inv::StartRunRequest { year, month }, &t)).await.unwrap().into_inner();
        if run.customers.iter().any(|c| c.customer_id == customer && c.total == total) {
            return run;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "invoicing's projection did not catch up: {run:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_month_is_invoiced_once_numbered_gaplessly_corrected_and_credited() {
    let mut env = TestEnv::start(false).await;
    let (year, month, days) = last_month();
    let w = setup(&mut env, year).await;
    // Internal: 10 lunches a day at site A, 5 snacks on the first three days at site B.
    let mut lines: Vec<ord::OrderLine> = days.iter().map(|d| line(&w.sites[0], *d, "LOUNAS-PK", 10)).collect();
    lines.extend(days.iter().take(3).map(|d| line(&w.sites[1], *d, "VALIPALA", 5)));
    lines.push(line(&w.shop, days[0], "LOUNAS-PK", 7));
    confirm(&mut env, lines, "").await;
    // The oracle: quantity × price, city units outside VAT; 7 × 3.85 = 26.95 + 13.5 % = 3.63825 → 3.64.
    let n = Decimal::from(days.len() as i64);
    let internal_total = (n * dec("10") * dec("3.85") + dec("15") * dec("1.20")).round_dp(2);
    let run = run_until(&env, year, month, &w.internal, &format!("{internal_total:.2}")).await;
    let external = run.customers.iter().find(|c| c.customer_id == w.external).expect("the external customer's draft");
    assert_eq!((external.net.as_str(), external.vat.as_str(), external.total.as_str()), ("26.95", "3.64", "30.59"));
    assert!(run.problems.is_empty(), "{:?}", run.problems);
    assert_eq!(run.invoice_count, 2);

    // The specification: site → product rows, each day behind them, components of the price.
    let t = env.staff();
    let internal_invoice = run.customers.iter().find(|c| c.customer_id == w.internal).unwrap().invoice_id.clone();
    let get = inv::GetInvoiceRequest { id: internal_invoice.clone(), site_id: String::new(), days: true };
    let draft = env.invoicing.get_invoice(env.req(get.clone(), &t)).await.unwrap().into_inner();
    assert_eq!(draft.status, inv::InvoiceStatus::Draft as i32);
    let lunch = draft.rows.iter().find(|r| r.product_code == "LOUNAS-PK").unwrap();
    assert_eq!((lunch.site_name.as_str(), lunch.unit_price.as_str(), lunch.days.len()), ("Kohde INV-1", "3.85", days.len()));
    assert_eq!(lunch.components.iter().map(|c| c.amount.as_str()).collect::<Vec<_>>(), ["1.60", "2.25"]);
    assert_eq!(draft.sites.len(), 2);
    let sum: Decimal = draft.rows.iter().map(|r| dec(&r.amount)).sum();
    assert_eq!(format!("{sum:.2}"), draft.total, "Σ rows = total (outside VAT)");

    // Customers do not see drafts.
    let contact = env.issuer().token_for(Role::CustomerContact, w.internal.parse().ok(), None, vec![]).unwrap();
    assert_eq!(code(env.invoicing.get_invoice(env.req(get.clone(), &contact)).await), tonic::Code::NotFound);

    // Issue: numbers 1 and 2 of the year's series, in customer-name order; issuing again changes nothing.
    let issued = env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(issued.status, inv::RunStatus::Issued as i32);
    let again = env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(again.total, issued.total);
    let list = inv::ListInvoicesRequest { year, month, ..Default::default() };
    let invoices = env.invoicing.list_invoices(env.req(list.clone(), &t)).await.unwrap().into_inner().invoices;
    let mut numbers: Vec<String> = invoices.iter().map(|i| i.number.clone()).collect();
    numbers.sort();
    let issue_year = invoices[0].issue_date.as_ref().unwrap().year;
    assert_eq!(numbers, vec![format!("{issue_year}1000001"), format!("{issue_year}1000002")]);
    let internal = env.invoicing.get_invoice(env.req(get.clone(), &t)).await.unwrap().into_inner();
    assert_eq!(internal.reference, format!("{}{}", internal.number, check_digit(&internal.number)));
    assert!(internal.reference_rf.starts_with("RF"));
    let due = NaiveDate::from_ymd_opt(
        internal.due_date.as_ref().unwrap().year,
        internal.due_date.as_ref().unwrap().month as u32,
        internal.due_date.as_ref().unwrap().day as u32,
    )
    .unwrap();
    let issue = NaiveDate::from_ymd_opt(
        issue_year,
        internal.issue_date.as_ref().unwrap().month as u32,
        internal.issue_date.as_ref().unwrap().day as u32,
    )
    .unwrap();
    assert_eq!((due - issue).num_days(), 14, "default payment terms");

    // The customer's contact now sees it; another customer's contact does not.
    assert!(env.invoicing.get_invoice(env.req(get.clone(), &contact)).await.is_ok());
    let stranger = env.issuer().token_for(Role::CustomerContact, w.external.parse().ok(), None, vec![]).unwrap();
    assert_eq!(code(env.invoicing.get_invoice(env.req(get.clone(), &stranger)).await), tonic::Code::NotFound);
    let theirs = env.invoicing.list_invoices(env.req(list.clone(), &stranger)).await.unwrap().into_inner().invoices;
    assert!(theirs.iter().all(|i| i.customer_id == w.external) && theirs.len() == 1);
    // A site user sees only their site's rows.
    let site_user = env.issuer().token_for(Role::SiteUser, w.internal.parse().ok(), w.sites[1].parse().ok(), vec![]).unwrap();
    let part = env.invoicing.get_invoice(env.req(get.clone(), &site_user)).await.unwrap().into_inner();
    assert!(!part.rows.is_empty() && part.rows.iter().all(|r| r.site_id == w.sites[1]));
    // A system client needs invoices:read.
    let client = env.issuer().token_for(Role::SystemClient, None, None, vec!["orders:read".into()]).unwrap();
    assert_eq!(code(env.invoicing.get_invoice(env.req(get.clone(), &client)).await), tonic::Code::PermissionDenied);

    // A re-run of the invoiced month drafts nothing for the invoiced customers.
    let rerun = env.invoicing.start_run(env.req(inv::StartRunRequest { year, month }, &t)).await.unwrap().into_inner();
    assert_eq!(rerun.invoice_count, 0);

    // A late correction (10 → 8 on the first day) lands on this month's invoice as −2 at last month's price.
    confirm(&mut env, vec![line(&w.sites[0], days[0], "LOUNAS-PK", 8)], "kaksi lasta sairaana").await;
    let now = today();
    let current = run_until(&env, now.year(), now.month() as i32, &w.internal, "-7.70").await;
    let correction_invoice = current.customers.iter().find(|c| c.customer_id == w.internal).unwrap().invoice_id.clone();
    let get_c = inv::GetInvoiceRequest { id: correction_invoice, site_id: String::new(), days: true };
    let c = env.invoicing.get_invoice(env.req(get_c, &t)).await.unwrap().into_inner();
    let row = c.rows.iter().find(|r| r.kind == inv::RowKind::Correction as i32).expect("a correction row");
    assert_eq!(
        (row.quantity.as_str(), row.amount.as_str(), row.original_invoice_number.as_str()),
        ("-2", "-7.70", internal.number.as_str())
    );
    assert_eq!((row.days[0].billed_before.as_str(), row.days[0].reason.as_str()), ("10", "kaksi lasta sairaana"));

    // Credit the external customer's invoice: a credit note with its own number; the month can be invoiced again.
    let ext_id = invoices.iter().find(|i| i.customer_id == w.external).unwrap().id.clone();
    let credit = inv::CreditInvoiceRequest { id: ext_id.clone(), reason: "väärä kustannuspaikka".into() };
    let note = env.invoicing.credit_invoice(env.req(credit.clone(), &t)).await.unwrap().into_inner();
    assert_eq!(
        (note.kind, note.total.as_str(), note.credited_invoice_id.as_str()),
        (inv::InvoiceKind::CreditNote as i32, "-30.59", ext_id.as_str())
    );
    assert_eq!(note.number, format!("{}9000001", note.issue_date.as_ref().unwrap().year));
    let twice = env.invoicing.credit_invoice(env.req(credit, &t)).await.unwrap().into_inner();
    assert_eq!(twice.id, note.id, "crediting twice returns the same credit note");
    let rerun = env.invoicing.start_run(env.req(inv::StartRunRequest { year, month }, &t)).await.unwrap().into_inner();
    assert_eq!(
        rerun.customers.iter().map(|c| (c.customer_id.as_str(), c.total.as_str())).collect::<Vec<_>>(),
        vec![(w.external.as_str(), "30.59")]
    );
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: rerun.id }, &t)).await.unwrap();
    let all = env.invoicing.list_invoices(env.req(list, &t)).await.unwrap().into_inner().invoices;
    let mut numbers: Vec<String> = all.iter().filter(|i| i.kind == inv::InvoiceKind::Invoice as i32).map(|i| i.number.clone()).collect();
    numbers.sort();
    assert_eq!(numbers.last().unwrap(), &format!("{issue_year}1000003"), "numbering continues without gaps");
    env.cleanup().await;
}

fn check_digit(base: &str) -> u32 {
    let w = [7, 3, 1];
    let sum: u32 = base.chars().rev().enumerate().map(|(i, c)| c.to_digit(10).unwrap() * w[i % 3]).sum();
    (10 - sum % 10) % 10
}

#[tokio::test]
async fn bad_input_names_its_fields_and_writes_nothing() {
    let mut env = TestEnv::start(false).await;
    let (year, month, _) = last_month();
    let w = setup(&mut env, year).await;
    let t = env.staff();
    let bad = inv::AddManualLineRequest {
        kind: inv::ManualLineKind::PassThrough as i32,
        customer_id: w.internal.clone(),
        year,
        month: 13,
        description: String::new(),
        amount: "12.345".into(),
        ..Default::default()
    };
    let v = violations(env.invoicing.add_manual_line(env.req(bad, &t)).await);
    for field in ["month", "description", "supplier", "supplier_invoice_number", "amount"] {
        assert!(v.iter().any(|x| x.starts_with(field)), "{field} missing in {v:?}");
    }
    let credit = inv::AddManualLineRequest {
        kind: inv::ManualLineKind::Credit as i32,
        customer_id: w.external.clone(),
        site_id: w.sites[0].clone(),
        year,
        month,
        description: "Hyvitys".into(),
        amount: "25.00".into(),
        vat_rate: "7".into(),
        reason: "reklamaatio".into(),
        ..Default::default()
    };
    let v = violations(env.invoicing.add_manual_line(env.req(credit, &t)).await);
    assert!(v.iter().any(|x| x.starts_with("amount")), "{v:?}");
    let list = inv::ListManualLinesRequest::default();
    assert!(env.invoicing.list_manual_lines(env.req(list, &t)).await.unwrap().into_inner().lines.is_empty(), "nothing written");
    let run = inv::StartRunRequest { year: 1999, month: 0 };
    let v = violations(env.invoicing.start_run(env.req(run, &t)).await);
    assert!(v.iter().any(|x| x.starts_with("year")) && v.iter().any(|x| x.starts_with("month")), "{v:?}");
    let contact = env.issuer().token_for(Role::CustomerContact, w.internal.parse().ok(), None, vec![]).unwrap();
    let run = inv::StartRunRequest { year, month };
    assert_eq!(code(env.invoicing.start_run(env.req(run, &contact)).await), tonic::Code::PermissionDenied);
    env.cleanup().await;
}

#[tokio::test]
async fn pass_through_lines_are_billed_at_cost_with_the_suppliers_reference() {
    let mut env = TestEnv::start(false).await;
    let (year, month, _) = last_month();
    let w = setup(&mut env, year).await;
    let t = env.staff();
    // The projection learns the external customer and its VAT rates from events.
    let add = inv::AddManualLineRequest {
        kind: inv::ManualLineKind::PassThrough as i32,
        customer_id: w.external.clone(),
        site_id: w.shop.clone(),
        year,
        month,
        description: "Ikkunanpesu (alihankinta)".into(),
        amount: "412.50".into(),
        vat_rate: "25.5".into(),
        supplier: "Kirkas Oy".into(),
        supplier_invoice_number: "K-118".into(),
        idempotency_key: "pt-1".into(),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let line = loop {
        match env.invoicing.clone().add_manual_line(env.req(add.clone(), &t)).await {
            Ok(r) => break r.into_inner(),
            Err(e) => assert!(started.elapsed() < Duration::from_secs(30), "invoicing does not know the customer and VAT: {e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let again = env.invoicing.add_manual_line(env.req(add, &t)).await.unwrap().into_inner();
    assert_eq!(again.id, line.id, "the same idempotency key adds the line once");
    let run = run_until(&env, year, month, &w.external, "517.69").await;
    let id = run.customers.iter().find(|c| c.customer_id == w.external).unwrap().invoice_id.clone();
    let invoice = env.invoicing.get_invoice(env.req(inv::GetInvoiceRequest { id, ..Default::default() }, &t)).await.unwrap().into_inner();
    let row = &invoice.rows[0];
    assert_eq!(
        (row.kind, row.supplier.as_str(), row.supplier_invoice_number.as_str()),
        (inv::RowKind::PassThrough as i32, "Kirkas Oy", "K-118")
    );
    assert_eq!(invoice.vat_breakdown.iter().map(|v| (v.vat_rate.as_str(), v.vat.as_str())).collect::<Vec<_>>(), vec![("25.5", "105.19")]);
    env.cleanup().await;
}

#[tokio::test]
async fn a_customer_asks_about_a_line_and_staff_answer_it() {
    let mut env = TestEnv::start(false).await;
    let (year, month, days) = last_month();
    let w = setup(&mut env, year).await;
    confirm(&mut env, vec![line(&w.sites[0], days[0], "LOUNAS-PK", 10), line(&w.sites[1], days[0], "VALIPALA", 4)], "").await;
    let run = run_until(&env, year, month, &w.internal, "43.30").await;
    let t = env.staff();
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap();
    let invoice = run.customers.iter().find(|c| c.customer_id == w.internal).unwrap().invoice_id.clone();
    let full = env
        .invoicing
        .get_invoice(env.req(inv::GetInvoiceRequest { id: invoice.clone(), ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner();
    let row_a = full.rows.iter().find(|r| r.site_id == w.sites[0]).unwrap().line_no;
    let contact = env.issuer().token_for(Role::CustomerContact, w.internal.parse().ok(), None, vec![]).unwrap();
    let ask =
        |line_no: i32, question: &str| inv::AskAboutInvoiceRequest { invoice_id: invoice.clone(), line_no, question: question.into() };
    assert_eq!(violations(env.invoicing.ask_about_invoice(env.req(ask(row_a, " "), &contact)).await), ["question"]);
    assert_eq!(violations(env.invoicing.ask_about_invoice(env.req(ask(99, "Mikä tämä on?"), &contact)).await), ["line_no"]);
    let q = env
        .invoicing
        .ask_about_invoice(env.req(ask(row_a, "Miksi lounaita on 10, kun meillä oli 8 lasta?"), &contact))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((q.status, q.row_text.as_str()), (inv::QuestionStatus::Open as i32, "Kohde INV-1: Päiväkodin lounas"));
    // The other daycare's director cannot ask about this site's row; another customer does not see the invoice.
    let director_b = env.issuer().token_for(Role::SiteUser, w.internal.parse().ok(), w.sites[1].parse().ok(), vec![]).unwrap();
    assert_eq!(violations(env.invoicing.ask_about_invoice(env.req(ask(row_a, "?"), &director_b)).await), ["line_no"]);
    let stranger = env.issuer().token_for(Role::CustomerContact, w.external.parse().ok(), None, vec![]).unwrap();
    assert_eq!(code(env.invoicing.ask_about_invoice(env.req(ask(0, "?"), &stranger)).await), tonic::Code::NotFound);
    let system = env.issuer().token_for(Role::SystemClient, None, None, vec!["invoices:read".into()]).unwrap();
    assert_eq!(code(env.invoicing.ask_about_invoice(env.req(ask(0, "?"), &system)).await), tonic::Code::PermissionDenied);
    // Staff's queue, the answer, and the KPI.
    let open = inv::ListInvoiceQuestionsRequest { status: inv::QuestionStatus::Open as i32, ..Default::default() };
    let queue = env.invoicing.list_invoice_questions(env.req(open.clone(), &t)).await.unwrap().into_inner();
    assert_eq!(queue.questions.len(), 1);
    let this_month = usize::try_from(today().month0()).unwrap();
    assert_eq!(queue.per_month[this_month], 1, "questions per month");
    let answer = inv::AnswerInvoiceQuestionRequest {
        id: q.id.clone(),
        answer: "Kaksi erityisruokavaliota laskutetaan lounaina; katso päivät.".into(),
    };
    let answered = env.invoicing.answer_invoice_question(env.req(answer.clone(), &t)).await.unwrap().into_inner();
    assert_eq!(answered.status, inv::QuestionStatus::Answered as i32);
    assert_eq!(code(env.invoicing.answer_invoice_question(env.req(answer, &t)).await), tonic::Code::FailedPrecondition, "answered once");
    assert_eq!(
        code(
            env.invoicing
                .answer_invoice_question(env.req(inv::AnswerInvoiceQuestionRequest { id: q.id.clone(), answer: "x".into() }, &contact))
                .await
        ),
        tonic::Code::PermissionDenied
    );
    let theirs = inv::ListInvoiceQuestionsRequest { invoice_id: invoice.clone(), ..Default::default() };
    let seen = env.invoicing.list_invoice_questions(env.req(theirs.clone(), &contact)).await.unwrap().into_inner();
    assert_eq!(seen.questions[0].answer, "Kaksi erityisruokavaliota laskutetaan lounaina; katso päivät.");
    assert!(env.invoicing.list_invoice_questions(env.req(theirs, &stranger)).await.unwrap().into_inner().questions.is_empty());
    assert_eq!(env.outbox_count("invoicing", "invoicing.question.answered").await, 1);
    env.cleanup().await;
}

#[tokio::test]
async fn a_runs_progress_is_visible_beside_it_and_ends_with_the_run() {
    let mut env = TestEnv::start(false).await;
    let (year, month, days) = last_month();
    let w = setup(&mut env, year).await;
    let t = env.staff();
    let progress = |month: i32| inv::GetRunProgressRequest { year, month };
    // Nothing started yet.
    let none = env.invoicing.get_run_progress(env.req(progress(month), &t)).await.unwrap().into_inner();
    assert_eq!(none.phase, inv::RunPhase::None as i32);
    confirm(&mut env, vec![line(&w.sites[0], days[0], "LOUNAS-PK", 10)], "").await;
    let run = run_until(&env, year, month, &w.internal, "38.50").await;
    let p = env.invoicing.get_run_progress(env.req(progress(month), &t)).await.unwrap().into_inner();
    assert_eq!(p.phase, inv::RunPhase::Done as i32);
    assert_eq!((p.run_id.as_str(), p.done, p.total), (run.id.as_str(), run.invoice_count, run.invoice_count));
    assert!(!p.started_by_name.is_empty(), "the person who started it, by name");
    // Staff only; a month that is not one is a field error.
    let contact = env.issuer().token_for(Role::CustomerContact, w.internal.parse().ok(), None, vec![]).unwrap();
    assert_eq!(code(env.invoicing.get_run_progress(env.req(progress(month), &contact)).await), tonic::Code::PermissionDenied);
    assert_eq!(violations(env.invoicing.get_run_progress(env.req(progress(13), &t)).await), ["month"]);
    env.cleanup().await;
}
