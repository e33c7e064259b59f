//! The SQL of posts.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_platform::entities::users;
use agora_platform::identity::users as accounts;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, JoinType, Order, Query, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Set, Statement,
};
use uuid::Uuid;

use super::PostId;
use super::entity::{mention, post, ticker};
use crate::graph::queries as graph;
use crate::hidden;
use crate::tickers::Ticker;

/// What a new post is besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A post of its own.
    Own,
    /// A plain repost of this post (empty content).
    Repost(PostId),
    /// A quote of this post.
    Quote(PostId),
}

/// Writes a new post with its tickers and mentions. A second live plain repost of the same
/// post by the same author is a unique violation (`ux_posts_author_repost`).
pub async fn insert(
    conn: &impl ConnectionTrait,
    author: UserId,
    content: String,
    origin: Origin,
    tickers: &[Ticker],
    mentioned: &[UserId],
    now: DateTime<Utc>,
) -> DbResult<post::Model> {
    let row = post::ActiveModel {
        id: Set(PostId::new().0),
        author_id: Set(author.0),
        content: Set(content),
        created_at: Set(now),
        edited_at: Set(None),
        deleted_at: Set(None),
        hidden_at: Set(None),
        like_count: Set(0),
        comment_count: Set(0),
        repost_count: Set(0),
        repost_of_id: Set(match origin {
            Origin::Repost(of) => Some(of.0),
            _ => None,
        }),
        quote_of_id: Set(match origin {
            Origin::Quote(of) => Some(of.0),
            _ => None,
        }),
    }
    .insert(conn)
    .await?;
    if !tickers.is_empty() {
        ticker::Entity::insert_many(tickers.iter().map(|t| ticker::ActiveModel {
            post_id: Set(row.id),
            symbol: Set(t.as_str().to_owned()),
            created_at: Set(now),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    if !mentioned.is_empty() {
        mention::Entity::insert_many(mentioned.iter().map(|user| mention::ActiveModel {
            post_id: Set(row.id),
            user_id: Set(user.0),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(row)
}

/// The active accounts among the lower-case `usernames`.
pub async fn active_users_named(
    conn: &impl ConnectionTrait,
    usernames: &[String],
) -> DbResult<Vec<users::Model>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::UsernameKey.is_in(usernames.iter().cloned()))
        .filter(users::Column::Status.eq(users::AccountStatus::Active))
        .all(conn)
        .await?)
}

/// The post `id` unless deleted, with its author (an active account).
pub async fn find(conn: &impl ConnectionTrait, id: PostId) -> DbResult<Option<post::Model>> {
    Ok(post::Entity::find_by_id(id.0)
        .filter(post::Column::DeletedAt.is_null())
        .filter(accounts::is_active((post::Entity, post::Column::AuthorId)))
        .one(conn)
        .await?)
}

/// The counters of a post that writes keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Likes,
    Comments,
    Reposts,
}

/// Adds `delta` to one of the post's counters, atomically (`n = n + delta`), and answers the
/// row as it now is (none when there is no such post). The update locks the row until the
/// transaction ends: on a popular post it is the hot spot, so a writer takes it last.
pub async fn adjust(
    conn: &impl ConnectionTrait,
    id: PostId,
    count: Count,
    delta: i64,
) -> DbResult<Option<post::Model>> {
    let column = match count {
        Count::Likes => post::Column::LikeCount,
        Count::Comments => post::Column::CommentCount,
        Count::Reposts => post::Column::RepostCount,
    };
    Ok(post::Entity::update_many()
        .col_expr(column, Expr::col(column).add(delta))
        .filter(post::Column::Id.eq(id.0))
        .exec_with_returning(conn)
        .await?
        .pop())
}

/// The post `id`, deleted or not.
pub async fn find_any(conn: &impl ConnectionTrait, id: PostId) -> DbResult<Option<post::Model>> {
    Ok(post::Entity::find_by_id(id.0).one(conn).await?)
}

/// Marks the post deleted; false when it already was.
pub async fn soft_delete(
    conn: &impl ConnectionTrait,
    id: PostId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = post::Entity::update_many()
        .col_expr(post::Column::DeletedAt, Expr::value(now))
        .filter(post::Column::Id.eq(id.0))
        .filter(post::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Which posts a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// Every post (the public timeline).
    Everyone,
    /// One user's posts (their page; the index `(author_id, created_at, id)`).
    Author(UserId),
    /// The posts that name this ticker.
    Ticker(&'a Ticker),
    /// The home feed of this reader: their own posts and those of whom they follow
    /// ([`feed`]).
    Feed(UserId),
}

/// Up to this many authors, a feed page reads each author's latest posts on its own (below);
/// beyond, one scan of the newest posts (see [`feed`]). SQLite allows 500 terms in a compound
/// SELECT.
pub const FEED_AUTHORS_READ_ONE_BY_ONE: usize = 400;

/// One page of `listing`, newest first, by active accounts only, without the authors `viewer`
/// mutes or is blocked from either way, when one is given and the listing is not one author's
/// (`page` keyed by (`created_at`, id)).
pub async fn listing(
    conn: &impl ConnectionTrait,
    listing: Listing<'_>,
    viewer: Option<UserId>,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<post::Model>> {
    let keyset = newest_first();
    let mut select = post::Entity::find()
        .filter(post::Column::DeletedAt.is_null())
        // A disabled account's posts leave the public lists with it.
        .filter(accounts::is_active((post::Entity, post::Column::AuthorId)))
        // Hidden by moderation: only its author sees it.
        .filter(hidden::visible_to(
            viewer,
            post::Column::HiddenAt,
            post::Column::AuthorId,
        ));
    match listing {
        Listing::Everyone => {}
        Listing::Author(author) => select = select.filter(post::Column::AuthorId.eq(author.0)),
        Listing::Feed(reader) => {
            return feed(conn, reader, page, FEED_AUTHORS_READ_ONE_BY_ONE).await;
        }
        Listing::Ticker(symbol) => {
            select = select.filter(
                post::Column::Id.in_subquery(
                    Query::select()
                        .column(ticker::Column::PostId)
                        .from(ticker::Entity)
                        .and_where(Expr::col(ticker::Column::Symbol).eq(symbol.as_str()))
                        .to_owned(),
                ),
            );
        }
    }
    // Who opens a user's page sees their posts, muted or not (a block is a 404 before this):
    // muting filters the lists the viewer did not choose (timeline, tickers, feed).
    if let Some(viewer) = viewer
        && !matches!(listing, Listing::Author(_))
    {
        select = select
            .filter(post::Column::AuthorId.not_in_subquery(graph::hidden_from(viewer)))
            .filter(no_reposts_of(|author| {
                author.in_subquery(graph::hidden_from(viewer))
            }));
    }
    if let Some((at, id)) = page.after {
        select = select.filter(keyset.after([at.into(), id.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// Leaves out the plain reposts of a post whose author `hidden` picks: a followed account's
/// repost does not bring back an author the reader mutes or is blocked from. (A quote stays:
/// it is its author's own words; the original in it is a tombstone across a block.)
fn no_reposts_of(hidden: impl FnOnce(Expr) -> Expr) -> Expr {
    let original = Alias::new("original");
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(post::Entity, original.clone())
            .and_where(
                Expr::col((original.clone(), post::Column::Id))
                    .equals((post::Entity, post::Column::RepostOfId)),
            )
            .and_where(hidden(Expr::col((original, post::Column::AuthorId))))
            .to_owned(),
    )
    .not()
}

/// The order of every list of posts: newest first, by (`created_at`, id).
fn newest_first() -> Keyset {
    Keyset::new(
        [SortKey::desc((post::Entity, post::Column::CreatedAt))],
        SortKey::desc((post::Entity, post::Column::Id)),
    )
}

/// One page of `reader`'s home feed: their posts and those of the accounts they follow, less
/// the ones they mute and the hidden posts of others, newest first.
///
/// With up to `one_by_one` authors, the page is the newest n of each author's newest n visible
/// posts: each author's keys (time, id) are read from the index `(author_id, created_at, id,
/// deleted_at, hidden_at)` alone, at most n of them, so the cost is bounded by (authors × page
/// size) however much each author posted, and only the n rows of the page are then read from
/// the table. PostgreSQL runs it as one fixed statement (a lateral join over the list of
/// authors, sent as one JSON parameter), planned once; SQLite, which has no lateral join, as a
/// `UNION ALL` of one branch per author (docs/decisions/0025-home-feed.md, "Measurements":
/// planning the union cost PostgreSQL 6–17 ms per page). With more authors, one scan of all
/// posts by the newest, keeping the authors' posts: following that many accounts makes them
/// dense among the newest posts.
pub async fn feed(
    conn: &impl ConnectionTrait,
    reader: UserId,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
    one_by_one: usize,
) -> DbResult<Vec<post::Model>> {
    let graph::FeedSources { authors, hidden } = graph::feed_sources(conn, reader).await?;
    let keyset = newest_first();
    let visible = || {
        let mut select = post::Entity::find()
            .filter(post::Column::DeletedAt.is_null())
            .filter(hidden::visible_to(
                Some(reader),
                post::Column::HiddenAt,
                post::Column::AuthorId,
            ));
        // Only for the few readers who hide someone: it reads each candidate's row, where
        // the rest read the index alone.
        if !hidden.is_empty() {
            select = select.filter(no_reposts_of(|author| author.is_in(hidden.iter().copied())));
        }
        if let Some((at, id)) = page.after {
            select = select.filter(keyset.after([at.into(), id.into()]));
        }
        keyset.order_by(QuerySelect::query(&mut select));
        select.limit(page.fetch())
    };
    if authors.len() > one_by_one {
        return Ok(visible()
            .filter(post::Column::AuthorId.is_in(authors.iter().copied()))
            .all(conn)
            .await?);
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        return feed_by_lateral_join(conn, reader, &authors, &hidden, page).await;
    }
    let branch = |author: Uuid| {
        let keys = visible()
            .select_only()
            .column(post::Column::CreatedAt)
            .column(post::Column::Id)
            .filter(post::Column::AuthorId.eq(author));
        Query::select()
            .column(Asterisk)
            .from_subquery(keys.into_query(), Alias::new("latest"))
            .to_owned()
    };
    let mut authors_iter = authors.iter().copied();
    let Some(first) = authors_iter.next() else {
        return Ok(Vec::new());
    };
    let mut union = branch(first);
    for author in authors_iter {
        union.union(UnionType::All, branch(author));
    }
    let page_alias = Alias::new("page");
    let keys_of_page = Query::select()
        .column(Asterisk)
        .from_subquery(union, Alias::new("feed"))
        .order_by(post::Column::CreatedAt, Order::Desc)
        .order_by(post::Column::Id, Order::Desc)
        .limit(page.fetch())
        .to_owned();
    let mut rows = post::Entity::find();
    QuerySelect::query(&mut rows)
        .join_subquery(
            JoinType::InnerJoin,
            keys_of_page,
            page_alias.clone(),
            Expr::col((page_alias.clone(), post::Column::Id))
                .equals((post::Entity, post::Column::Id)),
        )
        .order_by((page_alias.clone(), post::Column::CreatedAt), Order::Desc)
        .order_by((page_alias, post::Column::Id), Order::Desc);
    Ok(rows.all(conn).await?)
}

/// The feed's page on PostgreSQL (see [`feed`]): one statement whose text does not depend on
/// the number of authors, so the server plans it once per connection.
async fn feed_by_lateral_join(
    conn: &impl ConnectionTrait,
    reader: UserId,
    authors: &[Uuid],
    hidden: &[Uuid],
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<post::Model>> {
    // The same as `no_reposts_of`, with the hidden authors as a JSON parameter; left out of
    // the text for the readers who hide no one.
    let not_reposting_hidden = if hidden.is_empty() {
        ""
    } else {
        "AND NOT EXISTS (SELECT 1 FROM posts AS original \
            WHERE original.id = posts.repost_of_id \
            AND original.author_id::text IN (SELECT jsonb_array_elements_text($4)))"
    };
    let after = if page.after.is_some() {
        "AND (created_at, id) < ($5, $6)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT posts.* FROM posts JOIN ( \
            SELECT latest.created_at, latest.id \
            FROM jsonb_array_elements_text($1) AS followed(author_id) \
            CROSS JOIN LATERAL ( \
                SELECT created_at, id FROM posts \
                WHERE author_id = followed.author_id::uuid AND deleted_at IS NULL \
                    AND (hidden_at IS NULL OR author_id = $2) {not_reposting_hidden} {after} \
                ORDER BY created_at DESC, id DESC LIMIT $3 \
            ) AS latest \
            ORDER BY latest.created_at DESC, latest.id DESC LIMIT $3 \
        ) AS page ON page.id = posts.id \
        ORDER BY page.created_at DESC, page.id DESC"
    );
    let mut values: Vec<sea_orm::Value> = vec![
        serde_json::json!(authors).into(),
        reader.0.into(),
        (page.fetch() as i64).into(),
        serde_json::json!(hidden).into(),
    ];
    if let Some((at, id)) = page.after {
        values.extend([at.into(), id.into()]);
    }
    Ok(post::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .all(conn)
        .await?)
}
