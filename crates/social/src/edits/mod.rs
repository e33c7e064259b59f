//! Edits of posts: the author may change a post's text within the edit window (the
//! `social.edit_window_minutes` setting, counted from publishing); each edit keeps the text it
//! replaced in `post_edits` (the history, `GET /posts/{id}/edits`), sets `edited_at`, links the
//! tickers of the new text instead of the old and links and notifies the users it newly
//! mentions (old mentions stay).
//!
//! - `routes.rs`: the handlers (`PATCH /posts/{id}` is mounted with the post's other methods,
//!   `crate::posts::router`); `model.rs`: request and response types; `queries.rs`: the SQL;
//!   `rules.rs`: the window; `entity.rs`: the typed row.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;

use agora_core::ErrorCode;
use axum::http::StatusCode;

pub const EDIT_WINDOW_CLOSED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "edit_window_closed",
    when: "The author tried to edit a post after the edit window (`social.edit_window_minutes` from publishing) had passed.",
    what_to_do: "Offer to delete the post and publish it again instead.",
};
