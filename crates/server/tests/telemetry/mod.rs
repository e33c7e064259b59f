//! What `agora serve` gives an operator's monitoring: request spans over OTLP to a collector
//! (a local HTTP server that decodes what it receives, as a collector would), and the metrics on
//! an address of their own.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message as _;
use tokio::sync::mpsc;

use super::{agora, free_port, stop_with_sigterm};

/// A span as the collector received it: its name and its attributes, as text.
#[derive(Debug)]
struct ReceivedSpan {
    name: String,
    attributes: Vec<(String, String)>,
}

impl ReceivedSpan {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A collector's OTLP/HTTP trace endpoint (`POST /v1/traces`, protobuf) on a random port:
/// every span it decodes is sent on the channel.
async fn start_collector() -> (String, mpsc::UnboundedReceiver<ReceivedSpan>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let router = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let sender = sender.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP request");
                for span in request
                    .resource_spans
                    .into_iter()
                    .flat_map(|r| r.scope_spans)
                    .flat_map(|s| s.spans)
                {
                    let attributes = span
                        .attributes
                        .into_iter()
                        .map(|kv| {
                            let value = match kv.value.and_then(|v| v.value) {
                                Some(AnyValue::StringValue(s)) => s,
                                Some(AnyValue::IntValue(i)) => i.to_string(),
                                Some(AnyValue::BoolValue(b)) => b.to_string(),
                                other => format!("{other:?}"),
                            };
                            (kv.key, value)
                        })
                        .collect();
                    let _ = sender.send(ReceivedSpan {
                        name: span.name,
                        attributes,
                    });
                }
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}"), receiver)
}

/// Starts `agora serve` in a new directory and waits until `/health` answers.
async fn serve(dir: &std::path::Path, listen: &str, env: &[(&str, &str)]) -> Child {
    let mut env = env.to_vec();
    env.push(("AGORA_LISTEN", listen));
    let mut child = agora(dir, &[], &env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agora starts");
    agora_platform::tls::install_crypto_provider();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(response) = reqwest::get(format!("http://{listen}/health")).await
            && response.status() == 200
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("/health did not answer within 30 s");
}

#[tokio::test]
async fn with_an_otlp_endpoint_each_request_is_a_span_with_its_request_id_route_and_status() {
    let (collector, mut spans) = start_collector().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = serve(
        dir.path(),
        &listen,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &collector)],
    )
    .await;

    let response = reqwest::Client::new()
        .get(format!("http://{listen}/health/ready"))
        .header("x-request-id", "trace-me-7f3a")
        .send()
        .await
        .expect("the request");
    assert_eq!(response.status(), 200);
    // The batch is exported on shutdown at the latest.
    stop_with_sigterm(&mut child).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let span = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let span = tokio::time::timeout(left, spans.recv())
            .await
            .expect("the request's span reached the collector")
            .expect("the collector runs");
        if span.attribute("request_id") == Some("trace-me-7f3a") {
            break span;
        }
    };
    assert_eq!(span.name, "request");
    assert_eq!(span.attribute("route"), Some("/health/ready"), "{span:?}");
    assert_eq!(span.attribute("status"), Some("200"), "{span:?}");
    assert_eq!(span.attribute("method"), Some("GET"), "{span:?}");
}

#[tokio::test]
async fn with_a_metrics_address_the_metrics_are_served_there_and_not_on_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut child = serve(dir.path(), &listen, &[("AGORA_METRICS_LISTEN", &metrics)]).await;

    let scrape = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .expect("a scrape");
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.expect("the text");
    assert!(text.contains("http_requests_total{"), "{text}");
    // The metrics address serves nothing else, and the API's serves no metrics, not even to
    // a loopback client that `metrics_allow` lets in by default.
    let other = reqwest::get(format!("http://{metrics}/health"))
        .await
        .expect("a request");
    assert_eq!(other.status(), 404);
    let api = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .expect("a request");
    assert_eq!(api.status(), 404);
    stop_with_sigterm(&mut child).await;
}
