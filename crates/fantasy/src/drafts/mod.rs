//! Drafts (plan: fantasy-f1.md, phase 4): before each race, a league's constructors take turns
//! picking drivers, two each, a driver once per league and race.
//!
//! The league's creator initializes a race's draft: the first draft's order is a shuffle by a
//! recorded seed (replayable: `rules::random_order`), each later one the previous order with
//! its first constructor moved last; the scheduled `fantasy.rotate_drafts` job does that after
//! each race by itself. The creator may set the order by hand until the first pick. Turns
//! follow the order by the league's method (`rules::DraftStrategy`: sequential or snake); a
//! pick is refused out of turn, after the race's start, or for a driver already picked. With
//! `fantasy.pick_clock` set, a turn not taken in time is taken by the `fantasy.auto_pick` job
//! (the best driver left). Each new turn notifies its constructor (`fantasy.pick_turn`) and
//! every change is published in the league's room (`league:{id}`: `draft.order`, `draft.pick`).
//!
//! - `routes.rs`: `POST /fantasy/leagues/{id}/drafts/initialize`, `GET`/`PATCH
//!   /fantasy/leagues/{id}/drafts/{race_id}`, `POST /fantasy/constructors/{id}/drafts/{race_id}/picks`,
//!   `GET /fantasy/constructors/{id}/drafts/{race_id}`;
//! - `service.rs`: opening a draft and making a pick, shared by the routes and the jobs;
//! - `turn.rs`: what follows a new turn (clock, notification, events); `room.rs`: the room;
//! - `jobs.rs`: the pick clock and the rotation; `rules.rs`: turns, orders (unit-tested);
//! - `model.rs`, `view.rs`: requests and views; `queries.rs`: the SQL; `entity.rs`: the rows.

pub mod entity;
pub mod jobs;
pub mod model;
pub mod queries;
pub mod room;
pub mod routes;
pub mod rules;
pub mod service;
pub mod turn;
pub mod view;

use agora_core::ErrorCode;
use axum::http::StatusCode;

agora_core::id_type!(
    /// Identifies a pick of a draft.
    PickId
);

pub const NOT_YOUR_TURN: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "not_your_turn",
    when: "A pick came from a constructor whose turn it is not (another pick may just have moved the turn on), or that is not in the draft's order (it joined after the draft was initialized).",
    what_to_do: "Read the draft (`next` says whose turn it is) and pick when it is yours; events of the league's room tell when.",
};

pub const DRIVER_TAKEN: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "driver_taken",
    when: "The league has picked this driver for this race already.",
    what_to_do: "Pick another driver; the draft lists the picks made.",
};

pub const DRAFT_CLOSED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "draft_closed",
    when: "The race has started: its draft takes no more picks, orders or initialization.",
    what_to_do: "Draft for the next race.",
};

pub const DRAFT_COMPLETE: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "draft_complete",
    when: "Every pick of the draft is made: two per constructor, or the season's whole field when it is smaller.",
    what_to_do: "Nothing to pick; the draft lists the picks.",
};

pub const DRAFT_EXISTS: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "draft_exists",
    when: "The league has a draft of this race already (initialized by its creator or by the rotation after the previous race).",
    what_to_do: "Read it (`GET /api/v1/fantasy/leagues/{id}/drafts/{race_id}`); its order can be set by hand until the first pick.",
};

pub const DRAFT_STARTED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "draft_started",
    when: "The league's creator set a draft's order by hand after its first pick.",
    what_to_do: "The order stays as it is for this race; set the next race's instead.",
};

pub const NOT_ENOUGH_CONSTRUCTORS: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "not_enough_constructors",
    when: "A draft was initialized for a league with fewer than two constructors.",
    what_to_do: "Share the join code; initialize once two constructors have joined.",
};
