//! League scoring: each constructor's points in a race are the fantasy points of the two
//! drivers it picked there, in the race and its sprint (`rules.rs` made them at the import).
//!
//! It runs in the import's transaction, for the races whose results it wrote, once a race has
//! its Grand Prix results (a sprint alone, on the Saturday, scores nothing yet). It computes
//! every score of those races from the picks and the results as they now are and writes only
//! those that differ from the stored ones, then sums each changed constructor's scores into its
//! `total_points`. So running it again changes nothing, and corrected results give corrected
//! totals, never added points. The leagues whose scores changed have their standings version
//! raised (their cached leaderboards are left behind) and each changed constructor's owner is
//! told (`fantasy.race_scored`); after the commit, [`after_commit`] pushes the notifications and
//! tells the leagues' rooms (`leaderboard.updated`).

use std::collections::{BTreeSet, HashMap};

use agora_platform::AppState;
use agora_platform::notifications::{self, Delivered, NewNotification};
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::entity::{ActiveModel, Column, Entity};
use crate::constructors::entity as constructor;
use crate::constructors::queries as constructors;
use crate::drafts::entity::pick;
use crate::drafts::room::{self, LeagueEvent};
use crate::leagues::queries as leagues;
use crate::races::entity::race;
use crate::races::entity::result::{self, SessionKind};

/// The notification of a constructor's score in a race, first or corrected.
pub const RACE_SCORED: &str = "fantasy.race_scored";

/// What a scoring changed, for the work after the commit.
#[derive(Debug, Default)]
pub struct Scored {
    /// Scores written (new or corrected).
    pub changed: usize,
    /// The (league, race) pairs whose scores changed.
    pub league_races: BTreeSet<(Uuid, Uuid)>,
    pub delivered: Vec<Delivered>,
}

/// One score as the picks and results now give it.
#[derive(Debug, FromQueryResult)]
struct Computed {
    league_id: Uuid,
    constructor_id: Uuid,
    race_id: Uuid,
    points: i64,
}

/// Scores `races` (those whose results were just written) on `conn`, the import's transaction.
pub async fn score_races(
    conn: &impl ConnectionTrait,
    races: &[Uuid],
    now: DateTime<Utc>,
) -> DbResult<Scored> {
    let finished = with_race_results(conn, races).await?;
    if finished.is_empty() {
        return Ok(Scored::default());
    }
    let computed = compute(conn, &finished).await?;
    let stored: HashMap<(Uuid, Uuid), i32> = Entity::find()
        .filter(Column::RaceId.is_in(finished.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| ((row.constructor_id, row.race_id), row.points))
        .collect();
    // Whatever the database's integer sum type, a score is a few dozen points.
    let changes: Vec<(Computed, i32, Option<i32>)> = computed
        .into_iter()
        .filter_map(|row| {
            let points = i32::try_from(row.points).unwrap_or(i32::MAX);
            let before = stored.get(&(row.constructor_id, row.race_id)).copied();
            (before != Some(points)).then_some((row, points, before))
        })
        .collect();
    if changes.is_empty() {
        return Ok(Scored::default());
    }
    let rows = changes.iter().map(|(row, points, _)| ActiveModel {
        constructor_id: Set(row.constructor_id),
        race_id: Set(row.race_id),
        league_id: Set(row.league_id),
        points: Set(*points),
        scored_at: Set(now),
    });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::ConstructorId, Column::RaceId])
                .update_columns([Column::Points, Column::ScoredAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;

    let changed: Vec<Uuid> = changes.iter().map(|(row, ..)| row.constructor_id).collect();
    update_totals(conn, &changed).await?;
    let league_ids: Vec<Uuid> = changes
        .iter()
        .map(|(row, ..)| row.league_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    leagues::standings_changed(conn, &league_ids).await?;

    let mut scored = Scored {
        changed: changes.len(),
        league_races: changes
            .iter()
            .map(|(row, ..)| (row.league_id, row.race_id))
            .collect(),
        delivered: Vec::new(),
    };
    let teams = constructors::by_ids(conn, &changed).await?;
    let league_rows = leagues::by_ids(conn, &league_ids).await?;
    let race_rows: HashMap<Uuid, race::Model> = race::Entity::find()
        .filter(race::Column::Id.is_in(finished.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    for (row, points, before) in &changes {
        let (Some(team), Some(league), Some(race)) = (
            teams.get(&row.constructor_id),
            league_rows.get(&row.league_id),
            race_rows.get(&row.race_id),
        ) else {
            continue;
        };
        let title = match before {
            None => format!(
                "{} scored {points} points in the {}",
                team.team_name, race.name
            ),
            Some(_) => format!(
                "{}'s score in the {} is now {points} (corrected results)",
                team.team_name, race.name
            ),
        };
        let delivered = notifications::notify(
            conn,
            NewNotification {
                user_id: agora_core::UserId(team.user_id),
                kind: RACE_SCORED.to_owned(),
                actor_id: None,
                title,
                body: Some(format!(
                    "{} has {} points in {}.",
                    team.team_name, team.total_points, league.name
                )),
                link: Some(format!(
                    "/fantasy/leagues/{}/leaderboard?race_id={}",
                    league.id, race.id
                )),
                payload: json!({
                    "league_id": league.id,
                    "race_id": race.id,
                    "constructor_id": team.id,
                    "points": points,
                    "previous_points": before,
                    "total_points": team.total_points,
                }),
            },
            now,
        )
        .await?;
        scored.delivered.extend(delivered);
    }
    Ok(scored)
}

/// Pushes the notifications and tells each league's room which race's scores changed.
pub async fn after_commit(state: &AppState, scored: Scored) {
    for delivered in scored.delivered {
        notifications::after_commit(state, Some(delivered)).await;
    }
    let events = scored
        .league_races
        .into_iter()
        .map(|(league, race)| LeagueEvent {
            league,
            kind: "leaderboard.updated",
            payload: json!({ "league_id": league, "race_id": race }),
        })
        .collect();
    room::publish(state, events).await;
}

/// Those of `races` that have their Grand Prix results.
async fn with_race_results(conn: &impl ConnectionTrait, races: &[Uuid]) -> DbResult<Vec<Uuid>> {
    if races.is_empty() {
        return Ok(Vec::new());
    }
    Ok(result::Entity::find()
        .select_only()
        .column(result::Column::RaceId)
        .distinct()
        .filter(result::Column::RaceId.is_in(races.iter().copied()))
        .filter(result::Column::Session.eq(SessionKind::Race))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Every score of `races`: per league and constructor, the sum of its picked drivers' fantasy
/// points in the race's results (race and sprint); 0 for a driver without a result.
async fn compute(conn: &impl ConnectionTrait, races: &[Uuid]) -> DbResult<Vec<Computed>> {
    let (p, r) = (Alias::new("p"), Alias::new("r"));
    let points = Func::coalesce([
        Expr::from(Func::sum(Expr::col((
            r.clone(),
            result::Column::FantasyPoints,
        )))),
        Expr::val(0),
    ]);
    let select = Query::select()
        .column((p.clone(), pick::Column::LeagueId))
        .column((p.clone(), pick::Column::ConstructorId))
        .column((p.clone(), pick::Column::RaceId))
        .expr_as(
            // PostgreSQL's SUM of integers is a bigint, SQLite's an integer: both read as i64.
            Expr::expr(points).cast_as(Alias::new("bigint")),
            Alias::new("points"),
        )
        .from_as(pick::Entity, p.clone())
        .join_as(
            JoinType::LeftJoin,
            result::Entity,
            r.clone(),
            Expr::col((r.clone(), result::Column::RaceId))
                .equals((p.clone(), pick::Column::RaceId))
                .and(
                    Expr::col((r.clone(), result::Column::DriverId))
                        .equals((p.clone(), pick::Column::DriverId)),
                ),
        )
        .and_where(Expr::col((p.clone(), pick::Column::RaceId)).is_in(races.iter().copied()))
        .group_by_columns([
            (p.clone(), pick::Column::LeagueId),
            (p.clone(), pick::Column::ConstructorId),
            (p, pick::Column::RaceId),
        ])
        .to_owned();
    let statement = conn.get_database_backend().build(&select);
    Ok(Computed::find_by_statement(statement).all(conn).await?)
}

/// Sets each of `ids`' `total_points` to the sum of its scores.
async fn update_totals(conn: &impl ConnectionTrait, ids: &[Uuid]) -> DbResult<()> {
    let totals: Vec<(Uuid, i64)> = Entity::find()
        .select_only()
        .column(Column::ConstructorId)
        .column_as(
            Expr::col(Column::Points)
                .sum()
                .cast_as(Alias::new("bigint")),
            "total",
        )
        .filter(Column::ConstructorId.is_in(ids.iter().copied()))
        .group_by(Column::ConstructorId)
        .into_tuple()
        .all(conn)
        .await?;
    for (id, total) in totals {
        constructor::Entity::update_many()
            .col_expr(
                constructor::Column::TotalPoints,
                Expr::value(i32::try_from(total).unwrap_or(i32::MAX)),
            )
            .filter(constructor::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
