//! Observability: the error log (`error_logs`: server errors recorded by the request path,
//! errors clients report at `POST /errors/log`, read and resolved by admins), the same server
//! errors sent to Sentry when `SENTRY_DSN` is set, and `GET /metrics` (Prometheus text
//! format) for an allow-list of client addresses. What the request path counts is
//! `crate::telemetry`; why: docs/decisions/0027-errors-and-observability.md.

pub mod metrics;
pub mod queries;
mod routes;
pub mod rules;
pub mod sentry;

use agora_core::ErrorCode;
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::telemetry::Metrics;
use crate::{AppState, Module, Tag};
use agora_store::Db;
use queries::Occurrence;
use rules::Source;
use std::sync::Arc;

pub use self::sentry::Sentry;

/// 404: no error in the log has this id.
pub const ERROR_NOT_FOUND: ErrorCode = ErrorCode {
    status: axum::http::StatusCode::NOT_FOUND,
    code: "error_not_found",
    when: "No error in the error log has this id.",
    what_to_do: "Take the id from `GET /api/v1/errors`.",
};

/// The error-log and metrics area.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "errors",
        description: "The error log: errors clients report, server errors for admins",
    }],
    router,
    error_codes: &[&ERROR_NOT_FOUND],
    ..Module::new("observability")
};

/// The routes under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    routes::router()
}

/// The routes at the root: `GET /metrics`.
pub fn root_router() -> OpenApiRouter<AppState> {
    metrics::router()
}

/// How many server errors may wait for the recorder; more are dropped (and counted) rather
/// than slowing or blocking a response.
const QUEUE: usize = 1024;

/// A server error the request path saw: a 5xx answer or a caught panic.
#[derive(Debug, Clone)]
pub struct ServerError {
    /// `panic`, `internal` (an `ApiError::internal`), or `status` (any other 5xx: a timeout of
    /// the database, a dependency down).
    pub kind: &'static str,
    pub method: String,
    /// The route template, or `telemetry::UNMATCHED_ROUTE`.
    pub route: &'static str,
    pub status: u16,
    pub message: String,
    pub detail: Option<String>,
    pub request_id: Option<String>,
    pub user_id: Option<Uuid>,
}

/// Where the request path hands server errors: a bounded queue read by one task, which
/// writes the error log and sends to Sentry. `report` never waits.
#[derive(Clone, Debug)]
pub struct ErrorLog {
    sender: Option<mpsc::Sender<ServerError>>,
}

impl ErrorLog {
    /// Starts the recorder's task on the current runtime (none outside one: errors are then
    /// only logged).
    pub fn start(db: Db, sentry: Option<Sentry>, metrics: Arc<Metrics>) -> Self {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return ErrorLog { sender: None };
        };
        let (sender, receiver) = mpsc::channel(QUEUE);
        runtime.spawn(record_all(receiver, db, sentry, metrics));
        ErrorLog {
            sender: Some(sender),
        }
    }

    /// Queues `error` for the log (and Sentry); drops it when the queue is full. Answers
    /// whether it was queued.
    pub fn report(&self, error: ServerError) -> bool {
        self.sender
            .as_ref()
            .is_some_and(|sender| sender.try_send(error).is_ok())
    }
}

/// The recorder: one upsert per error, in the order they came. Ends when the application's
/// state (the last sender) is dropped.
async fn record_all(
    mut receiver: mpsc::Receiver<ServerError>,
    db: Db,
    sentry: Option<Sentry>,
    metrics: Arc<Metrics>,
) {
    while let Some(error) = receiver.recv().await {
        if let Some(sentry) = &sentry {
            sentry.capture(&error);
        }
        let occurrence = Occurrence {
            fingerprint: rules::fingerprint(
                Source::Server,
                Some(error.route),
                error.kind,
                &error.message,
            ),
            source: Source::Server.as_str(),
            message: rules::cap(&error.message, rules::MESSAGE_CHARS),
            detail: error
                .detail
                .as_deref()
                .map(|detail| rules::cap(detail, rules::DETAIL_CHARS)),
            route: Some(error.route.to_owned()),
            method: Some(error.method),
            status: i16::try_from(error.status).ok(),
            request_id: error.request_id,
            user_id: error.user_id,
        };
        match queries::record(db.writer(), occurrence, agora_core::time::now()).await {
            Ok(()) => metrics.record_error_report("recorded"),
            Err(err) => {
                metrics.record_error_report("failed");
                tracing::warn!(error = %err, "cannot write a server error to the error log");
            }
        }
    }
}
