//! `kumppani`: one binary, one image. `kumppani dev` runs the whole platform
//! with demo data; `kumppani serve <service>` runs one service (one Kubernetes
//! Deployment each); `kumppani migrate <service>` prepares its schema and role.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kumppani::infra::Infra;
use kumppani::{Listeners, Platform, PlatformOptions, ServiceKind};
use kumppani_platform::config::{var_opt, var_or};
use kumppani_platform::service::ServiceConfig;
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
    /// Serve one service (one Kubernetes Deployment each).
    Serve {
        #[arg(value_enum)]
        service: ServiceKind,
    },
    /// Create the service's schema and role (admin URL in KUMPPANI_ADMIN_DATABASE_URL or DATABASE_URL) and migrate it.
    Migrate {
        #[arg(value_enum)]
        target: MigrateTarget,
    },
    /// Seed the whole demo city (registry, prices, orders) into a migrated database (DATABASE_URL = admin URL).
    Seed,
    /// Print performance figures (e.g. `kumppani bench pricing`); build with --release for real numbers.
    Bench {
        /// What to measure: pricing.
        what: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

/// What `kumppani migrate` prepares: one backend, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MigrateTarget {
    Contracts,
    Pricing,
    Ordering,
    Feedback,
    Invoicing,
    All,
}

impl MigrateTarget {
    fn services(self) -> Vec<ServiceKind> {
        match self {
            Self::Contracts => vec![ServiceKind::Contracts],
            Self::Pricing => vec![ServiceKind::Pricing],
            Self::Ordering => vec![ServiceKind::Ordering],
            Self::Feedback => vec![ServiceKind::Feedback],
            Self::Invoicing => vec![ServiceKind::Invoicing],
            Self::All => ServiceKind::BACKENDS.to_vec(),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let name = match &cli.command {
        Command::Serve { service } => format!("kumppani-{}", service.name()),
        _ => "kumppani".to_owned(),
    };
    let _telemetry = kumppani_platform::telemetry::init(&name)?;
    match cli.command {
        Command::Dev { no_seed } => dev(!no_seed).await,
        Command::Serve { service } => serve(service).await,
        Command::Migrate { target } => migrate(target).await,
        Command::Bench { what, runs } => match what.as_str() {
            "pricing" => kumppani::bench::pricing(runs).await,
            "ordering" => kumppani::bench::ordering(runs.max(1) * 4).await,
            "relay" => kumppani::bench::relay(runs.max(1) * 20_000).await,
            "invoicing" => kumppani::bench_invoicing::invoicing().await,
            "feedback" => kumppani::bench_feedback::feedback().await,
            other => anyhow::bail!("unknown benchmark {other:?}; available: pricing, ordering, relay, invoicing, feedback"),
        },
        Command::Seed => {
            let url = var_or("DATABASE_URL", kumppani_platform::config::DEFAULT_DATABASE_URL);
            let report = kumppani_demo::seed_all(&url).await?;
            println!("{report:?}");
            Ok(())
        }
    }
}

async fn serve(service: ServiceKind) -> anyhow::Result<()> {
    let shutdown = kumppani_platform::Shutdown::new();
    let signal = {
        let s = shutdown.clone();
        tokio::spawn(async move {
            kumppani_platform::shutdown_signal().await;
            tracing::info!("shutting down");
            s.cancel();
        })
    };
    let result = match service.spec() {
        Some(spec) => {
            let config = ServiceConfig::from_env(&spec)?;
            let listener = kumppani_platform::grpc::bind(config.grpc_addr).await?;
            service.run(config, listener, shutdown).await
        }
        None => {
            let config = kumppani_gateway::Config::from_env()?;
            let listener = kumppani_platform::grpc::bind(config.http_addr).await?;
            let state = kumppani_gateway::AppState::new(config)?;
            kumppani_gateway::serve(state, None, listener, shutdown).await
        }
    };
    signal.abort();
    result
}

async fn migrate(target: MigrateTarget) -> anyhow::Result<()> {
    let admin = var_opt("KUMPPANI_ADMIN_DATABASE_URL")
        .or_else(|| var_opt("DATABASE_URL"))
        .context("set KUMPPANI_ADMIN_DATABASE_URL (or DATABASE_URL) to an admin connection")?;
    // In production the service role gets the password from its own secret.
    let password = var_opt("KUMPPANI_SERVICE_DB_PASSWORD");
    for kind in target.services() {
        let spec = kind.spec().context("a backend has a spec")?;
        let mut conn = {
            use sqlx::ConnectOptions;
            admin.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?
        };
        kumppani_platform::db::provision(&mut conn, spec.name, password.as_deref()).await?;
        kumppani_platform::db::migrate(&mut conn, spec.name, spec.migrator).await?;
        println!("migrated {}", spec.name);
    }
    Ok(())
}

async fn dev(seed: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let infra = tokio::task::spawn_blocking(Infra::start).await??;
    let listeners = Listeners::from_env().await?;
    let public_url = var_or("KUMPPANI_PUBLIC_URL", &format!("http://127.0.0.1:{}", listeners.http.local_addr()?.port()));
    let database_url = match var_opt("DATABASE_URL") {
        // An explicit URL names the database to use.
        Some(url) => url,
        None => infra.database_url("kumppani")?,
    };
    let platform = Platform::start(PlatformOptions {
        database_url,
        nats_url: infra.nats_url.clone(),
        nats_prefix: var_or("KUMPPANI_NATS_PREFIX", "kumppani"),
        listeners,
        public_url: public_url.clone(),
        seed,
        sessions: kumppani_gateway::SessionLimits::from_env()?,
        invoicing: None,
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
    let grpc: Vec<String> = platform.grpc.iter().map(|(kind, addr)| format!("{} at {addr}", kind.name())).collect();
    println!("  gRPC:          {} (reflection enabled)", grpc.join(", "));
    println!("  identity:      {public_url}/dev-idp  (dev only: OIDC discovery, password grant: password \"demo\")");
    println!("  PostgreSQL:    {}", redact(&infra.admin_url));
    println!("  NATS:          {}", infra.nats_url);
    println!("  demo logins (click on the sign-in page):");
    for u in platform.issuer.users() {
        println!("    {:<22} {}", u.username, u.description);
    }
    println!("  system client: ordering-system / dev-ordering-secret (client_credentials)");
    println!("  The demo logins and this secret are dev-only: `kumppani serve` mounts no issuer (no password grant)");
    println!("  and never prints a secret.");
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
