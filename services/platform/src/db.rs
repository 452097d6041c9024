//! PostgreSQL: every service owns one schema and, in production, connects as
//! its own role that has no rights on any other schema.
//!
//! * [`provision`] (admin connection) creates the role `kumppani_<service>` and
//!   the schema `<service>` owned by it, and revokes PUBLIC's rights on it.
//! * [`migrate`] runs the platform's migrations (outbox, inbox, actors) and the
//!   service's own, with the migration history inside the schema, under an
//!   advisory lock keyed on the schema, as the service role.
//! * [`connect_as_service`] opens the service's pool; with an admin URL (dev,
//!   tests) it derives the role's URL so the ownership rule is really exercised.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, PgConnection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Name of the role a service connects as.
pub fn role_name(schema: &str) -> String {
    format!("kumppani_{schema}")
}

fn check_ident(s: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "not a safe SQL identifier: {s:?}"
    );
    Ok(())
}

/// Creates the database named in `admin_url` if it does not exist (dev and tests).
pub async fn ensure_database(admin_url: &str) -> anyhow::Result<()> {
    let opts = PgConnectOptions::from_str(admin_url)?;
    let db = opts.get_database().unwrap_or("postgres").to_owned();
    check_ident(&db)?;
    let mut conn = opts.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)").bind(&db).fetch_one(&mut conn).await?;
    if !exists {
        match conn.execute(AssertSqlSafe(format!("CREATE DATABASE {db}"))).await {
            Ok(_) => {}
            // Someone else created it concurrently.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

/// Creates the service's role and schema (idempotent). Runs as an admin.
pub async fn provision(admin: &mut PgConnection, schema: &str, password: Option<&str>) -> anyhow::Result<()> {
    check_ident(schema)?;
    let role = role_name(schema);
    // Roles are cluster-wide; parallel tests may race to create the same one.
    for attempt in 0..5 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)").bind(&role).fetch_one(&mut *admin).await?;
        if exists {
            break;
        }
        match admin.execute(AssertSqlSafe(format!("CREATE ROLE {role} LOGIN NOINHERIT"))).await {
            Ok(_) => break,
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42710" | "23505")) && attempt < 4 => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(pw) = password {
        // ALTER ROLE cannot take bind parameters; quote the literal.
        let quoted = pw.replace('\'', "''");
        admin.execute(AssertSqlSafe(format!("ALTER ROLE {role} PASSWORD '{quoted}'"))).await?;
    }
    let db: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&mut *admin).await?;
    // Serialise concurrent provisioning of the same schema in this database.
    let mut tx = admin.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('kumppani-provision'))").execute(&mut *tx).await?;
    tx.execute(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}"))).await?;
    tx.execute(AssertSqlSafe(format!("REVOKE ALL ON SCHEMA {schema} FROM PUBLIC"))).await?;
    tx.execute(AssertSqlSafe(format!("GRANT CONNECT ON DATABASE {db} TO {role}"))).await?;
    tx.execute(AssertSqlSafe(format!("REVOKE CREATE ON SCHEMA public FROM {role}"))).await?;
    tx.commit().await?;
    Ok(())
}

static PLATFORM_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the platform's and then the service's migrations inside `schema`, as the
/// service role, under an advisory lock keyed on the schema.
pub async fn migrate(admin: &mut PgConnection, schema: &str, service: &sqlx::migrate::Migrator) -> anyhow::Result<()> {
    check_ident(schema)?;
    let role = role_name(schema);
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))").bind(format!("kumppani-migrate-{schema}")).execute(&mut *admin).await?;
    let result = async {
        admin.execute(AssertSqlSafe(format!("SET ROLE {role}; SET search_path TO {schema}"))).await?;
        let mut platform = clone_migrator(&PLATFORM_MIGRATIONS);
        platform.dangerous_set_table_name(format!("{schema}._kumppani_platform_migrations"));
        platform.set_locking(false);
        platform.run(&mut *admin).await?;
        let mut own = clone_migrator(service);
        own.dangerous_set_table_name(format!("{schema}._sqlx_migrations"));
        own.set_locking(false);
        own.run(&mut *admin).await?;
        anyhow::Ok(())
    }
    .await;
    admin.execute("RESET ROLE; RESET search_path").await?;
    sqlx::query("SELECT pg_advisory_unlock(hashtext($1))").bind(format!("kumppani-migrate-{schema}")).execute(&mut *admin).await?;
    result
}

fn clone_migrator(m: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator::with_migrations(m.iter().cloned().collect())
}

/// Provisions and migrates a service's schema from an admin URL (used by
/// `kumppani migrate`, `kumppani dev` and the tests).
pub async fn setup_service_schema(admin_url: &str, schema: &str, service: &sqlx::migrate::Migrator) -> anyhow::Result<()> {
    let mut admin = PgConnectOptions::from_str(admin_url)?.connect().await?;
    provision(&mut admin, schema, None).await?;
    migrate(&mut admin, schema, service).await?;
    admin.close().await?;
    Ok(())
}

/// URL of the service role derived from an admin URL: same host and database,
/// user `kumppani_<schema>` (trust or peer auth in dev and tests).
pub fn service_options(url: &str, schema: &str, as_role: bool) -> anyhow::Result<PgConnectOptions> {
    let mut opts = PgConnectOptions::from_str(url)?;
    if as_role {
        opts = opts.username(&role_name(schema));
    }
    Ok(opts.options([("search_path", schema)]).application_name(&format!("kumppani-{schema}")))
}

/// How long a request waits for a free pooled connection before it is told the
/// service is busy (`KUMPPANI_DB_ACQUIRE_TIMEOUT_MS`, see [`crate::config::CommonConfig`]).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the service's pool with the default acquire timeout (demo seeding,
/// benchmarks, tests). `as_role = true` replaces the URL's user with the
/// service role (dev and tests); in production the URL already names it.
pub async fn connect_as_service(url: &str, schema: &str, as_role: bool, max: u32) -> anyhow::Result<PgPool> {
    connect_pool(url, schema, as_role, max, DEFAULT_ACQUIRE_TIMEOUT).await
}

/// Opens the service's pool: at most `max` connections; a request that finds
/// them all busy for `acquire_timeout` fails as `Overloaded` (503 + Retry-After
/// / RESOURCE_EXHAUSTED), not as "database unavailable".
pub async fn connect_pool(url: &str, schema: &str, as_role: bool, max: u32, acquire_timeout: Duration) -> anyhow::Result<PgPool> {
    let opts = service_options(url, schema, as_role)?;
    Ok(PgPoolOptions::new().max_connections(max).acquire_timeout(acquire_timeout).connect_with(opts).await?)
}
