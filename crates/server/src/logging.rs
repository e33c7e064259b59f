//! Logs: pretty for people in development, JSON for machines in production, filtered by
//! `RUST_LOG`. Panics are logged too, so they reach the same place as everything else.
//!
//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans that pass the same filter (the
//! request span of the middleware, with its request id, and what runs inside it) are also
//! exported over OTLP by a batch processor on a thread of its own (decision 0027).

use std::io::IsTerminal;
use std::time::Duration;

use agora_core::config::{Config, LogFormat};
use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// What is logged when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=warn";

/// How long one export to the collector may take.
const OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// The trace export, while it runs: dropping it exports what is still buffered (on shutdown).
pub struct Tracing {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Tracing {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("the last traces were not exported: {err}");
        }
    }
}

/// Installs the global subscriber: logs only, for the commands.
pub fn init(format: LogFormat) {
    install(format, None);
}

/// Installs the global subscriber with the trace export of `config`, for `agora serve`. Keep
/// the returned value until the server has stopped.
pub fn init_with_traces(config: &Config) -> anyhow::Result<Tracing> {
    let provider = config
        .server
        .otlp_endpoint
        .as_ref()
        .map(otlp_provider)
        .transpose()?;
    install(config.server.log_format, provider.clone());
    Ok(Tracing { provider })
}

/// An exporter to `{endpoint}/v1/traces` (OTLP over HTTP with protobuf, the protocol's
/// default), batched.
fn otlp_provider(endpoint: &url::Url) -> anyhow::Result<SdkTracerProvider> {
    let traces = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
    // The exporter's HTTP client is built now, and needs rustls' provider.
    agora_platform::tls::install_crypto_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(&traces)
        .with_timeout(OTLP_TIMEOUT)
        .build()
        .with_context(|| format!("cannot export traces to {traces}"))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name("agora")
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build())
}

/// Safe to call more than once (later calls do nothing), which lets tests start several
/// servers in one process.
fn install(format: LogFormat, traces: Option<SdkTracerProvider>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let traces =
        traces.map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("agora")));
    let registry = tracing_subscriber::registry().with(filter).with(traces);
    // Logs go to stderr, leaving stdout to the output of commands (`agora migrate status`).
    // Colours only for a person at a terminal: escape codes in a log file or a journal are
    // noise (and break grep).
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Pretty => registry.with(logs.compact()).try_init(),
        LogFormat::Json => registry
            .with(
                logs.json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .flatten_event(true),
            )
            .try_init(),
    };
    if installed.is_ok() {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            tracing::error!(%location, panic = %message, "panic");
        }));
    }
}
