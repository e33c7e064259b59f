//! `GET /metrics`: the application's metrics in the Prometheus text format (OpenMetrics),
//! for the client addresses of the `metrics_allow` setting (loopback by default); any other
//! client gets 404, as if there were no such route. What the request path counts comes from
//! `crate::telemetry`; what is read now (the job queue, the outbox, sockets, the database
//! pools and statements) is read at each scrape, so nothing is counted twice and a restart
//! loses nothing the database holds.

use agora_core::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::email::outbox;
use crate::entities::emails::EmailStatus;
use crate::jobs::queue;
use crate::ratelimit::ClientIp;

/// The content type of the OpenMetrics text format, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

/// The router of the `metrics_listen` address: `GET /metrics` to every client that reaches it,
/// and nothing else.
pub fn own_address_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<AppState>| async move { text(&state).await }),
        )
        .with_state(state)
}

/// The metrics, for Prometheus. Only clients of the `metrics_allow` setting (loopback by
/// default) see it; to others there is no such route (404). With a `metrics_listen` address,
/// the metrics are served there only, and this is 404 to everyone.
#[utoipa::path(get, path = "/metrics", tag = "platform",
    responses(
        (status = 200, description = "The metrics in the OpenMetrics text format", content_type = "application/openmetrics-text", body = String),
        (status = 404, description = "Not an allowed client address, or the metrics are served on an address of their own (`metrics_listen`)"),
        (status = 503, description = "The database cannot be read"),
    ))]
async fn scrape(State(state): State<AppState>, client: ClientIp) -> ApiResult<Response> {
    let server = &state.config().server;
    let allowed = server.metrics_listen.is_none()
        && server
            .metrics_allow
            .iter()
            .any(|net| net.contains(&client.ip()));
    if !allowed {
        return Err(ApiError::not_found("no resource at this path"));
    }
    text(&state).await
}

/// The scrape's answer: what was counted and what is read now, in the text format.
async fn text(state: &AppState) -> ApiResult<Response> {
    let now_registry = read_now(state).await?;
    let text = state
        .metrics()
        .encode(&now_registry)
        .map_err(ApiError::internal)?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// What is read at scrape time.
async fn read_now(state: &AppState) -> ApiResult<Registry> {
    let mut registry = Registry::default();
    let db = state.db();
    let now = agora_core::time::now();

    // The job queue, per kind.
    let queued = Family::<KindLabels, Gauge>::default();
    let retrying = Family::<KindLabels, Gauge>::default();
    let running = Family::<KindLabels, Gauge>::default();
    let dead = Family::<KindLabels, Gauge>::default();
    let stats = queue::stats(db.reader(), now).await?;
    for kind in stats {
        let labels = KindLabels { kind: kind.kind };
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        queued.get_or_create(&labels).set(gauge(kind.queued));
        retrying.get_or_create(&labels).set(gauge(kind.retrying));
        running.get_or_create(&labels).set(gauge(kind.running));
        dead.get_or_create(&labels).set(gauge(kind.dead));
    }
    registry.register(
        "jobs_queued",
        "Jobs waiting, due or not (the queue's depth), by kind",
        queued,
    );
    registry.register(
        "jobs_retrying",
        "Jobs waiting for a retry after a failed attempt, by kind",
        retrying,
    );
    registry.register("jobs_running", "Jobs running now, by kind", running);
    registry.register(
        "jobs_dead",
        "Jobs that failed for good (dead), by kind",
        dead,
    );

    // The email outbox.
    let emails = Family::<StatusLabels, Gauge>::default();
    // Every status shown, at 0 when the outbox has none.
    for status in [EmailStatus::Queued, EmailStatus::Sent, EmailStatus::Dead] {
        emails
            .get_or_create(&StatusLabels {
                status: status.as_str(),
            })
            .set(0);
    }
    for (status, count) in outbox::count_by_status(db.reader()).await? {
        emails
            .get_or_create(&StatusLabels {
                status: status.as_str(),
            })
            .set(count);
    }
    registry.register(
        "emails",
        "Emails of the outbox by status: queued, sent, dead (failed for good)",
        emails,
    );

    // Real time.
    let hub = state.realtime();
    registry.register(
        "websocket_connections",
        "Open WebSockets on this instance",
        ConstGauge::new(i64::try_from(hub.connections()).unwrap_or(i64::MAX)),
    );
    registry.register(
        "websocket_dropped_clients",
        "WebSockets closed because their client read too slowly",
        ConstCounter::new(hub.dropped_clients()),
    );

    // The database.
    let open = Family::<PoolLabels, Gauge>::default();
    let idle = Family::<PoolLabels, Gauge>::default();
    let max = Family::<PoolLabels, Gauge>::default();
    for pool in db.pool_use() {
        let labels = PoolLabels { pool: pool.pool };
        open.get_or_create(&labels).set(i64::from(pool.open));
        idle.get_or_create(&labels)
            .set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
        max.get_or_create(&labels).set(i64::from(pool.max));
    }
    registry.register("db_pool_connections", "Open connections of the pool", open);
    registry.register(
        "db_pool_idle_connections",
        "Idle connections of the pool",
        idle,
    );
    registry.register(
        "db_pool_max_connections",
        "Most connections the pool opens",
        max,
    );
    let time = db.query_time();
    registry.register(
        "db_statements",
        "Statements run through the database handle",
        ConstCounter::new(time.statements()),
    );
    registry.register(
        "db_statement_failures",
        "Statements that failed",
        ConstCounter::new(time.failed()),
    );
    registry.register(
        "db_statement_seconds",
        "Time spent in statements, in seconds (divide by db_statements for the mean)",
        ConstCounter::new(time.seconds()),
    );
    registry.register(
        "process_uptime_seconds",
        "Seconds since this application started",
        ConstGauge::new(state.uptime().as_secs_f64()),
    );
    Ok(registry)
}
