//! Tasks: a user's own to-do items, with optimistic locking (plan: tasks.md).
//!
//! - `routes.rs`: the handlers (extract → rule → query → response);
//! - `model.rs`: request and response types and the list's parameters;
//! - `queries.rs`: the SQL, conditional writes and keyset pages;
//! - `rules.rs`: validation and the status rules, as plain functions;
//! - `entity.rs`: the typed rows.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;

use agora_platform::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::list_tasks, routes::create_task))
        .routes(routes!(
            routes::get_task,
            routes::replace_task,
            routes::update_task,
            routes::delete_task
        ))
        .routes(routes!(routes::complete_task))
}
