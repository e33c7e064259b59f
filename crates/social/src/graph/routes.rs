//! Follows, mutes and blocks: `/users/{user_id}/follow|mute|block`, the followers and
//! following lists, and `/content-filters`.

use agora_core::extract::{Json, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort, PageRequest};
use agora_core::{ApiError, ApiResult, UserId, time};
use agora_platform::AppState;
use agora_platform::entities::users::Model as Account;
use agora_platform::identity::model::UserSummary;
use agora_platform::identity::users::{self, Lookup};
use agora_platform::identity::{OptionalViewer, UserRef, Viewer};
use agora_platform::notifications::{self, NewNotification};
use agora_platform::profiles::{self, Counter};
use agora_store::Transaction;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

use super::entity::RelationKind;
use super::model::{FilterKind, FilterPage, RelatedUser, RelationPage};
use super::queries::{self, Side};
use super::{BLOCKED, SELF_RELATION};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The account `user` names for `viewer` to act on: never the viewer (422), and an active
/// account (404 otherwise, as for one that does not exist).
async fn target(state: &AppState, viewer: &Viewer, user: UserRef) -> ApiResult<UserId> {
    let target = match user {
        UserRef::Me => viewer.user_id,
        UserRef::Id(id) => id,
    };
    if target == viewer.user_id {
        return Err(SELF_RELATION.with_detail("you cannot follow, mute or block yourself"));
    }
    users::find_active(state.db().reader(), Lookup::Id(target.0))
        .await?
        .ok_or_else(no_such_user)?;
    Ok(target)
}

fn no_such_user() -> ApiError {
    ApiError::not_found("no user with this id")
}

/// Follow a user: their posts and reposts join your home feed. Following again changes nothing.
#[utoipa::path(post, path = "/users/{user_id}/follow", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to follow")),
    responses(
        (status = 204, description = "You follow them"),
        (status = 401),
        (status = 404, description = "No such user, or one who blocked you"),
        (status = 409, description = "`blocked`: you blocked them; unblock first"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    if queries::holds(&txn, target, RelationKind::Block, me).await? {
        return Err(no_such_user());
    }
    if queries::holds(&txn, me, RelationKind::Block, target).await? {
        return Err(BLOCKED.with_detail("you blocked this user: unblock them before following"));
    }
    let mut delivered = None;
    if queries::add(&txn, me, RelationKind::Follow, target, now).await? {
        count_follow(&txn, me, target, 1, now).await?;
        let follower = users::find(&txn, me.0).await?.ok_or_else(no_such_user)?;
        delivered = notifications::notify(
            &txn,
            NewNotification {
                user_id: target,
                kind: "social.follow".to_owned(),
                actor_id: Some(me),
                title: format!("{} followed you", follower.username),
                body: None,
                link: Some(format!("/users/{}", follower.username)),
                payload: json!({ "follower": UserSummary::from(follower) }),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    notifications::after_commit(&state, delivered).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop following a user. Not following them changes nothing.
#[utoipa::path(delete, path = "/users/{user_id}/follow", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to stop following")),
    responses(
        (status = 204, description = "You do not follow them"),
        (status = 401),
        (status = 404, description = "No such user"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn unfollow(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    let now = time::now();
    let txn = state.db().begin().await?;
    if queries::remove(&txn, viewer.user_id, RelationKind::Follow, target).await? {
        count_follow(&txn, viewer.user_id, target, -1, now).await?;
    }
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Keeps both profiles' counters in step with a follow that began (`1`) or ended (`-1`).
async fn count_follow(
    txn: &Transaction,
    follower: UserId,
    followed: UserId,
    delta: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    profiles::adjust_counter(txn, follower, Counter::Following, delta, now).await?;
    profiles::adjust_counter(txn, followed, Counter::Followers, delta, now).await?;
    Ok(())
}

/// Mute a user: their posts leave your feed and timelines, and they no longer notify you.
/// They are not told. Muting again changes nothing.
#[utoipa::path(post, path = "/users/{user_id}/mute", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to mute")),
    responses(
        (status = 204, description = "You mute them"),
        (status = 401),
        (status = 404, description = "No such user"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn mute(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    queries::add(
        state.db().writer(),
        viewer.user_id,
        RelationKind::Mute,
        target,
        time::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unmute a user.
#[utoipa::path(delete, path = "/users/{user_id}/mute", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to unmute")),
    responses(
        (status = 204, description = "You do not mute them"),
        (status = 401),
        (status = 404, description = "No such user"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn unmute(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    queries::remove(
        state.db().writer(),
        viewer.user_id,
        RelationKind::Mute,
        target,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Block a user: each of you is hidden from the other, and follows between you end both
/// ways. Blocking again changes nothing.
#[utoipa::path(post, path = "/users/{user_id}/block", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to block")),
    responses(
        (status = 204, description = "You block them"),
        (status = 401),
        (status = 404, description = "No such user"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn block(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    queries::add(&txn, me, RelationKind::Block, target, now).await?;
    for (follower, followed) in [(me, target), (target, me)] {
        if queries::remove(&txn, follower, RelationKind::Follow, followed).await? {
            count_follow(&txn, follower, followed, -1, now).await?;
        }
    }
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblock a user. Follows that the block ended do not come back.
#[utoipa::path(delete, path = "/users/{user_id}/block", tag = "social", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whom to unblock")),
    responses(
        (status = 204, description = "You do not block them"),
        (status = 401),
        (status = 404, description = "No such user"),
        (status = 422, description = "`self_relation`: that is you"),
    ))]
pub async fn unblock(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
) -> ApiResult<StatusCode> {
    let target = target(&state, &viewer, user).await?;
    queries::remove(
        state.db().writer(),
        viewer.user_id,
        RelationKind::Block,
        target,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

const FOLLOWERS: CursorSort = CursorSort::new("followers", "newest");
const FOLLOWING: CursorSort = CursorSort::new("following", "newest");
const MUTES: CursorSort = CursorSort::new("mutes", "newest");
const BLOCKS: CursorSort = CursorSort::new("blocks", "newest");

/// A user's followers, newest first.
#[utoipa::path(get, path = "/users/{user_id}/followers", tag = "social", security((), ("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whose followers"), RelationPage),
    responses(
        (status = 200, body = CursorPage<RelatedUser>),
        (status = 401, description = "`me` without a token, or a token that is not valid"),
        (status = 404, description = "No such user, or one of you blocked the other"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn followers(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
    Query(page): Query<RelationPage>,
) -> ApiResult<Json<CursorPage<RelatedUser>>> {
    relations_of(&state, &viewer, user, page, Side::Holders, FOLLOWERS).await
}

/// Whom a user follows, newest first.
#[utoipa::path(get, path = "/users/{user_id}/following", tag = "social", security((), ("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whose follows"), RelationPage),
    responses(
        (status = 200, body = CursorPage<RelatedUser>),
        (status = 401, description = "`me` without a token, or a token that is not valid"),
        (status = 404, description = "No such user, or one of you blocked the other"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn following(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    axum::extract::Path(user): axum::extract::Path<UserRef>,
    Query(page): Query<RelationPage>,
) -> ApiResult<Json<CursorPage<RelatedUser>>> {
    relations_of(&state, &viewer, user, page, Side::Targets, FOLLOWING).await
}

async fn relations_of(
    state: &AppState,
    viewer: &OptionalViewer,
    user: UserRef,
    page: RelationPage,
    side: Side,
    sort: CursorSort,
) -> ApiResult<Json<CursorPage<RelatedUser>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(sort)?;
    let db = state.db().reader();
    let owner = visible_user(db, viewer, user).await?;
    let viewer = viewer.0.map(|v| v.user_id);
    let rows = queries::list(db, owner, RelationKind::Follow, side, viewer, &page).await?;
    Ok(Json(related_page(&page, rows)))
}

/// The page of `rows` (fetched with one more than the page) as clients see it.
fn related_page(
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
    rows: Vec<(Account, DateTime<Utc>)>,
) -> CursorPage<RelatedUser> {
    page.page(rows, |(user, since)| (*since, user.id))
        .map(|(user, since)| RelatedUser {
            user: UserSummary::from(user),
            since,
        })
}

/// The account a public path names, as `viewer` may see it: `me` needs a token (401); a
/// user that is not an active account, or that is on either side of a block with the viewer,
/// is not found (404).
pub async fn visible_user(
    conn: &impl ConnectionTrait,
    viewer: &OptionalViewer,
    user: UserRef,
) -> ApiResult<UserId> {
    let user = user.resolve(viewer)?;
    users::find_active(conn, Lookup::Id(user.0))
        .await?
        .ok_or_else(no_such_user)?;
    if let Some(viewer) = viewer.0
        && queries::blocked_between(conn, viewer.user_id, user).await?
    {
        return Err(no_such_user());
    }
    Ok(user)
}

/// Whom you mute or block, newest first (`kind`).
#[utoipa::path(get, path = "/content-filters", tag = "social", security(("bearer" = [])),
    params(FilterPage),
    responses(
        (status = 200, body = CursorPage<RelatedUser>),
        (status = 401),
        (status = 422, description = "Bad kind, limit or cursor"),
    ))]
pub async fn content_filters(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<FilterPage>,
) -> ApiResult<Json<CursorPage<RelatedUser>>> {
    let sort = match filter.kind {
        FilterKind::Mute => MUTES,
        FilterKind::Block => BLOCKS,
    };
    let page = CursorParams::new(filter.limit, filter.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(sort)?;
    let rows = queries::list(
        state.db().reader(),
        viewer.user_id,
        filter.kind.into(),
        Side::Targets,
        None,
        &page,
    )
    .await?;
    Ok(Json(related_page(&page, rows)))
}

/// The routes of graph, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(follow, unfollow))
        .routes(routes!(mute, unmute))
        .routes(routes!(block, unblock))
        .routes(routes!(followers))
        .routes(routes!(following))
        .routes(routes!(content_filters))
}
