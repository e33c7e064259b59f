//! The HTTP middleware stack, outermost first, as DESIGN.md orders it:
//!
//! 0. [`observe`]: counts every answer for `/metrics` (by method, route template and status
//!    class, with its duration) and hands server errors (5xx answers, caught panics) to the
//!    error log and Sentry without waiting;
//! 1. [`request_context`]: takes the client's `X-Request-Id` (or makes one), runs the request in
//!    its scope, echoes it on the response, and turns any error response that is not yet a
//!    problem document (an unknown route, a wrong method, a timeout, a panic, a rejection from a
//!    layer) into one, so that every failure a client sees has the same shape;
//! 2. a tracing span per request, with slow requests (over 500 ms) logged as such;
//! 3. a panic catcher: a panic is a logged 500, never a dropped connection;
//! 4. security headers; 5. CORS; 6. gzip; 7. body size limit; 8. timeout;
//! 9. the general rate limit of `/api/v1` ([`agora_platform::ratelimit::limit_api`]);
//! 10. the scope of the `media_url` setting, which media URLs in responses follow
//!     ([`agora_platform::media::with_media_url`]);
//! 11. the analytics recorder ([`agora_platform::analytics::record`]): who was active and how
//!     each route template answered, noted in memory and written in batches.
//!
//! Between 1. and 2., [`limit_request_head`] refuses an over-long URI (414) or over-large
//! headers (431) with a problem document.
//!
//! Authentication is not a layer: handlers that need the caller take the identity extractors
//! (`Viewer`, `OptionalViewer`, ...).

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_core::config::Config;
use agora_core::error::{PROBLEM_JSON, ServerErrorCause};
use agora_core::{ApiError, codes, request_context};
use agora_platform::AppState;
use agora_platform::observability::ServerError;
use agora_platform::telemetry::{self, MethodLabel};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Requests slower than this are logged at WARN.
const SLOW_REQUEST: Duration = Duration::from_millis(500);

/// Longest request id we echo; longer (or non-visible-ASCII) ones are replaced by our own.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether answers are observed: counted for `/metrics` and the error log (layer 0) and noted
/// for analytics (layer 11). Always on in the server; off only in the benchmark that prices
/// them (`bench --bin social` with `AGORA_BENCH_UNOBSERVED`, decision 0027).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Observation {
    #[default]
    On,
    Off,
}

/// The layers that need the application's state (9. to 11.): wrap the routes in these first, then
/// [`apply`] the rest around them.
pub fn with_state_layers(router: Router, state: &AppState, observation: Observation) -> Router {
    let router = match observation {
        // Who was active and how each route answered, noted in memory (innermost: the route
        // template is known, and the time is the handler's).
        Observation::On => router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            agora_platform::analytics::record,
        )),
        Observation::Off => router,
    };
    router
        // Media URLs in responses follow the `media_url` setting (`media::url_of`).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            agora_platform::media::with_media_url,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            agora_platform::ratelimit::limit_api,
        ))
}

/// Wraps `router` (with the layers of [`apply`]) in the outermost layer, 0: [`observe`].
pub fn with_observation(router: Router, state: &AppState, observation: Observation) -> Router {
    match observation {
        Observation::On => {
            router.layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        }
        Observation::Off => router,
    }
}

/// The message of a panic caught by the panic layer, carried on its 500 to [`observe`].
#[derive(Debug, Clone)]
struct PanicMessage(String);

/// Layer 0: counts the answer (`telemetry::Metrics::record_request`: no allocation once a
/// route has been seen, no lock held across the await) and reports a server error to the
/// error log's queue (`ErrorLog::report`, which never waits; the response is not delayed).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = MethodLabel::of(request.method());
    // Set by the router before the layers of `Router::layer` run: the template, never the
    // raw path. Unknown paths have none.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(telemetry::UNMATCHED_ROUTE, |path| {
            telemetry::route_label(path.as_str())
        });
    // Kept only to say who met a server error (a reference-counted copy, no allocation).
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let method_name = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    state
        .metrics()
        .record_request(method, route, status, started.elapsed());
    if status.is_server_error() {
        report_server_error(&state, &response, method_name, route, authorization);
    }
    response
}

fn report_server_error(
    state: &AppState,
    response: &Response,
    method: Method,
    route: &'static str,
    authorization: Option<HeaderValue>,
) {
    let status = response.status();
    let (kind, message, detail) = if let Some(PanicMessage(message)) = response.extensions().get() {
        ("panic", format!("panic: {message}"), None)
    } else if let Some(ServerErrorCause(cause)) = response.extensions().get() {
        ("internal", "internal error".to_owned(), Some(cause.clone()))
    } else {
        (
            "status",
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
            None,
        )
    };
    // The cause of an internal error is the message when it is all there is: its ids and
    // numbers are left out of the fingerprint.
    let (message, detail) = match (kind, detail) {
        ("internal", Some(cause)) => (cause.clone(), Some(cause)),
        (_, detail) => (message, detail),
    };
    let user_id = authorization
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.identity().tokens.verify(token.trim()).ok())
        .map(|claims| claims.sub);
    let request_id = response
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let queued = state.error_log().report(ServerError {
        kind,
        method: method.as_str().to_owned(),
        route,
        status: status.as_u16(),
        message,
        detail,
        request_id,
        user_id,
    });
    if !queued {
        state.metrics().record_error_report("dropped");
    }
}

/// Wraps `router` in the stack of layers 1 to 8, which need only the configuration.
pub fn apply(router: Router, config: &Config) -> Router {
    let hsts = config.server.public_url.scheme() == "https";
    let body_limit = config.server.body_limit;
    // `Router::layer` wraps what is already there: the last layer added is the outermost, so
    // this reads from the handler outwards.
    router
        .layer(DefaultBodyLimit::max(config.server.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.server.request_timeout,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            limit_body(req, next, body_limit)
        }))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .no_br()
                .no_deflate()
                .no_zstd(),
        )
        .layer(cors(config))
        .layer(axum::middleware::from_fn(move |req, next| {
            security_headers(req, next, hsts)
        }))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The route template is known here already (see `observe`).
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("", MatchedPath::as_str);
                    // Also the span exported over OTLP, when it is (`logging`).
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        route,
                        request_id = %request_id,
                        status = tracing::field::Empty,
                        otel.kind = "server",
                    )
                })
                .on_request(())
                .on_response(|response: &Response, latency: Duration, span: &Span| {
                    let status = response.status().as_u16();
                    span.record("status", status);
                    let ms = latency.as_secs_f64() * 1000.0;
                    if latency > SLOW_REQUEST {
                        tracing::warn!(status, latency_ms = ms, "slow request");
                    } else if response.status().is_server_error() {
                        tracing::error!(status, latency_ms = ms, "request failed");
                    } else {
                        tracing::info!(status, latency_ms = ms, "request");
                    }
                })
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn(limit_request_head))
        .layer(axum::middleware::from_fn(request_context))
}

/// The longest request target accepted; longer is 414 `uri_too_long`.
pub const MAX_URI_LENGTH: usize = 8 * 1024;
/// The most bytes of header names and values accepted; more is 431 `headers_too_large`.
pub const MAX_HEADERS_SIZE: usize = 32 * 1024;

/// Refuses an over-long URI (414) or over-large headers (431) with a problem document. hyper
/// answers heads past its own buffer (128 KiB, `serve.rs`) or with more than 100 headers
/// before any of this runs, with the same statuses and an empty body (decision 0003).
async fn limit_request_head(request: Request, next: Next) -> Response {
    let uri_length = request.uri().to_string().len();
    if uri_length > MAX_URI_LENGTH {
        return ApiError::from_code(
            &codes::URI_TOO_LONG,
            format!("the request target is {uri_length} bytes long; at most {MAX_URI_LENGTH} are accepted"),
        )
        .into_response();
    }
    let headers_size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers_size > MAX_HEADERS_SIZE {
        return ApiError::from_code(
            &codes::HEADERS_TOO_LARGE,
            format!("the request's headers add up to {headers_size} bytes; at most {MAX_HEADERS_SIZE} are accepted"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The body size limit (7.): `body_limit`, or the upload limit on the upload routes
/// ([`agora_platform::media::UPLOAD_PATHS`]). A declared length over it is refused at once; a body
/// without one is cut off when it grows past it (the extractors then answer 413), so an
/// oversized body is never read whole.
async fn limit_body(request: Request, next: Next, general: usize) -> Response {
    let limit = if agora_platform::media::UPLOAD_PATHS.contains(&request.uri().path()) {
        agora_platform::media::MAX_REQUEST_BYTES
    } else {
        general
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE).into_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// Outermost layer: request id, its scope, and problem documents for every error.
async fn request_context(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_acceptable_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    // Validated above (visible ASCII) or generated (a UUID): always a valid header value.
    let header_value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    request
        .headers_mut()
        .insert(REQUEST_ID, header_value.clone());

    let id: Arc<str> = Arc::from(id);
    let response = request_context::scope(id.clone(), async move {
        let response = next.run(request).await;
        into_problem(response).await
    })
    .await;
    let mut response = response;
    response.headers_mut().insert(REQUEST_ID, header_value);
    response
}

fn is_acceptable_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Turns an error response that is not a problem document into one, keeping its status and
/// headers (`Allow` on a 405, CORS headers). A short plain-text 4xx body (an axum rejection)
/// becomes the detail; a 5xx body never reaches the client.
async fn into_problem(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with(PROBLEM_JSON) {
        return response;
    }
    let is_text = content_type.starts_with("text/plain");
    let (mut parts, body) = response.into_parts();
    let mut error = ApiError::from_status(status);
    if status.is_client_error()
        && is_text
        && let Ok(collected) = body.collect().await
        && let Ok(text) = std::str::from_utf8(&collected.to_bytes())
        && !text.trim().is_empty()
        && text.len() <= 1000
    {
        error = error.with_detail(text.trim().to_owned());
    }
    let problem = error.into_response();
    // Keep the original headers (Allow, CORS, Retry-After), minus those describing the old body.
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
    ] {
        parts.headers.remove(&name);
    }
    let (problem_parts, problem_body) = problem.into_parts();
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, problem_body)
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %message, "a request handler panicked");
    let mut response = ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    response
        .extensions_mut()
        .insert(PanicMessage(message.to_owned()));
    response
}

const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI loads its own script, styles and inline images from this server; nothing else.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

async fn security_headers(request: Request, next: Next, hsts: bool) -> Response {
    let is_docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::CONTENT_SECURITY_POLICY,
        if is_docs { DOCS_CSP } else { API_CSP },
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if hsts {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .server
        .cors_origins
        .iter()
        // Origins were validated as bare ASCII origins when the configuration was loaded.
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID,
        ])
        .expose_headers([
            REQUEST_ID,
            header::RETRY_AFTER,
            header::ETAG,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Rebuilds a response with an empty body; used by tests of the problem conversion.
#[cfg(test)]
fn bare(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .body(axum::body::Body::empty())
        .expect("a status and an empty body make a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[tokio::test]
    async fn a_bare_error_becomes_a_problem_document() {
        let mut response = bare(StatusCode::METHOD_NOT_ALLOWED);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        let response = into_problem(response).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::ALLOW], "GET,HEAD");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let problem: agora_core::Problem = serde_json::from_slice(&body).expect("problem");
        assert_eq!(problem.code, "method_not_allowed");
    }

    #[tokio::test]
    async fn a_server_error_body_never_reaches_the_client() {
        let response = Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("secret stack trace"))
            .expect("valid");
        let response = into_problem(response).await;
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }

    #[test]
    fn request_ids_must_be_short_visible_ascii() {
        assert!(is_acceptable_request_id("abc-123"));
        assert!(!is_acceptable_request_id(""));
        assert!(!is_acceptable_request_id("has space"));
        assert!(!is_acceptable_request_id(&"x".repeat(129)));
    }
}
