//! The SQL of drivers: the import's upserts and standings, the list and the look-up.

use std::collections::HashMap;

use agora_core::pagination::{CursorSort, PageRequest};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use agora_store::query::like_contains;
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use super::DriverId;
use super::entity::{ActiveModel, Column, DriverStatus, Entity, Model};
use crate::jolpica::wire;

/// The list's one sort: by family name, then id.
pub const BY_NAME: CursorSort = CursorSort::new("fantasy_drivers", "name.asc");

/// Writes `drivers` of `season`: new ones added (active, no points yet), known ones' personal
/// details refreshed. Their team, number, status and points are the standings' ([`set_standing`]).
pub async fn upsert(
    conn: &impl ConnectionTrait,
    season: Uuid,
    drivers: &[&wire::Driver],
) -> DbResult<()> {
    if drivers.is_empty() {
        return Ok(());
    }
    let rows = drivers.iter().map(|driver| ActiveModel {
        id: Set(Uuid::now_v7()),
        season_id: Set(season),
        external_id: Set(driver.driver_id.clone()),
        team_id: Set(None),
        given_name: Set(driver.given_name.clone()),
        family_name: Set(driver.family_name.clone()),
        code: Set(driver.code.clone()),
        permanent_number: Set(driver.permanent_number),
        number: Set(driver.permanent_number),
        nationality: Set(driver.nationality.clone()),
        date_of_birth: Set(driver.date_of_birth),
        status: Set(DriverStatus::Active),
        total_points: Set(0),
        races_scored: Set(0),
    });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::SeasonId, Column::ExternalId])
                .update_columns([
                    Column::GivenName,
                    Column::FamilyName,
                    Column::Code,
                    Column::PermanentNumber,
                    Column::Nationality,
                    Column::DateOfBirth,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The drivers of `season` by Jolpica id.
pub async fn ids(conn: &impl ConnectionTrait, season: Uuid) -> DbResult<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = Entity::find()
        .select_only()
        .column(Column::ExternalId)
        .column(Column::Id)
        .filter(Column::SeasonId.eq(season))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// What the results say of a driver in the season so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub team: Option<Uuid>,
    pub number: Option<i32>,
    pub status: DriverStatus,
    pub total_points: i32,
    pub races_scored: i32,
}

/// Sets driver `id`'s standing (a driver without results keeps their permanent number).
pub async fn set_standing(
    conn: &impl ConnectionTrait,
    id: Uuid,
    standing: &Standing,
) -> DbResult<()> {
    let number = match standing.number {
        Some(number) => Expr::value(number),
        None => Expr::col(Column::PermanentNumber),
    };
    Entity::update_many()
        .col_expr(Column::TeamId, Expr::value(standing.team))
        .col_expr(Column::Number, number)
        .col_expr(Column::Status, Expr::value(standing.status))
        .col_expr(Column::TotalPoints, Expr::value(standing.total_points))
        .col_expr(Column::RacesScored, Expr::value(standing.races_scored))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every driver id of `season`.
pub async fn all_of_season(conn: &impl ConnectionTrait, season: Uuid) -> DbResult<Vec<Uuid>> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::SeasonId.eq(season))
        .into_tuple()
        .all(conn)
        .await?)
}

pub async fn find(conn: &impl ConnectionTrait, id: DriverId) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0).one(conn).await?)
}

/// Drivers by id (for the results' views).
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> DbResult<HashMap<Uuid, Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// The list's checked filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub season: Uuid,
    /// `Some(None)`: a team that the season does not have (nothing matches).
    pub team: Option<Option<Uuid>>,
    pub status: Option<DriverStatus>,
    pub q: Option<String>,
}

/// One page of drivers by family name.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &Filter,
    page: &PageRequest<(String, Uuid)>,
) -> DbResult<Vec<Model>> {
    let keyset = Keyset::new([SortKey::asc(Column::FamilyName)], SortKey::asc(Column::Id));
    let mut select = Entity::find().filter(condition(filter));
    if let Some((name, id)) = &page.after {
        select = select.filter(keyset.after([name.clone().into(), (*id).into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

fn condition(filter: &Filter) -> Condition {
    let mut all = Condition::all().add(Column::SeasonId.eq(filter.season));
    match filter.team {
        Some(Some(team)) => all = all.add(Column::TeamId.eq(team)),
        Some(None) => all = all.add(Expr::val(1).eq(0)),
        None => {}
    }
    if let Some(status) = filter.status {
        all = all.add(Column::Status.eq(status));
    }
    if let Some(q) = &filter.q {
        let lower = |column: Column| Expr::expr(Func::lower(Expr::col((Entity, column))));
        for word in q.split_whitespace() {
            let pattern = || like_contains(&word.to_lowercase());
            all = all.add(
                Condition::any()
                    .add(lower(Column::GivenName).like(pattern()))
                    .add(lower(Column::FamilyName).like(pattern()))
                    .add(lower(Column::Code).like(pattern()))
                    .add(lower(Column::ExternalId).like(pattern())),
            );
        }
    }
    all
}
