//! Tracing and OpenTelemetry. With `OTEL_EXPORTER_OTLP_ENDPOINT` (or the
//! traces-specific variable) set, traces and metrics are exported over OTLP/gRPC,
//! configured only by the standard `OTEL_*` variables; otherwise plain structured
//! logs (JSON with `KUMPPANI_LOG_FORMAT=json`). W3C trace context crosses gRPC
//! metadata and NATS headers through the helpers below.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the exporters alive; flushes on drop.
pub struct TelemetryGuard {
    tracer: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
    meter: Option<opentelemetry_sdk::metrics::SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(t) = self.tracer.take() {
            let _ = t.shutdown();
        }
        if let Some(m) = self.meter.take() {
            let _ = m.shutdown();
        }
    }
}

fn otlp_enabled() -> bool {
    crate::config::var_opt("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || crate::config::var_opt("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
}

/// Installs the global subscriber. Call once, inside a tokio runtime.
pub fn init(service_name: &str) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,async_nats=warn,h2=warn,tower=warn,hyper=warn"));
    let json = crate::config::var_or("KUMPPANI_LOG_FORMAT", "text") == "json";
    let fmt_layer = if json {
        tracing_subscriber::fmt::layer().json().with_current_span(true).boxed()
    } else {
        tracing_subscriber::fmt::layer().compact().boxed()
    };
    let mut guard = TelemetryGuard { tracer: None, meter: None };
    let otel_layer = if otlp_enabled() {
        let name = crate::config::var_or("OTEL_SERVICE_NAME", service_name);
        let resource = opentelemetry_sdk::Resource::builder().with_service_name(name.clone()).build();
        let span_exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().build()?;
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(span_exporter)
            .with_resource(resource.clone())
            .build();
        let tracer = provider.tracer(name);
        opentelemetry::global::set_tracer_provider(provider.clone());
        let metric_exporter = opentelemetry_otlp::MetricExporter::builder().with_tonic().build()?;
        let meter =
            opentelemetry_sdk::metrics::SdkMeterProvider::builder().with_periodic_exporter(metric_exporter).with_resource(resource).build();
        opentelemetry::global::set_meter_provider(meter.clone());
        guard.tracer = Some(provider);
        guard.meter = Some(meter);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    } else {
        None
    };
    tracing_subscriber::registry().with(filter).with(fmt_layer).with(otel_layer).try_init()?;
    Ok(guard)
}

/// The current span's trace context as W3C headers (`traceparent`, `tracestate`).
pub fn inject_context_map() -> HashMap<String, String> {
    let cx = tracing::Span::current().context();
    let mut map = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut map));
    map
}

struct NatsHeaders<'a>(&'a async_nats::HeaderMap);

impl Extractor for NatsHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}

/// Trace context from NATS message headers.
pub fn extract_context(headers: Option<&async_nats::HeaderMap>) -> Context {
    match headers {
        Some(h) => opentelemetry::global::get_text_map_propagator(|p| p.extract(&NatsHeaders(h))),
        None => Context::new(),
    }
}

struct HttpHeaders<'a>(&'a http::HeaderMap);

impl Extractor for HttpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Trace context from HTTP / gRPC request headers.
pub fn extract_http_context(headers: &http::HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HttpHeaders(headers)))
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) =
            (tonic::metadata::MetadataKey::from_bytes(key.as_bytes()), tonic::metadata::MetadataValue::try_from(value.as_str()))
        {
            self.0.insert(k, v);
        }
    }
}

/// Puts the current span's trace context into outgoing gRPC metadata.
pub fn inject_grpc(metadata: &mut tonic::metadata::MetadataMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut MetadataInjector(metadata)));
}

/// A span for an incoming gRPC/HTTP request whose parent is the caller's trace.
pub fn server_span(req: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!("grpc", path = %req.uri().path(), otel.kind = "server");
    let _ = span.set_parent(extract_http_context(req.headers()));
    span
}

/// Makes `cx` (e.g. from [`extract_http_context`]) the parent of `span`.
pub fn set_span_parent(span: &tracing::Span, cx: Context) {
    let _ = span.set_parent(cx);
}
