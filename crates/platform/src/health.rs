//! Liveness and readiness.
//!
//! `/health` answers as long as the process serves HTTP. `/health/ready` asks each dependency
//! (the database, media `storage`, and Redis as `cache` when configured; mail joins later)
//! within a timeout, and answers 503 naming the ones that are down. It keeps no state: the next call asks again, so
//! it turns back to 200 by itself once the dependency returns.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use agora_core::extract::Json;
use agora_core::{ApiError, ErrorCode};
use agora_store::MIGRATIONS_TABLE;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

pub const DEPENDENCY_UNAVAILABLE: ErrorCode = ErrorCode {
    status: StatusCode::SERVICE_UNAVAILABLE,
    code: "dependency_unavailable",
    when: "`/health/ready`: a dependency (the database, Redis, the storage) is down; `checks` says which.",
    what_to_do: "Load balancers: send no traffic to this instance until it is ready again.",
};

/// `/health`: the process is up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// Version of the running server.
    #[schema(example = "0.1.0")]
    pub version: String,
    pub uptime_seconds: u64,
}

/// `/health/ready` when every dependency answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ok")]
    pub status: String,
    /// Each dependency by name (`database`, `storage`, `cache` when Redis is configured, ...).
    pub checks: BTreeMap<String, Check>,
}

/// How one dependency answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Check {
    /// `up` or `down`.
    pub status: String,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/health", tag = "platform",
    responses((status = 200, description = "The server is up", body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: state.uptime().as_secs(),
    })
}

/// Readiness: 200 when every required dependency answers in time, else 503 naming those down.
#[utoipa::path(get, path = "/health/ready", tag = "platform",
    responses(
        (status = 200, description = "Every dependency answers", body = Readiness),
        (status = 503, description = "A required dependency is down; `checks` says which"),
    ))]
async fn ready(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let timeout = state.config().server.health_timeout;
    let db = state.db().clone();
    let database = check(timeout, async move { db.ping(MIGRATIONS_TABLE).await }).await;

    let storage = state.storage().clone();
    let storage = check(timeout, async move { storage.ping().await }).await;
    let mut checks = BTreeMap::from([
        ("database".to_owned(), database),
        ("storage".to_owned(), storage),
    ]);
    if let Some(redis) = state.redis().cloned() {
        let cache = check(timeout, async move { redis.ping().await }).await;
        checks.insert("cache".to_owned(), cache);
    }
    let down: Vec<String> = checks
        .iter()
        .filter(|(_, check)| check.status != "up")
        .map(|(name, check)| format!("{name} ({})", check.error.as_deref().unwrap_or("down")))
        .collect();
    if down.is_empty() {
        return Ok(Json(Readiness {
            status: "ok".to_owned(),
            checks,
        }));
    }
    tracing::warn!(down = %down.join(", "), "readiness check failed");
    Err(ApiError::from_code(
        &DEPENDENCY_UNAVAILABLE,
        format!("not ready: {} down", down.join(", ")),
    )
    .with_extension("checks", serde_json::to_value(&checks).unwrap_or_default()))
}

/// Runs one dependency check within `timeout`.
async fn check<E: std::fmt::Display>(
    timeout: Duration,
    probe: impl Future<Output = Result<(), E>>,
) -> Check {
    let started = Instant::now();
    let outcome = tokio::time::timeout(timeout, probe).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some(format!("no answer within {}", humanize(timeout))),
    };
    Check {
        status: if error.is_none() { "up" } else { "down" }.to_owned(),
        latency_ms: (latency_ms * 100.0).round() / 100.0,
        error,
    }
}

fn humanize(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}
