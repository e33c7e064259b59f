//! A league's standings (its constructors and their scores), read through the cache.

use std::time::Duration;

use agora_core::ApiResult;
use agora_platform::AppState;
use agora_store::DbError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::constructors::model::Constructor;
use crate::constructors::queries as constructors;
use crate::constructors::view;
use crate::leagues::LeagueId;
use crate::leagues::entity::Model as League;
use crate::scoring::entity::{Column, Entity};

/// How long a cached entry is read. A new version makes it unread at once; this bounds how
/// long an owner's changed name or picture may show the old one.
pub const CACHED_FOR: Duration = Duration::from_secs(300);

/// Everything a league's leaderboards show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standings {
    pub constructors: Vec<Constructor>,
    /// (constructor, race, points) of every score of the league.
    pub scores: Vec<(Uuid, Uuid, i32)>,
}

/// The cache entry of `league`'s standings at its current version.
pub fn cache_key(league: &League) -> String {
    format!(
        "fantasy:standings:{}:{}",
        league.id, league.standings_version
    )
}

/// `league`'s standings, from the cache when it holds them at the league's version.
pub async fn standings(state: &AppState, league: &League) -> ApiResult<Standings> {
    let conn = state.db().reader();
    state
        .cache()
        .get_or_load(&cache_key(league), CACHED_FOR, || load(conn, league))
        .await
}

async fn load(conn: &impl ConnectionTrait, league: &League) -> ApiResult<Standings> {
    let rows = constructors::of_league(conn, LeagueId(league.id)).await?;
    let scores = Entity::find()
        .select_only()
        .columns([Column::ConstructorId, Column::RaceId, Column::Points])
        .filter(Column::LeagueId.eq(league.id))
        .into_tuple()
        .all(conn)
        .await
        .map_err(DbError::from)?;
    Ok(Standings {
        constructors: view::views(conn, rows).await?,
        scores,
    })
}
