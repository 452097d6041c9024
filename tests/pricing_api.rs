//! End-to-end tests of the pricing service against real PostgreSQL and NATS:
//! resolution precedence and effective dates, components that must sum,
//! immutable published lists, the multi-customer approval rule, VAT by date,
//! scope, and the events invoicing will build its projection from.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use futures::StreamExt;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::pricing::v1 as pb;
use prost::Message;
use support::fixtures::price;
use support::{TestEnv, code, date, today, violations, wait_until};
use tonic::Code;

fn next_year() -> i32 {
    today().year() + 1
}

fn day(m: i32, d: i32) -> pb::Date {
    pb::Date { year: next_year(), month: m, day: d }
}

struct World {
    external: String,
    internal: String,
    site_a: String,
    site_b: String,
    site_internal: String,
}

/// Two customers (external with two sites, internal with one), known to pricing's projection.
async fn world(env: &mut TestEnv) -> World {
    let external = env.customer("EXT", contracts::CustomerKind::External, "2617416-4").await.id;
    let internal = env.internal_customer("INT").await.id;
    let site_a = env.site(&external, "EXT-A", contracts::SiteKind::School).await.id;
    let site_b = env.site(&external, "EXT-B", contracts::SiteKind::School).await.id;
    let site_internal = env.site(&internal, "INT-A", contracts::SiteKind::School).await.id;
    // Pricing learns the registry from contracts' events: wait for the projection.
    let t = env.staff();
    let sheet = pb::GetPriceSheetRequest { site_id: site_internal.clone(), year: next_year(), ..Default::default() };
    wait_until("pricing's registry projection has the sites", std::time::Duration::from_secs(20), || {
        let (mut client, req) = (env.pricing.clone(), env.req(sheet.clone(), &t));
        async move { client.get_price_sheet(req).await.is_ok() }
    })
    .await;
    World { external, internal, site_a, site_b, site_internal }
}

async fn publish_list(env: &mut TestEnv, prices: &[pb::Price], effective_from: Option<pb::Date>) -> pb::PriceList {
    let t = env.staff();
    let list = env
        .pricing
        .create_price_list(env.req(pb::CreatePriceListRequest { year: next_year(), effective_from, note: String::new() }, &t))
        .await
        .unwrap()
        .into_inner();
    for p in prices {
        env.pricing
            .set_list_price(env.req(pb::SetListPriceRequest { price_list_id: list.id.clone(), price: Some(p.clone()) }, &t))
            .await
            .unwrap();
    }
    let step = |to: pb::PriceListStatus, on: Option<pb::Date>, r: &str| pb::TransitionPriceListRequest {
        id: list.id.clone(),
        to: to as i32,
        group_approved_on: on,
        group_approval_ref: r.into(),
    };
    env.pricing.transition_price_list(env.req(step(pb::PriceListStatus::Proposed, None, ""), &t)).await.unwrap();
    assert_eq!(
        violations(env.pricing.transition_price_list(env.req(step(pb::PriceListStatus::Approved, None, ""), &t)).await),
        vec!["group_approved_on", "group_approval_ref"]
    );
    env.pricing
        .transition_price_list(env.req(step(pb::PriceListStatus::Approved, Some(date(today())), "Asiakkuusryhmä 4/2026"), &t))
        .await
        .unwrap();
    env.pricing.transition_price_list(env.req(step(pb::PriceListStatus::Published, None, ""), &t)).await.unwrap().into_inner()
}

async fn resolve(env: &mut TestEnv, product: &str, site: &str, d: pb::Date) -> pb::ResolvedPrice {
    let t = env.staff();
    let lookups = vec![pb::PriceLookup { product_code: product.into(), site_id: site.into(), service_day: Some(d) }];
    env.pricing.resolve_prices(env.req(pb::ResolvePricesRequest { lookups }, &t)).await.unwrap().into_inner().prices.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_resolve_by_precedence_and_effective_date_with_vat_by_day() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    // Watch what invoicing would see.
    let js = env.nats().await;
    let stream = js.get_stream(kumppani_platform::nats::stream_name(&env.prefix, "pricing")).await.unwrap();
    let watcher: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: format!("{}.pricing.>", env.prefix),
            ..Default::default()
        })
        .await
        .unwrap();

    // Components must sum exactly to the price; the draft is unchanged.
    let draft = env
        .pricing
        .create_price_list(env.req(pb::CreatePriceListRequest { year: next_year(), ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner();
    let mut wrong = price("LOUNAS-KOULU", "1.20", "1.50", "0.30");
    wrong.unit_price = "3.05".into();
    let r = env.pricing.set_list_price(env.req(pb::SetListPriceRequest { price_list_id: draft.id.clone(), price: Some(wrong) }, &t)).await;
    assert_eq!(violations(r), vec!["price.components"]);
    let r = env
        .pricing
        .set_list_price(
            env.req(pb::SetListPriceRequest { price_list_id: draft.id.clone(), price: Some(price("NO-SUCH", "1", "1", "1")) }, &t),
        )
        .await;
    assert_eq!(violations(r), vec!["price.product_code"]);
    // One unpublished version per year at a time.
    let r = env.pricing.create_price_list(env.req(pb::CreatePriceListRequest { year: next_year(), ..Default::default() }, &t)).await;
    assert_eq!(code(r), Code::AlreadyExists);
    for p in [price("LOUNAS-KOULU", "1.20", "1.50", "0.30"), price("YLLAPITOSIIVOUS", "0.10", "1.30", "0.10")] {
        env.pricing.set_list_price(env.req(pb::SetListPriceRequest { price_list_id: draft.id.clone(), price: Some(p) }, &t)).await.unwrap();
    }
    let tr = |id: &str, to: pb::PriceListStatus, on: Option<pb::Date>| pb::TransitionPriceListRequest {
        id: id.into(),
        to: to as i32,
        group_approved_on: on,
        group_approval_ref: "AR 5/2026".into(),
    };
    assert_eq!(
        code(env.pricing.transition_price_list(env.req(tr(&draft.id, pb::PriceListStatus::Published, None), &t)).await),
        Code::FailedPrecondition
    );
    for (to, on) in [
        (pb::PriceListStatus::Proposed, None),
        (pb::PriceListStatus::Approved, Some(date(today()))),
        (pb::PriceListStatus::Published, None),
    ] {
        env.pricing.transition_price_list(env.req(tr(&draft.id, to, on), &t)).await.unwrap();
    }
    // A published list is immutable.
    let r = env
        .pricing
        .set_list_price(
            env.req(pb::SetListPriceRequest { price_list_id: draft.id.clone(), price: Some(price("LOUNAS-KOULU", "1", "1", "1")) }, &t),
        )
        .await;
    assert_eq!(code(r), Code::FailedPrecondition);
    assert_eq!(
        code(env.pricing.transition_price_list(env.req(tr(&draft.id, pb::PriceListStatus::Draft, None), &t)).await),
        Code::FailedPrecondition
    );

    // Corrections are new versions from a date; version 2 from 1.6.
    assert_eq!(
        violations(
            env.pricing
                .create_price_list(env.req(pb::CreatePriceListRequest { year: next_year(), effective_from: None, note: String::new() }, &t))
                .await
        ),
        vec!["effective_from"]
    );
    let v2 = publish_list(&mut env, &[price("LOUNAS-KOULU", "1.30", "1.50", "0.30")], Some(day(6, 1))).await;
    assert_eq!((v2.version, v2.prices.len()), (2, 2), "the correction starts from the published prices");

    // Customer-specific from 1.3., site-specific for site A from 15.3. (mid-month).
    let ov = |customer: &str, site: &str, p: pb::Price, from: pb::Date| pb::SetPriceOverrideRequest {
        customer_id: customer.into(),
        site_id: site.into(),
        price: Some(p),
        effective_from: Some(from),
        reason: "testi".into(),
    };
    env.pricing
        .set_price_override(env.req(ov(&w.external, "", price("LOUNAS-KOULU", "1.10", "1.50", "0.30"), day(3, 1)), &t))
        .await
        .unwrap();
    env.pricing
        .set_price_override(env.req(ov("", &w.site_a, price("LOUNAS-KOULU", "1.00", "1.50", "0.30"), day(3, 15)), &t))
        .await
        .unwrap();
    assert_eq!(
        violations(
            env.pricing.set_price_override(env.req(ov(&w.external, &w.site_a, price("LOUNAS-KOULU", "1", "1", "1"), day(3, 1)), &t)).await
        ),
        vec!["customer_id"]
    );

    let at = |r: &pb::ResolvedPrice| (r.unit_price.clone(), pb::PriceSource::try_from(r.source).unwrap(), r.list_version);
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(2, 28)).await), ("3.00".into(), pb::PriceSource::List, 1));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(3, 1)).await), ("2.90".into(), pb::PriceSource::Customer, 0));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(3, 14)).await), ("2.90".into(), pb::PriceSource::Customer, 0));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(3, 15)).await), ("2.80".into(), pb::PriceSource::Site, 0));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_b, day(3, 15)).await), ("2.90".into(), pb::PriceSource::Customer, 0));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_internal, day(5, 31)).await), ("3.00".into(), pb::PriceSource::List, 1));
    assert_eq!(at(&resolve(&mut env, "LOUNAS-KOULU", &w.site_internal, day(6, 1)).await), ("3.10".into(), pb::PriceSource::List, 2));
    let r = resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(3, 15)).await;
    assert_eq!(r.components.len(), 3, "components travel with the price");
    // VAT: internal city invoicing is outside VAT; external customers pay the rate of the day.
    let internal = resolve(&mut env, "LOUNAS-KOULU", &w.site_internal, day(6, 1)).await;
    assert_eq!(
        (pb::VatCategory::try_from(internal.vat_category).unwrap(), internal.vat_rate.as_str()),
        (pb::VatCategory::OutsideScope, "0")
    );
    let food = resolve(&mut env, "LOUNAS-KOULU", &w.site_b, day(6, 1)).await;
    assert_eq!((pb::VatCategory::try_from(food.vat_category).unwrap(), food.vat_rate.as_str()), (pb::VatCategory::Food, "13.5"));
    let cleaning = resolve(&mut env, "YLLAPITOSIIVOUS", &w.site_b, day(6, 1)).await;
    assert_eq!((cleaning.unit_price.as_str(), cleaning.vat_rate.as_str()), ("1.50", "25.5"));
    let missing = resolve(&mut env, "KAHVITUS", &w.site_b, day(6, 1)).await;
    assert!(missing.error.contains("KAHVITUS"), "a missing price is reported, not invented: {}", missing.error);
    let last_year = resolve(&mut env, "LOUNAS-KOULU", &w.site_b, pb::Date { year: next_year() - 1, month: 6, day: 1 }).await;
    assert!(last_year.error.contains("no published price list"));

    // The events carry what invoicing needs.
    let mut seen = std::collections::HashMap::<String, Vec<kumppani_proto::events::v1::Envelope>>::new();
    let mut msgs = watcher.messages().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while seen.get("pricing.price_override.set").map_or(0, Vec::len) < 2 || seen.get("pricing.price_list.published").map_or(0, Vec::len) < 2
    {
        let m = tokio::time::timeout_at(deadline, msgs.next()).await.expect("pricing events within 20 s").unwrap().unwrap();
        let e = kumppani_proto::events::v1::Envelope::decode(m.payload.clone()).unwrap();
        seen.entry(e.event_type.clone()).or_default().push(e);
        m.ack().await.unwrap();
    }
    assert!(seen.contains_key("pricing.vat_rate.set"), "the VAT table is published");
    let published: Vec<pb::PriceListEvent> =
        seen["pricing.price_list.published"].iter().map(|e| kumppani_platform::events::decode_payload(e).unwrap()).collect();
    let v2e = published.iter().find(|e| e.price_list.as_ref().unwrap().version == 2).unwrap();
    let list = v2e.price_list.as_ref().unwrap();
    assert_eq!(list.effective_from, Some(day(6, 1)));
    assert!(list.prices.iter().all(|p| !p.components.is_empty()));
    assert!(v2e.products.iter().any(|p| p.code == "LOUNAS-KOULU" && p.vat_category == pb::VatCategory::Food as i32));
    let site_override: Vec<pb::PriceOverrideEvent> =
        seen["pricing.price_override.set"].iter().map(|e| kumppani_platform::events::decode_payload(e).unwrap()).collect();
    let o = site_override.iter().find_map(|e| e.r#override.clone().filter(|o| o.site_id == w.site_a)).unwrap();
    assert_eq!((o.effective_from, o.price.unwrap().unit_price), (Some(day(3, 15)), "2.80".to_owned()));
    let _ = w.internal;
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_for_several_customers_needs_the_customer_groups_approval() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    publish_list(&mut env, &[price("LOUNAS-KOULU", "1.20", "1.50", "0.30")], None).await;
    let change = |customers: Vec<String>, p: pb::Price| pb::ProposePriceChangeRequest {
        effective_from: Some(day(8, 1)),
        reason: "Raaka-aineiden hinnannousu".into(),
        customer_ids: customers,
        items: vec![p],
    };
    assert_eq!(
        violations(env.pricing.propose_price_change(env.req(pb::ProposePriceChangeRequest::default(), &t)).await),
        vec!["effective_from", "reason", "customer_ids", "items"]
    );
    let many = env
        .pricing
        .propose_price_change(
            env.req(change(vec![w.external.clone(), w.internal.clone()], price("LOUNAS-KOULU", "1.35", "1.50", "0.30")), &t),
        )
        .await
        .unwrap()
        .into_inner();
    let decide = |id: &str, approve: bool| pb::DecidePriceChangeRequest {
        price_change_id: id.into(),
        approve,
        decided_on: Some(date(today())),
        reason: "ok".into(),
    };
    assert_eq!(violations(env.pricing.decide_price_change(env.req(decide(&many.id, true), &t)).await), vec!["group_approved_on"]);
    assert_eq!(resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(8, 1)).await.unit_price, "3.00", "nothing takes effect before approval");
    env.pricing
        .record_price_change_group_approval(env.req(
            pb::RecordPriceChangeGroupApprovalRequest {
                price_change_id: many.id.clone(),
                approved_on: Some(date(today())),
                reference: "AR 6/2026 §3".into(),
            },
            &t,
        ))
        .await
        .unwrap();
    let approved = env.pricing.decide_price_change(env.req(decide(&many.id, true), &t)).await.unwrap().into_inner();
    assert_eq!(approved.status, pb::PriceChangeStatus::Approved as i32);
    assert_eq!(resolve(&mut env, "LOUNAS-KOULU", &w.site_a, day(7, 31)).await.unit_price, "3.00");
    for s in [&w.site_a, &w.site_b, &w.site_internal] {
        let r = resolve(&mut env, "LOUNAS-KOULU", s, day(8, 1)).await;
        assert_eq!((r.unit_price.as_str(), r.source), ("3.15", pb::PriceSource::Customer as i32));
    }
    // One customer: no group approval needed; a rejection needs a reason.
    let one = env
        .pricing
        .propose_price_change(env.req(change(vec![w.external.clone()], price("LOUNAS-KOULU", "1.40", "1.50", "0.30")), &t))
        .await
        .unwrap()
        .into_inner();
    let no_reason = pb::DecidePriceChangeRequest {
        price_change_id: one.id.clone(),
        approve: false,
        decided_on: Some(date(today())),
        reason: String::new(),
    };
    assert_eq!(violations(env.pricing.decide_price_change(env.req(no_reason, &t)).await), vec!["reason"]);
    env.pricing.decide_price_change(env.req(decide(&one.id, true), &t)).await.unwrap();
    assert_eq!(code(env.pricing.decide_price_change(env.req(decide(&one.id, false), &t)).await), Code::FailedPrecondition);
    // History is kept: both changes are listed with their decisions.
    let all = env.pricing.list_price_changes(env.req(pb::ListPriceChangesRequest { year: next_year() }, &t)).await.unwrap().into_inner();
    assert_eq!(all.changes.len(), 2);
    assert!(all.changes.iter().all(|c| c.decided_by == "staff"));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_contact_cannot_read_another_customers_site_prices() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let w = world(&mut env).await;
    publish_list(&mut env, &[price("LOUNAS-KOULU", "1.20", "1.50", "0.30")], None).await;
    env.pricing
        .set_price_override(env.req(
            pb::SetPriceOverrideRequest {
                site_id: w.site_a.clone(),
                price: Some(price("LOUNAS-KOULU", "1.00", "1.50", "0.30")),
                effective_from: Some(day(3, 1)),
                reason: "x".into(),
                ..Default::default()
            },
            &t,
        ))
        .await
        .unwrap();
    let internal_contact = env.issuer().token_for(Role::CustomerContact, uuid::Uuid::parse_str(&w.internal).ok(), None, vec![]).unwrap();
    let external_site_user = env
        .issuer()
        .token_for(Role::SiteUser, uuid::Uuid::parse_str(&w.external).ok(), uuid::Uuid::parse_str(&w.site_b).ok(), vec![])
        .unwrap();
    let sheet = |customer: &str, site: &str| pb::GetPriceSheetRequest {
        customer_id: customer.into(),
        site_id: site.into(),
        year: next_year(),
        as_of: Some(day(3, 1)),
    };
    assert!(env.pricing.get_price_sheet(env.req(sheet(&w.internal, ""), &internal_contact)).await.is_ok());
    assert_eq!(code(env.pricing.get_price_sheet(env.req(sheet(&w.external, ""), &internal_contact)).await), Code::PermissionDenied);
    assert_eq!(code(env.pricing.get_price_sheet(env.req(sheet("", &w.site_a), &internal_contact)).await), Code::PermissionDenied);
    let lookups = vec![pb::PriceLookup { product_code: "LOUNAS-KOULU".into(), site_id: w.site_a.clone(), service_day: Some(day(3, 1)) }];
    assert_eq!(
        code(env.pricing.resolve_prices(env.req(pb::ResolvePricesRequest { lookups: lookups.clone() }, &internal_contact)).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(
            env.pricing
                .list_price_overrides(
                    env.req(pb::ListPriceOverridesRequest { site_id: w.site_a.clone(), ..Default::default() }, &internal_contact)
                )
                .await
        ),
        Code::PermissionDenied
    );
    let own =
        env.pricing.list_price_overrides(env.req(pb::ListPriceOverridesRequest::default(), &internal_contact)).await.unwrap().into_inner();
    assert!(own.overrides.is_empty(), "the other customer's site price is not listed");
    // A site user sees their own site's sheet, not a sibling site's.
    let mine = env.pricing.get_price_sheet(env.req(sheet("", &w.site_b), &external_site_user)).await.unwrap().into_inner();
    assert_eq!(
        mine.rows.iter().find(|r| r.product.as_ref().unwrap().code == "LOUNAS-KOULU").unwrap().price.as_ref().unwrap().unit_price,
        "3.00"
    );
    assert_eq!(code(env.pricing.get_price_sheet(env.req(sheet("", &w.site_a), &external_site_user)).await), Code::PermissionDenied);
    // Only staff change prices.
    let r = env
        .pricing
        .create_price_list(env.req(pb::CreatePriceListRequest { year: next_year() + 1, ..Default::default() }, &internal_contact))
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    // REST: the same rule and a CSV-ready sheet for the owner.
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{}/api/v1/price-sheet?siteId={}&year={}", env.http, w.site_a, next_year()))
        .bearer_auth(&internal_contact)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = http
        .get(format!("{}/api/v1/price-sheet?customerId={}&year={}", env.http, w.internal, next_year()))
        .bearer_auth(&internal_contact)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    env.cleanup().await;
}

/// The display name of the demo user `username` (the `name` claim of their token).
fn person_name(username: &str) -> String {
    kumppani_demo::users::demo_users().into_iter().find(|u| u.username == username).unwrap().name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_prices_and_changes_name_people_not_login_names() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let staff = person_name("staff");
    let w = world(&mut env).await;
    let list = publish_list(&mut env, &[price("LOUNAS-KOULU", "1.20", "1.50", "0.30")], None).await;
    assert_eq!((list.created_by.as_str(), list.created_by_name.as_str()), ("staff", staff.as_str()));
    let listed = env.pricing.list_price_lists(env.req(pb::ListPriceListsRequest { year: next_year() }, &t)).await.unwrap().into_inner();
    assert_eq!(listed.price_lists[0].created_by_name, staff);
    let set = pb::SetPriceOverrideRequest {
        site_id: w.site_a.clone(),
        price: Some(price("LOUNAS-KOULU", "1.00", "1.50", "0.30")),
        effective_from: Some(day(3, 1)),
        reason: "Oma keittiö".into(),
        ..Default::default()
    };
    assert_eq!(env.pricing.set_price_override(env.req(set, &t)).await.unwrap().into_inner().created_by_name, staff);
    // A change proposed by one person and decided by another names both.
    let admin = env.token("admin");
    let propose = pb::ProposePriceChangeRequest {
        effective_from: Some(day(8, 1)),
        reason: "Raaka-aineiden hinnannousu".into(),
        customer_ids: vec![w.external.clone()],
        items: vec![price("LOUNAS-KOULU", "1.40", "1.50", "0.30")],
    };
    let change = env.pricing.propose_price_change(env.req(propose, &t)).await.unwrap().into_inner();
    assert_eq!((change.proposed_by_name.as_str(), change.decided_by_name.as_str()), (staff.as_str(), ""));
    let decide =
        pb::DecidePriceChangeRequest { price_change_id: change.id, approve: true, decided_on: Some(date(today())), reason: String::new() };
    let decided = env.pricing.decide_price_change(env.req(decide, &admin)).await.unwrap().into_inner();
    assert_eq!((decided.decided_by.as_str(), decided.decided_by_name.as_str()), ("admin", person_name("admin").as_str()));
    let all = env.pricing.list_price_changes(env.req(pb::ListPriceChangesRequest { year: next_year() }, &t)).await.unwrap().into_inner();
    assert_eq!(
        (all.changes[0].proposed_by_name.as_str(), all.changes[0].decided_by_name.as_str()),
        (staff.as_str(), person_name("admin").as_str())
    );
    // The approved change's customer prices name who approved it too.
    let overrides = env
        .pricing
        .list_price_overrides(env.req(pb::ListPriceOverridesRequest { customer_id: w.external.clone(), ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner()
        .overrides;
    let from_change = overrides.iter().find(|o| !o.price_change_id.is_empty()).unwrap();
    assert_eq!(from_change.created_by_name, person_name("admin"));
    assert!(overrides.iter().all(|o| o.created_by_name != o.created_by), "names, not login subjects");
    env.cleanup().await;
}

/// ResolvePrices has a per-call cap by role (issue 12: a customer contact could
/// ask for 200,000 lookups in one call): beyond it a field error on `lookups`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_prices_caps_lookups_per_call_by_role() {
    use kumppani_pricing::grpc::{MAX_CUSTOMER_LOOKUPS, MAX_LOOKUPS};
    let mut env = TestEnv::start(false).await;
    let customer = env.internal_customer("CAP").await;
    let site = env.site(&customer.id, "CAP-1", contracts::SiteKind::Daycare).await.id;
    let contact = env.issuer().token_for(Role::CustomerContact, uuid::Uuid::parse_str(&customer.id).ok(), None, vec![]).unwrap();
    let lookups = |n: usize| pb::ResolvePricesRequest {
        lookups: (0..n)
            .map(|_| pb::PriceLookup { product_code: "LOUNAS-PK".into(), site_id: site.clone(), service_day: Some(date(today())) })
            .collect(),
    };
    assert_eq!(violations(env.pricing.resolve_prices(env.req(lookups(MAX_CUSTOMER_LOOKUPS + 1), &contact)).await), vec!["lookups"]);
    // Staff may ask for more in one call, up to their own cap.
    let staff = env.staff();
    let answered = env.pricing.resolve_prices(env.req(lookups(MAX_CUSTOMER_LOOKUPS + 1), &staff)).await.unwrap().into_inner();
    assert_eq!(answered.prices.len(), MAX_CUSTOMER_LOOKUPS + 1);
    assert_eq!(violations(env.pricing.resolve_prices(env.req(lookups(MAX_LOOKUPS + 1), &staff)).await), vec!["lookups"]);
    env.cleanup().await;
}
