//! The application's metrics: what the request path counts as it goes (requests, their time,
//! server errors, rate-limit refusals), held in a registry of this application's own (not a
//! process-wide recorder: two applications in one process, as in the tests, keep apart).
//! What can be read when `/metrics` is scraped (the job queue, the outbox, sockets, the
//! database pools) is read then, by `crate::observability::metrics`, not counted here.
//!
//! The cost per request: one read-locked look-up of the label set (a route template, a method
//! and a status class: no string is allocated once a route has been seen; route templates are
//! interned once per process), two atomic additions for the counter and the histogram. No lock
//! is held across an await (decision 0027).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The label of requests no route matched (unknown paths): never the raw path, whose values
/// a client chooses.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the request-duration buckets, in seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The HTTP method, as a label (a closed set: no client-chosen value becomes a series).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(clippy::upper_case_acronyms)]
pub enum MethodLabel {
    GET,
    HEAD,
    POST,
    PUT,
    PATCH,
    DELETE,
    OPTIONS,
    OTHER,
}

impl MethodLabel {
    pub fn of(method: &axum::http::Method) -> Self {
        match *method {
            axum::http::Method::GET => Self::GET,
            axum::http::Method::HEAD => Self::HEAD,
            axum::http::Method::POST => Self::POST,
            axum::http::Method::PUT => Self::PUT,
            axum::http::Method::PATCH => Self::PATCH,
            axum::http::Method::DELETE => Self::DELETE,
            axum::http::Method::OPTIONS => Self::OPTIONS,
            _ => Self::OTHER,
        }
    }
}

/// The class of a status: `2xx` … `5xx`.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum StatusClass {
    Informational,
    Success,
    Redirection,
    ClientError,
    ServerError,
}

impl EncodeLabelValue for StatusClass {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(match self {
            Self::Informational => "1xx",
            Self::Success => "2xx",
            Self::Redirection => "3xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
        })
    }
}

impl StatusClass {
    pub fn of(status: axum::http::StatusCode) -> Self {
        match status.as_u16() {
            100..=199 => Self::Informational,
            200..=299 => Self::Success,
            300..=399 => Self::Redirection,
            400..=499 => Self::ClientError,
            _ => Self::ServerError,
        }
    }
}

/// The labels of the request metrics.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: MethodLabel,
    /// The route template (`/api/v1/posts/{id}`), or [`UNMATCHED_ROUTE`].
    pub route: &'static str,
    pub status: StatusClass,
}

/// The labels of the server-error counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub method: MethodLabel,
    pub route: &'static str,
}

/// The labels of the error log's and Sentry's outcome counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// The metrics this application counts as requests pass (`AppState::metrics`).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    errors: Family<ErrorLabels, Counter>,
    rate_limited: Counter,
    error_reports: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            requests.clone(),
        );
        let durations = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from the request to its response head, by method, route template and status class",
            durations.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "http_errors",
            "Server errors (5xx answers, panics among them), by method and route template",
            errors.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limit_refusals",
            "Requests refused by a rate limit (429)",
            rate_limited.clone(),
        );
        let error_reports = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "error_log_reports",
            "Server errors handed to the error log: recorded, or dropped because its queue was full",
            error_reports.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            errors,
            rate_limited,
            error_reports,
        }
    }

    /// Counts one answered request.
    pub fn record_request(
        &self,
        method: MethodLabel,
        route: &'static str,
        status: axum::http::StatusCode,
        elapsed: Duration,
    ) {
        let labels = RequestLabels {
            method,
            route,
            status: StatusClass::of(status),
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if status.is_server_error() {
            self.errors
                .get_or_create(&ErrorLabels { method, route })
                .inc();
        }
        if status == axum::http::StatusCode::TOO_MANY_REQUESTS {
            self.rate_limited.inc();
        }
    }

    /// Counts a server error handed to the error log (`recorded`) or dropped (`dropped`).
    pub fn record_error_report(&self, outcome: &'static str) {
        self.error_reports
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// The counted metrics, then those of `read_now` (read at scrape time), in the text
    /// format (OpenMetrics, which Prometheus reads).
    pub fn encode(&self, read_now: &Registry) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode_registry(&mut text, &self.registry)?;
        prometheus_client::encoding::text::encode_registry(&mut text, read_now)?;
        prometheus_client::encoding::text::encode_eof(&mut text)?;
        Ok(text)
    }
}

/// Route templates seen by this process, each stored once for good with its label: the set is
/// the router's (bounded), and a label then costs no allocation per request.
static ROUTES: RwLock<Option<HashSet<&'static str>>> = RwLock::new(None);

/// `template` as a label of static lifetime (`/api/v1/posts/:id`; stored the first time it is
/// seen).
pub fn route_label(template: &str) -> &'static str {
    if let Ok(labels) = LABELS.read()
        && let Some(found) = labels.as_ref().and_then(|map| map.get(template))
    {
        return found;
    }
    let Ok(mut routes) = ROUTES.write() else {
        return UNMATCHED_ROUTE;
    };
    let set = routes.get_or_insert_with(HashSet::new);
    if set.contains(template)
        && let Ok(labels) = LABELS.read()
        && let Some(found) = labels.as_ref().and_then(|map| map.get(template))
    {
        return found;
    }
    let label: &'static str = Box::leak(label_of(template).into_boxed_str());
    let key: &'static str = Box::leak(template.to_owned().into_boxed_str());
    set.insert(key);
    if let Ok(mut labels) = LABELS.write() {
        labels.get_or_insert_with(HashMap::new).insert(key, label);
    }
    label
}

/// The labels of the templates of [`ROUTES`].
static LABELS: RwLock<Option<HashMap<&'static str, &'static str>>> = RwLock::new(None);

/// A route template as a label: axum's `{id}` written `:id` (and `{*rest}` `*rest`), so that
/// no label value holds a brace, which simple parsers of the text format (and some
/// relabelling rules) take for the end of the label set.
fn label_of(template: &str) -> String {
    template
        .replace("{*", "*")
        .replace('{', ":")
        .replace('}', "")
}

/// Shared by the state; cheap to clone.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_template_is_stored_once() {
        let first = route_label("/api/v1/test/{id}");
        let second = route_label(&String::from("/api/v1/test/{id}"));
        assert!(std::ptr::eq(first, second));
        assert_eq!(first, "/api/v1/test/:id");
        assert_eq!(route_label("/media/{*key}"), "/media/*key");
    }

    #[test]
    fn requests_are_counted_by_route_and_status_class() {
        let metrics = Metrics::new();
        metrics.record_request(
            MethodLabel::GET,
            "/x",
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Duration::from_millis(3),
        );
        let text = metrics.encode(&Registry::default()).unwrap_or_default();
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="/x",status="5xx"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_errors_total{method="GET",route="/x"} 1"#),
            "{text}"
        );
    }
}
