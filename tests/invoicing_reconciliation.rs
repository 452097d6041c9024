//! The year-end reconciliation end to end: budgets set in ordering reach
//! invoicing through `ordering.budget.set`, deliveries through their events;
//! the reconciliation compares budgeted (pro rata to the day asked), delivered
//! and invoiced quantities per site and product, values the difference at
//! the invoiced price (before issue: the price in force), says whose risk it
//! is, sums exactly, and is served as CSV and REST; scope and bad input.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, NaiveDate};
use kumppani_platform::auth::Role;
use kumppani_platform::calendar::BudgetPeriod;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::ordering::v1 as ord;
use kumppani_proto::r#type::v1::ServiceLine;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;
use support::fixtures::{date, price, today};
use support::{TestEnv, code, violations};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Last month's last day and working days.
fn last_month() -> (NaiveDate, Vec<NaiveDate>) {
    let last = today().with_day(1).unwrap().pred_opt().unwrap();
    let days = last
        .with_day(1)
        .unwrap()
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| kumppani_platform::calendar::is_working_day(*d))
        .collect();
    (last, days)
}

async fn reconcile(env: &TestEnv, token: &str, customer: &str, year: i32, as_of: NaiveDate) -> Result<inv::Reconciliation, tonic::Status> {
    let r = inv::GetReconciliationRequest { customer_id: customer.into(), year, as_of: Some(date(as_of)) };
    env.invoicing.clone().get_reconciliation(env.req(r, token)).await.map(tonic::Response::into_inner)
}

#[tokio::test]
async fn budgets_deliveries_and_invoices_reconcile_per_site_with_the_risk_named() {
    let mut env = TestEnv::start(false).await;
    let (as_of, days) = last_month();
    let year = as_of.year();
    let customer = env.internal_customer("REC").await.id;
    let other = env.internal_customer("RECX").await.id;
    let a = env.site(&customer, "REC-1", contracts::SiteKind::Daycare).await.id;
    let b = env.site(&customer, "REC-2", contracts::SiteKind::Daycare).await.id;
    env.agreement(&customer, year, &[&a, &b], &[ServiceLine::Meals], true).await;
    env.published_price_list(year, &[price("LOUNAS-PK", "1.60", "2.00", "0.25")], None).await;
    let t = env.staff();

    // Budgets: A far below what it gets (over-use), B far above (under-use).
    for (site, quantity) in [(&a, 100), (&b, 36_500)] {
        let budget = ord::Budget { site_id: site.clone(), product_code: "LOUNAS-PK".into(), year, quantity, ..Default::default() };
        // Ordering learns the site from contracts' events: retry until it has.
        let request = ord::SetBudgetRequest { budget: Some(budget) };
        support::wait_until("ordering knows the site", std::time::Duration::from_secs(30), || {
            let (mut c, r) = (env.ordering.clone(), env.req(request.clone(), &t));
            async move { c.set_budget(r).await.is_ok() }
        })
        .await;
    }
    // Deliveries: A 10 a working day, B 5 on the first three working days.
    let line = |site: &str, day: NaiveDate, q: i32| ord::OrderLine {
        site_id: site.into(),
        service_day: Some(date(day)),
        product_code: "LOUNAS-PK".into(),
        diet: String::new(),
        quantity: q,
    };
    let mut lines: Vec<ord::OrderLine> = days.iter().map(|d| line(&a, *d, 10)).collect();
    lines.extend(days.iter().take(3).map(|d| line(&b, *d, 5)));
    let confirm =
        ord::ConfirmDeliveriesRequest { lines, correction_reason: String::new(), idempotency_key: uuid::Uuid::new_v4().to_string() };
    let started = std::time::Instant::now();
    while let Err(e) = env.ordering.confirm_deliveries(env.req(confirm.clone(), &t)).await {
        assert!(e.code() == tonic::Code::InvalidArgument && started.elapsed() < Duration::from_secs(30), "{e:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delivered_a = 10 * days.len() as i64;
    let period = BudgetPeriod::new(year, as_of).unwrap();

    // Invoicing learns budgets and deliveries from events.
    let started = std::time::Instant::now();
    let before = loop {
        let r = reconcile(&env, &t, &customer, year, as_of).await.unwrap();
        let site = |s: &str| r.sites.iter().find(|x| x.site_id == s).map(|x| (x.budgeted, x.delivered));
        if site(&a) == Some((100, delivered_a)) && site(&b) == Some((36_500, 15)) {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the projection did not catch up: {r:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Not invoiced yet: nothing invoiced, the difference valued at the price in force (3.85).
    let ra = before.sites.iter().find(|x| x.site_id == a).unwrap();
    assert_eq!((ra.invoiced.as_str(), ra.unit_price.as_str()), ("0", "3.85"));
    assert_eq!(ra.budgeted_to_date, period.to_date(100));
    assert_eq!(ra.difference, delivered_a - period.to_date(100));
    assert_eq!(ra.risk, inv::Risk::Customer as i32);
    assert_eq!(dec(&ra.difference_amount), (Decimal::from(ra.difference) * dec("3.85")).round_dp(2));
    assert_eq!((ra.site_name.as_str(), ra.service_line.as_str()), ("Kohde REC-1", "meals"));
    assert!(!ra.product_name.is_empty() && ra.product_name != "LOUNAS-PK", "products by name: {}", ra.product_name);

    // Issue the month: the invoiced quantity and amount appear; the difference is valued at what was invoiced.
    let run = loop {
        let run = env
            .invoicing
            .clone()
            .start_run(env.req(inv::StartRunRequest { year, month: as_of.month() as i32 }, &t))
            .await
            .unwrap()
            .into_inner();
        if run.customers.iter().any(|c| c.customer_id == customer) {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id }, &t)).await.unwrap();
    let r = reconcile(&env, &t, &customer, year, as_of).await.unwrap();
    assert_eq!(r.customer_name, "Asiakas REC");
    assert!(!r.year_complete || as_of.month() == 12);
    let ra = r.sites.iter().find(|x| x.site_id == a).unwrap();
    let rb = r.sites.iter().find(|x| x.site_id == b).unwrap();
    assert_eq!((dec(&ra.invoiced), dec(&ra.invoiced_amount)), (Decimal::from(delivered_a), Decimal::from(delivered_a) * dec("3.85")));
    assert_eq!(dec(&rb.invoiced), dec("15"));
    assert_eq!(rb.difference, 15 - period.to_date(36_500));
    assert_eq!(rb.risk, inv::Risk::Producer as i32);
    assert_eq!(dec(&rb.difference_amount), (Decimal::from(rb.difference) * dec("3.85")).round_dp(2));
    // The totals are the sums of the rows shown.
    let p = &r.products[0];
    assert_eq!((r.products.len(), p.budgeted, p.delivered), (1, 36_600, delivered_a + 15));
    assert_eq!(dec(&p.difference_amount), dec(&ra.difference_amount) + dec(&rb.difference_amount));
    assert_eq!((dec(&r.over_use_amount), dec(&r.under_use_amount)), (dec(&ra.difference_amount), -dec(&rb.difference_amount)));

    // CSV: a header and one row per site and product, amounts as in the answer.
    let csv = env
        .invoicing
        .clone()
        .get_reconciliation_csv(
            env.req(inv::GetReconciliationRequest { customer_id: customer.clone(), year, as_of: Some(date(as_of)) }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(csv.content).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("service_line,site,product_code"), "{}", rows[0]);
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().any(|l| l.contains("Kohde REC-2") && l.contains(&rb.difference_amount) && l.ends_with(&format!("producer,{as_of}"))),
        "{text}"
    );

    // REST: the same figures; the CSV as a file.
    let json = env.rest_json(&format!("/reconciliation?customerId={customer}&year={year}&asOf={as_of}"), &t).await;
    assert_eq!(json["overUseAmount"], r.over_use_amount, "{json}");
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/reconciliation.csv?customerId={customer}&year={year}", env.http))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));

    // Scope: a site user sees their site only; another customer's contact sees nothing; a system client needs invoices:read.
    let site_user = env.issuer().token_for(Role::SiteUser, customer.parse().ok(), b.parse().ok(), vec![]).unwrap();
    let mine = reconcile(&env, &site_user, &customer, year, as_of).await.unwrap();
    assert_eq!(mine.sites.iter().map(|s| s.site_id.as_str()).collect::<Vec<_>>(), [b.as_str()]);
    assert_eq!(mine.products[0].delivered, 15);
    let stranger = env.issuer().token_for(Role::CustomerContact, other.parse().ok(), None, vec![]).unwrap();
    assert_eq!(code(reconcile(&env, &stranger, &customer, year, as_of).await.map(tonic::Response::new)), tonic::Code::NotFound);
    let system = env.issuer().token_for(Role::SystemClient, None, None, vec![]).unwrap();
    assert_eq!(code(reconcile(&env, &system, &customer, year, as_of).await.map(tonic::Response::new)), tonic::Code::PermissionDenied);

    // Bad input names its fields.
    let bad = |customer: &str, year: i32, as_of: Option<NaiveDate>| inv::GetReconciliationRequest {
        customer_id: customer.into(),
        year,
        as_of: as_of.map(date),
    };
    let v = violations(env.invoicing.clone().get_reconciliation(env.req(bad("", 1999, None), &t)).await);
    assert!(v.iter().any(|f| f.starts_with("customer_id")) && v.iter().any(|f| f.starts_with("year")), "{v:?}");
    // A day after the year is the year's end: the final reconciliation.
    let after = bad(&customer, year, NaiveDate::from_ymd_opt(year + 1, 2, 1));
    let after = env.invoicing.clone().get_reconciliation(env.req(after, &t)).await.unwrap().into_inner();
    assert!(after.year_complete);
    assert_eq!(after.as_of, Some(date(NaiveDate::from_ymd_opt(year, 12, 31).unwrap())));
    env.cleanup().await;
}
