//! Test harness: every test gets its own database and NATS subject prefix (so
//! tests run in parallel) on the real PostgreSQL and NATS JetStream, found the
//! same way `kumppani dev` finds them (DATABASE_URL / NATS_URL, else throwaway servers).
#![allow(dead_code, clippy::unwrap_used)]

pub mod export;
pub mod fixtures;
pub mod portal;
pub mod smtp;

#[allow(unused_imports)]
pub use fixtures::{date, today, wait_until};

use kumppani::infra::Infra;
use kumppani::{Listeners, Platform, PlatformOptions, ServiceKind};
use kumppani_proto::contracts::v1::contracts_service_client::ContractsServiceClient;
use kumppani_proto::contracts::v1::partnership_service_client::PartnershipServiceClient;
use kumppani_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use kumppani_proto::invoicing::v1::invoicing_service_client::InvoicingServiceClient;
use kumppani_proto::ordering::v1::ordering_service_client::OrderingServiceClient;
use kumppani_proto::pricing::v1::pricing_service_client::PricingServiceClient;
use std::sync::OnceLock;
use tonic::transport::Channel;

static INFRA: OnceLock<Infra> = OnceLock::new();

pub fn infra() -> &'static Infra {
    INFRA.get_or_init(|| Infra::start().expect("PostgreSQL and NATS for the tests"))
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

pub struct TestEnv {
    pub platform: Option<Platform>,
    pub db_name: String,
    pub db_url: String,
    pub prefix: String,
    pub http: String,
    pub client: ContractsServiceClient<Channel>,
    pub pricing: PricingServiceClient<Channel>,
    pub ordering: OrderingServiceClient<Channel>,
    pub invoicing: InvoicingServiceClient<Channel>,
    pub feedback: FeedbackServiceClient<Channel>,
    /// The contracts service's partnership API (annual calendar, disputes).
    pub partnership: PartnershipServiceClient<Channel>,
}

impl TestEnv {
    pub async fn start(seed: bool) -> Self {
        Self::start_with(seed, kumppani_gateway::SessionLimits::default()).await
    }

    /// A platform whose portal sessions have these limits.
    pub async fn start_with(seed: bool, sessions: kumppani_gateway::SessionLimits) -> Self {
        Self::start_full(seed, sessions, None).await
    }

    /// An unseeded platform whose invoicing writes export batches to `sink`
    /// (given to the service, not through the process environment: tests run in parallel).
    pub async fn start_exporting_to(sink: kumppani_invoicing::export::sink::ExportSink) -> Self {
        Self::start_full(false, kumppani_gateway::SessionLimits::default(), Some(kumppani_invoicing::Config { export: sink })).await
    }

    async fn start_full(seed: bool, sessions: kumppani_gateway::SessionLimits, invoicing: Option<kumppani_invoicing::Config>) -> Self {
        let infra = infra();
        let db_name = unique("kt_");
        let db_url = infra.database_url(&db_name).unwrap();
        let prefix = unique("t");
        let listeners = Listeners::ephemeral().await.unwrap();
        let http = format!("http://{}", listeners.http.local_addr().unwrap());
        let platform = Platform::start(PlatformOptions {
            database_url: db_url.clone(),
            nats_url: infra.nats_url.clone(),
            nats_prefix: prefix.clone(),
            listeners,
            public_url: http.clone(),
            seed,
            sessions,
            invoicing,
        })
        .await
        .unwrap();
        platform.wait_ready(std::time::Duration::from_secs(60)).await.unwrap();
        let client = ContractsServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Contracts))).await.unwrap();
        let pricing = PricingServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Pricing)))
            .await
            .unwrap()
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        let ordering = OrderingServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Ordering)))
            .await
            .unwrap()
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        let invoicing = InvoicingServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Invoicing)))
            .await
            .unwrap()
            .max_decoding_message_size(64 * 1024 * 1024);
        let feedback = FeedbackServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Feedback)))
            .await
            .unwrap()
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        let partnership = PartnershipServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Contracts))).await.unwrap();
        Self { platform: Some(platform), db_name, db_url, prefix, http, client, pricing, ordering, invoicing, feedback, partnership }
    }

    pub fn issuer(&self) -> &kumppani_platform::auth::dev_issuer::DevIssuer {
        &self.platform.as_ref().unwrap().issuer
    }

    pub fn token(&self, username: &str) -> String {
        self.issuer().token_for_user(username).unwrap()
    }

    pub fn staff(&self) -> String {
        self.token("staff")
    }

    /// A gRPC request with a bearer token.
    pub fn req<T>(&self, message: T, token: &str) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    }

    pub async fn nats(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(async_nats::connect(&infra().nats_url).await.unwrap())
    }

    /// Stops the platform and drops the test database and streams.
    pub async fn cleanup(mut self) {
        if let Some(p) = self.platform.take() {
            p.stop().await.unwrap();
        }
        drop_database(&self.db_name).await;
        let js = self.nats().await;
        for s in ["contracts", "pricing", "ordering", "feedback", "invoicing", "deadletter"] {
            let _ = js.delete_stream(kumppani_platform::nats::stream_name(&self.prefix, s)).await;
        }
        let _ = js.delete_key_value(kumppani_gateway::session_store::bucket_name(&self.prefix)).await;
    }
}

pub async fn drop_database(name: &str) {
    use sqlx::{ConnectOptions, Executor};
    let admin: sqlx::postgres::PgConnectOptions = infra().admin_url.parse().unwrap();
    if let Ok(mut c) = admin.connect().await {
        let _ = c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
    }
}

/// The gRPC status code of a failed call.
pub fn code<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> tonic::Code {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(s) => s.code(),
    }
}

/// The field names of a BadRequest error.
pub fn violations<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> Vec<String> {
    use tonic_types::StatusExt;
    match r {
        Ok(v) => panic!("expected InvalidArgument, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
            s.get_details_bad_request().map(|b| b.field_violations.into_iter().map(|v| v.field).collect()).unwrap_or_default()
        }
    }
}
