//! Billing details (issue 9) end to end, against the real services on
//! PostgreSQL and NATS JetStream: staff set a customer's details and its
//! units' overrides over gRPC, REST and the portal; every bad field is named
//! and nothing is written; the customer's own users read them but cannot set
//! them; `contracts.customer.updated` carries the details and every unit.
#![allow(clippy::unwrap_used)]

mod support;

use futures::StreamExt;
use kumppani_platform::auth::{Role, grants};
use kumppani_proto::contracts::v1 as pb;
use prost::Message;
use reqwest::StatusCode;
use support::portal::sign_in;
use support::{TestEnv, code, violations};
use tonic::Code;

/// Valid details of an internal (city) customer invoiced per unit.
fn city_details() -> pb::BillingDetails {
    pb::BillingDetails {
        invoicing_level: pb::InvoicingLevel::Unit as i32,
        einvoice_address: "003701876901100".into(),
        operator_id: "003703575029".into(),
        peppol_id: "0216:003701876901".into(),
        buyer_reference: "KP 1000 Konsernipalvelut".into(),
        payment_terms_days: 21,
        invoice_language: "sv".into(),
        street_address: "PL 1 / Ostolaskut".into(),
        postal_code: "90015".into(),
        city: "Oulun kaupunki".into(),
    }
}

fn set(customer: &str, unit: &str, billing: pb::BillingDetails) -> pb::SetBillingDetailsRequest {
    pb::SetBillingDetailsRequest { customer_id: customer.into(), unit_id: unit.into(), billing: Some(billing) }
}

async fn unit(env: &mut TestEnv, customer: &str, code_: &str) -> pb::Unit {
    let t = env.staff();
    let req = pb::CreateUnitRequest { customer_id: customer.into(), code: code_.into(), name: format!("Asiakasryhmä {code_}") };
    env.client.create_unit(env.req(req, &t)).await.unwrap().into_inner()
}

/// The contracts stream's `customer.updated` events from now on (one pull
/// stream for the whole test: every message read is acknowledged).
async fn customer_updates(env: &TestEnv) -> async_nats::jetstream::consumer::pull::Stream {
    let js = env.nats().await;
    let stream = js.get_stream(kumppani_platform::nats::stream_name(&env.prefix, "contracts")).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: format!("{}.contracts.customer.updated", env.prefix),
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .unwrap();
    consumer.messages().await.unwrap()
}

/// The next `customer.updated` event of `customer` that satisfies `wanted`.
async fn next_update(
    messages: &mut async_nats::jetstream::consumer::pull::Stream,
    customer: &str,
    wanted: impl Fn(&pb::CustomerEvent) -> bool,
) -> pb::CustomerEvent {
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let msg = messages.next().await.unwrap().unwrap();
            msg.ack().await.unwrap();
            let envelope = kumppani_proto::events::v1::Envelope::decode(msg.payload.clone()).unwrap();
            assert_eq!(envelope.event_type, "contracts.customer.updated");
            let event = kumppani_platform::events::decode_payload::<pb::CustomerEvent>(&envelope).unwrap();
            if event.customer.as_ref().is_some_and(|c| c.id == customer) && wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the customer.updated event within 30 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_details_are_saved_read_back_and_announced_with_every_unit() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let customer = env.internal_customer("BILL").await;
    assert_eq!(
        customer.billing.as_ref().map(|b| (b.invoicing_level, b.payment_terms_days, b.invoice_language.as_str())),
        Some((pb::InvoicingLevel::Customer as i32, 14, "fi")),
        "a new customer is invoiced per customer, 14 days, in Finnish"
    );
    let mut updates = customer_updates(&env).await;
    // Creating a unit announces the customer with its units.
    let a = unit(&mut env, &customer.id, "A").await;
    let event = next_update(&mut updates, &customer.id, |e| e.units.len() == 1).await;
    assert_eq!(event.units[0].id, a.id);
    let b = unit(&mut env, &customer.id, "B").await;

    // The customer's details, an operator typed in lower case.
    let typed = pb::BillingDetails { operator_id: "ndeafihh".into(), ..city_details() };
    let detail = env.client.set_billing_details(env.req(set(&customer.id, "", typed), &staff)).await.unwrap().into_inner();
    let expected = pb::BillingDetails { operator_id: "NDEAFIHH".into(), ..city_details() };
    assert_eq!(detail.customer.as_ref().and_then(|c| c.billing.clone()), Some(expected.clone()));
    assert!(detail.units.iter().all(|u| u.billing == Some(pb::BillingDetails::default())), "units inherit everything");
    let event = next_update(&mut updates, &customer.id, |e| e.customer.as_ref().is_some_and(|c| c.billing == Some(expected.clone()))).await;
    assert_eq!(event.units.len(), 2, "the event carries every unit");

    // A unit's overrides: its own address suffix, cost centre and terms; the level is ignored on a unit.
    let overrides = pb::BillingDetails {
        invoicing_level: pb::InvoicingLevel::Customer as i32,
        einvoice_address: "003701876901210".into(),
        buyer_reference: "KP 2100".into(),
        payment_terms_days: 30,
        ..Default::default()
    };
    env.client.set_billing_details(env.req(set(&customer.id, &a.id, overrides), &staff)).await.unwrap();
    let read = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &staff)).await.unwrap().into_inner();
    assert_eq!(read.customer.unwrap().billing, Some(expected.clone()), "the customer's own details are untouched");
    let unit_billing = |d: &[pb::Unit], id: &str| d.iter().find(|u| u.id == id).and_then(|u| u.billing.clone()).unwrap();
    let a_billing = unit_billing(&read.units, &a.id);
    assert_eq!(
        (a_billing.invoicing_level, a_billing.einvoice_address.as_str(), a_billing.buyer_reference.as_str(), a_billing.payment_terms_days),
        (0, "003701876901210", "KP 2100", 30)
    );
    assert_eq!((a_billing.operator_id.as_str(), a_billing.invoice_language.as_str()), ("", ""), "inherited");
    assert_eq!(unit_billing(&read.units, &b.id), pb::BillingDetails::default());
    let event = next_update(&mut updates, &customer.id, |e| {
        e.units.iter().any(|u| u.id == a.id && u.billing.as_ref().is_some_and(|b| b.payment_terms_days == 30))
    })
    .await;
    assert_eq!(event.customer.unwrap().billing, Some(expected.clone()));
    assert_eq!(unit_billing(&event.units, &a.id).buyer_reference, "KP 2100");
    assert_eq!(unit_billing(&event.units, &b.id), pb::BillingDetails::default());
    // Clearing the overrides: the unit inherits again.
    env.client.set_billing_details(env.req(set(&customer.id, &a.id, pb::BillingDetails::default()), &staff)).await.unwrap();
    let read = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &staff)).await.unwrap().into_inner();
    assert_eq!(unit_billing(&read.units, &a.id), pb::BillingDetails::default());
    // Not giving the level keeps it.
    let kept = pb::BillingDetails { invoicing_level: 0, payment_terms_days: 45, ..expected.clone() };
    let detail = env.client.set_billing_details(env.req(set(&customer.id, "", kept), &staff)).await.unwrap().into_inner();
    let now = detail.customer.unwrap().billing.unwrap();
    assert_eq!((now.invoicing_level, now.payment_terms_days), (pb::InvoicingLevel::Unit as i32, 45));

    // The lists carry the details too.
    let list = env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &staff)).await.unwrap().into_inner();
    assert_eq!(list.customers.iter().find(|c| c.id == customer.id).unwrap().billing.as_ref().map(|b| b.payment_terms_days), Some(45));

    // The customer's own users read them but cannot set them; other customers' users neither.
    let id = uuid::Uuid::parse_str(&customer.id).ok();
    let own = env.issuer().token_for(Role::CustomerContact, id, None, vec![]).unwrap();
    let read = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &own)).await.unwrap().into_inner();
    assert_eq!(read.customer.unwrap().billing.map(|b| b.payment_terms_days), Some(45));
    let mine = env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &own)).await.unwrap().into_inner();
    assert!(mine.customers[0].billing.is_some());
    assert_eq!(code(env.client.set_billing_details(env.req(set(&customer.id, "", city_details()), &own)).await), Code::PermissionDenied);
    let stranger = env.issuer().token_for(Role::CustomerContact, Some(uuid::Uuid::new_v4()), None, vec![]).unwrap();
    let r = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &stranger)).await;
    assert_eq!(code(r), Code::PermissionDenied);
    // A system client reads the registry without billing details (no grant opens them).
    let system = env.issuer().token_for(Role::SystemClient, id, None, vec![grants::REGISTRY_READ.into()]).unwrap();
    let read = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &system)).await.unwrap().into_inner();
    assert!(read.customer.unwrap().billing.is_none() && read.units.iter().all(|u| u.billing.is_none()));
    let r = env.client.set_billing_details(env.req(set(&customer.id, "", city_details()), &system)).await;
    assert_eq!(code(r), Code::PermissionDenied);

    // A unit of another customer, and a customer that does not exist.
    let other = env.internal_customer("BILL2").await;
    let others = unit(&mut env, &other.id, "X").await;
    assert_eq!(
        violations(env.client.set_billing_details(env.req(set(&customer.id, &others.id, city_details()), &staff)).await),
        ["unit_id"]
    );
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(code(env.client.set_billing_details(env.req(set(&nobody, "", city_details()), &staff)).await), Code::NotFound);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_billing_field_is_named_and_nothing_is_written() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let customer = env.internal_customer("BAD").await;
    let u = unit(&mut env, &customer.id, "U").await;
    let before = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &staff)).await.unwrap().into_inner();
    let events = env.outbox_count("contracts", "contracts.customer.updated").await;

    type Change = fn(&mut pb::BillingDetails);
    let cases: [(&str, Change); 11] = [
        ("billing.invoicing_level", |b| b.invoicing_level = 7),
        ("billing.einvoice_address", |b| b.einvoice_address = "003701876902".into()),
        ("billing.einvoice_address", |b| b.einvoice_address = "0037018769011234567".into()),
        ("billing.operator_id", |b| b.operator_id = "NDEA-FIHH".into()),
        ("billing.peppol_id", |b| b.peppol_id = "0216:0187690-1".into()),
        ("billing.peppol_id", |b| b.peppol_id = "FI:003701876901".into()),
        ("billing.buyer_reference", |b| b.buyer_reference = "x".repeat(36)),
        ("billing.buyer_reference", |b| b.buyer_reference = "KP\u{7}1000".into()),
        ("billing.payment_terms_days", |b| b.payment_terms_days = 6),
        ("billing.payment_terms_days", |b| b.payment_terms_days = 91),
        ("billing.invoice_language", |b| b.invoice_language = "de".into()),
    ];
    for (field, change) in cases {
        let mut b = city_details();
        change(&mut b);
        let r = env.client.set_billing_details(env.req(set(&customer.id, "", b.clone()), &staff)).await;
        assert_eq!(violations(r), [field], "{b:?}");
    }
    // All at once, on a unit too; the customer needs terms and a language, a unit inherits them.
    let all = pb::BillingDetails {
        invoicing_level: 0,
        einvoice_address: "1234".into(),
        operator_id: "x".into(),
        peppol_id: "0216:x".into(),
        buyer_reference: "x".repeat(40),
        payment_terms_days: 0,
        invoice_language: String::new(),
        street_address: "x".repeat(36),
        postal_code: "9001".into(),
        city: "Oulu\u{7}".into(),
    };
    let r = env.client.set_billing_details(env.req(set(&customer.id, "", all.clone()), &staff)).await;
    assert_eq!(
        violations(r),
        [
            "billing.einvoice_address",
            "billing.operator_id",
            "billing.peppol_id",
            "billing.buyer_reference",
            "billing.payment_terms_days",
            "billing.invoice_language",
            "billing.street_address",
            "billing.city",
            "billing.postal_code"
        ]
    );
    let r = env.client.set_billing_details(env.req(set(&customer.id, &u.id, all), &staff)).await;
    assert_eq!(
        violations(r),
        [
            "billing.einvoice_address",
            "billing.operator_id",
            "billing.peppol_id",
            "billing.buyer_reference",
            "billing.street_address",
            "billing.city",
            "billing.postal_code"
        ]
    );
    let no_billing = pb::SetBillingDetailsRequest { customer_id: customer.id.clone(), unit_id: String::new(), billing: None };
    assert_eq!(violations(env.client.set_billing_details(env.req(no_billing, &staff)).await), ["billing"]);
    let bad_ids = pb::SetBillingDetailsRequest { customer_id: "nope".into(), unit_id: "nope".into(), billing: Some(city_details()) };
    assert_eq!(violations(env.client.set_billing_details(env.req(bad_ids, &staff)).await), ["customer_id", "unit_id"]);

    // Nothing was written, nothing announced.
    let after = env.client.get_customer(env.req(pb::GetCustomerRequest { id: customer.id.clone() }, &staff)).await.unwrap().into_inner();
    assert_eq!(after.customer.and_then(|c| c.billing), before.customer.and_then(|c| c.billing));
    assert_eq!(after.units, before.units);
    assert_eq!(env.outbox_count("contracts", "contracts.customer.updated").await, events);
    // What the API accepts the schema's checks store (no 500): the longest reference, a line separator (not a control character).
    for reference in ["x".repeat(35), "KP\u{2028}1000".to_owned(), "Äö ~".to_owned()] {
        let b = pb::BillingDetails { buyer_reference: reference.clone(), ..city_details() };
        assert!(env.client.set_billing_details(env.req(set(&customer.id, &u.id, b), &staff)).await.is_ok(), "{reference:?}");
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_put_sets_billing_details_and_names_bad_fields() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let customer = env.customer("REST", pb::CustomerKind::External, "2129112-6").await;
    let u = unit(&mut env, &customer.id, "R").await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/customers/{}/billing", env.http, customer.id);
    let body = serde_json::json!({ "billing": {
        "invoicingLevel": "INVOICING_LEVEL_CUSTOMER", "einvoiceAddress": "003721291126", "operatorId": "OKOYFIHH",
        "peppolId": "0216:003721291126", "buyerReference": "Tilaus 4711", "paymentTermsDays": 30, "invoiceLanguage": "en" } });
    let res = http.put(&url).bearer_auth(&staff).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let detail: serde_json::Value = res.json().await.unwrap();
    assert_eq!(detail["customer"]["billing"]["peppolId"], "0216:003721291126", "{detail}");
    assert_eq!(detail["customer"]["billing"]["invoicingLevel"], "INVOICING_LEVEL_CUSTOMER", "{detail}");

    // A unit's overrides: `unitId` in the query (or the body).
    let res = http
        .put(format!("{url}?unitId={}", u.id))
        .bearer_auth(&staff)
        .json(&serde_json::json!({ "billing": { "buyerReference": "Tilaus 4712" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let read = env.rest_json(&format!("/customers/{}", customer.id), &staff).await;
    assert_eq!(read["units"][0]["billing"]["buyerReference"], "Tilaus 4712", "{read}");
    assert_eq!(read["customer"]["billing"]["buyerReference"], "Tilaus 4711", "{read}");

    // Bad fields: 422 naming each (proto3 JSON names) with its code; nothing written.
    let bad = serde_json::json!({ "billing": { "einvoiceAddress": "003721291127", "paymentTermsDays": 120, "invoiceLanguage": "en" } });
    let res = http.put(&url).bearer_auth(&staff).json(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let got: Vec<(&str, &str)> = body["error"]["fieldViolations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["field"].as_str().unwrap(), v["code"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("billing.einvoiceAddress", "invalid_einvoice_address"), ("billing.paymentTermsDays", "out_of_range")], "{body}");
    let read = env.rest_json(&format!("/customers/{}", customer.id), &staff).await;
    assert_eq!(read["customer"]["billing"]["einvoiceAddress"], "003721291126");

    // The customer's own user reads, but may not set.
    let own = env.issuer().token_for(Role::CustomerContact, uuid::Uuid::parse_str(&customer.id).ok(), None, vec![]).unwrap();
    assert_eq!(env.rest_json(&format!("/customers/{}", customer.id), &own).await["customer"]["billing"]["paymentTermsDays"], 30);
    let valid = serde_json::json!({ "billing": { "paymentTermsDays": 14, "invoiceLanguage": "fi" } });
    let res = http.put(&url).bearer_auth(&own).json(&valid).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // Documented in the OpenAPI document, its body the request message.
    let doc = env.rest_json("/openapi.json", &staff).await;
    let op = &doc["paths"]["/api/v1/customers/{id}/billing"]["put"];
    assert_eq!(op["operationId"], "set_billing_details", "{op}");
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/contracts.SetBillingDetailsRequest"
    );
    assert!(doc["components"]["schemas"]["contracts.BillingDetails"]["properties"]["peppolId"].is_object());
    env.cleanup().await;
}

/// The `<input>` or `<select>` element with `id` in `html`.
fn element<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_city_is_billed_and_staff_edit_billing_details_in_the_portal() {
    let mut env = TestEnv::start(true).await;
    let staff_token = env.staff();
    let customers = env.client.list_customers(env.req(pb::ListCustomersRequest::default(), &staff_token)).await.unwrap().into_inner();
    let by_code = |code_: &str| customers.customers.iter().find(|c| c.code == code_).unwrap().clone();
    // Demo data: every customer has an e-invoice address of its own business id.
    for c in &customers.customers {
        let b = c.billing.clone().unwrap();
        let digits: String = c.business_id.chars().filter(char::is_ascii_digit).collect();
        assert!(b.einvoice_address.starts_with(&format!("0037{digits}")) && !b.operator_id.is_empty(), "{}: {b:?}", c.code);
    }
    assert_eq!(by_code("OSAO").billing.unwrap().peppol_id, format!("0216:0037{}", by_code("OSAO").business_id.replace('-', "")));
    assert_eq!(by_code("KOTI").billing.unwrap().invoice_language, "sv");
    let sivi = by_code("SIVI");
    assert_eq!(sivi.billing.as_ref().unwrap().invoicing_level, pb::InvoicingLevel::Unit as i32);
    let detail = env.client.get_customer(env.req(pb::GetCustomerRequest { id: sivi.id.clone() }, &staff_token)).await.unwrap().into_inner();
    let references: std::collections::BTreeSet<String> =
        detail.units.iter().map(|u| u.billing.clone().unwrap().buyer_reference).filter(|r| !r.is_empty()).collect();
    assert_eq!(references.len(), detail.units.len(), "a buyer reference per unit");

    // Staff see the section with a form for the customer and each unit.
    let staff = sign_in(&env, "staff").await;
    let page_path = format!("/portal/customers/{}", sivi.id);
    let (status, page) = staff.get(&page_path, "fi").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<h2 id="billing">Laskutustiedot</h2>"#), "the section in Finnish");
    assert!(page.contains(&sivi.billing.as_ref().unwrap().einvoice_address));
    let unit = &detail.units[0];
    assert!(element(&page, &format!("bu-{}-reference", unit.id)).contains(&unit.billing.clone().unwrap().buyer_reference));

    // The customer's form saves (a redirect back to the page, which says so).
    let form = [
        ("unit", ""),
        ("invoicing_level", "INVOICING_LEVEL_UNIT"),
        ("einvoice_address", "003701876901200"),
        ("operator_id", "003703575029"),
        ("peppol_id", ""),
        ("buyer_reference", "KP 2000 Sivistys"),
        ("payment_terms_days", "21"),
        ("invoice_language", "fi"),
    ];
    let (status, _) = staff.post(&format!("{page_path}/billing"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = staff.get(&format!("{page_path}?saved=billing"), "fi").await;
    assert!(page.contains("Laskutustiedot tallennettu."));
    assert!(page.contains("21 päivää netto"), "the new terms are shown");

    // A bad address: the form comes back with what was typed, the field marked, the reason in Finnish.
    let mut bad = form;
    bad[2] = ("einvoice_address", "003701876902");
    bad[5] = ("buyer_reference", "KP 2000 muutettu");
    let (status, page) = staff.post(&format!("{page_path}/billing"), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let address = element(&page, "bc-address");
    assert!(address.contains(r#"value="003701876902""#) && address.contains(r#"aria-invalid="true""#), "{address}");
    assert!(element(&page, "bc-reference").contains(r#"value="KP 2000 muutettu""#), "the other values are kept");
    assert!(!element(&page, "bc-reference").contains("aria-invalid"), "a valid field is not marked");
    assert!(page.contains(r#"id="bc-address-error""#));
    assert!(page.contains("Verkkolaskuosoite: ei ole kelvollinen verkkolaskuosoite"), "the reason in Finnish");
    assert!(!page.contains("must be"), "no developer English");
    let after = env.client.get_customer(env.req(pb::GetCustomerRequest { id: sivi.id.clone() }, &staff_token)).await.unwrap().into_inner();
    assert_eq!(after.customer.unwrap().billing.unwrap().buyer_reference, "KP 2000 Sivistys", "nothing written");

    // A unit's form: an override saved, and a bad day count marked in that unit's form only.
    let unit_form = [
        ("unit", unit.id.as_str()),
        ("einvoice_address", ""),
        ("buyer_reference", "KP 2999"),
        ("payment_terms_days", "30"),
        ("invoice_language", ""),
    ];
    let (status, _) = staff.post(&format!("{page_path}/billing"), &unit_form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = env.client.get_customer(env.req(pb::GetCustomerRequest { id: sivi.id.clone() }, &staff_token)).await.unwrap().into_inner();
    let saved = after.units.iter().find(|u| u.id == unit.id).unwrap().billing.clone().unwrap();
    assert_eq!((saved.buyer_reference.as_str(), saved.payment_terms_days, saved.einvoice_address.as_str()), ("KP 2999", 30, ""));
    let mut bad_unit = unit_form;
    bad_unit[3] = ("payment_terms_days", "kolmekymmentä");
    let (status, page) = staff.post(&format!("{page_path}/billing"), &bad_unit).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let days = element(&page, &format!("bu-{}-days", unit.id));
    assert!(days.contains(r#"value="kolmekymmentä""#) && days.contains(r#"aria-invalid="true""#), "{days}");
    assert!(page.contains("Maksuehto: pitää olla välillä 7–90"), "in Finnish");
    assert!(!element(&page, "bc-days").contains("aria-invalid"), "the customer's form is not marked");

    // Swedish and English pages speak their language.
    let (_, page) = staff.get(&page_path, "sv").await;
    assert!(page.contains("Faktureringsuppgifter") && !page.contains("Billing details") && !page.contains("Laskutustiedot"));
    let (_, page) = staff.get(&page_path, "en").await;
    assert!(page.contains("Billing details"));

    // The customer's own user reads the details but gets no form, and may not post one.
    let contact = sign_in(&env, "sopimus.sivistys").await;
    let (status, page) = contact.get(&page_path, "fi").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<h2 id="billing">Laskutustiedot</h2>"#) && page.contains("003701876901200"));
    assert!(page.contains("KP 2999"), "the units' own details");
    assert!(!page.contains(&format!(r#"action="{page_path}/billing""#)), "read only");
    let (status, _) = contact.post(&format!("{page_path}/billing"), &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    env.cleanup().await;
}
