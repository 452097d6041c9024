//! End-to-end tests of the contracts service and the gateway, in-process,
//! against real PostgreSQL and NATS JetStream.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use futures::StreamExt;
use kumppani_proto::contracts::v1 as pb;
use prost::Message;
use support::fixtures::terms;
use support::{TestEnv, code, date, today, violations};
use tonic::Code;

fn this_year() -> i32 {
    today().year()
}

/// A school of `customer` with a special diet (the registry's full shape).
async fn new_site(env: &mut TestEnv, customer: &pb::Customer, code_: &str) -> pb::Site {
    let t = env.staff();
    env.client
        .create_site(env.req(
            pb::CreateSiteRequest {
                customer_id: customer.id.clone(),
                code: code_.into(),
                name: format!("Testikoulu {code_}"),
                kind: pb::SiteKind::School as i32,
                street_address: "Koulutie 1".into(),
                postal_code: "90100".into(),
                city: "Oulu".into(),
                floor_area_m2: "2450.5".into(),
                meals_per_day: 320,
                special_diets: vec![pb::SpecialDiet { diet: "gluteeniton".into(), count: 4 }],
                ..Default::default()
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agreement_lifecycle_allows_only_valid_transitions() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("LIFE").await;
    let site = new_site(&mut env, &customer, "LIFE-1").await;
    let next = this_year() + 1;
    let a = env
        .client
        .create_agreement(env.req(pb::CreateAgreementRequest { customer_id: customer.id.clone(), year: next, terms: None }, &t))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status, pb::AgreementStatus::Draft as i32);
    assert_eq!(a.signing_deadline, Some(pb::Date { year: next - 1, month: 12, day: 31 }));

    // One agreement per customer per year.
    let dup = env
        .client
        .create_agreement(env.req(pb::CreateAgreementRequest { customer_id: customer.id.clone(), year: next, terms: None }, &t))
        .await;
    assert_eq!(code(dup), Code::AlreadyExists);

    let transition = |to: pb::AgreementStatus, signed_on: Option<pb::Date>, expected_version: i32| pb::TransitionAgreementRequest {
        id: a.id.clone(),
        to: to as i32,
        expected_version,
        note: String::new(),
        signed_on,
    };
    // draft → signed skips negotiation.
    let r = env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Signed, Some(date(today())), 0), &t)).await;
    assert_eq!(code(r), Code::FailedPrecondition);
    let a2 = env
        .client
        .transition_agreement(env.req(transition(pb::AgreementStatus::Negotiation, None, a.version), &t))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a2.status, pb::AgreementStatus::Negotiation as i32);
    // A stale version is refused.
    let r = env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Draft, None, a.version), &t)).await;
    assert_eq!(code(r), Code::Aborted);
    // Signing needs a date, a line and the responsible persons: every missing one at once.
    assert_eq!(
        violations(env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Signed, None, 0), &t)).await),
        vec!["signed_on", "lines", "terms.customer_responsible", "terms.enterprise_responsible"]
    );
    let r = env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Signed, Some(date(today())), 0), &t)).await;
    assert_eq!(violations(r), vec!["lines", "terms.customer_responsible", "terms.enterprise_responsible"], "no service line yet");
    env.client
        .add_agreement_line(env.req(
            pb::AddAgreementLineRequest {
                agreement_id: a.id.clone(),
                service_line: pb::ServiceLine::Meals as i32,
                description: "Lounas ja välipala".into(),
                site_levels: vec![pb::SiteServiceLevel {
                    site_id: site.id.clone(),
                    site_name: String::new(),
                    service_level: "Perustaso".into(),
                }],
                expected_version: 0,
            },
            &t,
        ))
        .await
        .unwrap();
    let r = env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Signed, Some(date(today())), 0), &t)).await;
    assert_eq!(violations(r), vec!["terms.customer_responsible", "terms.enterprise_responsible"], "responsible persons missing");
    env.client
        .update_agreement_terms(
            env.req(pb::UpdateAgreementTermsRequest { id: a.id.clone(), terms: Some(terms()), expected_version: 0 }, &t),
        )
        .await
        .unwrap();
    let signed = env
        .client
        .transition_agreement(env.req(transition(pb::AgreementStatus::Signed, Some(date(today())), 0), &t))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signed.status, pb::AgreementStatus::Signed as i32);
    assert!(signed.signed_by_deadline, "signed before 31.12 of the previous year");
    assert_eq!(signed.lines.len(), 1);
    assert_eq!(signed.lines[0].site_levels[0].service_level, "Perustaso");
    assert_eq!(signed.history.len(), 3, "created, negotiation, signed");
    // A signed agreement is not edited; changes are amendments.
    let r = env
        .client
        .update_agreement_terms(
            env.req(pb::UpdateAgreementTermsRequest { id: a.id.clone(), terms: Some(terms()), expected_version: 0 }, &t),
        )
        .await;
    assert_eq!(code(r), Code::FailedPrecondition);
    // Next year's agreement cannot start this year; an active one cannot go back.
    let r = env.client.transition_agreement(env.req(transition(pb::AgreementStatus::Active, None, 0), &t)).await;
    assert_eq!(code(r), Code::FailedPrecondition);

    // This year's agreement activates now but does not expire before the year ends.
    let cur = env
        .client
        .create_agreement(
            env.req(pb::CreateAgreementRequest { customer_id: customer.id.clone(), year: this_year(), terms: Some(terms()) }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    let step = |to: pb::AgreementStatus, signed_on: Option<pb::Date>| pb::TransitionAgreementRequest {
        id: cur.id.clone(),
        to: to as i32,
        expected_version: 0,
        note: "test".into(),
        signed_on,
    };
    env.client
        .add_agreement_line(env.req(
            pb::AddAgreementLineRequest {
                agreement_id: cur.id.clone(),
                service_line: pb::ServiceLine::Cleaning as i32,
                ..Default::default()
            },
            &t,
        ))
        .await
        .unwrap();
    env.client.transition_agreement(env.req(step(pb::AgreementStatus::Negotiation, None), &t)).await.unwrap();
    let s =
        env.client.transition_agreement(env.req(step(pb::AgreementStatus::Signed, Some(date(today()))), &t)).await.unwrap().into_inner();
    assert!(!s.signed_by_deadline, "signed during the agreement year itself");
    let active = env.client.transition_agreement(env.req(step(pb::AgreementStatus::Active, None), &t)).await.unwrap().into_inner();
    assert_eq!(active.status, pb::AgreementStatus::Active as i32);
    let r = env.client.transition_agreement(env.req(step(pb::AgreementStatus::Expired, None), &t)).await;
    assert_eq!(code(r), Code::FailedPrecondition);
    let r = env.client.transition_agreement(env.req(step(pb::AgreementStatus::Draft, None), &t)).await;
    assert_eq!(code(r), Code::FailedPrecondition);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pricing_structure_amendment_needs_customer_group_approval_first() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("AMND").await;
    let a = env
        .client
        .create_agreement(
            env.req(pb::CreateAgreementRequest { customer_id: customer.id.clone(), year: this_year(), terms: Some(terms()) }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    let propose = |title: &str, pricing: bool, affected: i32, month: i32| pb::ProposeAmendmentRequest {
        agreement_id: a.id.clone(),
        title: title.into(),
        description: "muutos".into(),
        effective_date: Some(pb::Date { year: this_year(), month, day: 1 }),
        changes_pricing_structure: pricing,
        affected_customers: affected,
    };
    // A draft agreement is edited directly, not amended.
    let r = env.client.propose_amendment(env.req(propose("x", false, 1, 6), &t)).await;
    assert_eq!(code(r), Code::FailedPrecondition);
    env.client
        .add_agreement_line(env.req(
            pb::AddAgreementLineRequest { agreement_id: a.id.clone(), service_line: pb::ServiceLine::Meals as i32, ..Default::default() },
            &t,
        ))
        .await
        .unwrap();
    for (to, date) in [(pb::AgreementStatus::Negotiation, None), (pb::AgreementStatus::Signed, Some(date(today())))] {
        env.client
            .transition_agreement(
                env.req(pb::TransitionAgreementRequest { id: a.id.clone(), to: to as i32, signed_on: date, ..Default::default() }, &t),
            )
            .await
            .unwrap();
    }
    // The effective date must be within the agreement year.
    let mut outside = propose("x", false, 1, 6);
    outside.effective_date = Some(pb::Date { year: this_year() + 1, month: 1, day: 1 });
    assert_eq!(violations(env.client.propose_amendment(env.req(outside, &t)).await), vec!["effective_date"]);

    let m = env.client.propose_amendment(env.req(propose("Kohdekohtainen hinnoittelu", true, 5, 6), &t)).await.unwrap().into_inner();
    assert_eq!(m.status, pb::AmendmentStatus::Proposed as i32);
    let decide = |approve: bool, reason: &str| pb::DecideAmendmentRequest {
        amendment_id: m.id.clone(),
        approve,
        decided_on: Some(date(today())),
        reason: reason.into(),
    };
    let r = env.client.decide_amendment(env.req(decide(true, ""), &t)).await;
    assert_eq!(violations(r), vec!["customer_group_approved_on"], "customer group's approval missing");
    let unchanged =
        env.client.list_amendments(env.req(pb::ListAmendmentsRequest { agreement_id: a.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(unchanged.amendments[0].status, pb::AmendmentStatus::Proposed as i32, "a refused decision changes nothing");
    assert_eq!(
        violations(
            env.client
                .record_customer_group_approval(env.req(
                    pb::RecordCustomerGroupApprovalRequest { amendment_id: m.id.clone(), approved_on: None, reference: String::new() },
                    &t
                ))
                .await
        ),
        vec!["approved_on", "reference"]
    );
    env.client
        .record_customer_group_approval(env.req(
            pb::RecordCustomerGroupApprovalRequest {
                amendment_id: m.id.clone(),
                approved_on: Some(date(today())),
                reference: "Asiakkuusryhmä 3/2026 §4".into(),
            },
            &t,
        ))
        .await
        .unwrap();
    let approved = env.client.decide_amendment(env.req(decide(true, "Johtokunta 12/2026"), &t)).await.unwrap().into_inner();
    assert_eq!(approved.status, pb::AmendmentStatus::Approved as i32);
    assert_eq!(approved.decided_by, "staff");
    assert_eq!(code(env.client.decide_amendment(env.req(decide(false, "myöhässä"), &t)).await), Code::FailedPrecondition);

    // A single-customer change needs no group approval, but a rejection needs a reason.
    let small = env.client.propose_amendment(env.req(propose("Lisäsiivous", false, 1, 9), &t)).await.unwrap().into_inner();
    let reject = pb::DecideAmendmentRequest {
        amendment_id: small.id.clone(),
        approve: false,
        decided_on: Some(date(today())),
        reason: String::new(),
    };
    assert_eq!(violations(env.client.decide_amendment(env.req(reject, &t)).await), vec!["reason"]);
    let ok = env
        .client
        .decide_amendment(env.req(
            pb::DecideAmendmentRequest {
                amendment_id: small.id.clone(),
                approve: true,
                decided_on: Some(date(today())),
                reason: String::new(),
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, pb::AmendmentStatus::Approved as i32);
    // Customers cannot decide amendments.
    let contact = env
        .issuer()
        .token_for(kumppani_platform::auth::Role::CustomerContact, uuid::Uuid::parse_str(&customer.id).ok(), None, vec![])
        .unwrap();
    assert_eq!(code(env.client.propose_amendment(env.req(propose("x", false, 1, 6), &contact)).await), Code::PermissionDenied);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_every_field_and_changes_nothing() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("BAD").await;
    let r = env
        .client
        .create_site(env.req(
            pb::CreateSiteRequest {
                customer_id: customer.id.clone(),
                code: "BAD-1".into(),
                name: String::new(),
                kind: 0,
                street_address: "Tie 1".into(),
                postal_code: "9010".into(),
                city: "Oulu".into(),
                floor_area_m2: "12.345".into(),
                meals_per_day: -1,
                special_diets: vec![pb::SpecialDiet { diet: String::new(), count: 1 }],
                ..Default::default()
            },
            &t,
        ))
        .await;
    let mut fields = violations(r);
    fields.sort();
    assert_eq!(fields, vec!["floor_area_m2", "kind", "meals_per_day", "name", "postal_code", "special_diets[0].diet"]);
    let bad_customer = env
        .client
        .create_customer(env.req(
            pb::CreateCustomerRequest {
                code: "EXT".into(),
                name: "Ulkoinen".into(),
                kind: pb::CustomerKind::External as i32,
                business_id: "1234567-8".into(),
                segment: String::new(),
                partnership_stage: 1,
            },
            &t,
        ))
        .await;
    assert_eq!(violations(bad_customer), vec!["business_id"]);
    assert_eq!(violations(env.client.get_customer(env.req(pb::GetCustomerRequest { id: "nope".into() }, &t)).await), vec!["id"]);
    assert_eq!(
        violations(env.client.list_sites(env.req(pb::ListSitesRequest { page_size: 100_000, ..Default::default() }, &t)).await),
        vec!["page_size"]
    );
    let sites = env
        .client
        .list_sites(env.req(pb::ListSitesRequest { customer_id: customer.id.clone(), ..Default::default() }, &t))
        .await
        .unwrap()
        .into_inner();
    assert!(sites.sites.is_empty(), "nothing was written");

    // REST: 422 with camelCase field names; malformed JSON is a clear 422 too.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/sites", env.http))
        .bearer_auth(&t)
        .json(&serde_json::json!({ "customerId": customer.id, "code": "BAD-2", "name": "X", "kind": "SITE_KIND_SCHOOL", "streetAddress": "", "postalCode": "90100", "city": "Oulu", "floorAreaM2": "-5" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fieldViolations"].as_array().unwrap().iter().map(|v| v["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["streetAddress", "floorAreaM2"]);
    let res = http
        .post(format!("{}/api/v1/sites", env.http))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"mealsPerDay\": \"many\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["fieldViolations"][0]["field"], "mealsPerDay", "{body}");
    let res = http.post(format!("{}/api/v1/sites", env.http)).bearer_auth(&t).body("{not json").send().await.unwrap();
    assert_eq!(res.status(), 422);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_contacts_and_site_users_see_only_their_own() {
    let mut env = TestEnv::start(true).await;
    let contact = env.token("sopimus.sivistys");
    let site_user = env.token("paivakoti");
    let staff = env.staff();
    let users = env.issuer().users().to_vec();
    let sivi = users.iter().find(|u| u.username == "sopimus.sivistys").unwrap().customer_id.unwrap().to_string();
    let own_site = users.iter().find(|u| u.username == "paivakoti").unwrap().site_id.unwrap().to_string();
    let all = env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &staff)).await.unwrap().into_inner();
    assert!(all.customers.len() >= 10, "staff see the whole registry");
    let other = all.customers.iter().find(|c| c.id != sivi).unwrap().id.clone();

    // gRPC: the contract-level contact sees only their customer.
    let mine = env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &contact)).await.unwrap().into_inner();
    assert_eq!(mine.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![sivi.clone()]);
    assert!(env.client.get_customer(env.req(pb::GetCustomerRequest { id: sivi.clone() }, &contact)).await.is_ok());
    assert_eq!(
        code(env.client.get_customer(env.req(pb::GetCustomerRequest { id: other.clone() }, &contact)).await),
        Code::PermissionDenied
    );
    let other_sites = env
        .client
        .list_sites(env.req(pb::ListSitesRequest { customer_id: other.clone(), ..Default::default() }, &staff))
        .await
        .unwrap()
        .into_inner();
    let other_site = other_sites.sites[0].id.clone();
    assert_eq!(code(env.client.get_site(env.req(pb::GetSiteRequest { id: other_site.clone() }, &contact)).await), Code::PermissionDenied);
    assert_eq!(
        code(env.client.list_sites(env.req(pb::ListSitesRequest { customer_id: other.clone(), ..Default::default() }, &contact)).await),
        Code::PermissionDenied
    );
    let other_agreements = env
        .client
        .list_agreements(env.req(pb::ListAgreementsRequest { customer_id: other.clone(), ..Default::default() }, &staff))
        .await
        .unwrap()
        .into_inner();
    let other_agreement = other_agreements.agreements[0].id.clone();
    assert_eq!(
        code(env.client.get_agreement(env.req(pb::GetAgreementRequest { id: other_agreement.clone() }, &contact)).await),
        Code::PermissionDenied
    );
    let listed = env.client.list_agreements(env.req(pb::ListAgreementsRequest::default(), &contact)).await.unwrap().into_inner();
    assert!(listed.agreements.iter().all(|a| a.customer_id == sivi));

    // The site user sees their site and its agreement, with only their site's service levels.
    let site = env.client.get_site(env.req(pb::GetSiteRequest { id: own_site.clone() }, &site_user)).await.unwrap().into_inner();
    assert!(!site.agreements.is_empty());
    let agreement = env
        .client
        .get_agreement(env.req(pb::GetAgreementRequest { id: site.agreements[0].id.clone() }, &site_user))
        .await
        .unwrap()
        .into_inner();
    assert!(agreement.lines.iter().flat_map(|l| &l.site_levels).all(|l| l.site_id == own_site));
    let sibling = env
        .client
        .list_sites(env.req(pb::ListSitesRequest { customer_id: sivi.clone(), ..Default::default() }, &staff))
        .await
        .unwrap()
        .into_inner();
    let sibling = sibling.sites.iter().find(|s| s.id != own_site).unwrap().id.clone();
    assert_eq!(code(env.client.get_site(env.req(pb::GetSiteRequest { id: sibling }, &site_user)).await), Code::PermissionDenied);
    let only = env.client.list_sites(env.req(pb::ListSitesRequest::default(), &site_user)).await.unwrap().into_inner();
    assert_eq!(only.sites.len(), 1);
    assert_eq!(
        code(env.client.get_customer(env.req(pb::GetCustomerRequest { id: sivi.clone() }, &site_user)).await),
        Code::PermissionDenied
    );
    let who = env
        .client
        .who_to_contact(env.req(pb::WhoToContactRequest { site_id: own_site.clone(), topic: pb::Topic::Meals as i32 }, &site_user))
        .await
        .unwrap()
        .into_inner();
    assert!(!who.customer_side.is_empty() && !who.enterprise_side.is_empty(), "someone on each side: {who:?}");

    // Writes are for the enterprise's staff.
    assert_eq!(
        code(
            env.client
                .create_unit(env.req(pb::CreateUnitRequest { customer_id: sivi.clone(), code: "X".into(), name: "X".into() }, &contact))
                .await
        ),
        Code::PermissionDenied
    );

    // REST gives the same answers.
    let http = reqwest::Client::new();
    let get = |path: String, token: String| {
        let http = http.clone();
        let base = env.http.clone();
        async move { http.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(format!("/api/v1/customers/{sivi}"), contact.clone()).await, 200);
    assert_eq!(get(format!("/api/v1/customers/{other}"), contact.clone()).await, 403);
    assert_eq!(get(format!("/api/v1/sites/{other_site}"), contact.clone()).await, 403);
    assert_eq!(get(format!("/api/v1/agreements/{other_agreement}"), contact.clone()).await, 403);
    assert_eq!(get(format!("/api/v1/sites/{own_site}/who-to-contact?topic=TOPIC_CLEANING"), site_user.clone()).await, 200);
    let res = http.get(format!("{}/api/v1/customers", env.http)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = http.get(format!("{}/api/v1/customers", env.http)).bearer_auth("not.a.jwt").send().await.unwrap();
    assert_eq!(res.status(), 401);
    // A token from another issuer (a forged key) is refused.
    let foreign =
        kumppani_platform::auth::dev_issuer::DevIssuer::new(env.issuer().issuer(), "kumppani", env.issuer().users().to_vec(), vec![])
            .unwrap();
    let forged = foreign.token_for_user("staff").unwrap();
    assert_eq!(code(env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &forged)).await), Code::Unauthenticated);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_agreement_event_carries_lines_and_pagination_walks_everything() {
    let mut env = TestEnv::start(true).await;
    let t = env.staff();
    // Pagination: 491 demo sites in pages of 100, no duplicates.
    let mut seen = std::collections::HashSet::new();
    let mut token = String::new();
    loop {
        let page = env
            .client
            .list_sites(env.req(pb::ListSitesRequest { page_size: 100, page_token: token.clone(), ..Default::default() }, &t))
            .await
            .unwrap()
            .into_inner();
        for s in &page.sites {
            assert!(seen.insert(s.id.clone()), "duplicate {}", s.name);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 491);

    // Sign a negotiated 2027 agreement and read the event from JetStream.
    let js = env.nats().await;
    let stream = js.get_stream(kumppani_platform::nats::stream_name(&env.prefix, "contracts")).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: format!("{}.contracts.agreement.signed", env.prefix),
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .unwrap();
    let negotiating = env
        .client
        .list_agreements(
            env.req(pb::ListAgreementsRequest { status: pb::AgreementStatus::Negotiation as i32, year: 2027, ..Default::default() }, &t),
        )
        .await
        .unwrap()
        .into_inner();
    let target =
        negotiating.agreements.iter().find(|a| a.customer_name.contains("Hyvinvointi")).unwrap_or(&negotiating.agreements[0]).id.clone();
    let signed = env
        .client
        .transition_agreement(env.req(
            pb::TransitionAgreementRequest {
                id: target.clone(),
                to: pb::AgreementStatus::Signed as i32,
                signed_on: Some(date(today())),
                ..Default::default()
            },
            &t,
        ))
        .await
        .unwrap()
        .into_inner();
    // Seeded events may still be flowing; find ours.
    let mut messages = consumer.messages().await.unwrap();
    let (msg, envelope, event) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let msg = messages.next().await.unwrap().unwrap();
            let envelope = kumppani_proto::events::v1::Envelope::decode(msg.payload.clone()).unwrap();
            let event = kumppani_platform::events::decode_payload::<pb::AgreementEvent>(&envelope).unwrap();
            if event.agreement.as_ref().is_some_and(|a| a.id == target) {
                return (msg, envelope, event);
            }
        }
    })
    .await
    .expect("the signed event within 30 s");
    assert_eq!(envelope.producer, "contracts");
    assert_eq!(envelope.event_type, "contracts.agreement.signed");
    assert_eq!(msg.headers.as_ref().unwrap().get("Nats-Msg-Id").unwrap().as_str(), envelope.id);
    let a = event.agreement.clone().unwrap();
    assert_eq!(event.previous_status, pb::AgreementStatus::Negotiation as i32);
    assert_eq!(a.lines.len(), signed.lines.len());
    assert!(a.lines.iter().any(|l| !l.site_levels.is_empty()), "per-site levels travel with the event");

    // OpenAPI and probes.
    let http = reqwest::Client::new();
    let doc: serde_json::Value = http.get(format!("{}/api/v1/openapi.json", env.http)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/agreements/{id}/transitions"]["post"].is_object());
    assert!(doc["components"]["schemas"]["contracts.Site"]["properties"]["floorAreaM2"].is_object());
    assert_eq!(http.get(format!("{}/livez", env.http)).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{}/readyz", env.http)).send().await.unwrap().status(), 200);
    env.cleanup().await;
}

/// Each service's port lists in reflection (v1 and v1alpha) exactly the
/// services it serves, plus health and reflection: a client never sees a
/// service that would answer UNIMPLEMENTED there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_only_what_each_port_serves() {
    use kumppani::ServiceKind;
    use tonic_reflection::pb::{v1, v1alpha};
    let env = TestEnv::start(false).await;
    let platform = env.platform.as_ref().unwrap();
    for (kind, own) in [
        (ServiceKind::Contracts, &["kumppani.contracts.v1.ContractsService", "kumppani.contracts.v1.PartnershipService"][..]),
        (ServiceKind::Pricing, &["kumppani.pricing.v1.PricingService"][..]),
        (ServiceKind::Ordering, &["kumppani.ordering.v1.OrderingService"][..]),
    ] {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", platform.addr(kind))).unwrap().connect().await.unwrap();
        let mut expected: Vec<String> = own.iter().map(|s| s.to_string()).collect();
        expected.extend([
            "grpc.health.v1.Health".into(),
            "grpc.reflection.v1.ServerReflection".into(),
            "grpc.reflection.v1alpha.ServerReflection".into(),
        ]);
        expected.sort();

        let mut alpha = v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone());
        let request = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
        };
        let mut answers = alpha.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("{kind:?}: not a service list: {answer:?}")
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        assert_eq!(names, expected, "v1alpha on the {kind:?} port");

        let mut current = v1::server_reflection_client::ServerReflectionClient::new(channel);
        let request = v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(String::new())),
        };
        let mut answers = current.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("{kind:?}: not a service list: {answer:?}")
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        assert_eq!(names, expected, "v1 on the {kind:?} port");
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operational_level_sees_an_agreement_once_it_is_signed() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("NEG").await;
    let site = env.site(&customer.id, "NEG-1", pb::SiteKind::Daycare).await.id;
    let lines = [kumppani_proto::r#type::v1::ServiceLine::Meals];
    let signed = env.agreement(&customer.id, this_year(), &[&site], &lines, true).await.id;
    let negotiated = env.agreement(&customer.id, this_year() + 1, &[&site], &lines, false).await.id;
    let customer_id = uuid::Uuid::parse_str(&customer.id).ok();
    let site_user =
        env.issuer().token_for(kumppani_platform::auth::Role::SiteUser, customer_id, uuid::Uuid::parse_str(&site).ok(), vec![]).unwrap();
    let contact = env.issuer().token_for(kumppani_platform::auth::Role::CustomerContact, customer_id, None, vec![]).unwrap();
    let mut grpc = env.client.clone();
    let list = |token: &str| {
        let (mut client, req) = (env.client.clone(), env.req(pb::ListAgreementsRequest::default(), token));
        async move { client.list_agreements(req).await.unwrap().into_inner().agreements.into_iter().map(|a| a.id).collect::<Vec<_>>() }
    };
    // The site user: the signed agreement only, in lists, on the site page and by id (gRPC and REST).
    assert_eq!(list(&site_user).await, vec![signed.clone()]);
    let detail = grpc.get_site(env.req(pb::GetSiteRequest { id: site.clone() }, &site_user)).await.unwrap().into_inner();
    assert_eq!(detail.agreements.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), vec![signed.clone()]);
    let get = |id: &str| pb::GetAgreementRequest { id: id.into() };
    assert!(grpc.get_agreement(env.req(get(&signed), &site_user)).await.is_ok());
    assert_eq!(code(grpc.get_agreement(env.req(get(&negotiated), &site_user)).await), Code::PermissionDenied);
    let rest =
        reqwest::Client::new().get(format!("{}/api/v1/agreements/{negotiated}", env.http)).bearer_auth(&site_user).send().await.unwrap();
    assert_eq!(rest.status(), reqwest::StatusCode::FORBIDDEN);
    // The contract level and staff see the agreement in negotiation.
    let mut both = vec![signed.clone(), negotiated.clone()];
    both.sort();
    for token in [&contact, &t] {
        let mut seen = list(token).await;
        seen.sort();
        assert_eq!(seen, both);
        assert!(grpc.get_agreement(env.req(get(&negotiated), token)).await.is_ok());
    }
    env.cleanup().await;
}

/// The display name of the demo user `username` (the `name` claim of their token).
fn person_name(username: &str) -> String {
    kumppani_demo::users::demo_users().into_iter().find(|u| u.username == username).unwrap().name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_annexes_and_amendments_name_people_not_login_names() {
    let mut env = TestEnv::start(false).await;
    let (t, admin) = (env.staff(), env.token("admin"));
    let (staff, admin_name) = (person_name("staff"), person_name("admin"));
    let customer = env.internal_customer("NAMES").await;
    let a = env.agreement(&customer.id, this_year(), &[], &[kumppani_proto::r#type::v1::ServiceLine::Meals], true).await;
    assert!(a.history.len() >= 3, "created, negotiation, signed");
    assert!(a.history.iter().all(|h| h.by == "staff" && h.by_name == staff), "{:?}", a.history);
    let annex = pb::AddAnnexRequest { agreement_id: a.id.clone(), title: "Liite 5: Nimet".into(), body: "x".into(), ..Default::default() };
    let a = env.client.add_annex(env.req(annex, &admin)).await.unwrap().into_inner();
    let added = a.annexes.iter().find(|x| x.title == "Liite 5: Nimet").unwrap();
    assert_eq!((added.added_by.as_str(), added.added_by_name.as_str()), ("admin", admin_name.as_str()));
    // Proposed by one person, decided by another: both named.
    let propose = pb::ProposeAmendmentRequest {
        agreement_id: a.id.clone(),
        title: "Lisäsiivous".into(),
        description: "muutos".into(),
        effective_date: Some(pb::Date { year: this_year(), month: 6, day: 1 }),
        changes_pricing_structure: false,
        affected_customers: 1,
    };
    let m = env.client.propose_amendment(env.req(propose, &t)).await.unwrap().into_inner();
    assert_eq!((m.proposed_by_name.as_str(), m.decided_by_name.as_str()), (staff.as_str(), ""));
    let decide = pb::DecideAmendmentRequest { amendment_id: m.id, approve: true, decided_on: Some(date(today())), reason: String::new() };
    let m = env.client.decide_amendment(env.req(decide, &admin)).await.unwrap().into_inner();
    assert_eq!((m.proposed_by_name.as_str(), m.decided_by_name.as_str()), (staff.as_str(), admin_name.as_str()));
    let listed =
        env.client.list_amendments(env.req(pb::ListAmendmentsRequest { agreement_id: a.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(listed.amendments[0].decided_by_name, admin_name);
    assert_ne!(listed.amendments[0].decided_by_name, listed.amendments[0].decided_by, "a name, not the login subject");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_reports_every_missing_part_as_a_field_error_at_once() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("SIGN").await;
    let create = pb::CreateAgreementRequest { customer_id: customer.id.clone(), year: this_year() + 1, terms: None };
    let a = env.client.create_agreement(env.req(create, &t)).await.unwrap().into_inner();
    let http = reqwest::Client::new();
    let transition = |to: &str, signed_on: Option<String>| {
        let mut body = serde_json::json!({ "to": to });
        if let Some(d) = signed_on {
            body["signedOn"] = serde_json::Value::String(d);
        }
        http.post(format!("{}/api/v1/agreements/{}/transitions", env.http, a.id)).bearer_auth(&t).json(&body).send()
    };
    assert_eq!(transition("AGREEMENT_STATUS_NEGOTIATION", None).await.unwrap().status(), 200);

    // No lines, no responsible person on either side: one 422 naming all three.
    let res = transition("AGREEMENT_STATUS_SIGNED", Some(today().to_string())).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fieldViolations"].as_array().unwrap().iter().map(|v| v["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["lines", "terms.customerResponsible", "terms.enterpriseResponsible"], "{body}");
    assert_eq!(body["error"]["code"], "INVALID_ARGUMENT");

    // Nothing changed: the agreement is still in negotiation.
    let got = env.client.get_agreement(env.req(pb::GetAgreementRequest { id: a.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(got.status, pb::AgreementStatus::Negotiation as i32);
    env.cleanup().await;
}

#[tokio::test]
async fn a_site_is_served_from_its_opening_day_and_cannot_close_before_it() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("OPEN").await;
    let opens = chrono::NaiveDate::from_ymd_opt(this_year(), 3, 16).unwrap();
    let create = pb::CreateSiteRequest {
        customer_id: customer.id.clone(),
        code: "OPEN-1".into(),
        name: "Uusi päiväkoti".into(),
        kind: pb::SiteKind::Daycare as i32,
        street_address: "Tie 2".into(),
        postal_code: "90100".into(),
        city: "Oulu".into(),
        floor_area_m2: "820".into(),
        opened_on: Some(date(opens)),
        ..Default::default()
    };
    let site = env.client.create_site(env.req(create, &t)).await.unwrap().into_inner();
    assert_eq!(site.opened_on, Some(date(opens)));
    // The opening day travels in the site's events (invoicing bills fixed services pro rata from it).
    let read = env.client.get_site(env.req(pb::GetSiteRequest { id: site.id.clone() }, &t)).await.unwrap().into_inner();
    assert_eq!(read.site.unwrap().opened_on, Some(date(opens)));

    // Closing before the opening day names the field and changes nothing.
    let before_opening =
        pb::UpdateSiteRequest { id: site.id.clone(), closed_on: Some(date(opens.pred_opt().unwrap())), ..Default::default() };
    assert_eq!(violations(env.client.update_site(env.req(before_opening, &t)).await), ["closed_on"]);
    // Opening and closing on the same day (closed from that day) is refused the same way, never a 500.
    let same_day =
        pb::UpdateSiteRequest { id: site.id.clone(), opened_on: Some(date(opens)), closed_on: Some(date(opens)), ..Default::default() };
    assert_eq!(violations(env.client.update_site(env.req(same_day, &t)).await), ["opened_on"]);
    // Moving the opening later is an update; an update without it keeps it.
    let later = opens.succ_opt().unwrap();
    let moved = pb::UpdateSiteRequest { id: site.id.clone(), opened_on: Some(date(later)), ..Default::default() };
    assert_eq!(env.client.update_site(env.req(moved, &t)).await.unwrap().into_inner().opened_on, Some(date(later)));
    let renamed = pb::UpdateSiteRequest { id: site.id.clone(), name: "Uusi päiväkoti Tähti".into(), ..Default::default() };
    assert_eq!(env.client.update_site(env.req(renamed, &t)).await.unwrap().into_inner().opened_on, Some(date(later)));
    env.cleanup().await;
}

#[tokio::test]
async fn a_new_contact_is_announced_and_answers_who_to_contact_at_its_site() {
    let mut env = TestEnv::start(false).await;
    let t = env.staff();
    let customer = env.internal_customer("WHO").await;
    let site = new_site(&mut env, &customer, "WHO-1").await;
    let contact = |name: &str, site_id: &str, level: pb::ContactLevel, email: &str| pb::CreateContactRequest {
        party: pb::Party::Enterprise as i32,
        customer_id: customer.id.clone(),
        site_id: site_id.into(),
        name: name.into(),
        title: "Ravintolapäällikkö".into(),
        level: level as i32,
        email: email.into(),
        phone: "+358 40 123 4567".into(),
        topics: vec![pb::Topic::Meals as i32],
        ..Default::default()
    };
    // A bad e-mail names the field and announces nothing.
    let bad = contact("Virhe", &site.id, pb::ContactLevel::Operational, "ei-osoite");
    assert_eq!(violations(env.client.create_contact(env.req(bad, &t)).await), ["email"]);
    assert_eq!(env.outbox_count("contracts", "contracts.contact.created").await, 0);
    let kitchen =
        env.client.create_contact(env.req(contact("Keittiö Kaija", &site.id, pb::ContactLevel::Operational, "kaija@example.fi"), &t)).await;
    let kitchen = kitchen.unwrap().into_inner();
    env.client.create_contact(env.req(contact("Sopimus Seppo", "", pb::ContactLevel::Contract, "seppo@example.fi"), &t)).await.unwrap();
    // Both are announced (the feedback service routes by the same rule from its projection).
    assert_eq!(env.outbox_count("contracts", "contracts.contact.created").await, 2);
    // The site's own meals contact is the one to contact about meals at the site.
    let who = pb::WhoToContactRequest { site_id: site.id.clone(), topic: pb::Topic::Meals as i32 };
    let answer = env.client.who_to_contact(env.req(who, &t)).await.unwrap().into_inner();
    assert_eq!(answer.enterprise_side.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [kitchen.id.as_str()]);
    env.cleanup().await;
}
