//! End-to-end test of docs/grants.md: the route-by-route table there is read
//! and every cell checked over REST with a system client's token carrying
//! that grant alone (limited to the test's customer): a ✓ answers, no ✓ is a
//! `403` naming a grant that would open the route. The grant columns must be
//! the grants the platform defines, the demo clients' grants those the grants
//! table lists, and the routes those this test knows how to call.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_platform::auth::{Role, grants};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::fixtures::{far_day, world};
use support::{TestEnv, today};

const DOC: &str = include_str!("../docs/grants.md");

/// One row of the route-by-route table: `GET /customers/{id}` and the grants that open it.
struct Row {
    route: String,
    opened_by: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The grant columns and the rows of the route-by-route table.
fn route_table() -> (Vec<String>, Vec<Row>) {
    let mut lines = DOC.lines().skip_while(|l| !l.starts_with("| route | gRPC method |"));
    let header = cells(lines.next().expect("docs/grants.md has the route-by-route table"));
    let columns: Vec<String> = header[2..].to_vec();
    let rows = lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let c = cells(l);
            assert_eq!(c.len(), header.len(), "a row of docs/grants.md has the wrong number of cells: {l}");
            // "`GET /agreements/{id}` (with its annexes)" → "GET /agreements/{id}"
            let route = c[0].split('`').nth(1).unwrap_or_default().to_owned();
            let opened_by = columns.iter().zip(&c[2..]).filter(|(_, cell)| *cell == "✓").map(|(g, _)| g.clone()).collect();
            Row { route, opened_by }
        })
        .collect();
    (columns, rows)
}

/// The grants table: grant → the demo clients that have it.
fn grants_table() -> Vec<(String, BTreeSet<String>)> {
    DOC.lines()
        .skip_while(|l| !l.starts_with("| grant | opens | demo clients |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let c = cells(l);
            let clients = c[2].split(',').map(|s| s.trim().trim_matches('`').to_owned()).filter(|s| !s.is_empty() && s != "—");
            (c[0].trim_matches('`').to_owned(), clients.collect())
        })
        .collect()
}

/// What the test knows of the world it calls routes in.
struct Fx {
    http: String,
    customer: String,
    site: String,
    other_site: String,
    care_home: String,
    agreement: String,
    price_list: String,
}

/// Every route of the table, and how to call it: method, path and query, body.
fn call(route: &str, fx: &Fx, key: &str) -> (Method, String, Option<Value>) {
    let (c, s) = (&fx.customer, &fx.site);
    let far = far_day();
    let (year, yesterday) = (today().year(), today() - chrono::Duration::days(1));
    let line = |site: &str, day: chrono::NaiveDate, q: i32| json!({"siteId": site, "serviceDay": day.to_string(), "productCode": "LOUNAS-PK", "quantity": q});
    let get = |path: String| (Method::GET, path, None);
    match route {
        "GET /customers" => get("/customers".into()),
        "GET /customers/{id}" => get(format!("/customers/{c}")),
        "GET /sites" => get(format!("/sites?customerId={c}")),
        "GET /sites/{id}" => get(format!("/sites/{s}")),
        "GET /sites/{id}/who-to-contact" => get(format!("/sites/{s}/who-to-contact?topic=TOPIC_ORDERS")),
        "GET /contacts" => get(format!("/contacts?customerId={c}")),
        "GET /agreements" => get(format!("/agreements?customerId={c}")),
        "GET /agreements/{id}" => get(format!("/agreements/{}", fx.agreement)),
        "GET /agreements/{id}/amendments" => get(format!("/agreements/{}/amendments", fx.agreement)),
        "POST /orders" => (Method::POST, "/orders".into(), Some(json!({"line": line(s, far, 5), "idempotencyKey": key}))),
        "POST /orders/batch" => (Method::POST, "/orders/batch".into(), Some(json!({"lines": [line(s, far, 6)], "idempotencyKey": key}))),
        "GET /orders" => get(format!("/orders?from={far}&to={far}")),
        "GET /order-week" => get(format!("/order-week?siteId={s}&day={far}")),
        "GET /late-changes" => get("/late-changes".into()),
        "POST /deliveries" => {
            (Method::POST, "/deliveries".into(), Some(json!({"lines": [line(&fx.care_home, yesterday, 3)], "idempotencyKey": key})))
        }
        "GET /deliveries" => {
            get(format!("/deliveries?siteId={}&from={}&to={yesterday}", fx.care_home, yesterday - chrono::Duration::days(7)))
        }
        "GET /budget-usage" => get(format!("/budget-usage?customerId={c}&year={year}")),
        "GET /cutoff-rules" => get("/cutoff-rules".into()),
        "POST /standing-orders" => {
            let body = json!({"siteId": fx.other_site, "productCode": "LOUNAS-PK", "validFrom": far.to_string(),
                              "validTo": (far + chrono::Duration::days(14)).to_string(), "weekdayQuantities": [1, 1, 1, 1, 1, 0, 0]});
            (Method::POST, "/standing-orders".into(), Some(body))
        }
        "GET /standing-orders" => get(format!("/standing-orders?siteId={s}")),
        "POST /closures" => {
            let day = (far + chrono::Duration::days(60)).to_string();
            (Method::POST, "/closures".into(), Some(json!({"siteId": fx.other_site, "from": day, "to": day, "reason": "grants test"})))
        }
        "GET /products" => get("/products".into()),
        "GET /price-lists" => get("/price-lists".into()),
        "GET /price-lists/{id}" => get(format!("/price-lists/{}", fx.price_list)),
        "GET /price-overrides" => get(format!("/price-overrides?customerId={c}")),
        "GET /price-changes" => get("/price-changes".into()),
        "GET /benchmarks" => get("/benchmarks".into()),
        "GET /vat-rates" => get("/vat-rates".into()),
        "POST /prices/resolve" => {
            let body = json!({"lookups": [{"productCode": "LOUNAS-PK", "siteId": s, "serviceDay": far.to_string()}]});
            (Method::POST, "/prices/resolve".into(), Some(body))
        }
        "GET /price-sheet" => get(format!("/price-sheet?customerId={c}&year={}", year + 1)),
        "POST /customers" => (Method::POST, "/customers".into(), Some(json!({"name": "Grants Oy"}))),
        "PUT /customers/{id}/billing" => {
            let billing = json!({"einvoiceAddress": "003701876901100", "paymentTermsDays": 14, "invoiceLanguage": "fi"});
            (Method::PUT, format!("/customers/{c}/billing"), Some(json!({ "billing": billing })))
        }
        "PUT /cutoff-rules" => (Method::PUT, "/cutoff-rules".into(), Some(json!({}))),
        "GET /production-day" => get(format!("/production-day?day={far}")),
        "GET /ordering-rate" => get(format!("/ordering-rate?year={year}&month=1")),
        "POST /price-lists" => (Method::POST, "/price-lists".into(), Some(json!({"year": year + 2}))),
        "GET /invoices" => get(format!("/invoices?customerId={c}")),
        "GET /month-to-date" => get(format!("/month-to-date?customerId={c}")),
        "GET /reconciliation" => get(format!("/reconciliation?customerId={c}&year={year}")),
        "GET /reconciliation.csv" => get(format!("/reconciliation.csv?customerId={c}&year={year}")),
        "GET /billing-calendar" => get(format!("/billing-calendar?year={year}")),
        "GET /export-batches" => get("/export-batches".into()),
        other => panic!("docs/grants.md lists {other}, which this test does not know how to call: add it to `call`"),
    }
}

/// The routes `call` knows: each must be a row of the table.
const CALLED: &[&str] = &[
    "GET /customers",
    "GET /customers/{id}",
    "GET /sites",
    "GET /sites/{id}",
    "GET /sites/{id}/who-to-contact",
    "GET /contacts",
    "GET /agreements",
    "GET /agreements/{id}",
    "GET /agreements/{id}/amendments",
    "POST /orders",
    "POST /orders/batch",
    "GET /orders",
    "GET /order-week",
    "GET /late-changes",
    "POST /deliveries",
    "GET /deliveries",
    "GET /budget-usage",
    "GET /cutoff-rules",
    "POST /standing-orders",
    "GET /standing-orders",
    "POST /closures",
    "GET /products",
    "GET /price-lists",
    "GET /price-lists/{id}",
    "GET /price-overrides",
    "GET /price-changes",
    "GET /benchmarks",
    "GET /vat-rates",
    "POST /prices/resolve",
    "GET /price-sheet",
    "POST /customers",
    "PUT /customers/{id}/billing",
    "PUT /cutoff-rules",
    "GET /production-day",
    "GET /ordering-rate",
    "POST /price-lists",
    "GET /invoices",
    "GET /month-to-date",
    "GET /reconciliation",
    "GET /reconciliation.csv",
    "GET /billing-calendar",
    "GET /export-batches",
];

async fn send(fx: &Fx, token: &str, (method, path, body): (Method, String, Option<Value>)) -> (StatusCode, String) {
    let mut r = reqwest::Client::new().request(method, format!("{}/api/v1{path}", fx.http)).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    let response = r.send().await.unwrap();
    (response.status(), response.text().await.unwrap_or_default())
}

async fn staff_get(fx: &Fx, token: &str, path: &str) -> Value {
    let (status, body) = send(fx, token, (Method::GET, path.into(), None)).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn the_tables_name_every_grant_the_demo_clients_grants_and_every_route_called() {
    let (columns, rows) = route_table();
    assert_eq!(columns, grants::ALL.to_vec(), "the route table's columns are the platform's grants, in order");
    let table = grants_table();
    assert_eq!(table.iter().map(|(g, _)| g.as_str()).collect::<Vec<_>>(), grants::ALL.to_vec(), "the grants table lists every grant");
    for client in kumppani_demo::users::demo_clients("http://127.0.0.1") {
        let listed: BTreeSet<String> = table.iter().filter(|(_, c)| c.contains(&client.client_id)).map(|(g, _)| g.clone()).collect();
        assert_eq!(listed, client.grants.iter().cloned().collect::<BTreeSet<_>>(), "the grants of demo client {}", client.client_id);
    }
    let documented: BTreeSet<&str> = rows.iter().map(|r| r.route.as_str()).collect();
    assert_eq!(documented.len(), rows.len(), "each route once");
    assert_eq!(documented, CALLED.iter().copied().collect(), "the table's routes are the routes this test calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_grant_opens_exactly_the_routes_the_table_says() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let mut fx = Fx {
        http: env.http.clone(),
        customer: w.customer.clone(),
        site: w.site.clone(),
        other_site: w.other_site.clone(),
        care_home: w.care_home.clone(),
        agreement: String::new(),
        price_list: String::new(),
    };
    let staff = env.staff();
    let agreements = staff_get(&fx, &staff, &format!("/agreements?customerId={}", w.customer)).await;
    fx.agreement = agreements["agreements"][0]["id"].as_str().unwrap().to_owned();
    let lists = staff_get(&fx, &staff, "/price-lists").await;
    fx.price_list = lists["priceLists"][0]["id"].as_str().unwrap().to_owned();

    let customer = uuid::Uuid::parse_str(&w.customer).ok();
    let (_, rows) = route_table();
    let mut wrong = Vec::new();
    for grant in grants::ALL {
        let token = env.issuer().token_for(Role::SystemClient, customer, None, vec![grant.to_owned()]).unwrap();
        for row in &rows {
            let key = format!("grants-{grant}-{}", row.route);
            let (status, body) = send(&fx, &token, call(&row.route, &fx, &key)).await;
            let opens = row.opened_by.iter().any(|g| g == grant);
            if opens && !status.is_success() {
                wrong.push(format!("{grant} should open {}: {status} {body}", row.route));
            }
            if !opens && status != StatusCode::FORBIDDEN {
                wrong.push(format!("{grant} should not open {}: {status} {body}", row.route));
            }
            if !opens && !row.opened_by.is_empty() && !row.opened_by.iter().any(|g| body.contains(g.as_str())) {
                wrong.push(format!("{} refused to {grant} without naming a grant that opens it: {body}", row.route));
            }
        }
    }
    assert!(wrong.is_empty(), "docs/grants.md and the services disagree:\n{}", wrong.join("\n"));

    // A customer's and a site's detail: registry data only, contacts and agreements need their grants.
    let registry = env.issuer().token_for(Role::SystemClient, customer, None, vec![grants::REGISTRY_READ.into()]).unwrap();
    let detail = staff_get(&fx, &registry, &format!("/customers/{}", w.customer)).await;
    assert!(detail.get("agreements").is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)), "{detail}");
    // Billing details: staff and the customer's own users only, no grant opens them.
    assert!(detail["customer"].get("billing").is_none(), "{detail}");
    assert!(detail["units"].as_array().into_iter().flatten().all(|u| u.get("billing").is_none()), "{detail}");
    let staff_view = staff_get(&fx, &staff, &format!("/customers/{}", w.customer)).await;
    assert_eq!(staff_view["customer"]["billing"]["paymentTermsDays"], 14, "{staff_view}");
    let site = staff_get(&fx, &registry, &format!("/sites/{}", w.site)).await;
    assert!(site.get("agreements").is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)), "{site}");
    let both = env
        .issuer()
        .token_for(Role::SystemClient, customer, None, vec![grants::REGISTRY_READ.into(), grants::AGREEMENTS_READ.into()])
        .unwrap();
    let detail = staff_get(&fx, &both, &format!("/customers/{}", w.customer)).await;
    assert!(detail["agreements"].as_array().is_some_and(|a| !a.is_empty()), "{detail}");

    // agreements:read keeps to the client's customer.
    let elsewhere =
        env.issuer().token_for(Role::SystemClient, Some(uuid::Uuid::new_v4()), None, vec![grants::AGREEMENTS_READ.into()]).unwrap();
    let (status, _) = send(&fx, &elsewhere, (Method::GET, format!("/agreements/{}", fx.agreement), None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&fx, &elsewhere, (Method::GET, format!("/agreements/{}/amendments", fx.agreement), None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The demo ordering system: its sites, not the agreements.
    let form = [("grant_type", "client_credentials"), ("client_id", "ordering-system"), ("client_secret", "dev-ordering-secret")];
    let r: Value =
        reqwest::Client::new().post(format!("{}/dev-idp/token", env.http)).form(&form).send().await.unwrap().json().await.unwrap();
    let demo = r["access_token"].as_str().unwrap().to_owned();
    staff_get(&fx, &demo, &format!("/sites?customerId={}", w.customer)).await;
    for path in [format!("/agreements?customerId={}", w.customer), format!("/agreements/{}", fx.agreement), "/price-lists".into()] {
        let (status, body) = send(&fx, &demo, (Method::GET, path.clone(), None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    env.cleanup().await;
}
