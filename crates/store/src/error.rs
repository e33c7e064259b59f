//! Database failures, and what each means for a client.

use agora_core::{ApiError, ErrorCode};
use axum::http::{HeaderValue, StatusCode, header};
use sea_orm::{DbErr, SqlErr};

pub const DATABASE_UNAVAILABLE: ErrorCode = ErrorCode {
    status: StatusCode::SERVICE_UNAVAILABLE,
    code: "database_unavailable",
    when: "The database could not be reached, or gave no connection in time.",
    what_to_do: "Retry after the seconds of `Retry-After`.",
};

/// A failed database operation. Queries return it; `?` in a handler turns it into [`ApiError`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(#[from] pub DbErr);

pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// True when the database refused a duplicate (a unique constraint).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self.0.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    }

    /// True when the database could not be reached or gave no connection in time.
    pub fn is_unavailable(&self) -> bool {
        matches!(self.0, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
            || self.0.to_string().contains("database is locked")
    }
}

impl From<DbError> for ApiError {
    /// Constraint violations that reach here were not expected by the caller (which maps the
    /// ones it expects to a precise field error); they still are the client's conflict, not a
    /// server fault. An unreachable database is a 503 the client may retry.
    fn from(err: DbError) -> Self {
        if err.is_unavailable() {
            tracing::error!(error = %err.0, "database unavailable");
            return ApiError::from_code(
                &DATABASE_UNAVAILABLE,
                "the database is unavailable; retry shortly",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        match err.0.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict("this would duplicate something that already exists")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => ApiError::conflict(
                "this refers to something that does not exist or is still in use",
            ),
            _ => match err.0 {
                DbErr::RecordNotFound(_) => ApiError::not_found("no such resource"),
                other => ApiError::internal(format_args!("database error: {other}")),
            },
        }
    }
}
