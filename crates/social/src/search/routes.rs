//! `GET /search`.

use agora_core::extract::{Json, Query};
use agora_core::pagination::{Cursor, CursorParams, CursorSort, check_limit};
use agora_core::{ApiError, ApiResult, FieldCode, UserId};
use agora_platform::AppState;
use agora_platform::identity::OptionalViewer;
use agora_platform::identity::model::UserSummary;
use axum::extract::State;
use sea_orm::ConnectionTrait;

use super::model::{SearchParams, SearchResults, SearchType, TickerMatch};
use super::{queries, rules};
use crate::post_view as view;
use crate::posts::model::Post;
use crate::settings;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How deep a search pages: no cursor leads past the 500th result of a kind.
pub const SEARCH_DEPTH: u64 = 500;

/// How many of each kind `type=all` answers.
pub const ALL_EACH: u64 = 5;

/// Search users, posts and tickers: one kind a page at a time, or the first 5 of each. Users
/// and posts of accounts blocked either way are left out, and so are the posts of muted users
/// (a muted user is still found by name). Posts are ranked among the newest that hold every word
/// of `q` (1,000 unless `social.search_candidates` says otherwise), best match first.
#[utoipa::path(get, path = "/search", tag = "social", security((), ("bearer" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "What was found (a `q` with no word or symbol in it finds nothing)", body = SearchResults),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 422, description = "No `q`, or one longer than 200 characters; a bad `type` or `limit`; a cursor of another search, or one with `type=all`"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let text = rules::query(&params.q).map_err(|e| ApiError::invalid("q", e))?;
    let viewer = viewer.0.map(|v| v.user_id);
    let db = state.db().reader();
    let candidates = settings::of(&state)?.search_candidates;
    let mut results = SearchResults {
        users: Vec::new(),
        posts: Vec::new(),
        tickers: Vec::new(),
        next_cursor: None,
    };
    let (kind, sort) = match params.kind.unwrap_or_default() {
        SearchType::All => {
            check_limit("limit", params.limit)?;
            if params.cursor.is_some() {
                return Err(ApiError::invalid_field(
                    "cursor",
                    FieldCode::InvalidFormat,
                    "`type=all` has a single page; ask for one `type` to page it",
                ));
            }
            results.users = users(db, text, viewer, 0, ALL_EACH).await?;
            results.posts = posts(db, text, viewer, candidates, 0, ALL_EACH).await?;
            results.tickers = tickers(db, text, 0, ALL_EACH).await?;
            return Ok(Json(results));
        }
        SearchType::Users => (SearchType::Users, CursorSort::new("search", "users")),
        SearchType::Posts => (SearchType::Posts, CursorSort::new("search", "posts")),
        SearchType::Tickers => (SearchType::Tickers, CursorSort::new("search", "tickers")),
    };
    let page =
        CursorParams::new(params.limit, params.cursor.as_deref()).resolve::<(u64, String)>(sort)?;
    let offset = match &page.after {
        None => 0,
        Some((offset, searched)) if searched == text && *offset <= SEARCH_DEPTH => *offset,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "cursor",
                FieldCode::InvalidFormat,
                "belongs to another search; start again without it",
            ));
        }
    };
    // One more than the page tells whether another follows.
    let fetch = page.fetch();
    let found = match kind {
        SearchType::Users => {
            results.users = users(db, text, viewer, offset, fetch).await?;
            results.users.len()
        }
        SearchType::Posts => {
            results.posts = posts(db, text, viewer, candidates, offset, fetch).await?;
            results.posts.len()
        }
        _ => {
            results.tickers = tickers(db, text, offset, fetch).await?;
            results.tickers.len()
        }
    };
    let limit = page.limit;
    if u64::try_from(found).unwrap_or(u64::MAX) > limit {
        let keep = usize::try_from(limit).unwrap_or(usize::MAX);
        results.users.truncate(keep);
        results.posts.truncate(keep);
        results.tickers.truncate(keep);
        let next = offset.saturating_add(limit);
        if next < SEARCH_DEPTH {
            results.next_cursor = Some(Cursor::new(sort, (next, text.to_owned())).encode());
        }
    }
    Ok(Json(results))
}

/// The users found by `text` as clients see them (one page at `offset`).
pub async fn users(
    db: &impl ConnectionTrait,
    text: &str,
    viewer: Option<UserId>,
    offset: u64,
    limit: u64,
) -> ApiResult<Vec<UserSummary>> {
    let prefix = rules::name_prefix(text);
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    let rows = queries::users(db, &prefix, viewer, offset, limit).await?;
    Ok(rows.into_iter().map(UserSummary::from).collect())
}

/// The posts found by `text` as clients see them (one page at `offset`, ranked among the
/// `candidates` newest matches): the page and its parts in a fixed number of queries, whatever
/// its size.
pub async fn posts(
    db: &impl ConnectionTrait,
    text: &str,
    viewer: Option<UserId>,
    candidates: u64,
    offset: u64,
    limit: u64,
) -> ApiResult<Vec<Post>> {
    let rows = queries::posts(db, text, viewer, candidates, offset, limit).await?;
    Ok(view::views(db, viewer, rows).await?)
}

/// The ticker symbols found by `text` (one page at `offset`).
pub async fn tickers(
    db: &impl ConnectionTrait,
    text: &str,
    offset: u64,
    limit: u64,
) -> ApiResult<Vec<TickerMatch>> {
    let Some(prefix) = rules::ticker_prefix(text) else {
        return Ok(Vec::new());
    };
    let symbols = queries::tickers(db, &prefix, offset, limit).await?;
    Ok(symbols
        .into_iter()
        .map(|symbol| TickerMatch { symbol })
        .collect())
}

/// The routes of search, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}
