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
use support::fixtures::{d, far_day, line, next_working_day, world};
use support::{TestEnv, code, today, violations, wait_until};
use tonic::Code;

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
    // The same quantity again changes nothing: same version, no event; 0 where nothing is ordered creates nothing.
    let again = env.ordering.place_order(env.req(place(line(&w.site, far_day(), "LOUNAS-PK", "", 45)), &site_user)).await.unwrap();
    assert_eq!(again.into_inner().result.unwrap().order, changed.order);
    assert_eq!(env.outbox_count("ordering", "ordering.order.changed").await, 1);
    let nothing = env.ordering.place_order(env.req(place(line(&w.site, far_day(), "VALIPALA", "", 0)), &site_user)).await.unwrap();
    assert_eq!(nothing.into_inner().result.unwrap().outcome, pb::OrderOutcome::Accepted as i32);
    let listed = pb::ListOrdersRequest { site_id: w.site.clone(), from: Some(d(far_day())), to: Some(d(far_day())), ..Default::default() };
    let listed = env.ordering.list_orders(env.req(listed, &t)).await.unwrap().into_inner().orders;
    assert!(listed.iter().all(|o| o.line.as_ref().unwrap().product_code != "VALIPALA"), "no 0-order was created");
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

    // The next working day's meal cut-off has passed: the change becomes a late-change request, not a refusal.
    let tomorrow = next_working_day();
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
    // ~2 000 good lines (two daycares × the working days of 50 × 15 diets) plus bad ones.
    let mut lines = Vec::new();
    for k in 0..50 {
        let day = far_day() + chrono::Duration::days(k);
        if !kumppani_platform::calendar::is_working_day(day) {
            continue; // daycares are closed on weekends and holidays
        }
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
        idempotency_key: format!("toteuma-{q}-{reason}"),
    };
    let first = env.ordering.confirm_deliveries(env.req(deliver(40, ""), &system)).await.unwrap().into_inner();
    assert_eq!(first.deliveries[0].version, 1);
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(deliver(38, ""), &system)).await), vec!["correction_reason"]);
    let fixed = env.ordering.confirm_deliveries(env.req(deliver(38, "Kaksi lasta poissa"), &system)).await.unwrap().into_inner();
    assert_eq!((fixed.deliveries[0].version, fixed.deliveries[0].line.as_ref().unwrap().quantity), (2, 38));
    let same = env.ordering.confirm_deliveries(env.req(deliver(38, ""), &system)).await.unwrap().into_inner();
    assert_eq!(same.deliveries[0].version, 2, "confirming the same quantity again changes nothing");
    let future = pb::ConfirmDeliveriesRequest {
        lines: vec![line(&w.site, far_day(), "LOUNAS-PK", "", 1)],
        idempotency_key: "future".into(),
        ..Default::default()
    };
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
        .find(|d| kumppani_platform::calendar::is_working_day(*d) && *d <= to && *d > today() + chrono::Duration::days(5))
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

/// The next Independence Day (6.12) that has not come yet.
fn next_independence_day() -> chrono::NaiveDate {
    let this_year = chrono::NaiveDate::from_ymd_opt(today().year(), 12, 6).unwrap();
    if this_year > today() { this_year } else { chrono::NaiveDate::from_ymd_opt(today().year() + 1, 12, 6).unwrap() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_sites_open_days_can_be_ordered() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let place = |site: &str, day, q| pb::PlaceOrderRequest { line: Some(line(site, day, "LOUNAS-PK", "", q)), ..Default::default() };
    // The schedule is a fact of the site, derived from its kind unless given.
    let get = |id: &str| contracts::GetSiteRequest { id: id.into() };
    let schedule = env.client.get_site(env.req(get(&w.site), &t)).await.unwrap().into_inner().site.unwrap().opening_schedule;
    assert_eq!(schedule, contracts::OpeningSchedule::Weekdays as i32);
    let schedule = env.client.get_site(env.req(get(&w.care_home), &t)).await.unwrap().into_inner().site.unwrap().opening_schedule;
    assert_eq!(schedule, contracts::OpeningSchedule::EveryDay as i32);

    // An ordinary daycare: not on Independence Day, not on a Sunday; staff neither.
    let holiday = next_independence_day();
    let sunday = far_day() + chrono::Duration::days(5);
    assert_eq!(sunday.weekday(), chrono::Weekday::Sun);
    for day in [holiday, sunday] {
        let refused = env.ordering.place_order(env.req(place(&w.site, day, 10), &t)).await;
        let message = refused.as_ref().unwrap_err().message().to_owned();
        assert_eq!(violations(refused), vec!["line.service_day"], "{day}");
        assert!(message.contains(&kumppani_ordering::domain::fi_date(day)), "{message}");
    }
    let refused = env.ordering.place_order(env.req(place(&w.site, holiday, 10), &t)).await.unwrap_err();
    assert!(refused.message().contains("Itsenäisyyspäivä"), "{}", refused.message());
    // In a batch the line is rejected with its field; the weekday next to it is accepted.
    let batch = pb::PlaceOrdersRequest {
        lines: vec![line(&w.site, sunday, "LOUNAS-PK", "", 3), line(&w.site, far_day(), "LOUNAS-PK", "", 3)],
        ..Default::default()
    };
    let r = env.ordering.place_orders(env.req(batch, &t)).await.unwrap().into_inner();
    assert_eq!((r.accepted, r.rejected, r.results[0].error_field.as_str()), (1, 1, "service_day"));

    // A care home is open every day, holidays included.
    for day in [holiday, sunday] {
        let ok = env.ordering.place_order(env.req(place(&w.care_home, day, 30), &t)).await.unwrap().into_inner();
        assert_eq!(ok.result.unwrap().outcome, pb::OrderOutcome::Accepted as i32, "{day}");
    }

    // The order week offers only open days and says why the others are closed.
    let week = |site: &str, day| pb::GetOrderWeekRequest { site_id: site.into(), day: Some(d(day)) };
    let daycare_week = env.ordering.get_order_week(env.req(week(&w.site, holiday), &t)).await.unwrap().into_inner();
    let day = daycare_week.days.iter().find(|x| x.date == Some(d(holiday))).unwrap();
    assert!(day.site_closed && day.cutoffs.is_empty() && !day.open, "{day:?}");
    assert!(day.closed_reason.contains("Itsenäisyyspäivä"), "{}", day.closed_reason);
    let weekend: Vec<&pb::OrderDay> = daycare_week.days.iter().skip(5).collect();
    assert!(weekend.iter().all(|x| x.site_closed && x.closed_reason.contains("weekend") || x.date == Some(d(holiday))));
    let care_week = env.ordering.get_order_week(env.req(week(&w.care_home, holiday), &t)).await.unwrap().into_inner();
    assert!(care_week.days.iter().all(|x| !x.site_closed && !x.cutoffs.is_empty()), "a care home orders every day");

    // Standing orders skip the days a site is closed.
    let (monday, sunday) = (far_day() - chrono::Duration::days(1), far_day() + chrono::Duration::days(5));
    for site in [&w.site, &w.care_home] {
        let pattern = pb::SetStandingOrderRequest {
            site_id: site.clone(),
            product_code: "VALIPALA".into(),
            valid_from: Some(d(monday)),
            valid_to: Some(d(sunday)),
            weekday_quantities: vec![5; 7],
            ..Default::default()
        };
        env.ordering.set_standing_order(env.req(pattern, &t)).await.unwrap();
    }
    let m = env
        .ordering
        .materialize_standing_orders(
            env.req(pb::MaterializeStandingOrdersRequest { from: Some(d(monday)), to: Some(d(sunday)), site_id: String::new() }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!((m.created, m.skipped_closed), (5 + 7, 2), "the daycare's weekend is skipped, the care home's is not");

    // A daycare that becomes round-the-clock (vuorohoito) can order for Sundays once ordering hears of it.
    let update = contracts::UpdateSiteRequest {
        id: w.other_site.clone(),
        opening_schedule: contracts::OpeningSchedule::EveryDay as i32,
        ..Default::default()
    };
    let updated = env.client.update_site(env.req(update, &t)).await.unwrap().into_inner();
    assert_eq!(updated.opening_schedule, contracts::OpeningSchedule::EveryDay as i32);
    wait_until("ordering hears the daycare is open every day", std::time::Duration::from_secs(30), || {
        let (mut client, req) = (env.ordering.clone(), env.req(place(&w.other_site, sunday, 8), &t));
        async move { client.place_order(req).await.is_ok() }
    })
    .await;
    let bad = contracts::UpdateSiteRequest { id: w.other_site.clone(), opening_schedule: 9, ..Default::default() };
    assert_eq!(violations(env.client.update_site(env.req(bad, &t)).await), vec!["opening_schedule"]);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_confirmations_are_idempotent_change_nothing_when_repeated_and_keep_their_versions() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let system = env.issuer().token_for(Role::SystemClient, None, None, vec!["deliveries:write".into()]).unwrap();
    let yesterday = today() - chrono::Duration::days(1);
    let confirm = |q: i32, reason: &str, key: &str| pb::ConfirmDeliveriesRequest {
        lines: vec![line(&w.care_home, yesterday, "LOUNAS-PK", "", q)],
        correction_reason: reason.into(),
        idempotency_key: key.into(),
    };
    // The production system must send a key; a key is text without control characters.
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(confirm(40, "", ""), &system)).await), vec!["idempotency_key"]);
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(confirm(40, "", "a\0b"), &system)).await), vec!["idempotency_key"]);
    let first = env.ordering.confirm_deliveries(env.req(confirm(40, "", "toteuma-1"), &system)).await.unwrap().into_inner();
    assert!(!first.replayed);
    let delivery = first.deliveries[0].clone();
    assert_eq!(delivery.version, 1);
    // The same request again is a replay of the first answer, with no second effect.
    let again = env.ordering.confirm_deliveries(env.req(confirm(40, "", "toteuma-1"), &system)).await.unwrap().into_inner();
    assert!(again.replayed);
    assert_eq!(again.deliveries, first.deliveries);
    // The same quantity under a new key (or by staff) changes nothing: no new who/when, version or event.
    let same = env.ordering.confirm_deliveries(env.req(confirm(40, "", "toteuma-2"), &system)).await.unwrap().into_inner();
    assert_eq!(same.deliveries, first.deliveries, "unchanged: who, when and version are the first confirmation's");
    let by_staff = pb::ConfirmDeliveriesRequest { idempotency_key: String::new(), ..confirm(40, "", "") };
    let same = env.ordering.confirm_deliveries(env.req(by_staff, &t)).await.unwrap().into_inner();
    assert_eq!(same.deliveries, first.deliveries);
    assert_eq!(env.outbox_count("ordering", "ordering.delivery.confirmed").await, 1);
    // A correction, then the first request retried: still the first answer, not a refusal for a missing reason.
    let fixed = env.ordering.confirm_deliveries(env.req(confirm(37, "Kolme asukasta sairaalassa", "toteuma-3"), &system)).await.unwrap();
    assert_eq!(fixed.get_ref().deliveries[0].version, 2);
    let retried = env.ordering.confirm_deliveries(env.req(confirm(40, "", "toteuma-1"), &system)).await.unwrap().into_inner();
    assert!(retried.replayed);
    assert_eq!(retried.deliveries, first.deliveries);
    assert_eq!(env.outbox_count("ordering", "ordering.delivery.corrected").await, 1, "the replay corrected nothing back");
    // The same key for a different request is a client bug; keys belong to their client.
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(confirm(41, "x", "toteuma-1"), &system)).await), vec!["idempotency_key"]);

    // Every version can be read, by gRPC and REST.
    let versions = env
        .ordering
        .list_delivery_versions(env.req(pb::ListDeliveryVersionsRequest { delivery_id: delivery.id.clone() }, &t))
        .await
        .unwrap()
        .into_inner();
    let seen: Vec<(i32, i32, &str)> = versions.versions.iter().map(|v| (v.version, v.quantity, v.correction_reason.as_str())).collect();
    assert_eq!(seen, vec![(1, 40, ""), (2, 37, "Kolme asukasta sairaalassa")]);
    assert_eq!(versions.delivery.unwrap().version, 2);
    let rest = env.rest_json(&format!("/deliveries/{}/versions", delivery.id), &t).await;
    assert_eq!(rest["versions"][1]["quantity"], 37, "{rest}");
    // Outside the caller's scope: refused; an unknown id: not found.
    let other = env.issuer().token_for(Role::CustomerContact, Some(uuid::Uuid::new_v4()), None, vec![]).unwrap();
    let ask = |id: &str| pb::ListDeliveryVersionsRequest { delivery_id: id.into() };
    assert_eq!(code(env.ordering.list_delivery_versions(env.req(ask(&delivery.id), &other)).await), Code::PermissionDenied);
    assert_eq!(code(env.ordering.list_delivery_versions(env.req(ask(&uuid::Uuid::new_v4().to_string()), &t)).await), Code::NotFound);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_text_are_field_errors_not_server_errors() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let nul = |s: &str| format!("{s}\0x");
    let one = |l: pb::OrderLine| pb::PlaceOrderRequest { line: Some(l), ..Default::default() };
    assert_eq!(
        violations(env.ordering.place_order(env.req(one(line(&w.site, far_day(), "LOUNAS-PK", &nul("kasvis"), 2)), &t)).await),
        vec!["line.diet"]
    );
    assert_eq!(
        violations(env.ordering.place_order(env.req(one(line(&w.site, far_day(), &nul("LOUNAS"), "", 2)), &t)).await),
        vec!["line.product_code"]
    );
    let batch = pb::PlaceOrdersRequest {
        lines: vec![line(&w.site, far_day(), "LOUNAS-PK", "\u{1b}[31m", 2), line(&w.site, far_day(), "LOUNAS-PK", "", 2)],
        ..Default::default()
    };
    let r = env.ordering.place_orders(env.req(batch, &t)).await.unwrap().into_inner();
    assert_eq!((r.accepted, r.rejected, r.results[0].error_field.as_str()), (1, 1, "diet"));
    let key = pb::PlaceOrdersRequest { lines: vec![line(&w.site, far_day(), "LOUNAS-PK", "", 3)], idempotency_key: nul("k"), channel: 0 };
    assert_eq!(violations(env.ordering.place_orders(env.req(key, &t)).await), vec!["idempotency_key"]);
    let deliver = pb::ConfirmDeliveriesRequest {
        lines: vec![line(&w.site, today() - chrono::Duration::days(1), "LOUNAS-PK", &nul(""), 2)],
        correction_reason: nul("syy"),
        ..Default::default()
    };
    let mut fields = violations(env.ordering.confirm_deliveries(env.req(deliver, &t)).await);
    fields.sort();
    assert_eq!(fields, vec!["correction_reason", "lines[0].diet"]);
    let closure =
        pb::AddClosureRequest { site_id: w.site.clone(), from: Some(d(far_day())), to: Some(d(far_day())), reason: nul("Remontti") };
    assert_eq!(violations(env.ordering.add_closure(env.req(closure, &t)).await), vec!["reason"]);
    let decide = pb::DecideLateChangeRequest { id: uuid::Uuid::new_v4().to_string(), accept: false, reason: nul("Ei") };
    assert_eq!(violations(env.ordering.decide_late_change(env.req(decide, &t)).await), vec!["reason"]);
    let standing = pb::SetStandingOrderRequest {
        site_id: w.site.clone(),
        product_code: nul("VALIPALA"),
        diet: nul(""),
        valid_from: Some(d(far_day())),
        valid_to: Some(d(far_day())),
        weekday_quantities: vec![1; 7],
        include_holidays: false,
    };
    let mut fields = violations(env.ordering.set_standing_order(env.req(standing, &t)).await);
    fields.sort();
    assert_eq!(fields, vec!["diet", "product_code"]);
    let budget =
        pb::Budget { site_id: w.site.clone(), product_code: nul("LOUNAS"), year: far_day().year(), quantity: 1, ..Default::default() };
    assert_eq!(
        violations(env.ordering.set_budget(env.req(pb::SetBudgetRequest { budget: Some(budget) }, &t)).await),
        vec!["budget.product_code"]
    );
    // Over REST a NUL in a body is a 422 naming the field.
    let body = serde_json::json!({"line": {"siteId": w.site, "serviceDay": format!("{}-03-02", far_day().year()),
                                           "productCode": "LOUNAS-PK", "diet": "a\u{0}b", "quantity": 1}});
    let rest = reqwest::Client::new().post(format!("{}/api/v1/orders", env.http)).bearer_auth(&t).json(&body).send().await.unwrap();
    assert_eq!(rest.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rest.text().await.unwrap().contains("line.diet"));
    env.cleanup().await;
}

/// Orders and deliveries are paged like every other list: no silent cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_deliveries_are_listed_page_by_page() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let diets = ["", "gluteeniton", "kasvis", "laktoositon", "maidoton", "vegaani", "kalaton"];
    let lines: Vec<pb::OrderLine> = diets.iter().map(|diet| line(&w.site, far_day(), "LOUNAS-PK", diet, 4)).collect();
    let placed = env.ordering.place_orders(env.req(pb::PlaceOrdersRequest { lines, ..Default::default() }, &t)).await.unwrap();
    assert_eq!(placed.into_inner().accepted, 7);
    let mut seen = Vec::new();
    let mut token = String::new();
    for page in 0.. {
        let request = pb::ListOrdersRequest {
            site_id: w.site.clone(),
            from: Some(d(far_day())),
            to: Some(d(far_day())),
            page_size: 3,
            page_token: token.clone(),
            ..Default::default()
        };
        let r = env.ordering.list_orders(env.req(request, &t)).await.unwrap().into_inner();
        assert!(r.orders.len() <= 3);
        seen.extend(r.orders.into_iter().map(|o| o.line.unwrap().diet));
        token = r.next_page_token;
        if token.is_empty() {
            assert_eq!(page, 2, "7 orders in pages of 3");
            break;
        }
    }
    let mut expected: Vec<String> = diets.iter().map(|x| (*x).to_owned()).collect();
    expected.sort();
    assert_eq!(seen, expected, "every order once, in key order");
    // A page size out of range or a forged token is a field error.
    let bad = |page_size, page_token: &str| pb::ListDeliveriesRequest {
        site_id: w.site.clone(),
        from: Some(d(far_day())),
        to: Some(d(far_day())),
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    };
    assert_eq!(violations(env.ordering.list_deliveries(env.req(bad(501, ""), &t)).await), vec!["page_size"]);
    assert_eq!(violations(env.ordering.list_deliveries(env.req(bad(0, "not-a-token"), &t)).await), vec!["page_token"]);
    env.cleanup().await;
}

/// Years PostgreSQL cannot store are field errors, not server errors (found by
/// Schemathesis: `/ordering-rate?year=-72501` answered 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_years_and_dates_are_field_errors() {
    let env = TestEnv::start(false).await;
    let t = env.staff();
    let rate = |year, month| pb::GetOrderingRateRequest { year, month };
    assert_eq!(violations(env.ordering.clone().get_ordering_rate(env.req(rate(-72501, 3), &t)).await), vec!["year"]);
    assert_eq!(violations(env.ordering.clone().get_ordering_rate(env.req(rate(2027, 13), &t)).await), vec!["month"]);
    let far = pb::Date { year: 200_000, month: 1, day: 1 };
    let listed = pb::ListOrdersRequest { from: Some(far), to: Some(far), ..Default::default() };
    assert_eq!(violations(env.ordering.clone().list_orders(env.req(listed, &t)).await), vec!["from", "to"]);
    let rest = env.rest_json("/ordering-rate?year=-72501&month=3", &t).await;
    assert_eq!(rest["error"]["code"], "INVALID_ARGUMENT", "{rest}");
    env.cleanup().await;
}
