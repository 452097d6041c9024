//! The KPI dashboard's figures (the gateway composes them from the services'
//! calls) against an independent count made here: the own production share
//! from the sites this test created, the annual calendar's on-time share from
//! the tasks it recorded; and a figure whose service has nothing (no survey)
//! is said so, not shown as zero.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::Datelike;
use kumppani_proto::contracts::v1 as pb;
use support::portal::sign_in;
use support::{TestEnv, today};

/// The CSV's row of `figure` whose first cell is `row`, split on ';'.
fn csv_row(csv: &str, figure: &str, row: &str) -> Vec<String> {
    csv.lines()
        .map(|l| l.split(';').map(|c| c.trim_matches('"').to_owned()).collect::<Vec<_>>())
        .find(|cells| cells.first().is_some_and(|c| c == figure) && cells.get(1).is_some_and(|c| c == row))
        .unwrap_or_else(|| panic!("no row {figure} / {row} in\n{csv}"))
}

#[tokio::test]
async fn the_dashboard_shows_what_an_independent_count_finds() {
    let mut env = TestEnv::start(false).await;
    let staff = env.staff();
    let customer = env.internal_customer("KPI").await.id;
    // Meals: 120 own of 200 (60 %); cleaning: 1,500 m² own of 1,800 (83.3 %).
    let sites =
        [("KPI-1", 120, "1000", "own", "own"), ("KPI-2", 80, "500", "Ateriapalvelu Oy", "own"), ("KPI-3", 0, "300", "own", "Siivous Oy")];
    for (code, meals, m2, meal_producer, cleaning_producer) in sites {
        let req = pb::CreateSiteRequest {
            customer_id: customer.clone(),
            code: code.into(),
            name: format!("Kohde {code}"),
            kind: pb::SiteKind::School as i32,
            street_address: "Tie 1".into(),
            postal_code: "90100".into(),
            city: "Oulu".into(),
            floor_area_m2: m2.into(),
            meals_per_day: meals,
            meal_producer: meal_producer.into(),
            cleaning_producer: cleaning_producer.into(),
            ..Default::default()
        };
        env.client.create_site(env.req(req, &staff)).await.unwrap();
    }
    let own_meals: i32 = sites.iter().filter(|s| s.3 == "own").map(|s| s.1).sum();
    let all_meals: i32 = sites.iter().map(|s| s.1).sum();
    assert_eq!((own_meals, all_meals), (120, 200));

    // This year's calendar (steps in last year, all due): two on time, one late, the rest not done.
    let year = today().year();
    env.partnership.plan_calendar(env.req(pb::PlanCalendarRequest { year, customer_id: customer.clone() }, &staff)).await.unwrap();
    let request = pb::ListCalendarTasksRequest { year, customer_id: customer.clone(), page_size: 100, ..Default::default() };
    let tasks = env.partnership.list_calendar_tasks(env.req(request, &staff)).await.unwrap().into_inner().tasks;
    for (n, t) in tasks.iter().take(3).enumerate() {
        let due = t.due_on.unwrap().to_naive().unwrap();
        let done = if n == 2 { due + chrono::Duration::days(2) } else { due };
        let req = pb::UpdateCalendarTaskRequest {
            id: t.id.clone(),
            expected_version: t.version,
            status: pb::TaskStatus::Done as i32,
            done_on: Some(pb::Date::from_naive(done)),
            ..Default::default()
        };
        env.partnership.update_calendar_task(env.req(req, &staff)).await.unwrap();
    }
    let due = tasks.len();
    let on_time = 2;
    let expected = format!("{}", (rust_decimal::Decimal::from(on_time * 100) / rust_decimal::Decimal::from(due)).round_dp(1).normalize())
        .replace('.', ",");

    let browser = sign_in(&env, "staff").await;
    // The dashboard asks about the agreement year after the one chosen: this year's calendar is the year before's page.
    let (status, csv) = browser.get(&format!("/portal/kpis.csv?year={}&customer={customer}", year - 1), "fi").await;
    assert_eq!(status, 200, "{csv}");
    let meals = csv_row(&csv, "Oman tuotannon osuus", "Ateriat päivässä");
    assert_eq!(meals[2..5], ["120".to_owned(), "200".to_owned(), "60 %".to_owned()], "{meals:?}");
    let cleaning = csv_row(&csv, "Oman tuotannon osuus", "Siivottavat neliöt (m²)");
    assert_eq!(cleaning[4], "83,3 %", "{cleaning:?}");
    let calendar = csv_row(&csv, "Vuosikellon vaiheet ajallaan", &year.to_string());
    assert_eq!(calendar[2..5], [on_time.to_string(), due.to_string(), format!("{expected} %")], "{calendar:?}");
    // No survey that year: said so, not zeros; no figure is "unavailable" (every service answered).
    assert!(!csv.contains("ei ole juuri nyt saatavilla"), "{csv}");
    let (status, page) = browser.get(&format!("/portal/kpis?year={}&customer={customer}", year - 1), "fi").await;
    assert_eq!(status, 200);
    assert!(page.contains("Tälle vuodelle ei ole asiakaskyselyä."), "no survey is not a zero score");
    assert!(page.contains("role=\"img\""));
    env.cleanup().await;
}
