//! Observability: the error log (server errors recorded by the request path, client reports,
//! the admin list and resolve), Sentry, and `/metrics`.

mod errors;
mod metrics;
mod sentry;

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult};
use agora_platform::{AppState, Module};
use agora_testkit::{TestApp, TestAppBuilder, eventually};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A module of the tests with routes that fail: a 500 from `ApiError::internal` naming a
/// number, and a panic.
const FAULTY: Module = Module {
    router: faulty_router,
    ..Module::new("faulty")
};

fn faulty_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(fail))
        .routes(routes!(explode))
}

/// Fails with an internal error naming `n`.
#[utoipa::path(get, path = "/faulty/{n}", tag = "faulty",
    params(("n" = u32, Path, description = "A number")),
    responses((status = 200, body = String), (status = 500)))]
async fn fail(Path(n): Path<u32>) -> ApiResult<Json<String>> {
    Err(ApiError::internal(format!("row {n} vanished")))
}

/// Panics.
#[utoipa::path(get, path = "/faulty-panic", tag = "faulty",
    responses((status = 200, body = String), (status = 500)))]
async fn explode() -> ApiResult<Json<String>> {
    panic!("deliberate panic of the tests")
}

fn with_faulty(builder: TestAppBuilder) -> TestAppBuilder {
    builder.module(FAULTY)
}

async fn faulty_app() -> TestApp {
    with_faulty(TestApp::builder()).spawn().await
}

/// The rows of the error log once `count` of them are there (the recorder writes after the
/// answer).
async fn error_rows(app: &TestApp, count: i64) {
    eventually(
        std::time::Duration::from_secs(5),
        format!("{count} rows in error_logs"),
        async || (app.count("error_logs").await >= count).then_some(()),
    )
    .await;
}
