//! The SQL of search. Each search reads one page at an offset (ranked results have no key to
//! continue after): `offset` and `limit` are the page's.

use agora_core::UserId;
use agora_platform::entities::users;
use agora_platform::identity::users as accounts;
use agora_store::DbResult;
use agora_store::query::like_prefix;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect,
};

use super::rules;
use crate::graph::queries as graph;
use crate::posts::entity::{post, ticker};

/// Active accounts whose username or display name starts with `prefix` (lower case): the
/// username `prefix` first, then the usernames that start with it, then the display names,
/// each group by username; none blocked by `viewer` or blocking them.
pub async fn users(
    conn: &impl ConnectionTrait,
    prefix: &str,
    viewer: Option<UserId>,
    offset: u64,
    limit: u64,
) -> DbResult<Vec<users::Model>> {
    let username = Expr::col((users::Entity, users::Column::UsernameKey));
    let mut select = users::Entity::find()
        .filter(users::Column::Status.eq(users::AccountStatus::Active))
        .filter(
            Condition::any()
                .add(username.clone().like(like_prefix(prefix)))
                .add(
                    Expr::expr(Func::lower(Expr::col((
                        users::Entity,
                        users::Column::DisplayName,
                    ))))
                    .like(like_prefix(prefix)),
                ),
        );
    if let Some(viewer) = viewer {
        select =
            select.filter(users::Column::Id.not_in_subquery(graph::blocked_either_way(viewer)));
    }
    let closeness = Expr::case(username.clone().eq(prefix), 0)
        .case(username.clone().like(like_prefix(prefix)), 1)
        .finally(2);
    QuerySelect::query(&mut select)
        .order_by_expr(closeness.into(), Order::Asc)
        .order_by((users::Entity, users::Column::UsernameKey), Order::Asc)
        .order_by((users::Entity, users::Column::Id), Order::Asc);
    Ok(select.offset(offset).limit(limit).all(conn).await?)
}

/// The posts that hold every word of `text`, best match first, then newest first, among the
/// `candidates` newest that hold them (`social.search_candidates`): not deleted, by active accounts, none by an author
/// `viewer` mutes or is blocked from either way; none when `text` holds no word
/// ([`rules::words`]). The same function over two indexes, each reading `text` with the
/// tokenizer that indexed the posts: PostgreSQL matches the generated `tsvector` column (GIN
/// index, ranked by `ts_rank`), SQLite the FTS5 table `posts_fts` (ranked by `bm25`).
///
/// Ranking every match made a common word cost a rank per matching post (seconds on the
/// benchmark's data); the newest candidates bound it, and ranking stays among what is
/// current, as a market's talk wants. The candidates are cut before the filters, so a viewer
/// who mutes many of their authors may see fewer.
pub async fn posts(
    conn: &impl ConnectionTrait,
    text: &str,
    viewer: Option<UserId>,
    candidates: u64,
    offset: u64,
    limit: u64,
) -> DbResult<Vec<post::Model>> {
    let words = rules::words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = post::Entity::find()
        .filter(post::Column::DeletedAt.is_null())
        .filter(accounts::is_active((post::Entity, post::Column::AuthorId)))
        .filter(crate::hidden::visible_to(
            viewer,
            post::Column::HiddenAt,
            post::Column::AuthorId,
        ));
    if let Some(viewer) = viewer {
        select = select.filter(post::Column::AuthorId.not_in_subquery(graph::hidden_from(viewer)));
    }
    let query = QuerySelect::query(&mut select);
    match conn.get_database_backend() {
        DatabaseBackend::Postgres => {
            // `plainto_tsquery` reads any text (no syntax to get wrong) with the parser that
            // made the vectors (`$BRK.B` is one word there), joining its words with AND, as
            // the SQLite query does.
            let matches = || {
                Expr::cust_with_values(
                    r#""posts"."search_vector" @@ plainto_tsquery('simple', $1)"#,
                    [text.to_owned()],
                )
            };
            let newest_matches = Query::select()
                .column((post::Entity, post::Column::Id))
                .from(post::Entity)
                .and_where(matches())
                .order_by((post::Entity, post::Column::CreatedAt), Order::Desc)
                .order_by((post::Entity, post::Column::Id), Order::Desc)
                .limit(candidates)
                .to_owned();
            query
                .and_where(Expr::col((post::Entity, post::Column::Id)).in_subquery(newest_matches))
                .order_by_expr(
                    Expr::cust_with_values(
                        r#"ts_rank("posts"."search_vector", plainto_tsquery('simple', $1))"#,
                        [text.to_owned()],
                    ),
                    Order::Desc,
                );
        }
        _ => {
            // FTS5 reads its matches by rowid, newest written last, and stops after the
            // candidates; `bm25` is computed for those alone.
            let newest_matches = Query::select()
                .expr_as(Expr::cust(r#""posts_fts"."rowid""#), Alias::new("rowid"))
                .expr_as(Expr::cust(r#"bm25("posts_fts")"#), Alias::new("score"))
                .from(Alias::new("posts_fts"))
                .and_where(Expr::cust_with_values(
                    r#""posts_fts" MATCH ?"#,
                    [rules::fts5_query(&words)],
                ))
                .order_by_expr(Expr::cust(r#""posts_fts"."rowid""#), Order::Desc)
                .limit(candidates)
                .to_owned();
            query
                .join(
                    JoinType::InnerJoin,
                    Alias::new("post_search"),
                    Expr::cust(r#""post_search"."post_id" = "posts"."id""#),
                )
                .join_subquery(
                    JoinType::InnerJoin,
                    newest_matches,
                    Alias::new("candidates"),
                    Expr::cust(r#""candidates"."rowid" = "post_search"."rowid""#),
                )
                // bm25 is lower for a better match.
                .order_by((Alias::new("candidates"), Alias::new("score")), Order::Asc);
        }
    }
    query
        .order_by((post::Entity, post::Column::CreatedAt), Order::Desc)
        .order_by((post::Entity, post::Column::Id), Order::Desc);
    Ok(select.offset(offset).limit(limit).all(conn).await?)
}

/// The ticker symbols that posts named and that start with `prefix` (upper case), the symbol
/// `prefix` itself first, then alphabetical.
pub async fn tickers(
    conn: &impl ConnectionTrait,
    prefix: &str,
    offset: u64,
    limit: u64,
) -> DbResult<Vec<String>> {
    let symbol = Expr::col(ticker::Column::Symbol);
    let query = Query::select()
        .distinct()
        .column(ticker::Column::Symbol)
        .expr_as(
            Expr::case(symbol.clone().eq(prefix), 0).finally(1),
            Alias::new("exact"),
        )
        .from(ticker::Entity)
        .and_where(symbol.like(like_prefix(prefix)))
        .order_by(Alias::new("exact"), Order::Asc)
        .order_by(ticker::Column::Symbol, Order::Asc)
        .offset(offset)
        .limit(limit)
        .to_owned();
    let rows = conn.query_all(&query).await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "symbol").map_err(Into::into))
        .collect()
}
