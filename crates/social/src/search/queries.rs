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

/// The posts that hold every word of `text`, best match first, then newest first: not
/// deleted, by active accounts, none by an author `viewer` mutes or is blocked from either way;
/// none when `text` holds no word ([`rules::words`]). The same function over two indexes, each
/// reading `text` with the tokenizer that indexed the posts: PostgreSQL matches the generated
/// `tsvector` column (GIN index, ranked by `ts_rank`), SQLite the FTS5 table `posts_fts`
/// (ranked by `bm25`).
pub async fn posts(
    conn: &impl ConnectionTrait,
    text: &str,
    viewer: Option<UserId>,
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
        .filter(crate::moderation::visible_to(
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
            let text = text.to_owned();
            query
                .and_where(Expr::cust_with_values(
                    r#""posts"."search_vector" @@ plainto_tsquery('simple', $1)"#,
                    [text.clone()],
                ))
                .order_by_expr(
                    Expr::cust_with_values(
                        r#"ts_rank("posts"."search_vector", plainto_tsquery('simple', $1))"#,
                        [text],
                    ),
                    Order::Desc,
                );
        }
        _ => {
            query
                .join(
                    JoinType::InnerJoin,
                    Alias::new("post_search"),
                    Expr::cust(r#""post_search"."post_id" = "posts"."id""#),
                )
                .join(
                    JoinType::InnerJoin,
                    Alias::new("posts_fts"),
                    Expr::cust(r#""posts_fts"."rowid" = "post_search"."rowid""#),
                )
                .and_where(Expr::cust_with_values(
                    r#""posts_fts" MATCH ?"#,
                    [rules::fts5_query(&words)],
                ))
                // bm25 is lower for a better match.
                .order_by_expr(Expr::cust(r#"bm25("posts_fts")"#), Order::Asc);
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
