//! `POST /fantasy/leagues/join` (a user's constructor in a league), `GET /fantasy/constructors`
//! and `GET /fantasy/constructors/{id}`.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams};
use agora_core::{ApiError, ApiResult, Created, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::{OptionalViewer, Viewer};
use agora_platform::moderation::{Screened, Screening, Target};
use axum::extract::State;
use axum::response::Response;

use super::model::{Constructor, ConstructorFilter, JoinLeague};
use super::queries::{self, BY_JOINING, Filter, MEMBER_KEY, TEAM_NAME_KEY};
use super::{ALREADY_JOINED, ConstructorId, LEAGUE_FULL, TEAM_NAME_TAKEN, rules, view};
use crate::leagues::rules::parse_join_code;
use crate::leagues::{LeagueId, queries as leagues};
use crate::moderation::CONSTRUCTOR_TARGET;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two joins "the same request" for `Idempotency-Key`.
const JOIN_ROUTE: &str = "POST /fantasy/leagues/join";

/// Join a league with its code: creates your constructor in it, named `team_name`. The
/// league's creator joins the same way to play in it.
#[utoipa::path(post, path = "/fantasy/leagues/join", tag = "fantasy", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = JoinLeague,
    responses(
        (status = 201, description = "Your constructor (or, with `Idempotent-Replayed: true`, the one an earlier request with this key made)", body = Constructor,
            headers(("Location" = String, description = "The constructor"))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 404, description = "No league has this code"),
        (status = 409, description = "`league_full`: the league has its `max_teams` constructors; `already_joined`: you have a constructor in it; `team_name_taken`: a constructor of the league has this name (whatever its case)"),
        (status = 422, description = "Invalid fields (`code` is 8 letters and digits but I, L, O, 0 and 1; `team_name` 1–50 characters of one line), `content_rejected` (the team name breaks the community's rules), or `idempotency_key_reused` with another body"),
    ))]
pub async fn join_league(
    State(state): State<AppState>,
    viewer: Viewer,
    key: Option<IdempotencyKey>,
    Screened { body, screening }: Screened<JoinLeague>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(JOIN_ROUTE, &body);
    let code = parse_join_code(&body.code).map_err(|e| e.at("code"));
    let name = rules::team_name(&body.team_name).map_err(|e| e.at("team_name"));
    let (code, name) = match (code, name) {
        (Ok(code), Ok(name)) => (code, name),
        (code, name) => {
            let errors = [code.err(), name.err()].into_iter().flatten().collect();
            return Err(ApiError::validation(errors));
        }
    };
    let flagged = Screening::refuse_hide(screening)?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let league = leagues::find_by_code(&txn, &code)
        .await?
        .ok_or_else(|| ApiError::not_found("no league has this join code"))?;
    let league_id = LeagueId(league.id);
    let already = || {
        ALREADY_JOINED.with_detail("you have a constructor in this league already (one per user)")
    };
    if queries::of_user_in(&txn, league_id, me).await?.is_some() {
        return Err(already());
    }
    if !leagues::take_seat(&txn, league_id, now).await? {
        return Err(LEAGUE_FULL.with_detail(format!(
            "the league has its {} constructors",
            league.max_teams
        )));
    }
    let row = match queries::insert(&txn, league_id, me, &name, now).await {
        Ok(row) => row,
        Err(err) if MEMBER_KEY.broken_by(&err) => return Err(already()),
        Err(err) if TEAM_NAME_KEY.broken_by(&err) => {
            return Err(TEAM_NAME_TAKEN
                .with_detail(format!("a constructor of this league is named `{name}`")));
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(flagged) = flagged {
        let target = Target {
            kind: CONSTRUCTOR_TARGET,
            id: row.id,
            author: me,
            text: &row.team_name,
        };
        flagged.queue(&txn, target, now).await?;
    }
    let constructor = view::view(&txn, row).await?;
    let created = Created::at(
        format!("/fantasy/constructors/{}", constructor.id),
        constructor,
    );
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    Ok(response)
}

/// Constructors of the leagues you may see (public leagues, and private ones you created or
/// play in), in the order they joined.
#[utoipa::path(get, path = "/fantasy/constructors", tag = "fantasy", security((), ("bearer" = [])),
    params(ConstructorFilter),
    responses(
        (status = 200, description = "A page of constructors", body = CursorPage<Constructor>),
        (status = 401, description = "`user_id=me` without a token, or a token that is not valid"),
        (status = 422, description = "A league or user id that is not one, a bad limit or cursor"),
    ))]
pub async fn list_constructors(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Query(params): Query<ConstructorFilter>,
) -> ApiResult<Json<CursorPage<Constructor>>> {
    let user = params.user_id.map(|u| u.resolve(&viewer)).transpose()?;
    let page = CursorParams::new(params.limit, params.cursor.as_deref()).resolve(BY_JOINING)?;
    let conn = state.db().reader();
    let filter = Filter {
        league: params.league_id,
        user,
    };
    let me = viewer.0.map(|v| v.user_id);
    let rows = queries::list(conn, me, &filter, &page).await?;
    let page = page.page(rows, |row| row.id);
    let items = view::views(conn, page.items).await?;
    Ok(Json(CursorPage {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One constructor, with its owner and points.
#[utoipa::path(get, path = "/fantasy/constructors/{id}", tag = "fantasy", security((), ("bearer" = [])),
    params(("id" = ConstructorId, Path, description = "Constructor id")),
    responses(
        (status = 200, body = Constructor),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such constructor, or one of a private league you are not in"),
    ))]
pub async fn get_constructor(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<ConstructorId>,
) -> ApiResult<Json<Constructor>> {
    let conn = state.db().reader();
    let row = queries::find_visible(conn, id, viewer.0.map(|v| v.user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such constructor"))?;
    Ok(Json(view::view(conn, row).await?))
}

/// The routes of constructors, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join_league))
        .routes(routes!(list_constructors))
        .routes(routes!(get_constructor))
}
