//! Constructors: a user's team in a league (plan: fantasy-f1.md, 3.4). A user gets one by
//! joining a league with its code and a team name (`POST /fantasy/leagues/join`), one per
//! league; the league's `team_count` takes the seat in the same transaction, on the condition
//! that the league is not full. `total_points` is the league's scoring's (the next part).
//!
//! - `routes.rs`: `POST /fantasy/leagues/join`, `GET /fantasy/constructors[/{id}]`;
//! - `model.rs`: the join's body, the list's parameters, the view; `view.rs`: views with owners;
//! - `rules.rs`: the team name and its case-folded key; `queries.rs`: the SQL;
//! - `entity.rs`: the typed row.

pub mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod view;

use agora_core::ErrorCode;
use axum::http::StatusCode;

agora_core::id_type!(
    /// Identifies a constructor (a user's team in one league).
    ConstructorId
);

pub const LEAGUE_FULL: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "league_full",
    when: "A join found the league at its `max_teams` constructors.",
    what_to_do: "Join another league, or ask its creator to raise `max_teams`.",
};

pub const ALREADY_JOINED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_joined",
    when: "The caller already has a constructor in this league (one per user and league).",
    what_to_do: "Use your constructor (`GET /api/v1/fantasy/constructors?league_id=…&user_id=me`).",
};

pub const TEAM_NAME_TAKEN: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "team_name_taken",
    when: "Another constructor of the league has this team name (compared without case).",
    what_to_do: "Choose another `team_name`.",
};
