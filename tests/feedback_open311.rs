//! Open311 GeoReport v2 as the city's feedback channel meets it: services and
//! their definitions, posting with an API key, reading requests as JSON and
//! XML. Every JSON answer is validated against the official schemas
//! (tests/standards/open311, scripts/open311-validate.py); public answers
//! carry no submitter's personal data and no portal feedback.

#![allow(clippy::unwrap_used)]

mod support;

use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as fb;
use serde_json::Value;
use support::{TestEnv, code};

fn python() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash").arg(root.join("scripts/test-venv.sh")).output().unwrap();
    assert!(out.status.success(), "scripts/test-venv.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
    std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim())
}

/// Asserts `body` is valid against the official schema `schema` (e.g. georeport-v2-requests.json).
fn assert_valid(schema: &str, body: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = std::env::temp_dir().join(format!("open311-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&file, body).unwrap();
    let out = std::process::Command::new(python()).arg(root.join("scripts/open311-validate.py")).arg(schema).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{schema}: {}\n{}\n{body}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

async fn get(env: &TestEnv, path: &str) -> (u16, String, String) {
    let r = reqwest::Client::new().get(format!("{}{path}", env.http)).send().await.unwrap();
    let status = r.status().as_u16();
    let media = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, media, r.text().await.unwrap())
}

async fn post(env: &TestEnv, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new().post(format!("{}{path}", env.http)).form(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_city_channel_posts_and_reads_requests_as_open311_says() {
    let mut env = TestEnv::start(false).await;
    let customer = env.internal_customer("OS").await.id;
    let a = env.site(&customer, "OS-1", contracts::SiteKind::School).await.id;
    let b = env.site(&customer, "OS-2", contracts::SiteKind::Daycare).await.id;
    let staff = env.staff();
    let cleaner = contracts::CreateContactRequest {
        party: contracts::Party::Enterprise as i32,
        customer_id: customer.clone(),
        name: "Sami Siivous".into(),
        level: contracts::ContactLevel::Operational as i32,
        email: "sami.siivous@serviisi.example".into(),
        topics: vec![contracts::Topic::Cleaning as i32],
        ..Default::default()
    };
    env.client.create_contact(env.req(cleaner, &staff)).await.unwrap();
    let pool = kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap();
    support::wait_until("feedback knows the sites and the contact", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move {
            let (s, c): (i64, i64) =
                sqlx::query_as("SELECT (SELECT count(*) FROM sites), (SELECT count(*) FROM contacts)").fetch_one(&pool).await.unwrap();
            s >= 2 && c >= 1
        }
    })
    .await;

    // Services and a service definition, valid against the schemas, in JSON and XML.
    let (status, media, body) = get(&env, "/open311/v2/services.json").await;
    assert_eq!((status, media.as_str()), (200, "application/json; charset=utf-8"));
    assert_valid("georeport-v2-services.json", &body);
    let services: Value = serde_json::from_str(&body).unwrap();
    let codes: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["meals", "special_diets", "cleaning", "ordering", "invoicing", "agreement", "other"]);
    assert_eq!(services[2]["service_name"], "Siivous");
    let (_, _, sv) = get(&env, "/open311/v2/services.json?locale=sv").await;
    assert!(sv.contains("\"Städning\""), "{sv}");
    let (status, media, xml) = get(&env, "/open311/v2/services.xml").await;
    assert_eq!((status, media.as_str()), (200, "text/xml; charset=utf-8"));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>meals</service_code>"), "{xml}");
    let (status, _, body) = get(&env, "/open311/v2/services/cleaning.json").await;
    assert_eq!(status, 200);
    assert_valid("georeport-v2-service-definition.json", &body);
    let (status, _, body) = get(&env, "/open311/v2/services/nothing.json").await;
    assert_eq!(status, 404);
    assert!(body.contains("\"code\":404"), "{body}");

    // Posting needs a registered client's key.
    let admin = env.issuer().token_for(Role::EnterpriseAdmin, None, None, vec![]).unwrap();
    let reg = fb::RegisterOpen311ClientRequest { name: "Oulun palautejärjestelmä".into() };
    assert_eq!(code(env.feedback.register_open311_client(env.req(reg.clone(), &staff)).await), tonic::Code::PermissionDenied);
    let client = env.feedback.register_open311_client(env.req(reg, &admin)).await.unwrap().into_inner();
    assert_eq!(client.api_key.len(), 64);
    let form = |key: &'static str| {
        vec![
            ("api_key", key),
            ("service_code", "cleaning"),
            ("description", "Koulun pääoven edusta on siivoamatta, roskia maassa. Soita 040 123 4567."),
            ("title", "Roskia pääoven edessä"),
            ("attribute[kind]", "reclamation"),
            ("email", "veera.vanhempi@example.fi"),
            ("first_name", "Veera"),
            ("last_name", "Vanhempi"),
        ]
    };
    let (status, body) = post(&env, "/open311/v2/requests.json", &form("wrong")).await;
    assert_eq!(status, 403, "{body}");
    let key: &'static str = Box::leak(client.api_key.clone().into_boxed_str());
    // Both fixture sites are at "Tie 1": the address alone is ambiguous, and said so.
    let mut ambiguous = form(key);
    ambiguous.push(("address_string", "Tie 1, 90100 Oulu"));
    let (status, body) = post(&env, "/open311/v2/requests.json", &ambiguous).await;
    assert_eq!(status, 400, "{body}");
    assert!(body[0]["description"].as_str().unwrap().starts_with("address_string:"), "{body}");
    let mut bad = form(key);
    bad.retain(|(k, _)| *k != "description");
    bad.push(("address_id", "EI-OLE"));
    let (status, body) = post(&env, "/open311/v2/requests.json", &bad).await;
    assert_eq!(status, 400);
    let mut said: Vec<&str> =
        body.as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap().split(':').next().unwrap()).collect();
    said.sort_unstable();
    assert_eq!(said, ["address_id", "description"], "{body}");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM items").fetch_one(&pool).await.unwrap();
    assert_eq!(items, 0, "nothing written for refused requests");

    let mut good = form(key);
    good.push(("address_id", "OS-1"));
    let (status, body) = post(&env, "/open311/v2/requests.json", &good).await;
    assert_eq!(status, 201, "{body}");
    let id = body[0]["service_request_id"].as_str().unwrap().to_owned();
    // It is a feedback item like any other: routed to the cleaning person, on the site's clock.
    let listed = env.feedback.list_feedback(env.req(fb::ListFeedbackRequest::default(), &staff)).await.unwrap().into_inner().items;
    let item = listed.iter().find(|i| i.number.to_string() == id).unwrap().clone();
    assert_eq!(item.channel, fb::FeedbackChannel::Open311 as i32);
    assert_eq!(item.handler.unwrap().name, "Sami Siivous");
    assert_eq!(item.site_id, a);
    assert_eq!(item.contact_email, "veera.vanhempi@example.fi");
    // A portal item of the other site is not an Open311 request.
    let portal = fb::SubmitFeedbackRequest {
        kind: fb::FeedbackKind::Praise as i32,
        topic: fb::FeedbackTopic::Meals as i32,
        site_id: b.clone(),
        description: "Kiitos!".into(),
        ..Default::default()
    };
    env.feedback.submit_feedback(env.req(portal, &staff)).await.unwrap();

    // Reading: valid, public fields only, the 6Aika extensions on request.
    let (status, _, body) = get(&env, "/open311/v2/requests.json?extensions=true").await;
    assert_eq!(status, 200);
    assert_valid("georeport-v2-requests.json", &body);
    let requests: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 1, "{body}");
    let r = &requests[0];
    assert_eq!(
        (r["service_request_id"].as_str().unwrap(), r["status"].as_str().unwrap(), r["service_code"].as_str().unwrap()),
        (id.as_str(), "open", "cleaning")
    );
    assert_eq!(r["title"], "Roskia pääoven edessä");
    assert_eq!(r["service_object_id"], "OS-1");
    assert_eq!(r["zipcode"], "90100");
    assert!(r["expected_datetime"].is_string());
    // A phone number written into the text is not public.
    assert_eq!(r["description"], "Koulun pääoven edusta on siivoamatta, roskia maassa. Soita [poistettu / borttaget].", "{body}");
    for private in ["veera", "Veera", "Vanhempi", "Sami", "serviisi.example", "040 123 4567"] {
        assert!(!body.contains(private), "public Open311 answer shows {private}: {body}");
    }
    let (status, _, one) = get(&env, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, 200);
    assert_valid("georeport-v2-requests.json", &one);
    let (status, _, _) = get(&env, "/open311/v2/requests/999999.json").await;
    assert_eq!(status, 404);
    let (status, _, body) = get(&env, "/open311/v2/requests.json?start_date=yesterday").await;
    assert_eq!(status, 400);
    assert!(body.contains("start_date"), "{body}");
    let (status, media, xml) = get(&env, "/open311/v2/requests.xml?status=open").await;
    assert_eq!((status, media.as_str()), (200, "text/xml; charset=utf-8"));
    assert!(
        xml.contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>")),
        "{xml}"
    );

    // Resolved by staff: closed, with the corrective action as the public note.
    let resolve = fb::TransitionFeedbackRequest {
        id: item.id.clone(),
        action: fb::FeedbackAction::Resolve as i32,
        corrective_action: "Pääoven edusta lisätty päivittäiseen siivoukseen.".into(),
        ..Default::default()
    };
    env.feedback.transition_feedback(env.req(resolve, &staff)).await.unwrap();
    let (_, _, body) = get(&env, "/open311/v2/requests.json?status=closed").await;
    assert_valid("georeport-v2-requests.json", &body);
    let closed: Value = serde_json::from_str(&body).unwrap();
    // The public sees the status; the corrective action is written for the customer.
    assert_eq!(closed[0]["status_notes"], "Ratkaistu");
    assert!(!body.contains("Pääoven edusta lisätty"), "{body}");
    assert!(closed[0]["expected_datetime"].is_null());
    env.cleanup().await;
}
