//! Per-request context that code deep in a request may need without threading it through every
//! call: today, the request id that problem documents and log lines quote.
//!
//! The server's outermost middleware runs each request inside [`scope`]; outside a request (jobs,
//! the CLI) [`request_id`] is `None`.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: Arc<str>, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The id of the request being handled, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_visible_inside_the_scope_only() {
        assert_eq!(request_id(), None);
        let seen = scope(Arc::from("abc"), async { request_id() }).await;
        assert_eq!(seen.as_deref(), Some("abc"));
    }
}
