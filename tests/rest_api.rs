//! End-to-end tests of the gateway's REST surface as an integrator calls it:
//! ISO 8601 dates in query strings and bodies, request limits (oversized
//! tokens) and load shedding, against the real services, PostgreSQL and NATS.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as ordering;
use kumppani_proto::r#type::v1::ServiceLine;
use support::fixtures::price;
use support::{TestEnv, date, today, wait_until};

/// A daycare with a signed meals agreement and a published list of next year,
/// ordering's projections caught up. Returns (customer id, site id, next year).
async fn daycare(env: &mut TestEnv) -> (String, String, i32) {
    let customer = env.internal_customer("REST").await.id;
    let site = env.site(&customer, "REST-1", contracts::SiteKind::Daycare).await.id;
    let year = today().year() + 1;
    env.agreement(&customer, year, &[&site], &[ServiceLine::Meals], true).await;
    env.published_price_list(year, &[price("LOUNAS-PK", "1.00", "1.50", "0.50")], None).await;
    let t = env.staff();
    let day = chrono::NaiveDate::from_ymd_opt(year, 3, 2).unwrap();
    let week = ordering::GetOrderWeekRequest { site_id: site.clone(), day: Some(date(day)) };
    wait_until("ordering's projections have the agreement and the catalogue", std::time::Duration::from_secs(30), || {
        let (mut client, req) = (env.ordering.clone(), env.req(week.clone(), &t));
        async move { client.get_order_week(req).await.is_ok_and(|w| w.get_ref().products.iter().any(|p| p.code == "LOUNAS-PK")) }
    })
    .await;
    (customer, site, year)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_takes_iso_dates_in_query_strings_and_bodies() {
    let mut env = TestEnv::start(false).await;
    let (customer, site, year) = daycare(&mut env).await;
    let t = env.staff();
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1", env.http);

    // A body with an ISO date; the answer carries ISO dates too.
    let res = http
        .post(format!("{api}/orders"))
        .bearer_auth(&t)
        .json(&serde_json::json!({ "line": { "siteId": site, "serviceDay": format!("{year}-03-02"), "productCode": "LOUNAS-PK", "quantity": 12 } }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["order"]["line"]["serviceDay"], format!("{year}-03-02"), "{body}");

    // Every route that takes a date in its query string, as the OpenAPI document declares it.
    for path in [
        format!("/orders?siteId={site}&from={year}-03-01&to={year}-03-31"),
        format!("/orders?customerId={customer}&from={year}-03-01&to={year}-03-02"),
        format!("/deliveries?siteId={site}&from={year}-03-01&to={year}-03-31"),
        format!("/production-day?day={year}-03-02"),
        format!("/order-week?siteId={site}&day={year}-03-02"),
        format!("/price-sheet?siteId={site}&year={year}&asOf={year}-03-02"),
        format!("/budget-usage?customerId={customer}&year={year}&asOf={year}-03-02"),
    ] {
        let res = http.get(format!("{api}{path}")).bearer_auth(&t).send().await.unwrap();
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        if path.starts_with("/orders?siteId") {
            assert_eq!(body["orders"][0]["line"]["quantity"], 12, "{body}");
        }
    }

    // A date that is not one is a field error naming the parameter and the form expected.
    let res = http.get(format!("{api}/orders?siteId={site}&from={year}-02-30")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["fieldViolations"][0]["field"], "from", "{body}");
    assert!(body["error"]["fieldViolations"][0]["reason"].as_str().unwrap().contains("YYYY-MM-DD"), "{body}");

    // The document says so.
    let doc: serde_json::Value = http.get(format!("{api}/openapi.json")).send().await.unwrap().json().await.unwrap();
    let from = doc["paths"]["/api/v1/orders"]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "from").cloned();
    assert_eq!(from.unwrap()["schema"], serde_json::json!({ "type": "string", "format": "date", "examples": ["2027-02-01"] }));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_bearer_token_is_unauthenticated_over_rest_and_grpc() {
    let mut env = TestEnv::start(false).await;
    let huge = "a".repeat(100 * 1024);
    let res = reqwest::Client::new().get(format!("{}/api/v1/customers", env.http)).bearer_auth(&huge).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("too large"), "{body}");

    let status = env.client.list_customers(env.req(contracts::ListCustomersRequest::default(), &huge)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    // The connection survives: the next call with a real token works.
    let t = env.staff();
    assert!(env.client.list_customers(env.req(contracts::ListCustomersRequest::default(), &t)).await.is_ok());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_reads_is_served_or_shed_with_retry_after_never_failed() {
    // The demo city (491 sites): every read lists a page of them.
    let env = TestEnv::start(true).await;
    let t = env.staff();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/sites?pageSize=500", env.http);
    let answers = futures::future::join_all((0..500).map(|_| {
        let request = http.get(&url).bearer_auth(&t);
        async move {
            let res = request.send().await.unwrap();
            let (status, retry_after) = (res.status().as_u16(), res.headers().contains_key("retry-after"));
            (status, retry_after, res.text().await.unwrap())
        }
    }))
    .await;
    let served = answers.iter().filter(|(s, _, _)| *s == 200).count();
    for (status, retry_after, body) in &answers {
        assert!(*status == 200 || (matches!(status, 429 | 503) && *retry_after), "{status}: {body}");
        // Shed by the gateway, never by a backend whose database pool ran dry.
        assert!(!body.contains("database connections"), "{status}: {body}");
    }
    eprintln!("{served} of 500 served at once, the rest shed with Retry-After");
    // At least the first wave (the default limit is 32 at a time) is served, and the API is fine after.
    assert!(served >= 32, "only {served} of 500 served");
    assert_eq!(http.get(&url).bearer_auth(&t).send().await.unwrap().status(), 200);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_errors_carry_a_reason_code_and_its_parameters() {
    let env = TestEnv::start(false).await;
    let t = env.staff();
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1", env.http);
    let res = http
        .post(format!("{api}/price-lists"))
        .bearer_auth(&t)
        .json(&serde_json::json!({ "year": today().year() + 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let list: serde_json::Value = res.json().await.unwrap();
    let price = serde_json::json!({ "price": { "productCode": "LOUNAS-PK", "unitPrice": "2.85",
        "components": [{ "kind": "COST_COMPONENT_KIND_LABOUR", "amount": "2.7928" }] } });
    let res =
        http.put(format!("{api}/price-lists/{}/prices", list["id"].as_str().unwrap())).bearer_auth(&t).json(&price).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let v = &body["error"]["fieldViolations"][0];
    assert_eq!(v["field"], "price.components", "{body}");
    assert_eq!(v["code"], "components_sum_mismatch", "{body}");
    assert_eq!(v["params"], serde_json::json!({ "sum": "2.7928", "unit_price": "2.85" }), "{body}");
    assert!(v["message"].as_str().unwrap().contains("must sum exactly"), "{body}");

    // The platform's helpers have codes too: a name too long, a bad id.
    let res = http.get(format!("{api}/sites?customerId=nope&query={}", "x".repeat(101))).bearer_auth(&t).send().await.unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    let codes: Vec<(&str, &str)> = body["error"]["fieldViolations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["field"].as_str().unwrap(), v["code"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("customerId", "not_a_uuid")) && codes.contains(&("query", "too_long")), "{body}");
    env.cleanup().await;
}
