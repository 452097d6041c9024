//! The portal's contracts and pricing pages end to end: signed in through the
//! dev issuer as the demo users (the real sign-in, session cookie and CSRF
//! token), against the real services on PostgreSQL and NATS.
#![allow(clippy::unwrap_used)]

mod support;

use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::pricing::v1 as pricing;
use reqwest::StatusCode;
use support::TestEnv;
use support::portal::sign_in;

/// The `<input>` or `<select>` element with `id` in `html`.
fn element<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_contracts_and_pricing_pages_with_the_demo_city() {
    let mut env = TestEnv::start(true).await;
    let staff_token = env.staff();
    let users = env.issuer().users().to_vec();
    let sivi = users.iter().find(|u| u.username == "sopimus.sivistys").unwrap().customer_id.unwrap().to_string();
    let contact = sign_in(&env, "sopimus.sivistys").await;
    let staff = sign_in(&env, "staff").await;

    // Pricing learns the demo customers from contracts' events.
    support::wait_until("the price sheet", std::time::Duration::from_secs(60), || async {
        contact.get("/portal/prices.csv?year=2027", "fi").await.0 == StatusCode::OK
    })
    .await;

    // 15: the unit column is headed "unit", not "customer group", on the page and in the CSV.
    for (lang, unit) in [("fi", "Yksikkö"), ("sv", "Enhet"), ("en", "Unit")] {
        let (status, csv) = contact.get("/portal/prices.csv?year=2027", lang).await;
        assert_eq!(status, StatusCode::OK);
        let header: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().next().unwrap().split(';').collect();
        assert_eq!(header[1], unit, "{lang}: {header:?}");
        let (_, page) = contact.get("/portal/prices?year=2027", lang).await;
        assert!(page.contains(&format!(r#"<th scope="col">{unit}</th>"#)), "{lang}: the sheet's unit column");
    }
    let (_, page) = contact.get("/portal/prices?year=2027", "fi").await;
    assert!(!page.contains("Asiakasryhmä"), "the price sheet has no customer group column");

    // 18: a contract-level contact sees their customer's contacts without picking a site.
    let detail =
        env.client.get_customer(env.req(contracts::GetCustomerRequest { id: sivi.clone() }, &staff_token)).await.unwrap().into_inner();
    assert!(!detail.contacts.is_empty(), "the demo customer has contacts");
    let (status, page) = contact.get("/portal/contact", "fi").await;
    assert_eq!(status, StatusCode::OK);
    for c in &detail.contacts {
        assert!(page.contains(&c.name), "the contact page lists {}: {page}", c.name);
    }

    // 16: prices to the cent on the customer's sheet; dates on an agreement's status history.
    let (_, page) = contact.get("/portal/prices?year=2027", "fi").await;
    let sheet = &page[page.find("<tbody>").unwrap()..page.find("</tbody>").unwrap()];
    let prices: Vec<&str> =
        sheet.split(r#"<td class="kp-num">"#).skip(1).filter_map(|c| c.split(" €</td>").next()).filter(|c| !c.contains('<')).collect();
    assert!(prices.len() >= 10, "{prices:?}");
    for p in &prices {
        let (_, decimals) = p.split_once(',').unwrap_or_else(|| panic!("{p}"));
        assert_eq!(decimals.len(), 2, "to the cent: {p}");
    }
    let agreement = &detail.agreements[0].id;
    let (status, page) = contact.get(&format!("/portal/agreements/{agreement}"), "fi").await;
    assert_eq!(status, StatusCode::OK);
    let history = &page[page.find(r#"<ol class="kp-history">"#).unwrap()..];
    let first = history.split("<li>").nth(1).unwrap();
    let day = first.split(':').next().unwrap();
    assert!(day.split('.').count() == 3 && day.split('.').all(|n| n.parse::<u32>().is_ok()), "a date first: {first}");

    // 13: a rejected proposal keeps what was typed and marks the bad fields.
    let products = env.pricing.list_products(env.req(pricing::ListProductsRequest {}, &staff_token)).await.unwrap().into_inner().products;
    let product = products.last().unwrap().code.clone();
    let from = (support::today() + chrono::Days::new(30)).to_string();
    let form = [
        ("effective_from", from.as_str()),
        ("reason", "Raaka-aineiden hintojen nousu"),
        ("customer", sivi.as_str()),
        ("product_code", product.as_str()),
        ("unit_price", "3,00"),
        ("c1", "1,00"),
    ];
    let (status, page) = staff.post("/portal/price-changes", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "components do not sum to the price: {page}");
    assert!(element(&page, "pc-reason").contains(r#"value="Raaka-aineiden hintojen nousu""#), "the reason is kept");
    assert!(element(&page, "pc-from").contains(&format!(r#"value="{from}""#)), "the date is kept");
    assert!(element(&page, "pc-price").contains(r#"value="3,00""#), "the price is kept as typed");
    assert!(element(&page, "pc-c1").contains(r#"value="1,00""#), "the component is kept as typed");
    assert!(element(&page, &format!("cu-{sivi}")).contains("checked"), "the chosen customer stays chosen");
    assert!(page.contains(&format!(r#"<option value="{product}" selected>"#)), "the product stays chosen");
    assert!(element(&page, "pc-c1").contains(r#"aria-invalid="true""#), "the components are marked");
    assert!(page.contains(r#"id="pc-parts-error""#), "with their message by them");
    assert!(!element(&page, "pc-reason").contains("aria-invalid"), "a valid field is not marked");
    assert!(page.contains("hds-notification--error"), "the summary is an error");

    // A rejected decision keeps its values in that change's form only.
    let changes = env.pricing.list_price_changes(env.req(pricing::ListPriceChangesRequest { year: 0 }, &staff_token)).await.unwrap();
    let pending = changes.into_inner().changes.into_iter().find(|c| c.status == pricing::PriceChangeStatus::Proposed as i32).unwrap();
    let today = support::today().to_string();
    let (status, page) = staff
        .post(&format!("/portal/price-changes/{}/decision", pending.id), &[("action", "reject"), ("date", &today), ("text", "")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a rejection needs a reason");
    assert!(element(&page, &format!("dd-{}", pending.id)).contains(&format!(r#"value="{today}""#)), "the date is kept");
    assert!(element(&page, &format!("dr-{}", pending.id)).contains(r#"aria-invalid="true""#), "the reason is marked");
    assert!(page.contains(&format!(r#"id="dr-{}-error""#, pending.id)));

    // A new price list with a year that is not a number.
    let (status, page) = staff.post("/portal/price-lists", &[("year", "kaksi"), ("effective_from", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let year = element(&page, "new-year");
    assert!(year.contains(r#"value="kaksi""#) && year.contains(r#"aria-invalid="true""#), "{year}");

    env.cleanup().await;
}

/// The card of the price change `id` on the price changes page.
fn change_card<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!(r#"id="ch-{id}""#)).unwrap_or_else(|| panic!("no change {id}"));
    &page[start..start + page[start..].find("</section>").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_changes_name_people_not_login_names() {
    let mut env = TestEnv::start(true).await;
    let staff_token = env.staff();
    let staff = sign_in(&env, "staff").await;
    let staff_name = env.issuer().users().iter().find(|u| u.username == "staff").unwrap().name.clone();
    let changes = env.pricing.list_price_changes(env.req(pricing::ListPriceChangesRequest { year: 0 }, &staff_token)).await.unwrap();
    let pending = changes.into_inner().changes.into_iter().find(|c| c.status == pricing::PriceChangeStatus::Proposed as i32).unwrap();
    // The seeded change names the demo person who proposed it, not `demo-seed`.
    let seeded_by = kumppani_demo::users::seed_actor_name("pricing");
    assert_eq!(pending.proposed_by_name, seeded_by);
    let (status, page) = staff.get("/portal/price-changes", "fi").await;
    assert_eq!(status, StatusCode::OK);
    let card = change_card(&page, &pending.id);
    assert!(card.contains(&format!("<dt>Ehdottaja</dt><dd>{seeded_by}</dd>")), "{card}");
    assert!(!page.contains("demo-seed"), "no login names on the page");
    // Staff reject it in the portal: the decision names them.
    let today = support::today().to_string();
    let form = [("action", "reject"), ("date", today.as_str()), ("text", "Odotetaan tarjouksia")];
    let (status, _) = staff.post(&format!("/portal/price-changes/{}/decision", pending.id), &form).await;
    assert!(status.is_redirection() || status.is_success(), "{status}");
    let (_, page) = staff.get("/portal/price-changes", "sv").await;
    let card = change_card(&page, &pending.id);
    assert!(card.contains(&format!(", {staff_name}: Odotetaan tarjouksia</dd>")), "{card}");
    assert!(!card.contains(", staff:"), "{card}");
    env.cleanup().await;
}
