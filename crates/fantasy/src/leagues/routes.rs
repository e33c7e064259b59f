//! `GET`/`POST /fantasy/leagues` and `GET`/`PATCH /fantasy/leagues/{id}`.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams};
use agora_core::{ApiError, ApiResult, Created, FieldCode, UserId, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::{OptionalViewer, Viewer};
use agora_platform::moderation::{Screened, Screening, Target};
use axum::extract::State;
use axum::response::Response;
use sea_orm::ConnectionTrait;

use super::entity::Model;
use super::model::{CreateLeague, League, LeagueFilter, UpdateLeague};
use super::queries::{self, NEWEST};
use super::{LeagueId, no_such_league, rules, visible};
use crate::constructors::queries as constructors;
use crate::moderation::LEAGUE_TARGET;
use crate::params::check_text;
use crate::users;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two creates "the same request" for `Idempotency-Key`.
const CREATE_ROUTE: &str = "POST /fantasy/leagues";

/// How many join codes a create draws before it gives up (31^8 codes: a clash is rare, two
/// in a row would take a nearly full code space).
const CODE_ATTEMPTS: usize = 5;

/// Leagues you may see, newest first: the public ones, and the private ones you created or
/// play in.
#[utoipa::path(get, path = "/fantasy/leagues", tag = "fantasy", security((), ("bearer" = [])),
    params(LeagueFilter),
    responses(
        (status = 200, description = "A page of leagues", body = CursorPage<League>),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 422, description = "A `q` over 100 characters, a bad limit or cursor"),
    ))]
pub async fn list_leagues(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Query(params): Query<LeagueFilter>,
) -> ApiResult<Json<CursorPage<League>>> {
    let q = check_text("q", params.q.as_deref(), rules::NAME_MAX)?;
    let page = CursorParams::new(params.limit, params.cursor.as_deref()).resolve(NEWEST)?;
    let conn = state.db().reader();
    let me = viewer.0.map(|v| v.user_id);
    let rows = queries::list(conn, me, q.as_deref(), &page).await?;
    let page = page.page(rows, |row| row.id);
    let items = views(conn, page.items, me).await?;
    Ok(Json(CursorPage {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Create a league. It gets a join code; you join it like anyone to play in it
/// (`POST /fantasy/leagues/join`).
#[utoipa::path(post, path = "/fantasy/leagues", tag = "fantasy", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = CreateLeague,
    responses(
        (status = 201, description = "Created, with its join code (or, with `Idempotent-Replayed: true`, created by an earlier request with this key)", body = League,
            headers(("Location" = String, description = "The league"))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 422, description = "Invalid fields (`name` 1–100 characters of one line, `description` at most 1,000, `max_teams` 2–20), `content_rejected` (the text breaks the community's rules), or `idempotency_key_reused` with another body"),
    ))]
pub async fn create_league(
    State(state): State<AppState>,
    viewer: Viewer,
    key: Option<IdempotencyKey>,
    Screened { body, screening }: Screened<CreateLeague>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(CREATE_ROUTE, &body);
    let content = body.content().map_err(ApiError::validation)?;
    let flagged = Screening::refuse_hide(screening)?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let mut created = None;
    for _ in 0..CODE_ATTEMPTS {
        let code = rules::join_code(&mut rand::rng());
        created = queries::insert(&txn, me, &content, &code, now).await?;
        if created.is_some() {
            break;
        }
    }
    let row = created.ok_or_else(|| ApiError::internal("no free join code was drawn"))?;
    if let Some(flagged) = flagged {
        let text = [Some(row.name.as_str()), row.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let target = Target {
            kind: LEAGUE_TARGET,
            id: row.id,
            author: me,
            text: &text,
        };
        flagged.queue(&txn, target, now).await?;
    }
    let league = view(&txn, row, Some(me)).await?;
    let created = Created::at(format!("/fantasy/leagues/{}", league.id), league);
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    Ok(response)
}

/// One league. A private one is found only by its creator and members.
#[utoipa::path(get, path = "/fantasy/leagues/{id}", tag = "fantasy", security((), ("bearer" = [])),
    params(("id" = LeagueId, Path, description = "League id")),
    responses(
        (status = 200, body = League),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such league, or a private one you are not in"),
    ))]
pub async fn get_league(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<LeagueId>,
) -> ApiResult<Json<League>> {
    let conn = state.db().reader();
    let me = viewer.0.map(|v| v.user_id);
    let row = visible(conn, id, me).await?;
    Ok(Json(view(conn, row, me).await?))
}

/// Change a league (its creator): absent fields stay. `max_teams` cannot go below the
/// constructors it has; a new `draft_method` applies to the drafts initialized after.
#[utoipa::path(patch, path = "/fantasy/leagues/{id}", tag = "fantasy", security(("bearer" = [])),
    params(("id" = LeagueId, Path, description = "League id")),
    request_body = UpdateLeague,
    responses(
        (status = 200, description = "The league as it now is", body = League),
        (status = 401),
        (status = 403, description = "Not the league's creator"),
        (status = 404, description = "No such league, or a private one you are not in"),
        (status = 422, description = "Invalid fields (`name` 1–100 characters of one line, `description` at most 1,000, `max_teams` 2–20 and at least the league's constructors), or `content_rejected` (the text breaks the community's rules)"),
    ))]
pub async fn update_league(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<LeagueId>,
    Screened { body, screening }: Screened<UpdateLeague>,
) -> ApiResult<Json<League>> {
    let flagged = Screening::refuse_hide(screening)?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let current = visible(&txn, id, Some(me)).await?;
    require_creator(&current, me)?;
    let content = body.apply_to(&current).map_err(ApiError::validation)?;
    if !queries::update(&txn, id, &content, now).await? {
        let count = queries::find(&txn, id)
            .await?
            .map_or(current.team_count, |row| row.team_count);
        return Err(ApiError::invalid_field(
            "max_teams",
            FieldCode::OutOfRange,
            format!("must be at least the {count} constructors the league has"),
        ));
    }
    let row = queries::find(&txn, id).await?.ok_or_else(no_such_league)?;
    if let Some(flagged) = flagged.filter(|_| body.has_text()) {
        let text = [Some(row.name.as_str()), row.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let target = Target {
            kind: LEAGUE_TARGET,
            id: row.id,
            author: me,
            text: &text,
        };
        flagged.queue(&txn, target, now).await?;
    }
    let league = view(&txn, row, Some(me)).await?;
    txn.commit().await?;
    Ok(Json(league))
}

/// Only a league's creator manages it (403 for anyone else who can see it).
pub fn require_creator(league: &Model, user: UserId) -> ApiResult<()> {
    if league.creator_id == user.0 {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the league's creator may do this"))
    }
}

/// The view of `row` for `viewer`.
async fn view(
    conn: &impl ConnectionTrait,
    row: Model,
    viewer: Option<UserId>,
) -> ApiResult<League> {
    views(conn, vec![row], viewer)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a league without its view"))
}

/// The views of a page of leagues for `viewer`: creators and memberships read at once.
async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<Model>,
    viewer: Option<UserId>,
) -> ApiResult<Vec<League>> {
    let creators = users::summaries(conn, rows.iter().map(|row| row.creator_id)).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|row| row.id).collect();
    let member_of = match viewer {
        Some(viewer) => constructors::leagues_of(conn, viewer, &ids).await?,
        None => Vec::new(),
    };
    rows.into_iter()
        .map(|row| {
            let creator = creators.get(row.creator_id)?;
            let member = member_of.contains(&row.id);
            Ok(League::from_row(row, creator, viewer, member))
        })
        .collect()
}

/// The routes of leagues, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_leagues, create_league))
        .routes(routes!(get_league, update_league))
}
