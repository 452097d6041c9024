//! `kumppani`: one binary, one image. `kumppani dev` runs the whole platform
//! with demo data; `kumppani serve <service>` runs one service (one Kubernetes
//! Deployment each); `kumppani migrate <service>` prepares its schema and role.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kumppani::infra::Infra;
use kumppani::{IMPLEMENTED, Platform, PlatformOptions, SERVICES};
use kumppani_platform::config::{parse_or, var_opt, var_or};
use std::net::SocketAddr;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "kumppani", version, about = "Kumppani: the partnership platform of a city's meal and cleaning producer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything in one process with a seeded demo city (uses DATABASE_URL / NATS_URL when set,
    /// otherwise starts a throwaway PostgreSQL and nats-server).
    Dev {
        /// Do not seed the demo city.
        #[arg(long)]
        no_seed: bool,
    },
    /// Serve one service: contracts, pricing, ordering, feedback, invoicing or gateway.
    Serve { service: String },
    /// Create the service's schema and role (admin URL in KUMPPANI_ADMIN_DATABASE_URL or DATABASE_URL) and migrate it.
    Migrate { service: String },
    /// Seed the demo city into an existing database (DATABASE_URL = admin URL).
    Seed,
    /// Print performance figures (e.g. `kumppani bench pricing`); build with --release for real numbers.
    Bench {
        /// What to measure: pricing.
        what: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn check_service(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(SERVICES.contains(&name), "unknown service {name:?}; known: {}", SERVICES.join(", "));
    anyhow::ensure!(IMPLEMENTED.contains(&name), "service {name:?} is not implemented yet; available: {}", IMPLEMENTED.join(", "));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let name = match &cli.command {
        Command::Serve { service } => format!("kumppani-{service}"),
        _ => "kumppani".to_owned(),
    };
    let _telemetry = kumppani_platform::telemetry::init(&name)?;
    match cli.command {
        Command::Dev { no_seed } => dev(!no_seed).await,
        Command::Serve { service } => serve(&service).await,
        Command::Migrate { service } => migrate(&service).await,
        Command::Bench { what, runs } => match what.as_str() {
            "pricing" => kumppani::bench::pricing(runs).await,
            "ordering" => kumppani::bench::ordering(runs.max(1) * 4).await,
            other => anyhow::bail!("unknown benchmark {other:?}; available: pricing, ordering"),
        },
        Command::Seed => {
            let url = var_or("DATABASE_URL", kumppani_platform::config::DEFAULT_DATABASE_URL);
            let pool = kumppani_platform::db::connect_as_service(&url, kumppani_contracts::SCHEMA, true, 2).await?;
            let report = kumppani_contracts::seed::seed(&pool).await?;
            println!("{report:?}");
            Ok(())
        }
    }
}

async fn serve(service: &str) -> anyhow::Result<()> {
    check_service(service)?;
    let shutdown = kumppani_platform::Shutdown::new();
    let signal = {
        let s = shutdown.clone();
        tokio::spawn(async move {
            kumppani_platform::shutdown_signal().await;
            tracing::info!("shutting down");
            s.cancel();
        })
    };
    let result = match service {
        "contracts" => {
            let config = kumppani_contracts::Config::from_env()?;
            let listener = kumppani_platform::grpc::bind(config.grpc_addr).await?;
            kumppani_contracts::run(config, listener, shutdown).await
        }
        "pricing" => {
            let config = kumppani_pricing::Config::from_env()?;
            let listener = kumppani_platform::grpc::bind(config.grpc_addr).await?;
            kumppani_pricing::run(config, listener, shutdown).await
        }
        "ordering" => {
            let config = kumppani_ordering::Config::from_env()?;
            let listener = kumppani_platform::grpc::bind(config.grpc_addr).await?;
            kumppani_ordering::run(config, listener, shutdown).await
        }
        "gateway" => {
            let config = kumppani_gateway::Config::from_env()?;
            let listener = kumppani_platform::grpc::bind(config.http_addr).await?;
            let state = kumppani_gateway::AppState::new(config)?;
            kumppani_gateway::serve(state, None, listener, shutdown).await
        }
        other => anyhow::bail!("service {other:?} is not implemented yet"),
    };
    signal.abort();
    result
}

async fn migrate(service: &str) -> anyhow::Result<()> {
    let targets: Vec<&str> = if service == "all" { IMPLEMENTED.to_vec() } else { vec![service] };
    for s in targets {
        check_service(s)?;
        if s == "gateway" {
            continue; // The gateway owns no data.
        }
        let admin = var_opt("KUMPPANI_ADMIN_DATABASE_URL")
            .or_else(|| var_opt("DATABASE_URL"))
            .context("set KUMPPANI_ADMIN_DATABASE_URL (or DATABASE_URL) to an admin connection")?;
        // In production the service role gets the password from its own secret.
        let password = var_opt("KUMPPANI_SERVICE_DB_PASSWORD");
        let mut conn = {
            use sqlx::ConnectOptions;
            admin.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?
        };
        kumppani_platform::db::provision(&mut conn, s, password.as_deref()).await?;
        let migrator = match s {
            "pricing" => &kumppani_pricing::MIGRATOR,
            "ordering" => &kumppani_ordering::MIGRATOR,
            _ => &kumppani_contracts::MIGRATOR,
        };
        kumppani_platform::db::migrate(&mut conn, s, migrator).await?;
        println!("migrated {s}");
    }
    Ok(())
}

async fn dev(seed: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let infra = tokio::task::spawn_blocking(Infra::start).await??;
    let http_addr: SocketAddr = parse_or("KUMPPANI_HTTP_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
    let grpc_addr: SocketAddr = parse_or("KUMPPANI_GRPC_ADDR", SocketAddr::from(([127, 0, 0, 1], 50051)))?;
    let pricing_addr: SocketAddr = parse_or("KUMPPANI_PRICING_GRPC_ADDR", SocketAddr::from(([127, 0, 0, 1], 50052)))?;
    let ordering_addr: SocketAddr = parse_or("KUMPPANI_ORDERING_GRPC_ADDR", SocketAddr::from(([127, 0, 0, 1], 50053)))?;
    let public_url = var_or("KUMPPANI_PUBLIC_URL", &format!("http://127.0.0.1:{}", http_addr.port()));
    let database_url = match var_opt("DATABASE_URL") {
        // An explicit URL names the database to use.
        Some(url) => url,
        None => infra.database_url("kumppani")?,
    };
    let platform = Platform::start(PlatformOptions {
        database_url,
        nats_url: infra.nats_url.clone(),
        nats_prefix: var_or("KUMPPANI_NATS_PREFIX", "kumppani"),
        grpc_listener: kumppani_platform::grpc::bind(grpc_addr).await?,
        pricing_listener: kumppani_platform::grpc::bind(pricing_addr).await?,
        ordering_listener: kumppani_platform::grpc::bind(ordering_addr).await?,
        http_listener: kumppani_platform::grpc::bind(http_addr).await?,
        public_url: public_url.clone(),
        seed,
    })
    .await?;
    platform.wait_ready(std::time::Duration::from_secs(60)).await?;
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.trim_start_matches("VmRSS:").trim().to_owned()))
        .unwrap_or_default();
    println!();
    println!("Kumppani is running (ready in {:.1} s, RSS {rss}).", started.elapsed().as_secs_f64());
    if let Some(r) = &platform.seed_report {
        if r.already_seeded {
            println!("  demo city: already seeded");
        } else {
            println!("  demo city: {} customers, {} sites, {} contacts, {} agreements", r.customers, r.sites, r.contacts, r.agreements);
        }
    }
    println!("  portal:        {public_url}/portal/");
    println!("  REST API:      {public_url}/api/v1  (OpenAPI: {public_url}/api/v1/openapi.json)");
    println!("  gRPC:          contracts at {grpc_addr}, pricing at {pricing_addr}, ordering at {ordering_addr} (reflection enabled)");
    println!("  identity:      {public_url}/dev-idp  (OIDC discovery, password grant: password \"demo\")");
    println!("  PostgreSQL:    {}", redact(&infra.admin_url));
    println!("  NATS:          {}", infra.nats_url);
    println!("  demo logins (click on the sign-in page):");
    for u in platform.issuer.users() {
        println!("    {:<22} {}", u.username, u.description);
    }
    println!("  system client: ordering-system / dev-ordering-secret (client_credentials)");
    println!("Press Ctrl-C to stop.");
    let shutdown = platform.shutdown.clone();
    tokio::spawn(async move {
        kumppani_platform::shutdown_signal().await;
        shutdown.cancel();
    });
    let result = platform.run_until_stopped().await;
    drop(infra);
    result
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
