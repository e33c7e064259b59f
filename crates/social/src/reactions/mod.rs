//! Likes of posts and comments (`post_likes`, `comment_likes`: one row per thing and user),
//! each a toggle. The like count changes in the toggle's transaction; the primary key settles
//! concurrent toggles. Like notifications are grouped per liked thing
//! (`agora_platform::notifications::notify_grouped`).
//!
//! - `routes.rs`: the handlers; `model.rs`: the response; `queries.rs`: the SQL (and the
//!   viewer's likes of a page, for the post and comment views); `entity.rs`: the typed rows.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;
