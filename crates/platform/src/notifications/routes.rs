//! `/api/v1/notifications`: the signed-in user's notifications, their read state, and the
//! channels chosen per kind.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort, Items};
use agora_core::{ApiError, ApiResult, FieldCode, time};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::preferences::{self, Channels, DEFAULT_KIND};
use super::{Notification, NotificationId, queries, unread_count};
use crate::AppState;
use crate::identity::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(count_unread))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(get_preferences))
        .routes(routes!(set_preference, reset_preference))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilter {
    /// Only the unread ones.
    pub unread: Option<bool>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The viewer's in-app notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationFilter),
    responses(
        (status = 200, body = CursorPage<Notification>),
        (status = 401),
        (status = 422, description = "Bad filter or cursor"),
    ))]
async fn list_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<NotificationFilter>,
) -> ApiResult<Json<CursorPage<Notification>>> {
    let page =
        CursorParams::new(filter.limit, filter.cursor.as_deref()).resolve::<Uuid>(NEWEST_FIRST)?;
    let unread_only = filter.unread == Some(true);
    let rows = queries::list(state.db().reader(), viewer.user_id, unread_only, &page).await?;
    Ok(Json(page.page(rows, |row| row.id).map(Notification::from)))
}

/// The one sort of the notification list.
const NEWEST_FIRST: CursorSort = CursorSort::new("notifications", "newest");

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

/// How many in-app notifications the viewer has not read.
#[utoipa::path(get, path = "/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = UnreadCount),
        (status = 401),
    ))]
async fn count_unread(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<UnreadCount>> {
    let unread = unread_count(state.db().reader(), viewer.user_id).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Marks one of the viewer's notifications read (again is harmless: it keeps the first time).
#[utoipa::path(patch, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = Notification),
        (status = 401),
        (status = 404, description = "No notification of the viewer's with this id"),
    ))]
async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<NotificationId>,
) -> ApiResult<Json<Notification>> {
    let row = queries::mark_read(
        state.db().writer(),
        viewer.user_id,
        id.as_uuid(),
        time::now(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("no notification of yours with this id"))?;
    Ok(Json(Notification::from(row)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MarkedRead {
    /// How many were unread until now.
    pub count: u64,
}

/// Marks every notification of the viewer read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = MarkedRead),
        (status = 401),
    ))]
async fn mark_all_read(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<MarkedRead>> {
    let count = queries::mark_all_read(state.db().writer(), viewer.user_id, time::now()).await?;
    Ok(Json(MarkedRead { count }))
}

/// One kind's channels. The fields of [`Channels`] are spelled out rather than flattened: a
/// flattened `Channels` (which refuses unknown fields) would describe `kind` as forbidden.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KindPreference {
    pub kind: String,
    pub in_app: bool,
    pub email_digest: bool,
    pub realtime: bool,
}

impl KindPreference {
    fn new(kind: String, channels: Channels) -> Self {
        let Channels {
            in_app,
            email_digest,
            realtime,
        } = channels;
        Self {
            kind,
            in_app,
            email_digest,
            realtime,
        }
    }
}

/// The viewer's notification channels: first `default` (for every kind without a choice of
/// its own; the built-in channels until it is chosen), then each kind chosen.
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Items<KindPreference>),
        (status = 401),
    ))]
async fn get_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Items<KindPreference>>> {
    let mut default = Channels::DEFAULT;
    let mut items = Vec::new();
    for (kind, channels) in queries::channels_by_kind(state.db().reader(), viewer.user_id).await? {
        if kind == DEFAULT_KIND {
            default = channels;
        } else {
            items.push(KindPreference::new(kind, channels));
        }
    }
    items.insert(0, KindPreference::new(DEFAULT_KIND.to_owned(), default));
    Ok(Json(Items::new(items)))
}

fn checked_kind(kind: &str) -> ApiResult<()> {
    preferences::check_kind(kind)
        .map_err(|message| ApiError::invalid_field("kind", FieldCode::InvalidEnum, message))
}

/// Chooses the channels of one kind of notification (`default`: of every kind without a
/// choice of its own).
#[utoipa::path(put, path = "/notifications/preferences/{kind}", tag = "notifications", security(("bearer" = [])),
    params(("kind" = String, Path, pattern = "^[a-z0-9_]+(\\.[a-z0-9_]+)*$", max_length = 64, description = "`forum.reply`, ..., or `default`: lowercase words of letters, digits and `_` joined by dots, at most 64 characters")),
    request_body = Channels,
    responses(
        (status = 200, body = KindPreference),
        (status = 401),
        (status = 422, description = "Not a kind, or a missing channel"),
    ))]
async fn set_preference(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    Json(channels): Json<Channels>,
) -> ApiResult<Json<KindPreference>> {
    checked_kind(&kind)?;
    queries::set_preference(
        state.db().writer(),
        viewer.user_id,
        &kind,
        channels,
        time::now(),
    )
    .await?;
    Ok(Json(KindPreference::new(kind, channels)))
}

/// Forgets the choice for one kind: it follows `default` again (and `default`, the built-in
/// channels).
#[utoipa::path(delete, path = "/notifications/preferences/{kind}", tag = "notifications", security(("bearer" = [])),
    params(("kind" = String, Path, pattern = "^[a-z0-9_]+(\\.[a-z0-9_]+)*$", max_length = 64, description = "A kind whose preference is set, or `default`")),
    responses(
        (status = 204, description = "Forgotten (or there was no choice)"),
        (status = 401),
        (status = 422, description = "Not a kind"),
    ))]
async fn reset_preference(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
) -> ApiResult<StatusCode> {
    checked_kind(&kind)?;
    queries::reset_preference(state.db().writer(), viewer.user_id, &kind).await?;
    Ok(StatusCode::NO_CONTENT)
}
