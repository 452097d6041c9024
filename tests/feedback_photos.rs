//! Photos of feedback items over gRPC and REST: a daycare's director sends a
//! reclamation with photos and gets them back byte for byte; the bytes decide
//! the type (a PDF called `.jpg` is refused, an iPhone's HEIC is taken); size
//! and count are limited with the photo named; a refused request writes
//! nothing; scope holds for the bytes too; REST takes a photo larger than the
//! API's usual body limit and serves it with its own media type.

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine as _;
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as fb;
use support::{TestEnv, code, violations};
use uuid::Uuid;

const MIB: usize = 1024 * 1024;

/// A JPEG's signature followed by `len` bytes in all.
fn jpeg(len: usize, fill: u8) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    b.resize(len, fill);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.resize(2048, 7);
    b
}

/// What an iPhone writes: an ISO BMFF `ftyp` box with major brand `heic`.
fn heic() -> Vec<u8> {
    let mut b = vec![0, 0, 0, 24];
    b.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    b.resize(4096, 1);
    b
}

fn photo(name: &str, content: Vec<u8>) -> fb::PhotoUpload {
    fb::PhotoUpload { filename: name.into(), content }
}

struct World {
    site_user: String,
    other_site_user: String,
    staff: String,
    site: String,
}

async fn world(env: &mut TestEnv) -> World {
    let customer = env.internal_customer("PH").await.id;
    let site = env.site(&customer, "PH-1", contracts::SiteKind::Daycare).await.id;
    let other = env.site(&customer, "PH-2", contracts::SiteKind::School).await.id;
    let person = |site: &str, name: &str, email: &str| {
        env.issuer()
            .token_for_person(Role::SiteUser, Some(Uuid::parse_str(&customer).unwrap()), Some(Uuid::parse_str(site).unwrap()), name, email)
            .unwrap()
    };
    let w = World {
        site_user: person(&site, "Paula Päiväkoti", "paula@ouka.example"),
        other_site_user: person(&other, "Kalle Koulu", "kalle@ouka.example"),
        staff: env.staff(),
        site: site.clone(),
    };
    let pool = pool(env).await;
    support::wait_until("feedback's projection of the sites", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sites").fetch_one(&pool).await.unwrap() >= 2 }
    })
    .await;
    w
}

async fn pool(env: &TestEnv) -> sqlx::PgPool {
    kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap()
}

async fn counts(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM photos)").fetch_one(pool).await.unwrap()
}

fn reclamation(site: &str, photos: Vec<fb::PhotoUpload>) -> fb::SubmitFeedbackRequest {
    fb::SubmitFeedbackRequest {
        kind: fb::FeedbackKind::Reclamation as i32,
        topic: fb::FeedbackTopic::Meals as i32,
        site_id: site.into(),
        description: "Keitossa oli vierasesine, kuvat liitteenä".into(),
        photos,
        ..Default::default()
    }
}

#[tokio::test]
async fn photos_travel_with_the_item_checked_by_their_bytes_and_limited() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let pool = pool(&env).await;

    // Two photos with the reclamation: stored with it, described in GetFeedback, the bytes back unchanged.
    let big = jpeg(3 * MIB, 0x5A);
    let sent = reclamation(&w.site, vec![photo("IMG_0042.jpg", big.clone()), photo("C:\\kuvat\\lautanen.png", png())]);
    let item = env.feedback.submit_feedback(env.req(sent, &w.site_user)).await.unwrap().into_inner();
    let got = env.feedback.get_feedback(env.req(fb::GetFeedbackRequest { id: item.id.clone() }, &w.site_user)).await.unwrap().into_inner();
    let described: Vec<(&str, &str, i64, &str)> =
        got.photos.iter().map(|p| (p.filename.as_str(), p.content_type.as_str(), p.size_bytes, p.added_by_name.as_str())).collect();
    assert_eq!(
        described,
        [("IMG_0042.jpg", "image/jpeg", (3 * MIB) as i64, "Paula Päiväkoti"), ("lautanen.png", "image/png", 2048, "Paula Päiväkoti")]
    );
    let first = fb::GetPhotoRequest { id: item.id.clone(), photo_id: got.photos[0].id.clone() };
    let file = env.feedback.get_photo(env.req(first.clone(), &w.staff)).await.unwrap().into_inner();
    assert_eq!(file.content, big, "the bytes come back as they were sent");
    // Scope: another site's user sees neither the item nor its photos.
    assert_eq!(code(env.feedback.get_photo(env.req(first.clone(), &w.other_site_user)).await), tonic::Code::NotFound);
    let elsewhere = fb::GetPhotoRequest { id: item.id.clone(), photo_id: Uuid::now_v7().to_string() };
    assert_eq!(code(env.feedback.get_photo(env.req(elsewhere, &w.site_user)).await), tonic::Code::NotFound);

    // The bytes decide: a PDF called .jpg is refused with the photo named, an oversized one too; nothing is written.
    let before = counts(&pool).await;
    let bad = reclamation(
        &w.site,
        vec![photo("ok.jpg", jpeg(1000, 1)), photo("kuitti.jpg", b"%PDF-1.7 a receipt".to_vec()), photo("huge.jpg", jpeg(10 * MIB + 1, 2))],
    );
    let e = env.feedback.submit_feedback(env.req(bad, &w.site_user)).await.unwrap_err();
    let d = tonic_types::StatusExt::get_details_bad_request(&e).unwrap();
    let fields: Vec<(&str, &str)> = d.field_violations.iter().map(|v| (v.field.as_str(), v.description.as_str())).collect();
    assert_eq!(fields, [("photos[1]", "is not a JPEG, PNG or HEIC image"), ("photos[2]", "is larger than 10 MiB")]);
    let six = reclamation(&w.site, (0..6).map(|n| photo(&format!("{n}.jpg"), jpeg(100, n))).collect());
    assert_eq!(violations(env.feedback.submit_feedback(env.req(six, &w.site_user)).await), ["photos"]);
    assert_eq!(counts(&pool).await, before, "a refused item leaves nothing behind");

    // Later photos: an iPhone's HEIC is taken; the sixth photo of an item is refused, the fifth is not.
    let add = |photos: Vec<fb::PhotoUpload>| fb::AddPhotosRequest { id: item.id.clone(), photos };
    let added = env.feedback.add_photos(env.req(add(vec![photo("IMG_0043.HEIC", heic())]), &w.site_user)).await.unwrap().into_inner();
    assert_eq!(added.photos.len(), 3);
    assert_eq!(added.photos[2].content_type, "image/heic");
    assert_eq!(added.history.last().map(|h| (h.change.as_str(), h.detail.as_str())), Some(("photos_added", "IMG_0043.HEIC")));
    assert!(added.version > got.version, "a new photo is a change of the item");
    let three = (0..3).map(|n| photo(&format!("lisa{n}.jpg"), jpeg(500, n))).collect::<Vec<_>>();
    assert_eq!(violations(env.feedback.add_photos(env.req(add(three.clone()), &w.staff)).await), ["photos"]);
    let two = three[..2].to_vec();
    assert_eq!(env.feedback.add_photos(env.req(add(two), &w.staff)).await.unwrap().into_inner().photos.len(), 5);
    assert_eq!(violations(env.feedback.add_photos(env.req(add(three[2..].to_vec()), &w.site_user)).await), ["photos"]);
    assert_eq!(code(env.feedback.add_photos(env.req(add(vec![photo("x.png", png())]), &w.other_site_user)).await), tonic::Code::NotFound);
    assert_eq!(counts(&pool).await.1, before.1 + 3);

    // REST: a 4 MiB photo as base64 (over the API's usual 2 MiB body), served back with its own media type.
    let second = env.feedback.submit_feedback(env.req(reclamation(&w.site, Vec::new()), &w.site_user)).await.unwrap().into_inner();
    let http = reqwest::Client::new();
    let bytes = jpeg(4 * MIB, 0x33);
    let body =
        serde_json::json!({ "photos": [{ "filename": "ruoka.jpg", "content": base64::engine::general_purpose::STANDARD.encode(&bytes) }] });
    let res =
        http.post(format!("{}/api/v1/feedback/{}/photos", env.http, second.id)).bearer_auth(&w.site_user).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let item: serde_json::Value = res.json().await.unwrap();
    let photo_id = item["photos"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(item["photos"][0]["sizeBytes"], serde_json::json!((4 * MIB).to_string()), "int64 as a string, as proto3 JSON has it");
    let res = http
        .get(format!("{}/api/v1/feedback/{}/photo?photoId={photo_id}", env.http, second.id))
        .bearer_auth(&w.site_user)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let bad =
        serde_json::json!({ "photos": [{ "filename": "x.jpg", "content": base64::engine::general_purpose::STANDARD.encode(b"<svg/>") }] });
    let res =
        http.post(format!("{}/api/v1/feedback/{}/photos", env.http, second.id)).bearer_auth(&w.site_user).json(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["error"]["fieldViolations"][0]["field"], "photos[0]");
    assert_eq!(err["error"]["fieldViolations"][0]["code"], "not_an_image");
    env.cleanup().await;
}

#[tokio::test]
async fn a_closed_item_takes_no_more_photos() {
    let mut env = TestEnv::start(false).await;
    let w = world(&mut env).await;
    let item = env.feedback.submit_feedback(env.req(reclamation(&w.site, Vec::new()), &w.site_user)).await.unwrap().into_inner();
    let act = |action: fb::FeedbackAction| fb::TransitionFeedbackRequest {
        id: item.id.clone(),
        action: action as i32,
        corrective_action: "Keittiön tarkastus tehty".into(),
        ..Default::default()
    };
    env.feedback.transition_feedback(env.req(act(fb::FeedbackAction::Resolve), &w.staff)).await.unwrap();
    env.feedback.transition_feedback(env.req(act(fb::FeedbackAction::Close), &w.site_user)).await.unwrap();
    let add = fb::AddPhotosRequest { id: item.id.clone(), photos: vec![photo("myohassa.jpg", jpeg(100, 1))] };
    assert_eq!(code(env.feedback.add_photos(env.req(add, &w.site_user)).await), tonic::Code::FailedPrecondition);
    let none = fb::AddPhotosRequest { id: item.id.clone(), photos: Vec::new() };
    assert_eq!(violations(env.feedback.add_photos(env.req(none, &w.staff)).await), ["photos"]);
    env.cleanup().await;
}
