//! Announcements (feedback) end to end: every bad field named, the audience
//! (a site kind at the operational level reaches the daycare's people only,
//! not the school's nor the contract level), the publish window, read
//! receipts and the read rate, and the e-mail to the contact persons reached
//! through a real SMTP server.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Duration, Utc};
use kumppani_feedback::service::Feedback;
use kumppani_platform::auth::{Principal, Role};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as fb;
use kumppani_proto::pbjson_types::Timestamp;
use support::smtp::{SmtpServer, free_port};
use support::{TestEnv, code, violations, wait_until};
use uuid::Uuid;

async fn contact(env: &mut TestEnv, customer: &str, site: &str, level: contracts::ContactLevel, email: &str) {
    let t = env.staff();
    let req = contracts::CreateContactRequest {
        party: contracts::Party::Customer as i32,
        customer_id: customer.into(),
        site_id: site.into(),
        name: email.split('@').next().unwrap().into(),
        level: level as i32,
        email: email.into(),
        ..Default::default()
    };
    env.client.create_contact(env.req(req, &t)).await.unwrap();
}

fn ts(at: chrono::DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: at.timestamp(), nanos: 0 })
}

async fn list(env: &mut TestEnv, token: &str) -> fb::ListAnnouncementsResponse {
    let request = env.req(fb::ListAnnouncementsRequest::default(), token);
    env.feedback.list_announcements(request).await.unwrap().into_inner()
}

fn text(fi: &str) -> Option<fb::AnnouncementText> {
    Some(fb::AnnouncementText { fi: fi.into(), sv: format!("{fi} (sv)"), en: String::new() })
}

#[tokio::test]
async fn an_announcement_reaches_exactly_its_audience_is_read_and_emailed_once() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let a = env.internal_customer("TIA").await.id;
    let daycare = env.site(&a, "TIA-1", contracts::SiteKind::Daycare).await.id;
    let school = env.site(&a, "TIA-2", contracts::SiteKind::School).await.id;
    contact(&mut env, &a, &daycare, contracts::ContactLevel::Operational, "paivakoti.tia@kaupunki.example").await;
    contact(&mut env, &a, &school, contracts::ContactLevel::Operational, "koulu.tia@kaupunki.example").await;
    contact(&mut env, &a, "", contracts::ContactLevel::Contract, "sopimus.tia@kaupunki.example").await;
    let pool = kumppani_platform::db::connect_as_service(&env.db_url, kumppani_feedback::SCHEMA, true, 2).await.unwrap();
    wait_until("feedback knows the sites and contacts", std::time::Duration::from_secs(30), || {
        let pool = pool.clone();
        async move {
            let (s, c): (i64, i64) = sqlx::query_as("SELECT (SELECT count(*) FROM sites WHERE kind <> 0), (SELECT count(*) FROM contacts)")
                .fetch_one(&pool)
                .await
                .unwrap();
            s >= 2 && c >= 3
        }
    })
    .await;

    // Every bad field at once.
    let bad = fb::PublishAnnouncementRequest {
        title: text(""),
        body: text(""),
        audience: Some(fb::Audience { customer_ids: vec!["x".into()], site_kinds: vec![99], ..Default::default() }),
        publish_until: ts(Utc::now() - Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(
        violations(env.feedback.publish_announcement(env.req(bad, &staff)).await),
        ["title.fi", "body.fi", "audience.customer_ids[0]", "audience.site_kinds[0]", "audience.level", "publish_until"]
    );
    let person = |role: Role, site: Option<&str>| {
        env.issuer()
            .token_for_person(
                role,
                Some(Uuid::parse_str(&a).unwrap()),
                site.map(|s| Uuid::parse_str(s).unwrap()),
                "Lukija",
                "lukija@x.example",
            )
            .unwrap()
    };
    let (daycare_user, school_user, contract) =
        (person(Role::SiteUser, Some(&daycare)), person(Role::SiteUser, Some(&school)), person(Role::CustomerContact, None));
    assert_eq!(
        code(env.feedback.publish_announcement(env.req(fb::PublishAnnouncementRequest::default(), &contract)).await),
        tonic::Code::PermissionDenied
    );

    // The daycares' people only.
    let daycares = fb::PublishAnnouncementRequest {
        title: text("Joulun aukioloajat"),
        body: text("Päiväkotien keittiöt ovat kiinni 24.–26.12."),
        audience: Some(fb::Audience {
            site_kinds: vec![contracts::SiteKind::Daycare as i32],
            level: fb::AnnouncementLevel::Operational as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let published = env.feedback.publish_announcement(env.req(daycares, &staff)).await.unwrap().into_inner();
    assert_eq!(published.recipients, 1, "the daycare's operational contact person");
    // Everybody, but only from tomorrow.
    let later = fb::PublishAnnouncementRequest {
        title: text("Uusi tilausjärjestelmä"),
        body: text("Tilaukset siirtyvät uuteen järjestelmään."),
        audience: Some(fb::Audience { level: fb::AnnouncementLevel::All as i32, ..Default::default() }),
        publish_from: ts(Utc::now() + Duration::days(1)),
        ..Default::default()
    };
    let later = env.feedback.publish_announcement(env.req(later, &staff)).await.unwrap().into_inner();
    assert_eq!(later.recipients, 3, "everybody: all three contact persons");

    let seen = list(&mut env, &daycare_user).await;
    assert_eq!(seen.announcements.iter().map(|x| x.title.as_ref().unwrap().fi.as_str()).collect::<Vec<_>>(), ["Joulun aukioloajat"]);
    assert_eq!(seen.unread, 1);
    assert!(list(&mut env, &school_user).await.announcements.is_empty(), "not a daycare");
    assert!(list(&mut env, &contract).await.announcements.is_empty(), "not the operational level");
    // The school's person cannot mark it read either.
    let mark = |id: &str| fb::MarkAnnouncementReadRequest { id: id.into() };
    assert_eq!(code(env.feedback.mark_announcement_read(env.req(mark(&published.id), &school_user)).await), tonic::Code::NotFound);
    // Tomorrow everybody sees the second one (the service's clock moved).
    let tomorrow = Feedback { pool: pool.clone(), at: Some(Utc::now() + Duration::days(2)) };
    let p = Principal {
        subject: "test-lukija@x.example".into(),
        name: "Lukija".into(),
        email: String::new(),
        role: Role::CustomerContact,
        customer_id: Some(Uuid::parse_str(&a).unwrap()),
        site_id: None,
        grants: vec![],
    };
    let then = tomorrow.announcements(&p, fb::ListAnnouncementsRequest::default()).await.unwrap();
    assert_eq!(then.announcements.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), [later.id.as_str()]);

    // Read once: the unread count drops, staff see the read rate.
    let read = env.feedback.mark_announcement_read(env.req(mark(&published.id), &daycare_user)).await.unwrap().into_inner();
    assert!(read.read);
    env.feedback.mark_announcement_read(env.req(mark(&published.id), &daycare_user)).await.unwrap();
    assert_eq!(list(&mut env, &daycare_user).await.unread, 0);
    let all = list(&mut env, &staff).await.announcements;
    let rate = all.iter().find(|x| x.id == published.id).unwrap();
    assert_eq!((rate.read_count, rate.recipients), (1, 1));

    // E-mail: once published, to the contact persons reached, once.
    let dir = std::env::temp_dir().join(format!("kumppani-smtp-{}", Uuid::now_v7()));
    let server = SmtpServer::start(free_port(), dir.clone()).await;
    let mailer =
        kumppani_platform::mail::Mailer::new(&format!("smtp://127.0.0.1:{}", server.port), "Kumppani <kumppani@serviisi.example>").unwrap();
    let sent = kumppani_feedback::mail::send_announcements(&pool, &mailer, "https://kumppani.example", Utc::now()).await.unwrap();
    assert_eq!(sent, 1, "the second one is not published yet");
    assert_eq!(kumppani_feedback::mail::send_announcements(&pool, &mailer, "https://kumppani.example", Utc::now()).await.unwrap(), 0);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0, "paivakoti.tia@kaupunki.example");
    assert!(received[0].1.contains("Joulun aukioloajat"), "{}", received[0].1);
    assert!(received[0].2.contains("Joulun aukioloajat (sv)") && received[0].2.contains("https://kumppani.example/portal/announcements"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    env.cleanup().await;
}
