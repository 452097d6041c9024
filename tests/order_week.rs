//! The order week end to end: each service line's cut-off state, expected
//! versions (two tabs), delivered quantities of past days and who did what.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::r#type::v1::ServiceLine;
use support::fixtures::{catalogue, d, far_day, line};
use support::{TestEnv, code, today};
use tonic::Code;

/// A customer with one daycare whose agreements of this and next year cover
/// meals and cleaning; the catalogue published; ordering's projections caught up.
async fn meals_and_cleaning_site(env: &mut TestEnv) -> (String, String) {
    let customer = env.customer("OWK", contracts::CustomerKind::InternalServiceArea, "0187690-1").await.id;
    let site = env.site(&customer, "OWK-1", contracts::SiteKind::Daycare).await.id;
    let year = today().year();
    for y in [year, year + 1] {
        env.agreement(&customer, y, &[&site], &[ServiceLine::Meals, ServiceLine::Cleaning], true).await;
    }
    catalogue(env, year + 1, &site, &["LOUNAS-PK", "LISASIIVOUS"], &["LOUNAS-PK", "LISASIIVOUS"]).await;
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
    // A day the daycare is open (a working day) whose meal cut-off (2 working days at 12:00) has
    // passed while cleaning's (1 working day) has not. (A weekend day qualified on Thursday
    // afternoons, and a closed day shows no cut-offs at all.)
    let (meals, cleaning) = (CutoffRule { working_days: 2, hour: 12 }, CutoffRule { working_days: 1, hour: 12 });
    let now = chrono::Utc::now();
    let day = (1..30)
        .map(|k| today() + chrono::Duration::days(k))
        .find(|x| kumppani_platform::calendar::is_working_day(*x) && !meals.is_open(*x, now) && cleaning.is_open(*x, now))
        .unwrap();
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
