//! Typed fixtures every end-to-end test builds its world from (in the style of
//! a zero2prod `TestApp`'s helpers): a customer, a site, a signed agreement, a
//! published price list, each created through the public gRPC API as staff, so
//! the services' events flow exactly as in production. Plus the one Helsinki
//! "today" and the one polling helper.
#![allow(dead_code, clippy::unwrap_used)]

use super::TestEnv;
use chrono::Datelike;
use chrono::NaiveDate;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::pricing::v1 as pricing;
use kumppani_proto::r#type::v1::{Date, ServiceLine};
use std::future::Future;
use std::time::{Duration, Instant};

/// Today in Europe/Helsinki (DST-correct: the same rule the services use).
pub fn today() -> NaiveDate {
    kumppani_platform::convert::today_helsinki()
}

/// The proto date of a civil date.
pub fn date(d: NaiveDate) -> Date {
    Date::from_naive(d)
}

/// Polls `check` every 100 ms until it returns true; fails the test with
/// `what` when `timeout` passes first (never carries on silently).
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Agreement terms with both responsible persons (enough to sign).
pub fn terms() -> contracts::AgreementTerms {
    contracts::AgreementTerms {
        customer_responsible: "Liisa Asiakas".into(),
        enterprise_responsible: "Pekka Tuottaja".into(),
        communication_duties: "Tuottaja tiedottaa kohteita.".into(),
        tendering_duties: "Tuottaja valmistelee.".into(),
        development_items: "Hävikin vähentäminen".into(),
        change_handling: "Muutostilaukset kirjallisesti.".into(),
    }
}

/// A price whose three components sum to it.
pub fn price(product: &str, raw: &str, labour: &str, other: &str) -> pricing::Price {
    let total: rust_decimal::Decimal = [raw, labour, other].iter().map(|a| a.parse::<rust_decimal::Decimal>().unwrap()).sum();
    let c = |k: pricing::CostComponentKind, a: &str| pricing::CostComponent { kind: k as i32, amount: a.into() };
    pricing::Price {
        product_code: product.into(),
        unit_price: total.to_string(),
        components: vec![
            c(pricing::CostComponentKind::RawMaterials, raw),
            c(pricing::CostComponentKind::Labour, labour),
            c(pricing::CostComponentKind::Administration, other),
        ],
    }
}

impl TestEnv {
    /// `GET /api/v1<path>` with a bearer token, the answer as JSON (any status).
    pub async fn rest_json(&self, path: &str, token: &str) -> serde_json::Value {
        reqwest::Client::new().get(format!("{}/api/v1{path}", self.http)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
    }

    /// How many events of `event_type` (e.g. `ordering.delivery.confirmed`) a service's outbox holds.
    pub async fn outbox_count(&self, schema: &str, event_type: &str) -> i64 {
        use sqlx::ConnectOptions;
        let mut conn = self.db_url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {schema}.outbox WHERE event_type = $1")))
            .bind(event_type)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    /// A customer of `kind` (name "Asiakas <code>", partnership stage exploration).
    pub async fn customer(&mut self, code: &str, kind: contracts::CustomerKind, business_id: &str) -> contracts::Customer {
        let t = self.staff();
        let req = contracts::CreateCustomerRequest {
            code: code.into(),
            name: format!("Asiakas {code}"),
            kind: kind as i32,
            business_id: business_id.into(),
            segment: "Opetus".into(),
            partnership_stage: contracts::PartnershipStage::Exploration as i32,
        };
        self.client.create_customer(self.req(req, &t)).await.unwrap().into_inner()
    }

    /// An internal (city) customer, the usual case.
    pub async fn internal_customer(&mut self, code: &str) -> contracts::Customer {
        self.customer(code, contracts::CustomerKind::InternalServiceArea, "0187690-1").await
    }

    /// A site of `kind` in Oulu ("Kohde <code>", 1000 m², 100 meals a day).
    pub async fn site(&mut self, customer_id: &str, code: &str, kind: contracts::SiteKind) -> contracts::Site {
        let t = self.staff();
        let req = contracts::CreateSiteRequest {
            customer_id: customer_id.into(),
            code: code.into(),
            name: format!("Kohde {code}"),
            kind: kind as i32,
            street_address: "Tie 1".into(),
            postal_code: "90100".into(),
            city: "Oulu".into(),
            floor_area_m2: "1000".into(),
            meals_per_day: 100,
            ..Default::default()
        };
        self.client.create_site(self.req(req, &t)).await.unwrap().into_inner()
    }

    /// An agreement of `year` with `lines` at `sites` (service level "Perustaso"),
    /// moved to negotiation and, with `sign`, signed today.
    pub async fn agreement(
        &mut self,
        customer_id: &str,
        year: i32,
        sites: &[&str],
        lines: &[ServiceLine],
        sign: bool,
    ) -> contracts::Agreement {
        let t = self.staff();
        let create = contracts::CreateAgreementRequest { customer_id: customer_id.into(), year, terms: Some(terms()) };
        let a = self.client.create_agreement(self.req(create, &t)).await.unwrap().into_inner();
        for line in lines {
            let site_levels = sites
                .iter()
                .map(|s| contracts::SiteServiceLevel { site_id: (*s).into(), site_name: String::new(), service_level: "Perustaso".into() })
                .collect();
            let add = contracts::AddAgreementLineRequest {
                agreement_id: a.id.clone(),
                service_line: *line as i32,
                site_levels,
                ..Default::default()
            };
            self.client.add_agreement_line(self.req(add, &t)).await.unwrap();
        }
        let to = |s: contracts::AgreementStatus, on: Option<Date>| contracts::TransitionAgreementRequest {
            id: a.id.clone(),
            to: s as i32,
            signed_on: on,
            ..Default::default()
        };
        let mut a = self.client.transition_agreement(self.req(to(contracts::AgreementStatus::Negotiation, None), &t)).await.unwrap();
        if sign {
            a = self.client.transition_agreement(self.req(to(contracts::AgreementStatus::Signed, Some(date(today()))), &t)).await.unwrap();
        }
        a.into_inner()
    }

    /// A published price list of `year` (first version, or a correction from
    /// `effective_from`), approved by the customer group today.
    pub async fn published_price_list(&mut self, year: i32, prices: &[pricing::Price], effective_from: Option<Date>) -> pricing::PriceList {
        let t = self.staff();
        let create = pricing::CreatePriceListRequest { year, effective_from, note: String::new() };
        let list = self.pricing.create_price_list(self.req(create, &t)).await.unwrap().into_inner();
        for p in prices {
            let set = pricing::SetListPriceRequest { price_list_id: list.id.clone(), price: Some(p.clone()) };
            self.pricing.set_list_price(self.req(set, &t)).await.unwrap();
        }
        let mut last = list;
        for (to, on, reference) in [
            (pricing::PriceListStatus::Proposed, None, ""),
            (pricing::PriceListStatus::Approved, Some(date(today())), "Asiakkuusryhmä 4/2026"),
            (pricing::PriceListStatus::Published, None, ""),
        ] {
            let step = pricing::TransitionPriceListRequest {
                id: last.id.clone(),
                to: to as i32,
                group_approved_on: on,
                group_approval_ref: reference.into(),
            };
            last = self.pricing.transition_price_list(self.req(step, &t)).await.unwrap().into_inner();
        }
        last
    }
}

// ---------- the ordering world ----------

pub fn d(day: chrono::NaiveDate) -> pb::Date {
    date(day)
}

/// A service day next spring: far from any cut-off.
pub fn far_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(today().year() + 1, 3, 2).unwrap()
}

pub struct World {
    pub customer: String,
    pub site: String,
    pub other_site: String,
    pub unsigned_site: String,
    /// A care home: open every day, holidays included.
    pub care_home: String,
}

/// A customer with three daycares and a care home: meals and cleaning at the
/// first two daycares and the care home this year, meals next year, the third
/// daycare only in an unsigned agreement; a published
/// catalogue of next year; ordering's projections caught up.
pub async fn world(env: &mut TestEnv) -> World {
    let customer = env.customer("ORD", contracts::CustomerKind::InternalServiceArea, "0187690-1").await.id;
    let mut sites = Vec::new();
    for code_ in ["ORD-1", "ORD-2", "ORD-3"] {
        sites.push(env.site(&customer, code_, contracts::SiteKind::Daycare).await.id);
    }
    let (site, other_site, unsigned_site) = (sites[0].clone(), sites[1].clone(), sites[2].clone());
    let care_home = env.site(&customer, "ORD-4", contracts::SiteKind::CareHome).await.id;
    let year = today().year();
    env.agreement(&customer, year, &[&site, &other_site, &care_home], &[ServiceLine::Meals, ServiceLine::Cleaning], true).await;
    env.agreement(&customer, year + 1, &[&site, &other_site, &care_home], &[ServiceLine::Meals], true).await;
    // The catalogue reaches ordering through pricing's published list.
    catalogue(env, year + 1, &site, &["LOUNAS-PK", "VALIPALA", "LISASIIVOUS"], &["LOUNAS-PK"]).await;
    World { customer, site, other_site, unsigned_site, care_home }
}

/// Publishes a price list of `year` with `codes` at 3.00 € (all labour) and
/// waits until ordering's order week of `site` offers every product of `offered`.
pub async fn catalogue(env: &mut TestEnv, year: i32, site: &str, codes: &[&str], offered: &[&str]) {
    let c = |k: pricing::CostComponentKind, a: &str| pricing::CostComponent { kind: k as i32, amount: a.into() };
    let prices: Vec<pricing::Price> = codes
        .iter()
        .map(|code| pricing::Price {
            product_code: (*code).into(),
            unit_price: "3.00".into(),
            components: vec![c(pricing::CostComponentKind::Labour, "3.00")],
        })
        .collect();
    env.published_price_list(year, &prices, None).await;
    let t = env.staff();
    let week = pb::GetOrderWeekRequest { site_id: site.into(), day: Some(d(far_day())) };
    wait_until("ordering's projections have the agreements and the catalogue", Duration::from_secs(30), || {
        let (mut client, req) = (env.ordering.clone(), env.req(week.clone(), &t));
        async move {
            client.get_order_week(req).await.is_ok_and(|w| offered.iter().all(|c| w.get_ref().products.iter().any(|p| p.code == *c)))
        }
    })
    .await;
}

/// The first working day after today (its meal cut-off has always passed).
pub fn next_working_day() -> chrono::NaiveDate {
    let mut day = today() + chrono::Duration::days(1);
    while !kumppani_platform::calendar::is_working_day(day) {
        day += chrono::Duration::days(1);
    }
    day
}

pub fn line(site: &str, day: chrono::NaiveDate, product: &str, diet: &str, quantity: i32) -> pb::OrderLine {
    pb::OrderLine { site_id: site.into(), service_day: Some(d(day)), product_code: product.into(), diet: diet.into(), quantity }
}
