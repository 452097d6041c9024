//! End-to-end scope tests of the ordering service: every customer-wide read
//! keeps to the caller's customer or site, system clients to their grant.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::r#type::v1::ServiceLine;
use support::fixtures::{d, far_day, line, world};
use support::{TestEnv, code, today, violations, wait_until};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_wide_reads_stay_within_the_callers_scope() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    let customer = uuid::Uuid::parse_str(&w.customer).ok();
    let site_user = env.issuer().token_for(Role::SiteUser, customer, uuid::Uuid::parse_str(&w.site).ok(), vec![]).unwrap();
    let contact = env.issuer().token_for(Role::CustomerContact, customer, None, vec![]).unwrap();
    // Another customer with its own agreement.
    let other = env.internal_customer("OTH").await.id;
    let other_site = env.site(&other, "OTH-1", contracts::SiteKind::School).await.id;
    let other_agreement = env.agreement(&other, far_day().year(), &[&other_site], &[ServiceLine::Meals], false).await.id;
    let mine = env
        .client
        .list_agreements(
            env.req(contracts::ListAgreementsRequest { customer_id: w.customer.clone(), year: far_day().year(), ..Default::default() }, &t),
        )
        .await
        .unwrap()
        .into_inner()
        .agreements[0]
        .id
        .clone();

    // Budget usage: a site user sees only their own site (gRPC and REST), the contract contact every site.
    let year = far_day().year();
    for site in [&w.site, &w.other_site] {
        let budget = pb::Budget { site_id: site.clone(), product_code: "LOUNAS-PK".into(), year, quantity: 19_000, ..Default::default() };
        env.ordering.set_budget(env.req(pb::SetBudgetRequest { budget: Some(budget) }, &t)).await.unwrap();
    }
    let usage = |token: &str| {
        let req = env.req(pb::GetBudgetUsageRequest { customer_id: w.customer.clone(), year, as_of: None }, token);
        let mut client = env.ordering.clone();
        async move { client.get_budget_usage(req).await.unwrap().into_inner().usage }
    };
    let sites = |rows: Vec<pb::BudgetUsage>| rows.into_iter().map(|u| u.site_id).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(sites(usage(&site_user).await), [w.site.clone()].into());
    assert_eq!(sites(usage(&contact).await), [w.site.clone(), w.other_site.clone()].into());
    let rest = env.rest_json(&format!("/budget-usage?customerId={}&year={year}", w.customer), &site_user).await;
    assert_eq!(rest["usage"].as_array().map(Vec::len), Some(1), "{rest}");

    // A system client without an orders grant reads no orders, deliveries or late changes, nor budgets.
    let registry_only = env.issuer().token_for(Role::SystemClient, customer, None, vec!["registry:read".into()]).unwrap();
    let period = |customer_id: &str| pb::ListOrdersRequest {
        customer_id: customer_id.into(),
        from: Some(d(far_day())),
        to: Some(d(far_day())),
        ..Default::default()
    };
    assert_eq!(code(env.ordering.list_orders(env.req(period(""), &registry_only)).await), Code::PermissionDenied);
    let deliveries = pb::ListDeliveriesRequest { from: Some(d(today())), to: Some(d(today())), ..Default::default() };
    assert_eq!(code(env.ordering.list_deliveries(env.req(deliveries, &registry_only)).await), Code::PermissionDenied);
    assert_eq!(
        code(env.ordering.list_late_changes(env.req(pb::ListLateChangesRequest::default(), &registry_only)).await),
        Code::PermissionDenied
    );
    let budget = pb::GetBudgetUsageRequest { customer_id: w.customer.clone(), year, as_of: None };
    assert_eq!(code(env.ordering.get_budget_usage(env.req(budget, &registry_only)).await), Code::PermissionDenied);

    // MaterializeStandingOrders keeps to a system client's customer.
    let pattern = pb::SetStandingOrderRequest {
        site_id: w.site.clone(),
        product_code: "VALIPALA".into(),
        valid_from: Some(d(far_day())),
        valid_to: Some(d(far_day())),
        weekday_quantities: vec![4; 7],
        ..Default::default()
    };
    env.ordering.set_standing_order(env.req(pattern, &t)).await.unwrap();
    let other_system =
        env.issuer().token_for(Role::SystemClient, uuid::Uuid::parse_str(&other).ok(), None, vec!["orders:write".into()]).unwrap();
    let materialize =
        |site_id: &str| pb::MaterializeStandingOrdersRequest { from: Some(d(far_day())), to: Some(d(far_day())), site_id: site_id.into() };
    let m = env.ordering.materialize_standing_orders(env.req(materialize(""), &other_system)).await.unwrap().into_inner();
    assert_eq!(m.created, 0, "another customer's standing orders are not this client's to materialize");
    assert_eq!(code(env.ordering.materialize_standing_orders(env.req(materialize(&w.site), &other_system)).await), Code::PermissionDenied);
    let m = env.ordering.materialize_standing_orders(env.req(materialize(""), &t)).await.unwrap().into_inner();
    assert_eq!(m.created, 1);

    // Cut-off rules: the defaults and the caller's own agreements' rules; staff see all.
    wait_until("ordering has the other customer's agreement", std::time::Duration::from_secs(30), || {
        let rule = pb::CutoffRule { agreement_id: other_agreement.clone(), service_line: "meals".into(), working_days: 3, hour: 10 };
        let (mut client, req) = (env.ordering.clone(), env.req(pb::SetCutoffRuleRequest { rule: Some(rule) }, &t));
        async move { client.set_cutoff_rule(req).await.is_ok() }
    })
    .await;
    let rule = pb::CutoffRule { agreement_id: mine.clone(), service_line: "meals".into(), working_days: 4, hour: 9 };
    env.ordering.set_cutoff_rule(env.req(pb::SetCutoffRuleRequest { rule: Some(rule) }, &t)).await.unwrap();
    let agreements = |token: &str| {
        let req = env.req(pb::ListCutoffRulesRequest {}, token);
        let mut client = env.ordering.clone();
        async move {
            let rules = client.list_cutoff_rules(req).await.unwrap().into_inner().rules;
            assert!(rules.iter().any(|r| r.agreement_id.is_empty() && r.service_line == "meals"), "the defaults are for everyone");
            rules.into_iter().filter(|r| !r.agreement_id.is_empty()).map(|r| r.agreement_id).collect::<std::collections::BTreeSet<_>>()
        }
    };
    assert_eq!(agreements(&contact).await, [mine.clone()].into());
    assert_eq!(agreements(&site_user).await, [mine.clone()].into());
    assert_eq!(agreements(&t).await, [mine.clone(), other_agreement.clone()].into());
    let rest = env.rest_json("/cutoff-rules", &contact).await;
    assert!(!rest.to_string().contains(&other_agreement), "{rest}");
    env.cleanup().await;
}

/// A client-credentials token of a demo system client from the dev issuer.
async fn client_token(env: &TestEnv, client_id: &str, secret: &str) -> String {
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/dev-idp/token", env.http))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_client_limited_to_one_customer_cannot_order_confirm_or_read_outside_its_grant() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let city_wide = client_token(&env, "ordering-system", "dev-ordering-secret").await;
    let sivistys = client_token(&env, kumppani_demo::users::SIVI_SYSTEM_CLIENT, "dev-sivistys-secret").await;
    // The city-wide client orders for the world's customer; keys belong to their client.
    let batch = |q: i32| pb::PlaceOrdersRequest {
        lines: vec![line(&w.site, far_day(), "LOUNAS-PK", "", q)],
        idempotency_key: "shared-key-1".into(),
        channel: 0,
    };
    let ok = env.ordering.place_orders(env.req(batch(20), &city_wide)).await.unwrap().into_inner();
    assert_eq!(ok.accepted, 1);

    // The Sivistys client: not for another customer's site, in a batch or alone; the same key is its own.
    let refused = env.ordering.place_orders(env.req(batch(21), &sivistys)).await.unwrap().into_inner();
    assert!(!refused.replayed, "another client's key is not this client's replay");
    assert_eq!((refused.rejected, refused.results[0].error_field.as_str()), (1, "site_id"));
    let single = pb::PlaceOrderRequest {
        line: Some(line(&w.site, far_day(), "LOUNAS-PK", "", 21)),
        idempotency_key: "k-2".into(),
        channel: 0,
        expected_version: None,
    };
    assert_eq!(code(env.ordering.place_order(env.req(single, &sivistys)).await), Code::PermissionDenied);
    // Nor confirm its deliveries.
    let deliver = pb::ConfirmDeliveriesRequest {
        lines: vec![line(&w.site, today() - chrono::Duration::days(1), "LOUNAS-PK", "", 20)],
        idempotency_key: "k-3".into(),
        ..Default::default()
    };
    assert_eq!(violations(env.ordering.confirm_deliveries(env.req(deliver, &sivistys)).await), vec!["lines[0].site_id"]);
    // Nor read its orders, order week, budget or registry data.
    let orders = |site_id: &str, customer_id: &str| pb::ListOrdersRequest {
        site_id: site_id.into(),
        customer_id: customer_id.into(),
        from: Some(d(far_day())),
        to: Some(d(far_day())),
        ..Default::default()
    };
    assert_eq!(code(env.ordering.list_orders(env.req(orders(&w.site, ""), &sivistys)).await), Code::PermissionDenied);
    let listed = env.ordering.list_orders(env.req(orders("", &w.customer), &sivistys)).await.unwrap().into_inner();
    assert!(listed.orders.is_empty(), "narrowed to its own customer");
    let listed = env.ordering.list_orders(env.req(orders("", &w.customer), &city_wide)).await.unwrap().into_inner();
    assert_eq!(listed.orders.len(), 1);
    let week = pb::GetOrderWeekRequest { site_id: w.site.clone(), day: Some(d(far_day())) };
    assert_eq!(code(env.ordering.get_order_week(env.req(week, &sivistys)).await), Code::PermissionDenied);
    let budget = pb::GetBudgetUsageRequest { customer_id: w.customer.clone(), year: far_day().year(), as_of: None };
    assert_eq!(code(env.ordering.get_budget_usage(env.req(budget, &sivistys)).await), Code::PermissionDenied);
    let site = contracts::GetSiteRequest { id: w.site.clone() };
    assert_eq!(code(env.client.get_site(env.req(site.clone(), &sivistys)).await), Code::PermissionDenied);
    assert!(env.client.get_site(env.req(site, &city_wide)).await.is_ok());
    let sites = env.client.list_sites(env.req(contracts::ListSitesRequest::default(), &sivistys)).await.unwrap().into_inner();
    assert!(sites.sites.iter().all(|s| s.customer_id != w.customer), "only its own customer's sites");
    let asked = contracts::ListSitesRequest { customer_id: w.customer.clone(), ..Default::default() };
    assert_eq!(code(env.client.list_sites(env.req(asked, &sivistys)).await), Code::PermissionDenied);
    env.cleanup().await;
}
