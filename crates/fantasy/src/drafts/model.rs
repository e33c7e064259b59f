//! The drafts' request and response types.

use agora_core::UserId;
use agora_platform::identity::model::UserSummary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::PickId;
use super::entity::draft::DraftOrigin;
use crate::constructors::ConstructorId;
use crate::drivers::DriverId;
use crate::leagues::LeagueId;
use crate::leagues::entity::DraftMethod;
use crate::races::RaceId;
use crate::races::model::DriverRef;

/// `POST /fantasy/leagues/{id}/drafts/initialize`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitializeDraft {
    /// The race to draft for; it must not have started.
    pub race_id: RaceId,
}

/// `PATCH /fantasy/leagues/{id}/drafts/{race_id}`: the order set by hand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDraftOrder {
    /// Every constructor of the league once, in picking order (2–20 of them).
    #[schema(min_items = 2, max_items = 20)]
    pub order: Vec<ConstructorId>,
}

/// `POST /fantasy/constructors/{id}/drafts/{race_id}/picks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakePick {
    /// A driver of the race's season that the league has not picked for this race.
    pub driver_id: DriverId,
}

/// Where a draft stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Picks remain and the race has not started.
    Open,
    /// Every constructor has its drivers.
    Complete,
    /// The race started before every pick was made; no more picks.
    Closed,
}

/// A constructor's place in a draft's order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftSlot {
    /// From 1.
    pub position: i32,
    pub constructor_id: ConstructorId,
    pub team_name: String,
    pub user: UserSummary,
}

/// Whose turn it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftTurn {
    pub pick_number: i32,
    /// 1 or 2.
    pub round: i32,
    pub constructor_id: ConstructorId,
    pub user_id: UserId,
    pub started_at: DateTime<Utc>,
    /// When the pick clock picks for them (`fantasy.pick_clock`); null without a clock.
    pub ends_at: Option<DateTime<Utc>>,
}

/// A driver picked in a draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftPick {
    pub id: PickId,
    pub league_id: LeagueId,
    pub race_id: RaceId,
    pub constructor_id: ConstructorId,
    pub pick_number: i32,
    /// 1 or 2.
    pub round: i32,
    pub driver: DriverRef,
    /// Made by the pick clock (the best driver left by season points), not by the owner.
    pub auto: bool,
    pub created_at: DateTime<Utc>,
}

/// A league's draft of one race: its order, the picks so far and whose turn it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Draft {
    pub league_id: LeagueId,
    pub race_id: RaceId,
    /// The league's method when the draft was initialized.
    pub method: DraftMethod,
    pub origin: DraftOrigin,
    /// For a `random` order, the seed it was shuffled with (a 64-bit number, in decimal): the
    /// order is `random_order(seed, the constructors by id)`, which anyone can replay
    /// (decision 0030). Null for a rotated or manual order.
    pub seed: Option<String>,
    pub order: Vec<DraftSlot>,
    /// In pick order.
    pub picks: Vec<DraftPick>,
    pub picks_made: i32,
    /// Two per constructor.
    pub total_picks: i32,
    pub status: DraftStatus,
    /// Null unless `open`.
    pub next: Option<DraftTurn>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A constructor's picks for one race.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConstructorPicks {
    pub constructor_id: ConstructorId,
    pub race_id: RaceId,
    /// In pick order: at most two.
    pub items: Vec<DraftPick>,
}
