//! Leagues (plan: fantasy-f1.md, 3.3): a group of constructors that draft drivers race by race.
//! Anyone signed in creates one; it gets a join code, and users join it with the code and a
//! team name (`crate::constructors`), its creator too if they want to play. A private league
//! is seen only by its creator and members (lists, reads, its constructors and drafts); a
//! public one by everyone, with its code, so anyone may join.
//!
//! - `routes.rs`: `GET`/`POST /fantasy/leagues`, `GET`/`PATCH /fantasy/leagues/{id}`;
//! - `model.rs`: the create and update bodies, the list's parameters, the view;
//! - `rules.rs`: name, description, size, the join code; `queries.rs`: the SQL (the seat a
//!   join takes, who may see a league); `entity.rs`: the typed row and the draft methods.

pub mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;

agora_core::id_type!(
    /// Identifies a league.
    LeagueId
);

/// The answer for a league that does not exist or that the reader may not see.
pub fn no_such_league() -> agora_core::ApiError {
    agora_core::ApiError::not_found("no such league")
}

/// League `id` as `viewer` may see it, or 404 (a private league to an outsider too).
pub async fn visible(
    conn: &impl sea_orm::ConnectionTrait,
    id: LeagueId,
    viewer: Option<agora_core::UserId>,
) -> agora_core::ApiResult<entity::Model> {
    queries::find_visible(conn, id, viewer)
        .await?
        .ok_or_else(no_such_league)
}
