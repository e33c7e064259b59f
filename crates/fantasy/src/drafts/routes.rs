//! The drafts' routes: initialize, read and reorder a league's draft of a race; pick, and read
//! a constructor's picks.

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult, Created, FieldCode, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::{OptionalViewer, Viewer};
use axum::extract::State;
use axum::response::Response;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::entity::draft;
use super::model::{ConstructorPicks, Draft, DraftPick, InitializeDraft, MakePick, SetDraftOrder};
use super::service::{self, NotOpened, Picker, Refused};
use super::turn::{self, Change};
use super::{
    DRAFT_CLOSED, DRAFT_COMPLETE, DRAFT_EXISTS, DRAFT_STARTED, DRIVER_TAKEN,
    NOT_ENOUGH_CONSTRUCTORS, NOT_YOUR_TURN, queries, rules, view,
};
use crate::constructors::{ConstructorId, queries as constructors};
use crate::drivers::queries as drivers;
use crate::leagues::routes::require_creator;
use crate::leagues::{self, LeagueId, no_such_league};
use crate::races::RaceId;
use crate::races::entity::race;
use crate::races::model::DriverRef;
use crate::races::queries as races;
use crate::settings;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two requests "the same" for `Idempotency-Key`.
const INITIALIZE_ROUTE: &str = "POST /fantasy/leagues/{id}/drafts/initialize";
const PICK_ROUTE: &str = "POST /fantasy/constructors/{id}/drafts/{race_id}/picks";

fn no_draft() -> ApiError {
    ApiError::not_found("the league has no draft of this race")
}

fn closed() -> ApiError {
    DRAFT_CLOSED.with_detail("the race has started: its draft is closed")
}

fn where_is(league: Uuid, race: Uuid) -> String {
    format!("/fantasy/leagues/{league}/drafts/{race}")
}

async fn find_race(conn: &impl ConnectionTrait, id: RaceId) -> ApiResult<race::Model> {
    races::find(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such race"))
}

async fn find_draft(
    conn: &impl ConnectionTrait,
    league: LeagueId,
    race: Uuid,
) -> ApiResult<draft::Model> {
    queries::find(conn, league, race)
        .await?
        .ok_or_else(no_draft)
}

/// Initialize the league's draft of a race (its creator): the first draft's order is a
/// shuffle of the constructors by a recorded seed, a later one the previous draft's order with
/// its first constructor moved last. The first constructor is told it is their turn.
#[utoipa::path(post, path = "/fantasy/leagues/{id}/drafts/initialize", tag = "fantasy", security(("bearer" = [])),
    params(
        ("id" = LeagueId, Path, description = "League id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = InitializeDraft,
    responses(
        (status = 201, description = "The draft (or, with `Idempotent-Replayed: true`, the one an earlier request with this key initialized)", body = Draft,
            headers(("Location" = String, description = "The draft"))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 403, description = "Not the league's creator"),
        (status = 404, description = "No such league, or a private one you are not in"),
        (status = 409, description = "`draft_exists`: the league has a draft of this race; `draft_closed`: the race has started; `not_enough_constructors`: the league has fewer than two"),
        (status = 422, description = "Invalid fields (`race_id` names no race), or `idempotency_key_reused` with another body"),
    ))]
pub async fn initialize_draft(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<LeagueId>,
    key: Option<IdempotencyKey>,
    Json(body): Json<InitializeDraft>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(INITIALIZE_ROUTE, &(id, &body));
    let clock = settings::of(&state)?.pick_clock;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let league = leagues::visible(&txn, id, Some(me)).await?;
    require_creator(&league, me)?;
    let race = races::find(&txn, body.race_id)
        .await?
        .ok_or_else(|| ApiError::invalid_field("race_id", FieldCode::Invalid, "names no race"))?;
    if race.starts_at <= now {
        return Err(closed());
    }
    let draft = match service::open(&txn, &league, &race, Some(me), now).await? {
        Ok(draft) => draft,
        Err(NotOpened::Exists) => {
            return Err(DRAFT_EXISTS.with_detail("the league has a draft of this race already"));
        }
        Err(NotOpened::TooFewConstructors(n)) => {
            return Err(NOT_ENOUGH_CONSTRUCTORS.with_detail(format!(
                "the league has {n} constructor(s); a draft needs {}",
                service::MIN_CONSTRUCTORS
            )));
        }
    };
    let change = Change {
        league: &league,
        race: &race,
        draft: &draft,
        pick: None,
        by: None,
    };
    let followups = turn::began(&txn, clock, change, now).await?;
    let body = view::draft(&txn, draft, &race, clock, now).await?;
    let created = Created::at(where_is(league.id, race.id), body);
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    followups.announce(&state).await;
    Ok(response)
}

/// A league's draft of a race: its order, the picks made and whose turn it is.
#[utoipa::path(get, path = "/fantasy/leagues/{id}/drafts/{race_id}", tag = "fantasy", security((), ("bearer" = [])),
    params(
        ("id" = LeagueId, Path, description = "League id"),
        ("race_id" = RaceId, Path, description = "Race id"),
    ),
    responses(
        (status = 200, body = Draft),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such league (or a private one you are not in), no such race, or no draft of it in the league"),
    ))]
pub async fn get_draft(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path((id, race_id)): Path<(LeagueId, RaceId)>,
) -> ApiResult<Json<Draft>> {
    let clock = settings::of(&state)?.pick_clock;
    let conn = state.db().reader();
    let league = leagues::visible(conn, id, viewer.0.map(|v| v.user_id)).await?;
    let race = find_race(conn, race_id).await?;
    let draft = find_draft(conn, LeagueId(league.id), race.id).await?;
    Ok(Json(
        view::draft(conn, draft, &race, clock, time::now()).await?,
    ))
}

/// Set a draft's order by hand (the league's creator), until its first pick: every
/// constructor of the league once. The turn starts again with the new first constructor.
#[utoipa::path(patch, path = "/fantasy/leagues/{id}/drafts/{race_id}", tag = "fantasy", security(("bearer" = [])),
    params(
        ("id" = LeagueId, Path, description = "League id"),
        ("race_id" = RaceId, Path, description = "Race id"),
    ),
    request_body = SetDraftOrder,
    responses(
        (status = 200, description = "The draft with its new order", body = Draft),
        (status = 401),
        (status = 403, description = "Not the league's creator"),
        (status = 404, description = "No such league (or a private one you are not in), no such race, or no draft of it in the league"),
        (status = 409, description = "`draft_started`: a pick was made; `draft_closed`: the race has started"),
        (status = 422, description = "`order` is not each of the league's constructors once (2–20 of them)"),
    ))]
pub async fn set_draft_order(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, race_id)): Path<(LeagueId, RaceId)>,
    Json(body): Json<SetDraftOrder>,
) -> ApiResult<Json<Draft>> {
    let clock = settings::of(&state)?.pick_clock;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let league = leagues::visible(&txn, id, Some(me)).await?;
    require_creator(&league, me)?;
    let race = find_race(&txn, race_id).await?;
    let draft = find_draft(&txn, id, race.id).await?;
    let members: Vec<Uuid> = constructors::of_league(&txn, id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let order: Vec<Uuid> = body.order.iter().map(|c| c.0).collect();
    rules::check_order(&order, &members).map_err(|e| ApiError::invalid("order", e))?;
    if race.starts_at <= now {
        return Err(closed());
    }
    let started = || DRAFT_STARTED.with_detail("picks have been made: the order stays");
    if draft.picks_made > 0 || !queries::set_order(&txn, draft.id, &order, me, now).await? {
        return Err(started());
    }
    let draft = find_draft(&txn, id, race.id).await?;
    let change = Change {
        league: &league,
        race: &race,
        draft: &draft,
        pick: None,
        by: None,
    };
    let followups = turn::began(&txn, clock, change, now).await?;
    let body = view::draft(&txn, draft, &race, clock, now).await?;
    txn.commit().await?;
    followups.announce(&state).await;
    Ok(Json(body))
}

/// Pick a driver for your constructor in its league's draft of a race: when it is your turn,
/// before the race starts, a driver of the race's season the league has not picked for it.
/// The next constructor is told it is their turn.
#[utoipa::path(post, path = "/fantasy/constructors/{id}/drafts/{race_id}/picks", tag = "fantasy", security(("bearer" = [])),
    params(
        ("id" = ConstructorId, Path, description = "Your constructor's id"),
        ("race_id" = RaceId, Path, description = "Race id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = MakePick,
    responses(
        (status = 201, description = "The pick (or, with `Idempotent-Replayed: true`, the one an earlier request with this key made)", body = DraftPick,
            headers(("Location" = String, description = "The constructor's picks of the race"))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 403, description = "Not your constructor"),
        (status = 404, description = "No such constructor (or one of a private league you are not in), no such race, or no draft of it in the league"),
        (status = 409, description = "`not_your_turn`: another constructor's turn (or yours is not in this draft); `driver_taken`: the league picked this driver for this race; `draft_closed`: the race has started; `draft_complete`: every pick is made (two per constructor, or the season's whole field when it is smaller)"),
        (status = 422, description = "Invalid fields (`driver_id` is not a driver of the race's season), or `idempotency_key_reused` with another body"),
    ))]
pub async fn make_pick(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, race_id)): Path<(ConstructorId, RaceId)>,
    key: Option<IdempotencyKey>,
    Json(body): Json<MakePick>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(PICK_ROUTE, &(id, race_id, &body));
    let clock = settings::of(&state)?.pick_clock;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let constructor = constructors::find_visible(&txn, id, Some(me))
        .await?
        .ok_or_else(|| ApiError::not_found("no such constructor"))?;
    if constructor.user_id != me.0 {
        return Err(ApiError::forbidden("this is not your constructor"));
    }
    let league_id = LeagueId(constructor.league_id);
    let league = leagues::queries::find(&txn, league_id)
        .await?
        .ok_or_else(no_such_league)?;
    let race = find_race(&txn, race_id).await?;
    let draft = find_draft(&txn, league_id, race.id).await?;
    let driver = drivers::find(&txn, body.driver_id)
        .await?
        .filter(|driver| driver.season_id == race.season_id)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "driver_id",
                FieldCode::Invalid,
                "is not a driver of the race's season",
            )
        })?;
    let picker = Picker::Owner(constructor.id);
    let made = match service::pick(&txn, draft, &race, picker, driver.id, now).await? {
        Ok(made) => made,
        Err(refused) => return Err(refusal(refused)),
    };
    let teams = view::order_of(&made.draft)?.len();
    let pick = view::pick(made.pick, DriverRef::from(&driver), teams);
    let change = Change {
        league: &league,
        race: &race,
        draft: &made.draft,
        pick: Some(pick.clone()),
        by: Some(me),
    };
    let followups = turn::began(&txn, clock, change, now).await?;
    let created = Created::at(
        format!(
            "/fantasy/constructors/{}/drafts/{}",
            constructor.id, race.id
        ),
        pick,
    );
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    followups.announce(&state).await;
    Ok(response)
}

/// The problem of a refused pick.
fn refusal(refused: Refused) -> ApiError {
    match refused {
        Refused::Closed => closed(),
        Refused::Complete => DRAFT_COMPLETE.with_detail("every pick of this draft is made"),
        Refused::NotYourTurn => NOT_YOUR_TURN.with_detail(
            "it is not your constructor's turn in this draft: read the draft's `next`",
        ),
        Refused::DriverTaken => {
            DRIVER_TAKEN.with_detail("the league has picked this driver for this race already")
        }
    }
}

/// A constructor's picks for a race.
#[utoipa::path(get, path = "/fantasy/constructors/{id}/drafts/{race_id}", tag = "fantasy", security((), ("bearer" = [])),
    params(
        ("id" = ConstructorId, Path, description = "Constructor id"),
        ("race_id" = RaceId, Path, description = "Race id"),
    ),
    responses(
        (status = 200, body = ConstructorPicks),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such constructor (or one of a private league you are not in), no such race, or no draft of it in the league"),
    ))]
pub async fn constructor_picks(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path((id, race_id)): Path<(ConstructorId, RaceId)>,
) -> ApiResult<Json<ConstructorPicks>> {
    let conn = state.db().reader();
    let constructor = constructors::find_visible(conn, id, viewer.0.map(|v| v.user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such constructor"))?;
    let race = find_race(conn, race_id).await?;
    let draft = find_draft(conn, LeagueId(constructor.league_id), race.id).await?;
    let teams = view::order_of(&draft)?.len();
    let rows = queries::picks_of(conn, constructor.id, race.id).await?;
    Ok(Json(ConstructorPicks {
        constructor_id: ConstructorId(constructor.id),
        race_id: RaceId(race.id),
        items: view::picks(conn, rows, teams).await?,
    }))
}

/// The routes of drafts, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(initialize_draft))
        .routes(routes!(get_draft, set_draft_order))
        .routes(routes!(make_pick))
        .routes(routes!(constructor_picks))
}
