//! End-to-end tests of the ordering service against real PostgreSQL and NATS:
//! agreement validation from its projections, cut-offs and late changes,
//! idempotency under concurrency, the batch API's per-line results, scope,
//! channels, and deliveries with corrections.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::pricing::v1 as pricing;
use kumppani_proto::r#type::v1::ServiceLine;
use support::{TestEnv, code, date, today, violations, wait_until};
use tonic::Code;

fn d(day: chrono::NaiveDate) -> pb::Date {
    date(day)
}

/// A service day next spring: far from any cut-off.
fn far_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(today().year() + 1, 3, 2).unwrap()
}

struct World {
    customer: String,
    site: String,
    other_site: String,
    unsigned_site: String,
}

/// A customer with three daycares: meals and cleaning at the first two this
/// year, meals next year, the third only in an unsigned agreement; a published
/// catalogue of next year; ordering's projections caught up.
async fn world(env: &mut TestEnv) -> World {
    let customer = env.customer("ORD", contracts::CustomerKind::InternalServiceArea, "0187690-1").await.id;
    let mut sites = Vec::new();
    for code_ in ["ORD-1", "ORD-2", "ORD-3"] {
        sites.push(env.site(&customer, code_, contracts::SiteKind::Daycare).await.id);
    }
    let (site, other_site, unsigned_site) = (sites[0].clone(), sites[1].clone(), sites[2].clone());
    let year = today().year();
    env.agreement(&customer, year, &[&site, &other_site], &[ServiceLine::Meals, ServiceLine::Cleaning], true).await;
    env.agreement(&customer, year + 1, &[&site, &other_site], &[ServiceLine::Meals], true).await;
    // The catalogue reaches ordering through pricing's published list.
    let c = |k: pricing::CostComponentKind, a: &str| pricing::CostComponent { kind: k as i32, amount: a.into() };
    let prices: Vec<pricing::Price> = ["LOUNAS-PK", "VALIPALA", "LISASIIVOUS"]
        .iter()
        .map(|code_| pricing::Price {
            product_code: (*code_).into(),
            unit_price: "3.00".into(),
            components: vec![c(pricing::CostComponentKind::Labour, "3.00")],
        })
        .collect();
    env.published_price_list(year + 1, &prices, None).await;
    let t = env.staff();
    let week = pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(d(far_day())) };
    wait_until("ordering's projections have the agreement and the catalogue", std::time::Duration::from_secs(30), || {
        let (mut client, req) = (env.ordering.clone(), env.req(week.clone(), &t));
        async move { client.get_order_week(req).await.is_ok_and(|w| w.get_ref().products.iter().any(|p| p.code == "LOUNAS-PK")) }
    })
    .await;
    World { customer, site, other_site, unsigned_site }
}

fn line(site: &str, day: chrono::NaiveDate, product: &str, diet: &str, quantity: i32) -> pb::OrderLine {
    pb::OrderLine { site_id: site.into(), service_day: Some(d(day)), product_code: product.into(), diet: diet.into(), quantity }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_validated_against_the_agreement_and_late_changes_go_to_staff() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let customer = uuid::Uuid::parse_str(&w.customer).ok();
    let site_user = env.issuer().token_for(Role::SiteUser, customer, uuid::Uuid::parse_str(&w.site).ok(), vec![]).unwrap();
    let place = |l: pb::OrderLine| pb::PlaceOrderRequest { line: Some(l), ..Default::default() };

    let ok =
        env.ordering.place_order(env.req(place(line(&w.site, far_day(), "LOUNAS-PK", "", 42)), &site_user)).await.unwrap().into_inner();
    let r = ok.result.unwrap();
    assert_eq!(r.outcome, pb::OrderOutcome::Accepted as i32);
    assert_eq!(r.order.as_ref().unwrap().channel, pb::Channel::Portal as i32);
    // A change before the cut-off takes effect and keeps the same order.
    let changed = env
        .ordering
        .place_order(env.req(place(line(&w.site, far_day(), "LOUNAS-PK", "", 45)), &site_user))
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!((changed.order.as_ref().unwrap().id.clone(), changed.order.as_ref().unwrap().version), (r.order.unwrap().id, 2));
    // Cleaning is covered for this year only, not next year; the third site has no signed agreement; a site user orders only for their site.
    let err = |r: Result<tonic::Response<pb::PlaceOrderResponse>, tonic::Status>| r.unwrap_err().message().to_owned();
    assert!(err(env.ordering.place_order(env.req(place(line(&w.site, far_day(), "LISASIIVOUS", "", 2)), &t)).await).contains("no signed"));
    assert!(
        err(env.ordering.place_order(env.req(place(line(&w.unsigned_site, far_day(), "LOUNAS-PK", "", 2)), &t)).await)
            .contains("agreement")
    );
    assert_eq!(
        code(env.ordering.place_order(env.req(place(line(&w.other_site, far_day(), "LOUNAS-PK", "", 2)), &site_user)).await),
        Code::PermissionDenied
    );
    assert_eq!(
        violations(env.ordering.place_order(env.req(place(line(&w.site, far_day(), "NO-SUCH", "", 2)), &t)).await),
        vec!["line.product_code"]
    );
    assert_eq!(
        violations(
            env.ordering
                .place_order(env.req(place(line(&w.site, today() - chrono::Duration::days(1), "LOUNAS-PK", "", 2)), &site_user))
                .await
        ),
        vec!["line.service_day"]
    );

    // Tomorrow's meal cut-off has passed: the change becomes a late-change request, not a refusal.
    let tomorrow = today() + chrono::Duration::days(1);
    if tomorrow.year() == today().year() {
        let late = env
            .ordering
            .place_order(env.req(place(line(&w.site, tomorrow, "LOUNAS-PK", "gluteeniton", 3)), &site_user))
            .await
            .unwrap()
            .into_inner()
            .result
            .unwrap();
        assert_eq!(late.outcome, pb::OrderOutcome::LateChangeRequested as i32);
        let req_id = late.late_change.unwrap().id;
        let queue = env
            .ordering
            .list_late_changes(
                env.req(pb::ListLateChangesRequest { status: pb::LateChangeStatus::Pending as i32, site_id: String::new() }, &t),
            )
            .await
            .unwrap()
            .into_inner();
        assert!(queue.late_changes.iter().any(|l| l.id == req_id), "staff see it in the queue");
        assert_eq!(
            violations(
                env.ordering
                    .decide_late_change(
                        env.req(pb::DecideLateChangeRequest { id: req_id.clone(), accept: false, reason: String::new() }, &t)
                    )
                    .await
            ),
            vec!["reason"]
        );
        let accepted = env
            .ordering
            .decide_late_change(env.req(pb::DecideLateChangeRequest { id: req_id.clone(), accept: true, reason: "Onnistuu".into() }, &t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(accepted.status, pb::LateChangeStatus::Accepted as i32);
        // The site sees the answer and the order.
        let mine = env.ordering.list_late_changes(env.req(pb::ListLateChangesRequest::default(), &site_user)).await.unwrap().into_inner();
        assert_eq!(mine.late_changes.iter().find(|l| l.id == req_id).unwrap().reason, "Onnistuu");
        let orders = env
            .ordering
            .list_orders(env.req(
                pb::ListOrdersRequest { site_id: w.site.clone(), from: Some(d(tomorrow)), to: Some(d(tomorrow)), ..Default::default() },
                &site_user,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(orders.orders[0].line.as_ref().unwrap().quantity, 3);
        assert_eq!(
            code(
                env.ordering
                    .decide_late_change(env.req(pb::DecideLateChangeRequest { id: req_id, accept: false, reason: "x".into() }, &t))
                    .await
            ),
            Code::FailedPrecondition
        );
    }

    // Closing the site: orders from the closing day on are refused once ordering hears of it.
    let closing = far_day() + chrono::Duration::days(7);
    env.client
        .update_site(env.req(
            contracts::UpdateSiteRequest {
                id: w.site.clone(),
                closed_on: Some(contracts::Date { year: closing.year(), month: closing.month() as i32, day: closing.day() as i32 }),
                ..Default::default()
            },
            &t,
        ))
        .await
        .unwrap();
    let mut refused = String::new();
    for _ in 0..100 {
        match env.ordering.place_order(env.req(place(line(&w.site, closing, "LOUNAS-PK", "", 1)), &t)).await {
            Err(s) => {
                refused = s.message().to_owned();
                break;
            }
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert!(refused.contains("closed"), "{refused}");
    assert!(
        env.ordering.place_order(env.req(place(line(&w.site, closing - chrono::Duration::days(1), "LOUNAS-PK", "", 1)), &t)).await.is_ok()
    );

    // Cut-offs are configurable per agreement: a stricter rule shows in the order week.
    let agreements = env
        .client
        .list_agreements(
            env.req(contracts::ListAgreementsRequest { customer_id: w.customer.clone(), year: far_day().year(), ..Default::default() }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    let rule = pb::CutoffRule { agreement_id: agreements.agreements[0].id.clone(), service_line: "meals".into(), working_days: 5, hour: 9 };
    assert_eq!(
        violations(
            env.ordering
                .set_cutoff_rule(env.req(pb::SetCutoffRuleRequest { rule: Some(pb::CutoffRule { hour: 25, ..rule.clone() }) }, &t))
                .await
        ),
        vec!["rule.hour"]
    );
    env.ordering.set_cutoff_rule(env.req(pb::SetCutoffRuleRequest { rule: Some(rule) }, &t)).await.unwrap();
    let week = env
        .ordering
        .get_order_week(env.req(pb::GetOrderWeekRequest { site_id: w.site.clone(), day: Some(d(far_day())) }, &site_user))
        .await
        .unwrap()
        .into_inner();
    let service_day = week.days.iter().find(|x| x.date == Some(d(far_day()))).unwrap();
    let cutoff = service_day.cutoffs.iter().find(|c| c.service_line == "meals").unwrap().cutoff.unwrap();
    let local = chrono::DateTime::from_timestamp(cutoff.seconds, 0).unwrap().with_timezone(&chrono_tz::Europe::Helsinki);
    let expected = kumppani_platform::calendar::working_days_before(far_day(), 5);
    assert_eq!(
        (local.date_naive(), local.format("%H:%M").to_string()),
        (expected, "09:00".to_owned()),
        "5 working days before, at 9:00 Helsinki time"
    );
    // The order week shows cut-offs per line and the holidays.
    let week = env
        .ordering
        .get_order_week(env.req(pb::GetOrderWeekRequest { site_id: w.site.clone(), day: Some(d(far_day())) }, &site_user))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(week.days.len(), 7);
    assert!(week.days.iter().any(|day| day.products.iter().any(|p| p.quantity == 45)));
    assert!(week.days.iter().all(|day| day.cutoffs.iter().all(|c| c.open)), "next spring is open");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_sent_a_thousand_times_concurrently_creates_one_order() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let system = env.issuer().token_for(Role::SystemClient, None, None, vec!["orders:write".into()]).unwrap();
    let request = pb::PlaceOrderRequest {
        line: Some(line(&w.other_site, far_day(), "VALIPALA", "", 30)),
        idempotency_key: "tilaus-2027-03-02-valipala".into(),
        ..Default::default()
    };
    // Without a key, a system client is refused.
    let no_key = pb::PlaceOrderRequest { idempotency_key: String::new(), ..request.clone() };
    assert_eq!(violations(env.ordering.place_order(env.req(no_key, &system)).await), vec!["idempotency_key"]);
    let mut handles = Vec::new();
    for _ in 0..1000 {
        let mut client = env.ordering.clone();
        let r = env.req(request.clone(), &system);
        handles.push(tokio::spawn(async move { client.place_order(r).await.map(|r| r.into_inner()) }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut fresh = 0;
    for h in handles {
        let r = h.await.unwrap().unwrap();
        if !r.replayed {
            fresh += 1;
        }
        ids.insert(r.result.unwrap().order.unwrap().id);
    }
    assert_eq!((ids.len(), fresh), (1, 1), "one order, created once; 999 replays");
    let t = env.staff();
    let orders = env
        .ordering
        .list_orders(env.req(
            pb::ListOrdersRequest { site_id: w.other_site.clone(), from: Some(d(far_day())), to: Some(d(far_day())), ..Default::default() },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(orders.orders.len(), 1);
    assert_eq!(orders.orders[0].version, 1, "no second write");
    assert_eq!(orders.orders[0].channel, pb::Channel::OrderingSystem as i32);
    // The same key with another payload is a client bug, reported as such.
    let different = pb::PlaceOrderRequest { line: Some(line(&w.other_site, far_day(), "VALIPALA", "", 31)), ..request };
    assert_eq!(violations(env.ordering.place_order(env.req(different, &system)).await), vec!["idempotency_key"]);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_api_reports_per_line_and_deliveries_keep_their_history() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let system = env.issuer().token_for(Role::SystemClient, None, None, vec!["orders:write".into(), "deliveries:write".into()]).unwrap();
    // 3 000 good lines (two sites × 50 days × 15 diets... ) plus bad ones.
    let mut lines = Vec::new();
    for k in 0..50 {
        let day = far_day() + chrono::Duration::days(k);
        for site in [&w.site, &w.other_site] {
            for diet in [
                "",
                "gluteeniton",
                "laktoositon",
                "kasvis",
                "maidoton",
                "pähkinätön",
                "sianlihaton",
                "naudanlihaton",
                "kalaton",
                "kananmunaton",
                "vegaani",
                "sosemainen",
                "rakenne",
                "diabetes",
                "lisäproteiini",
            ] {
                lines.push(line(site, day, "LOUNAS-PK", diet, 10));
            }
        }
    }
    let good = lines.len();
    lines.push(line("not-a-uuid", far_day(), "LOUNAS-PK", "", 1));
    lines.push(line(&w.site, far_day(), "NO-SUCH", "", 1));
    lines.push(line(&w.site, far_day(), "LOUNAS-PK", "", 1)); // duplicate of an earlier line
    lines.push(line(&w.site, far_day(), "LOUNAS-PK", "x", -5));
    let r = env
        .ordering
        .place_orders(env.req(pb::PlaceOrdersRequest { lines, idempotency_key: "batch-1".into(), channel: 0 }, &system))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.accepted as usize, r.rejected), (good, 4));
    let errors: Vec<(i32, String)> =
        r.results.iter().filter(|x| x.outcome == pb::OrderOutcome::Rejected as i32).map(|x| (x.index, x.error_field.clone())).collect();
    assert_eq!(
        errors,
        vec![
            (good as i32, "site_id".into()),
            (good as i32 + 1, "product_code".into()),
            (good as i32 + 2, "product_code".into()),
            (good as i32 + 3, "quantity".into())
        ]
    );
    // A system client granted one customer only cannot order for another.
    let other_customer = env.issuer().token_for(Role::SystemClient, Some(uuid::Uuid::new_v4()), None, vec!["orders:write".into()]).unwrap();
    let denied = env
        .ordering
        .place_orders(env.req(
            pb::PlaceOrdersRequest {
                lines: vec![line(&w.site, far_day(), "VALIPALA", "", 3)],
                idempotency_key: "grant-1".into(),
                channel: 0,
            },
            &other_customer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((denied.rejected, denied.results[0].error_field.as_str()), (1, "site_id"));
    let no_grant = env.issuer().token_for(Role::SystemClient, None, None, vec!["registry:read".into()]).unwrap();
    let single = pb::PlaceOrderRequest {
        line: Some(line(&w.site, far_day(), "VALIPALA", "", 3)),
        idempotency_key: "grant-2".into(),
        ..Default::default()
    };
    assert_eq!(code(env.ordering.place_order(env.req(single, &no_grant)).await), Code::PermissionDenied);
    // Channels count towards the electronic-ordering KPI.
    env.ordering
        .place_order(env.req(pb::PlaceOrderRequest { line: Some(line(&w.site, far_day(), "VALIPALA", "", 5)), ..Default::default() }, &t))
        .await
        .unwrap();
    let month = far_day();
    let rate = env
        .ordering
        .get_ordering_rate(env.req(pb::GetOrderingRateRequest { year: month.year(), month: month.month() as i32 }, &t))
        .await
        .unwrap()
        .into_inner();
    let mine = rate.rates.iter().find(|x| x.customer_id == w.customer).unwrap();
    assert_eq!((mine.ordering_system as usize, mine.staff), (good.min(mine.ordering_system as usize), 1));
    assert!(mine.ordering_system > 0);

    // Deliveries: confirmation, then a correction that needs a reason and keeps history.
    let yesterday = today() - chrono::Duration::days(1);
    let deliver = |q: i32, reason: &str| pb::ConfirmDeliveriesRequest {
        lines: vec![line(&w.site, yesterday, "LOUNAS-PK", "", q)],
        correction_reason: reason.into(),
        idempotency_key: String::new(),
    };
    let first = env.ordering.confirm_deliveries(env.req(deliver(40, ""), &system)).await.unwrap().into_inner();
    assert_eq!(first.deliveries[0].version, 1);
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(deliver(38, ""), &system)).await), vec!["correction_reason"]);
    let fixed = env.ordering.confirm_deliveries(env.req(deliver(38, "Kaksi lasta poissa"), &system)).await.unwrap().into_inner();
    assert_eq!((fixed.deliveries[0].version, fixed.deliveries[0].line.as_ref().unwrap().quantity), (2, 38));
    let same = env.ordering.confirm_deliveries(env.req(deliver(38, ""), &system)).await.unwrap().into_inner();
    assert_eq!(same.deliveries[0].version, 2, "confirming the same quantity again changes nothing");
    let future = pb::ConfirmDeliveriesRequest { lines: vec![line(&w.site, far_day(), "LOUNAS-PK", "", 1)], ..Default::default() };
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(future, &system)).await), vec!["lines[0].service_day"]);
    let customer_token = env.issuer().token_for(Role::CustomerContact, uuid::Uuid::parse_str(&w.customer).ok(), None, vec![]).unwrap();
    assert_eq!(code(env.ordering.confirm_deliveries(env.req(deliver(1, "x"), &customer_token)).await), Code::PermissionDenied);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standing_orders_produce_the_daily_orders_and_closures_cancel_them() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let customer = uuid::Uuid::parse_str(&w.customer).ok();
    let site_user = env.issuer().token_for(Role::SiteUser, customer, uuid::Uuid::parse_str(&w.site).ok(), vec![]).unwrap();
    let from = today() + chrono::Duration::days(1);
    let to = (today() + chrono::Duration::days(20)).min(chrono::NaiveDate::from_ymd_opt(today().year(), 12, 31).unwrap());
    // A one-off order placed first wins over the pattern.
    let one_off_day = (1..=20)
        .map(|k| today() + chrono::Duration::days(k))
        .find(|d| d.weekday().num_days_from_monday() < 5 && *d <= to && *d > today() + chrono::Duration::days(5))
        .unwrap();
    env.ordering
        .place_order(
            env.req(pb::PlaceOrderRequest { line: Some(line(&w.site, one_off_day, "LOUNAS-PK", "", 12)), ..Default::default() }, &t),
        )
        .await
        .unwrap();
    let pattern = pb::SetStandingOrderRequest {
        site_id: w.site.clone(),
        product_code: "LOUNAS-PK".into(),
        diet: String::new(),
        valid_from: Some(d(from)),
        valid_to: Some(d(to)),
        weekday_quantities: vec![40, 40, 40, 40, 35, 0, 0],
        include_holidays: false,
    };
    let mut bad = pattern.clone();
    bad.weekday_quantities = vec![1, 2, 3];
    assert_eq!(violations(env.ordering.set_standing_order(env.req(bad, &site_user)).await), vec!["weekday_quantities"]);
    env.ordering.set_standing_order(env.req(pattern, &site_user)).await.unwrap();
    let orders =
        env.ordering
            .list_orders(env.req(
                pb::ListOrdersRequest { site_id: w.site.clone(), from: Some(d(from)), to: Some(d(to)), ..Default::default() },
                &site_user,
            ))
            .await
            .unwrap()
            .into_inner()
            .orders;
    let expected_days: Vec<chrono::NaiveDate> = (0..=(to - from).num_days())
        .map(|k| from + chrono::Duration::days(k))
        .filter(|day| day.weekday().num_days_from_monday() < 5 && kumppani_platform::calendar::is_working_day(*day))
        .collect();
    let by_day: std::collections::HashMap<chrono::NaiveDate, i32> = orders
        .iter()
        .filter(|o| o.line.as_ref().unwrap().product_code == "LOUNAS-PK")
        .map(|o| {
            let l = o.line.as_ref().unwrap();
            let sd = l.service_day.unwrap();
            (chrono::NaiveDate::from_ymd_opt(sd.year, sd.month as u32, sd.day as u32).unwrap(), l.quantity)
        })
        .collect();
    assert_eq!(by_day.len(), expected_days.len(), "one order per working day, none on weekends or holidays");
    for day in &expected_days {
        let want = if *day == one_off_day {
            12
        } else if day.weekday() == chrono::Weekday::Fri {
            35
        } else {
            40
        };
        assert_eq!(by_day[day], want, "{day}");
    }
    // Materializing again creates nothing new.
    let again = env
        .ordering
        .materialize_standing_orders(
            env.req(pb::MaterializeStandingOrdersRequest { from: Some(d(from)), to: Some(d(to)), site_id: w.site.clone() }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.created, 0);
    // A closure that starts before the cut-offs is refused for the site; a later one cancels the orders.
    let closure = |f: chrono::NaiveDate| pb::AddClosureRequest {
        site_id: w.site.clone(),
        from: Some(d(f)),
        to: Some(d(to)),
        reason: "Remontti".into(),
    };
    assert_eq!(violations(env.ordering.add_closure(env.req(closure(from), &site_user)).await), vec!["from"]);
    let closing = *expected_days.iter().rev().nth(1).unwrap();
    env.ordering.add_closure(env.req(closure(closing), &site_user)).await.unwrap();
    let after = env
        .ordering
        .list_orders(env.req(
            pb::ListOrdersRequest { site_id: w.site.clone(), from: Some(d(closing)), to: Some(d(to)), ..Default::default() },
            &site_user,
        ))
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(!after.is_empty() && after.iter().all(|o| o.line.as_ref().unwrap().quantity == 0), "orders in the closure are cancelled");
    let listed = env
        .ordering
        .list_standing_orders(env.req(pb::ListStandingOrdersRequest { site_id: w.site.clone() }, &site_user))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((listed.standing_orders.len(), listed.closures.len()), (1, 1));
    env.cleanup().await;
}

/// A customer with one daycare whose agreements of this and next year cover
/// meals and cleaning; the catalogue published; ordering's projections caught up.
async fn meals_and_cleaning_site(env: &mut TestEnv) -> (String, String) {
    let customer = env.customer("OWK", contracts::CustomerKind::InternalServiceArea, "0187690-1").await.id;
    let site = env.site(&customer, "OWK-1", contracts::SiteKind::Daycare).await.id;
    let year = today().year();
    for y in [year, year + 1] {
        env.agreement(&customer, y, &[&site], &[ServiceLine::Meals, ServiceLine::Cleaning], true).await;
    }
    let c = |k: pricing::CostComponentKind, a: &str| pricing::CostComponent { kind: k as i32, amount: a.into() };
    let prices: Vec<pricing::Price> = ["LOUNAS-PK", "LISASIIVOUS"]
        .iter()
        .map(|code_| pricing::Price {
            product_code: (*code_).into(),
            unit_price: "3.00".into(),
            components: vec![c(pricing::CostComponentKind::Labour, "3.00")],
        })
        .collect();
    env.published_price_list(year + 1, &prices, None).await;
    let t = env.staff();
    let week = pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(d(far_day())) };
    wait_until("ordering's projections have both agreements and the catalogue", std::time::Duration::from_secs(30), || {
        let (mut client, req) = (env.ordering.clone(), env.req(week.clone(), &t));
        async move {
            client.get_order_week(req).await.is_ok_and(|w| {
                let codes: Vec<&str> = w.get_ref().products.iter().map(|p| p.code.as_str()).collect();
                codes.contains(&"LOUNAS-PK") && codes.contains(&"LISASIIVOUS")
            })
        }
    })
    .await;
    (customer, site)
}

fn week_day(week: &pb::OrderWeek, day: chrono::NaiveDate) -> pb::OrderDay {
    week.days.iter().find(|x| x.date == Some(d(day))).cloned().unwrap()
}

fn line_state(day: &pb::OrderDay, line: &str) -> (bool, pb::ChangeMode) {
    let c = day.cutoffs.iter().find(|c| c.service_line == line).unwrap_or_else(|| panic!("no cut-off for {line}: {day:?}"));
    (c.open, pb::ChangeMode::try_from(c.change_mode).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_week_says_per_service_line_whether_a_change_is_normal_or_a_request() {
    use kumppani_platform::calendar::CutoffRule;
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let (customer, site) = meals_and_cleaning_site(&mut env).await;
    let mut ordering = env.ordering.clone();
    let site_user =
        env.issuer().token_for(Role::SiteUser, uuid::Uuid::parse_str(&customer).ok(), uuid::Uuid::parse_str(&site).ok(), vec![]).unwrap();
    // A day whose meal cut-off (2 working days at 12:00) has passed while cleaning's (1 working day) has not.
    let (meals, cleaning) = (CutoffRule { working_days: 2, hour: 12 }, CutoffRule { working_days: 1, hour: 12 });
    let now = chrono::Utc::now();
    let day = (1..30).map(|k| today() + chrono::Duration::days(k)).find(|x| !meals.is_open(*x, now) && cleaning.is_open(*x, now)).unwrap();
    let week_of = |token: &str| env.req(pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(d(day)) }, token);
    let week = ordering.get_order_week(week_of(&site_user)).await.unwrap().into_inner();
    let shown = week_day(&week, day);
    assert_eq!(line_state(&shown, "meals"), (false, pb::ChangeMode::LateChangeRequest), "{day}: {shown:?}");
    assert_eq!(line_state(&shown, "cleaning"), (true, pb::ChangeMode::Normal), "{day}: {shown:?}");
    // What the week says is what intake does: cleaning takes effect, meals become a request.
    let place = |product: &str, q: i32, token: &str| {
        env.req(pb::PlaceOrderRequest { line: Some(line(&site, day, product, "", q)), ..Default::default() }, token)
    };
    let outcome = |r: pb::PlaceOrderResponse| pb::OrderOutcome::try_from(r.result.unwrap().outcome).unwrap();
    assert_eq!(outcome(ordering.place_order(place("LISASIIVOUS", 2, &site_user)).await.unwrap().into_inner()), pb::OrderOutcome::Accepted);
    assert_eq!(
        outcome(ordering.place_order(place("LOUNAS-PK", 20, &site_user)).await.unwrap().into_inner()),
        pb::OrderOutcome::LateChangeRequested
    );
    // Staff are not held to the cut-off: for them every line of the day is a normal change.
    assert_eq!(outcome(ordering.place_order(place("LOUNAS-PK", 18, &t)).await.unwrap().into_inner()), pb::OrderOutcome::Accepted);
    let by_staff = week_day(&ordering.get_order_week(week_of(&t)).await.unwrap().into_inner(), day);
    assert_eq!(line_state(&by_staff, "meals").1, pb::ChangeMode::Normal);
    // Each ordered product carries its line's cut-off and mode.
    let shown = week_day(&ordering.get_order_week(week_of(&site_user)).await.unwrap().into_inner(), day);
    let product = |code_: &str| shown.products.iter().find(|p| p.product_code == code_).cloned().unwrap();
    let (lunch, extra) = (product("LOUNAS-PK"), product("LISASIIVOUS"));
    assert_eq!((lunch.service_line.as_str(), lunch.change_mode), ("meals", pb::ChangeMode::LateChangeRequest as i32));
    assert_eq!((extra.service_line.as_str(), extra.change_mode), ("cleaning", pb::ChangeMode::Normal as i32));
    let instant = |c: Option<kumppani_proto::pbjson_types::Timestamp>| c.unwrap().seconds;
    assert_eq!(instant(lunch.cutoff), meals.cutoff(day).timestamp());
    assert_eq!(instant(extra.cutoff), cleaning.cutoff(day).timestamp());
    assert_eq!(shown.late_changes.len(), 1, "the meal request waits for staff");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_from_a_stale_view_is_refused_as_a_conflict_naming_the_line() {
    let mut env = TestEnv::start(false).await;
    let (customer, site) = meals_and_cleaning_site(&mut env).await;
    let mut ordering = env.ordering.clone();
    let site_user =
        env.issuer().token_for(Role::SiteUser, uuid::Uuid::parse_str(&customer).ok(), uuid::Uuid::parse_str(&site).ok(), vec![]).unwrap();
    let place = |q: i32, expected: Option<i32>| {
        let line = Some(line(&site, far_day(), "LOUNAS-PK", "", q));
        env.req(pb::PlaceOrderRequest { line, expected_version: expected, ..Default::default() }, &site_user)
    };
    // Two tabs show the day without an order; the first saves, the second is told the order changed.
    let first = ordering.place_order(place(40, Some(0))).await.unwrap().into_inner().result.unwrap().order.unwrap();
    assert_eq!(first.version, 1);
    let stale = ordering.place_order(place(35, Some(0))).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    assert!(stale.message().contains("LOUNAS-PK") && stale.message().contains("version 1"), "names the line: {}", stale.message());
    // With the version it saw, a change goes through; the same stale version again does not.
    let second = ordering.place_order(place(42, Some(1))).await.unwrap().into_inner().result.unwrap().order.unwrap();
    assert_eq!((second.version, second.line.unwrap().quantity), (2, 42));
    assert_eq!(code(ordering.place_order(place(30, Some(1))).await), Code::Aborted);
    // Without an expected version the last write wins, as before.
    let last = ordering.place_order(place(41, None)).await.unwrap().into_inner().result.unwrap().order.unwrap();
    assert_eq!((last.version, last.line.unwrap().quantity), (3, 41));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_week_shows_delivered_quantities_of_days_that_have_come() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let (_, site) = meals_and_cleaning_site(&mut env).await;
    // Staff place today's order (the producer is not held to the cut-off) and confirm what was delivered.
    let day = today();
    let place = pb::PlaceOrderRequest { line: Some(line(&site, day, "LOUNAS-PK", "", 40)), ..Default::default() };
    env.ordering.place_order(env.req(place, &t)).await.unwrap();
    let confirm = pb::ConfirmDeliveriesRequest {
        lines: vec![line(&site, day, "LOUNAS-PK", "", 37), line(&site, day, "LISASIIVOUS", "", 2)],
        ..Default::default()
    };
    env.ordering.confirm_deliveries(env.req(confirm, &t)).await.unwrap();
    let week =
        env.ordering.get_order_week(env.req(pb::GetOrderWeekRequest { site_id: site.clone(), day: Some(d(day)) }, &t)).await.unwrap();
    let shown = week_day(week.get_ref(), day);
    let product = |code_: &str| shown.products.iter().find(|p| p.product_code == code_).cloned().unwrap();
    assert_eq!((product("LOUNAS-PK").quantity, product("LOUNAS-PK").delivered_quantity), (40, Some(37)));
    assert_eq!((product("LISASIIVOUS").quantity, product("LISASIIVOUS").delivered_quantity), (0, Some(2)), "delivered without an order");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_changes_and_deliveries_name_people_not_login_names() {
    let mut env = TestEnv::start(false).await;
    let (customer, site) = meals_and_cleaning_site(&mut env).await;
    let site_user =
        env.issuer().token_for(Role::SiteUser, uuid::Uuid::parse_str(&customer).ok(), uuid::Uuid::parse_str(&site).ok(), vec![]).unwrap();
    let t = env.issuer().token_for(Role::EnterpriseStaff, None, None, vec![]).unwrap();
    // A change after the meal cut-off becomes a request; staff decline it.
    let tomorrow = today() + chrono::Duration::days(1);
    let place = pb::PlaceOrderRequest { line: Some(line(&site, tomorrow, "LOUNAS-PK", "", 5)), ..Default::default() };
    let late = env.ordering.place_order(env.req(place, &site_user)).await.unwrap().into_inner().result.unwrap().late_change.unwrap();
    let decide = pb::DecideLateChangeRequest { id: late.id.clone(), accept: false, reason: "Raaka-aineet tilattu".into() };
    env.ordering.decide_late_change(env.req(decide, &t)).await.unwrap();
    let listed = env
        .ordering
        .list_late_changes(env.req(pb::ListLateChangesRequest { site_id: site.clone(), ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner()
        .late_changes;
    let x = listed.iter().find(|x| x.id == late.id).unwrap();
    // The test issuer names its people "Test <role>"; their subjects are "test-<role>".
    let (staff_name, user_name) = ("Test enterprise_staff".to_owned(), "Test site_user".to_owned());
    assert_eq!((x.requested_by_name.as_str(), x.decided_by_name.as_str()), (user_name.as_str(), staff_name.as_str()));
    assert_ne!(x.requested_by_name, x.requested_by, "a name, not the login subject");
    // Deliveries and orders name who confirmed and who changed them.
    let confirm = pb::ConfirmDeliveriesRequest { lines: vec![line(&site, today(), "LOUNAS-PK", "", 3)], ..Default::default() };
    env.ordering.confirm_deliveries(env.req(confirm, &t)).await.unwrap();
    let (from, to) = (Some(d(today())), Some(d(tomorrow)));
    let deliveries = env
        .ordering
        .list_deliveries(env.req(pb::ListDeliveriesRequest { site_id: site.clone(), from, to, ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner()
        .deliveries;
    assert_eq!(deliveries[0].confirmed_by_name, staff_name);
    let place = pb::PlaceOrderRequest { line: Some(line(&site, far_day(), "LOUNAS-PK", "", 5)), ..Default::default() };
    env.ordering.place_order(env.req(place, &site_user)).await.unwrap();
    let (from, to) = (Some(d(far_day())), Some(d(far_day())));
    let orders = env
        .ordering
        .list_orders(env.req(pb::ListOrdersRequest { site_id: site.clone(), from, to, ..Default::default() }, &site_user))
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(orders[0].updated_by_name, user_name);
    env.cleanup().await;
}
