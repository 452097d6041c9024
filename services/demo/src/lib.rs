//! The demo city of Kumppani: an Oulu-like customer base ([`city`]), its prices
//! ([`prices`]), standing orders, deliveries and budgets, and the demo people
//! and system clients who sign in through the dev issuer ([`users`]).
//!
//! Only the `kumppani` binary (`dev`, `seed`, `bench`) and the tests depend on
//! this crate; no service crate does, so no demo code ships in a service's
//! production path. The generators are std-only and deterministic; every demo
//! entity's id comes from one scheme ([`ids::demo_id`]), so seeding is
//! idempotent and the dev issuer knows the demo users' scopes without a database.
//!
//! Seeding goes through each service's own schema, role and outbox (the
//! `contracts`, `pricing` and `ordering` modules), so the other services learn
//! the demo city from events exactly as they learn real data.

pub mod annexes;
pub mod announcements;
pub mod billing;
pub mod city;
pub mod contracts;
pub mod deliveries;
pub mod feedback;
pub mod ids;
pub mod invoicing;
pub mod ordering;
pub mod partnership;
pub mod prices;
pub mod pricing;
pub mod survey;
pub mod users;

pub use contracts::SeedReport;
pub use ids::demo_id;

use kumppani_platform::db::connect_as_service;
use sqlx::PgPool;

/// Registers the display name of [`users::SEED_SUBJECT`] in the service's
/// `actors` (also when the data is already seeded), so reads and the events the
/// seed writes name a person, not `demo-seed`.
async fn name_seed_actor(pool: &PgPool, service: &str) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    kumppani_platform::actors::remember_name(&mut conn, users::SEED_SUBJECT, &users::seed_actor_name(service)).await?;
    Ok(())
}

/// Seeds the whole demo city into the platform database at `admin_url`
/// (registry and agreements, then prices, then orders), each as its service's
/// role. Idempotent.
pub async fn seed_all(admin_url: &str) -> anyhow::Result<SeedReport> {
    let pool = connect_as_service(admin_url, kumppani_contracts::SCHEMA, true, 2).await?;
    name_seed_actor(&pool, kumppani_contracts::SCHEMA).await?;
    let report = contracts::seed(&pool).await?;
    partnership::seed(&pool, &kumppani_platform::config::var_or("KUMPPANI_PUBLIC_URL", "http://127.0.0.1:8080")).await?;
    pool.close().await;
    let pool = connect_as_service(admin_url, kumppani_pricing::SCHEMA, true, 2).await?;
    name_seed_actor(&pool, kumppani_pricing::SCHEMA).await?;
    pricing::seed(&pool).await?;
    pool.close().await;
    let pool = connect_as_service(admin_url, kumppani_ordering::SCHEMA, true, 2).await?;
    name_seed_actor(&pool, kumppani_ordering::SCHEMA).await?;
    ordering::seed(&pool).await?;
    pool.close().await;
    let pool = connect_as_service(admin_url, kumppani_invoicing::SCHEMA, true, 2).await?;
    name_seed_actor(&pool, kumppani_invoicing::SCHEMA).await?;
    let mut conn = pool.acquire().await?;
    deliveries::seed_invoicing_projection(&mut conn, &deliveries::past_deliveries(&city::demo_city())).await?;
    drop(conn);
    pool.close().await;
    Ok(report)
}
