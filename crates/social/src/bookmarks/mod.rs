//! Bookmarks: the posts a user keeps for later, private to them (`bookmarks`, one row per user
//! and post).
//!
//! - `routes.rs`: the handlers; `queries.rs`: the SQL (and the viewer's bookmarks of a page, for
//!   the post view); `entity.rs`: the typed row. The list's items are posts (`posts::model`).

mod entity;
pub mod queries;
pub mod routes;
