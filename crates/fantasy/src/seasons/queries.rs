//! The SQL of seasons and teams.

use std::collections::HashMap;

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::entity::{season, team};
use crate::jolpica::wire::Constructor;

/// The id of season `year`, created if new; its `synced_at` becomes `now`.
pub async fn upsert_season(
    conn: &impl ConnectionTrait,
    year: i32,
    now: DateTime<Utc>,
) -> DbResult<Uuid> {
    season::Entity::insert(season::ActiveModel {
        id: Set(Uuid::now_v7()),
        year: Set(year),
        created_at: Set(now),
        synced_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(season::Column::Year)
            .update_column(season::Column::SyncedAt)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let id = season::Entity::find()
        .select_only()
        .column(season::Column::Id)
        .filter(season::Column::Year.eq(year))
        .into_tuple::<Uuid>()
        .one(conn)
        .await?;
    id.ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("season {year}")).into())
}

/// The id of season `year`, if it was ever imported.
pub async fn find_season(conn: &impl ConnectionTrait, year: i32) -> DbResult<Option<Uuid>> {
    Ok(season::Entity::find()
        .select_only()
        .column(season::Column::Id)
        .filter(season::Column::Year.eq(year))
        .into_tuple::<Uuid>()
        .one(conn)
        .await?)
}

/// Writes `teams` of `season` (new ones added, known ones renamed).
pub async fn upsert_teams(
    conn: &impl ConnectionTrait,
    season: Uuid,
    teams: &[&Constructor],
) -> DbResult<()> {
    if teams.is_empty() {
        return Ok(());
    }
    let rows = teams.iter().map(|team| team::ActiveModel {
        id: Set(Uuid::now_v7()),
        season_id: Set(season),
        external_id: Set(team.constructor_id.clone()),
        name: Set(team.name.clone()),
        nationality: Set(team.nationality.clone()),
    });
    team::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([team::Column::SeasonId, team::Column::ExternalId])
                .update_columns([team::Column::Name, team::Column::Nationality])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The teams of `season` by Jolpica id.
pub async fn team_ids(
    conn: &impl ConnectionTrait,
    season: Uuid,
) -> DbResult<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = team::Entity::find()
        .select_only()
        .column(team::Column::ExternalId)
        .column(team::Column::Id)
        .filter(team::Column::SeasonId.eq(season))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Teams by id (for the views).
pub async fn teams(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, team::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = team::Entity::find()
        .filter(team::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// Seasons by id: their years (for the views).
pub async fn years(conn: &impl ConnectionTrait, ids: &[Uuid]) -> DbResult<HashMap<Uuid, i32>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, i32)> = season::Entity::find()
        .select_only()
        .column(season::Column::Id)
        .column(season::Column::Year)
        .filter(season::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The latest imported season: its id and year.
pub async fn latest_season(conn: &impl ConnectionTrait) -> DbResult<Option<(Uuid, i32)>> {
    use sea_orm::QueryOrder;
    Ok(season::Entity::find()
        .select_only()
        .column(season::Column::Id)
        .column(season::Column::Year)
        .order_by_desc(season::Column::Year)
        .into_tuple()
        .one(conn)
        .await?)
}

/// The season a list is about: `year` if given (none if never imported), else the latest.
pub async fn season_of_list(
    conn: &impl ConnectionTrait,
    year: Option<i32>,
) -> DbResult<Option<(Uuid, i32)>> {
    match year {
        Some(year) => Ok(find_season(conn, year).await?.map(|id| (id, year))),
        None => latest_season(conn).await,
    }
}

/// The team of `season` with Jolpica id `external_id`.
pub async fn find_team(
    conn: &impl ConnectionTrait,
    season: Uuid,
    external_id: &str,
) -> DbResult<Option<Uuid>> {
    Ok(team::Entity::find()
        .select_only()
        .column(team::Column::Id)
        .filter(team::Column::SeasonId.eq(season))
        .filter(team::Column::ExternalId.eq(external_id))
        .into_tuple()
        .one(conn)
        .await?)
}
