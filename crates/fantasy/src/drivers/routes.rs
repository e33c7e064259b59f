//! `GET /fantasy/drivers` and `GET /fantasy/drivers/{id}`: public reads.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams};
use agora_core::{ApiError, ApiResult};
use agora_platform::AppState;
use axum::extract::State;
use uuid::Uuid;

use super::DriverId;
use super::model::{Driver, DriverFilter};
use super::queries::{self, BY_NAME, Filter};
use crate::params::{check_season, check_text};
use crate::seasons::queries as seasons;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A season's drivers, by family name, with their fantasy points.
#[utoipa::path(get, path = "/fantasy/drivers", tag = "fantasy",
    params(DriverFilter),
    responses(
        (status = 200, description = "A page of drivers (empty when the season was never imported)", body = CursorPage<Driver>),
        (status = 422, description = "A season out of range, an unknown status, a text too long or a bad cursor"),
    ))]
pub async fn list_drivers(
    State(state): State<AppState>,
    Query(params): Query<DriverFilter>,
) -> ApiResult<Json<CursorPage<Driver>>> {
    let season = params
        .season
        .map(|s| check_season("season", s))
        .transpose()?;
    let team = check_text("team", params.team.as_deref(), 64)?;
    let q = check_text("q", params.q.as_deref(), 100)?;
    let page = CursorParams::new(params.limit, params.cursor.as_deref()).resolve(BY_NAME)?;
    let conn = state.db().reader();
    let Some((season_id, year)) = seasons::season_of_list(conn, season).await? else {
        return Ok(Json(CursorPage {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let team = match team {
        Some(team) => Some(seasons::find_team(conn, season_id, &team).await?),
        None => None,
    };
    let filter = Filter {
        season: season_id,
        team,
        status: params.status,
        q,
    };
    let rows = queries::list(conn, &filter, &page).await?;
    let team_ids: Vec<Uuid> = rows.iter().filter_map(|row| row.team_id).collect();
    let teams = seasons::teams(conn, &team_ids).await?;
    let page = page.page(rows, |row| (row.family_name.clone(), row.id));
    Ok(Json(page.map(|row| {
        let team = row.team_id.and_then(|id| teams.get(&id));
        Driver::from_row(row, year, team)
    })))
}

/// One driver in one season, with total and average fantasy points.
#[utoipa::path(get, path = "/fantasy/drivers/{id}", tag = "fantasy",
    params(("id" = DriverId, Path, description = "Driver id (one season's)")),
    responses(
        (status = 200, body = Driver),
        (status = 404, description = "No such driver (or not an id)"),
    ))]
pub async fn get_driver(
    State(state): State<AppState>,
    Path(id): Path<DriverId>,
) -> ApiResult<Json<Driver>> {
    let conn = state.db().reader();
    let row = queries::find(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such driver"))?;
    let year = seasons::years(conn, &[row.season_id])
        .await?
        .get(&row.season_id)
        .copied()
        .ok_or_else(|| ApiError::internal("a driver's season is missing"))?;
    let teams = seasons::teams(conn, &row.team_id.into_iter().collect::<Vec<_>>()).await?;
    let team = row.team_id.and_then(|id| teams.get(&id));
    Ok(Json(Driver::from_row(row, year, team)))
}

/// The routes of drivers, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_drivers))
        .routes(routes!(get_driver))
}
