//! `GET /fantasy/races`, `/races/{id}` and `/races/{id}/results`: public reads.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams};
use agora_core::{ApiError, ApiResult, time};
use agora_platform::AppState;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::RaceId;
use super::entity::race;
use super::model::{Race, RaceFilter, RaceResult, RaceResults, ResultsFilter};
use super::queries::{self, BY_ROUND, Filter};
use crate::drivers::queries as drivers;
use crate::params::{check_season, check_text};
use crate::seasons::queries as seasons;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A season's races by round, with their status.
#[utoipa::path(get, path = "/fantasy/races", tag = "fantasy",
    params(RaceFilter),
    responses(
        (status = 200, description = "A page of races (empty when the season was never imported)", body = CursorPage<Race>),
        (status = 422, description = "A season out of range, an unknown status, a country too long or a bad cursor"),
    ))]
pub async fn list_races(
    State(state): State<AppState>,
    Query(params): Query<RaceFilter>,
) -> ApiResult<Json<CursorPage<Race>>> {
    let season = params
        .season
        .map(|s| check_season("season", s))
        .transpose()?;
    let country = check_text("country", params.country.as_deref(), 64)?;
    let page = CursorParams::new(params.limit, params.cursor.as_deref()).resolve(BY_ROUND)?;
    let conn = state.db().reader();
    let Some((season_id, year)) = seasons::season_of_list(conn, season).await? else {
        return Ok(Json(CursorPage {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let filter = Filter {
        season: season_id,
        status: params.status,
        country,
    };
    let now = time::now();
    let rows = queries::list(conn, &filter, &page, now).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let sprints = queries::with_sprint(conn, &ids).await?;
    let page = page.page(rows, |row| (row.round, row.id));
    Ok(Json(page.map(|row| {
        let sprint = sprints.contains(&row.id);
        Race::from_row(row, year, sprint, now)
    })))
}

/// One race, with its session times and status.
#[utoipa::path(get, path = "/fantasy/races/{id}", tag = "fantasy",
    params(("id" = RaceId, Path, description = "Race id")),
    responses(
        (status = 200, body = Race),
        (status = 404, description = "No such race (or not an id)"),
    ))]
pub async fn get_race(
    State(state): State<AppState>,
    Path(id): Path<RaceId>,
) -> ApiResult<Json<Race>> {
    let conn = state.db().reader();
    let row = find(conn, id).await?;
    Ok(Json(view(conn, row).await?))
}

/// A race's results: the race's classification, then the sprint's if it had one.
#[utoipa::path(get, path = "/fantasy/races/{id}/results", tag = "fantasy",
    params(("id" = RaceId, Path, description = "Race id"), ResultsFilter),
    responses(
        (status = 200, description = "The race and its results (no items before they are in)", body = RaceResults),
        (status = 404, description = "No such race (or not an id)"),
        (status = 422, description = "An unknown session"),
    ))]
pub async fn race_results(
    State(state): State<AppState>,
    Path(id): Path<RaceId>,
    Query(params): Query<ResultsFilter>,
) -> ApiResult<Json<RaceResults>> {
    let conn = state.db().reader();
    let row = find(conn, id).await?;
    let results = queries::results(conn, id, params.session).await?;
    let driver_ids: Vec<Uuid> = results.iter().map(|r| r.driver_id).collect();
    let team_ids: Vec<Uuid> = results.iter().map(|r| r.team_id).collect();
    let drivers = drivers::by_ids(conn, &driver_ids).await?;
    let teams = seasons::teams(conn, &team_ids).await?;
    let items = results
        .into_iter()
        .map(|result| {
            let driver = drivers.get(&result.driver_id);
            let team = teams.get(&result.team_id);
            match (driver, team) {
                (Some(driver), Some(team)) => Ok(RaceResult::from_row(result, driver, team)),
                _ => Err(ApiError::internal("a result's driver or team is missing")),
            }
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(RaceResults {
        race: view(conn, row).await?,
        items,
    }))
}

async fn find(conn: &impl ConnectionTrait, id: RaceId) -> ApiResult<race::Model> {
    queries::find(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such race"))
}

async fn view(conn: &impl ConnectionTrait, row: race::Model) -> ApiResult<Race> {
    let year = seasons::years(conn, &[row.season_id])
        .await?
        .get(&row.season_id)
        .copied()
        .ok_or_else(|| ApiError::internal("a race's season is missing"))?;
    let sprint = queries::with_sprint(conn, &[row.id])
        .await?
        .contains(&row.id);
    Ok(Race::from_row(row, year, sprint, time::now()))
}

/// The routes of races, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_races))
        .routes(routes!(get_race))
        .routes(routes!(race_results))
}
