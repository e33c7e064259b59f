//! Drafts and picks as clients see them (the HTTP answers and the room's events alike).

use std::time::Duration;

use agora_core::{ApiError, ApiResult, UserId};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::PickId;
use super::entity::{draft, pick};
use super::model::{Draft, DraftPick, DraftSlot, DraftStatus, DraftTurn};
use super::queries;
use super::rules::{picker, round_of};
use crate::constructors::{ConstructorId, queries as constructors};
use crate::drivers::queries as drivers;
use crate::leagues::LeagueId;
use crate::races::RaceId;
use crate::races::entity::race;
use crate::races::model::DriverRef;
use crate::users;

/// Where `draft` stands at `now`, for a race that starts at `starts_at`.
pub fn status(draft: &draft::Model, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> DraftStatus {
    if draft.picks_made >= draft.total_picks {
        DraftStatus::Complete
    } else if starts_at <= now {
        DraftStatus::Closed
    } else {
        DraftStatus::Open
    }
}

/// The order of `draft`, read from its row.
pub fn order_of(draft: &draft::Model) -> ApiResult<Vec<Uuid>> {
    draft.order().map_err(ApiError::internal)
}

/// The turn of an open `draft` (`owner` gives a constructor's user).
pub fn next_turn(
    draft: &draft::Model,
    order: &[Uuid],
    owner: impl Fn(Uuid) -> Option<Uuid>,
    clock: Option<Duration>,
) -> Option<DraftTurn> {
    let pick = u32::try_from(draft.picks_made + 1).ok()?;
    let constructor = *picker(draft.method, order, pick)?;
    Some(DraftTurn {
        pick_number: draft.picks_made + 1,
        round: round_of(order.len(), pick).and_then(|r| i32::try_from(r).ok())?,
        constructor_id: ConstructorId(constructor),
        user_id: UserId(owner(constructor)?),
        started_at: draft.turn_started_at,
        ends_at: clock
            .and_then(|clock| chrono::Duration::from_std(clock).ok())
            .map(|clock| draft.turn_started_at + clock),
    })
}

/// `draft` (of `race`) in full: the order with each constructor's owner, the picks with
/// their drivers, the status and the turn.
pub async fn draft(
    conn: &impl ConnectionTrait,
    draft: draft::Model,
    race: &race::Model,
    clock: Option<Duration>,
    now: DateTime<Utc>,
) -> ApiResult<Draft> {
    let order = order_of(&draft)?;
    let teams = constructors::by_ids(conn, &order).await?;
    let owners = users::summaries(conn, teams.values().map(|c| c.user_id)).await?;
    let slots = order
        .iter()
        .zip(1..)
        .map(|(id, position)| {
            let team = teams
                .get(id)
                .ok_or_else(|| ApiError::internal("a draft names a missing constructor"))?;
            Ok(DraftSlot {
                position,
                constructor_id: ConstructorId(team.id),
                team_name: team.team_name.clone(),
                user: owners.get(team.user_id)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let league = LeagueId(draft.league_id);
    let picks = picks(
        conn,
        queries::picks(conn, league, race.id).await?,
        order.len(),
    )
    .await?;
    let status = status(&draft, race.starts_at, now);
    let next = match status {
        DraftStatus::Open => next_turn(
            &draft,
            &order,
            |id| teams.get(&id).map(|c| c.user_id),
            clock,
        ),
        DraftStatus::Complete | DraftStatus::Closed => None,
    };
    Ok(Draft {
        league_id: league,
        race_id: RaceId(draft.race_id),
        method: draft.method,
        origin: draft.origin,
        seed: draft.seed.map(|seed| seed.to_string()),
        order: slots,
        picks,
        picks_made: draft.picks_made,
        total_picks: draft.total_picks,
        status,
        next,
        created_at: draft.created_at,
        updated_at: draft.updated_at,
    })
}

/// `rows` (of one draft of `teams` constructors) with their drivers.
pub async fn picks(
    conn: &impl ConnectionTrait,
    rows: Vec<pick::Model>,
    teams: usize,
) -> ApiResult<Vec<DraftPick>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.driver_id).collect();
    let found = drivers::by_ids(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let driver = found
                .get(&row.driver_id)
                .ok_or_else(|| ApiError::internal("a pick's driver is missing"))?;
            Ok(pick(row, DriverRef::from(driver), teams))
        })
        .collect()
}

/// One pick of a draft of `teams` constructors.
pub fn pick(row: pick::Model, driver: DriverRef, teams: usize) -> DraftPick {
    let round = u32::try_from(row.pick_number)
        .ok()
        .and_then(|n| round_of(teams, n))
        .and_then(|r| i32::try_from(r).ok())
        .unwrap_or(0);
    DraftPick {
        id: PickId(row.id),
        league_id: LeagueId(row.league_id),
        race_id: RaceId(row.race_id),
        constructor_id: ConstructorId(row.constructor_id),
        pick_number: row.pick_number,
        round,
        driver,
        auto: row.auto,
        created_at: row.created_at,
    }
}
