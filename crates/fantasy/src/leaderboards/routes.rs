//! `GET /fantasy/leagues/{id}/leaderboard`.

use std::collections::HashMap;

use agora_core::extract::{Json, Path, Query};
use agora_core::{ApiError, ApiResult, FieldCode};
use agora_platform::AppState;
use agora_platform::identity::OptionalViewer;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Leaderboard, LeaderboardLine, LeaderboardParams};
use super::queries::{self, Standings};
use super::rules::rank;
use crate::leagues::{self, LeagueId};
use crate::races::{RaceId, queries as races};

/// A league's leaderboard: the season's totals, or with `race_id` the points of one race.
/// Every constructor of the league is listed, with 0 before it scores; equal points share a
/// rank (1, 2, 2, 4).
#[utoipa::path(get, path = "/fantasy/leagues/{id}/leaderboard", tag = "fantasy", security((), ("bearer" = [])),
    params(("id" = LeagueId, Path, description = "League id"), LeaderboardParams),
    responses(
        (status = 200, body = Leaderboard),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such league, or a private one you are not in"),
        (status = 422, description = "`race_id` is not an id or names no race"),
    ))]
pub async fn get_leaderboard(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<LeagueId>,
    Query(params): Query<LeaderboardParams>,
) -> ApiResult<Json<Leaderboard>> {
    let conn = state.db().reader();
    let league = leagues::visible(conn, id, viewer.0.map(|v| v.user_id)).await?;
    if let Some(race) = params.race_id
        && races::find(conn, race).await?.is_none()
    {
        return Err(ApiError::invalid_field(
            "race_id",
            FieldCode::Invalid,
            "names no race",
        ));
    }
    let standings = queries::standings(&state, &league).await?;
    Ok(Json(Leaderboard {
        league_id: id,
        race_id: params.race_id,
        items: lines(standings, params.race_id),
    }))
}

/// The ranked lines of `standings`: for `race`, or the season's.
fn lines(standings: Standings, race: Option<RaceId>) -> Vec<LeaderboardLine> {
    let in_race: HashMap<uuid::Uuid, i32> = match race {
        Some(race) => standings
            .scores
            .iter()
            .filter(|(_, scored_in, _)| *scored_in == race.0)
            .map(|(constructor, _, points)| (*constructor, *points))
            .collect(),
        None => HashMap::new(),
    };
    let lines = standings
        .constructors
        .into_iter()
        .map(|constructor| LeaderboardLine {
            rank: 0,
            points: match race {
                Some(_) => in_race.get(&constructor.id.0).copied().unwrap_or(0),
                None => constructor.total_points,
            },
            constructor,
        })
        .collect();
    rank(lines)
        .into_iter()
        .map(|(rank, line)| LeaderboardLine { rank, ..line })
        .collect()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_leaderboard))
}
