//! What follows when a draft's turn changes (it is initialized, its order is set by hand, or
//! a pick moves it on), in the transaction of that change: the pick clock's job for the new
//! turn, the `fantasy.pick_turn` notification of the constructor whose turn it is, and the
//! room's events, published once the change has committed ([`Followups::announce`]).

use std::time::Duration;

use agora_core::{ApiResult, UserId};
use agora_platform::AppState;
use agora_platform::jobs::{self, Enqueue, Job};
use agora_platform::notifications::{self, Delivered, NewNotification};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::entity::draft;
use super::model::{DraftPick, DraftStatus};
use super::room::{self, LeagueEvent};
use super::view::{next_turn, order_of, status};
use crate::constructors::queries as constructors;
use crate::leagues::entity::Model as League;
use crate::races::entity::race;

/// The notification kind of a pick turn (the recipient's channels for it apply).
pub const PICK_TURN: &str = "fantasy.pick_turn";

/// When a turn's pick clock runs out: if that turn is still waiting, the best driver left by
/// season fantasy points is picked for its constructor (`auto`), and the next turn begins.
/// Identified by the turn (its pick number and when it began): a pick made meanwhile, or an
/// order set again (a new turn 1), leaves it nothing to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutoPick {
    pub league_id: Uuid,
    pub race_id: Uuid,
    pub pick_number: i32,
    pub turn_started_at: DateTime<Utc>,
}

impl Job for AutoPick {
    const KIND: &'static str = "fantasy.auto_pick";
}

impl AutoPick {
    /// One job per turn.
    pub fn unique_key(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            Self::KIND,
            self.league_id,
            self.race_id,
            self.pick_number,
            self.turn_started_at.timestamp_micros()
        )
    }
}

/// What to do once the change has committed.
#[derive(Debug, Default)]
#[must_use = "announce the turn after the commit"]
pub struct Followups {
    delivered: Option<Delivered>,
    events: Vec<LeagueEvent>,
}

impl Followups {
    /// Pushes the notification and publishes the events (after the commit).
    pub async fn announce(self, state: &AppState) {
        notifications::after_commit(state, self.delivered).await;
        room::publish(state, self.events).await;
    }
}

/// The change that gave `draft` (of `league`'s `race`) its current turn.
pub struct Change<'a> {
    pub league: &'a League,
    pub race: &'a race::Model,
    pub draft: &'a draft::Model,
    /// The pick that moved the turn on, if one did.
    pub pick: Option<DraftPick>,
    /// The user who just acted, not told of a turn that is theirs again (a snake's last
    /// constructor of a round picks twice in a row).
    pub by: Option<UserId>,
}

/// In the change's transaction: the clock's job and the notification of the new turn; the
/// events for after the commit.
pub async fn began(
    txn: &impl sea_orm::ConnectionTrait,
    clock: Option<Duration>,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Followups> {
    let Change {
        league,
        race,
        draft,
        pick,
        by,
    } = change;
    let order = order_of(draft)?;
    let teams = constructors::by_ids(txn, &order).await?;
    let status = status(draft, race.starts_at, now);
    let next = match status {
        DraftStatus::Open => {
            next_turn(draft, &order, |id| teams.get(&id).map(|c| c.user_id), clock)
        }
        DraftStatus::Complete | DraftStatus::Closed => None,
    };
    let mut followups = Followups::default();
    if let Some(pick) = &pick {
        followups.events.push(LeagueEvent {
            league: league.id,
            kind: "draft.pick",
            payload: serde_json::to_value(pick).unwrap_or_default(),
        });
    }
    followups.events.push(LeagueEvent {
        league: league.id,
        kind: "draft.order",
        payload: json!({
            "league_id": league.id,
            "race_id": race.id,
            "order": order,
            "picks_made": draft.picks_made,
            "total_picks": draft.total_picks,
            "status": status,
            "next": next,
        }),
    });
    let Some(turn) = next else {
        return Ok(followups);
    };
    if let Some(ends_at) = turn.ends_at {
        let job = AutoPick {
            league_id: league.id,
            race_id: race.id,
            pick_number: turn.pick_number,
            turn_started_at: turn.started_at,
        };
        let options = Enqueue {
            run_at: Some(ends_at),
            unique_key: Some(job.unique_key()),
        };
        jobs::enqueue_with(txn, &job, options, now).await?;
    }
    if by != Some(turn.user_id) {
        let total = draft.total_picks;
        let body = turn.ends_at.map(|at| {
            format!(
                "Pick by {}; after that the best driver left is picked for you.",
                at.format("%Y-%m-%d %H:%M UTC")
            )
        });
        followups.delivered = notifications::notify(
            txn,
            NewNotification {
                user_id: turn.user_id,
                kind: PICK_TURN.to_owned(),
                actor_id: None,
                title: format!(
                    "Your pick in {}: pick {} of {total} for the {}",
                    league.name, turn.pick_number, race.name
                ),
                body,
                link: Some(format!("/fantasy/leagues/{}/drafts/{}", league.id, race.id)),
                payload: json!({
                    "league_id": league.id,
                    "race_id": race.id,
                    "constructor_id": turn.constructor_id,
                    "pick_number": turn.pick_number,
                    "ends_at": turn.ends_at,
                }),
            },
            now,
        )
        .await?;
    }
    Ok(followups)
}
