//! The SQL of comments.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_platform::identity::users as accounts;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::CommentId;
use super::entity::{ActiveModel, Column, Entity, Model};
use crate::graph::queries as graph;
use crate::hidden;
use crate::posts::PostId;
use crate::posts::queries as posts;

/// Writes a comment of `author` on `post`, a reply to `parent` at `depth` when given.
pub async fn insert(
    conn: &impl ConnectionTrait,
    post: PostId,
    author: UserId,
    parent: Option<(CommentId, i16)>,
    content: String,
    now: DateTime<Utc>,
) -> DbResult<Model> {
    Ok(ActiveModel {
        id: Set(CommentId::new().0),
        post_id: Set(post.0),
        author_id: Set(author.0),
        parent_id: Set(parent.map(|(id, _)| id.0)),
        depth: Set(parent.map_or(0, |(_, depth)| depth)),
        content: Set(content),
        created_at: Set(now),
        deleted_at: Set(None),
        hidden_at: Set(None),
        like_count: Set(0),
        reply_count: Set(0),
    }
    .insert(conn)
    .await?)
}

/// The comment `id`, unless deleted.
pub async fn find(conn: &impl ConnectionTrait, id: CommentId) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0)
        .filter(Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}

/// The comment `id`, deleted or not.
pub async fn find_any(conn: &impl ConnectionTrait, id: CommentId) -> DbResult<Option<Model>> {
    Ok(Entity::find_by_id(id.0).one(conn).await?)
}

/// Marks `comment` deleted and takes it off its thread's counts (unless hidden, and so never
/// counted); false when it already was deleted.
pub async fn soft_delete(
    conn: &impl ConnectionTrait,
    comment: &Model,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = Entity::update_many()
        .col_expr(Column::DeletedAt, Expr::value(now))
        .filter(Column::Id.eq(comment.id))
        .filter(Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    if comment.hidden_at.is_none() {
        count_in_thread(conn, comment, -1).await?;
    }
    Ok(true)
}

/// Counts `comment` in (`1`) or out (`-1`) of its post's `comment_count` and its parent's
/// `reply_count`. The counts are of what everyone sees: a hidden comment is counted only once
/// a moderator restores it, and not taken off again when it is deleted.
pub async fn count_in_thread(
    conn: &impl ConnectionTrait,
    comment: &Model,
    delta: i64,
) -> DbResult<()> {
    posts::adjust(conn, PostId(comment.post_id), posts::Count::Comments, delta).await?;
    if let Some(parent) = comment.parent_id {
        adjust(conn, CommentId(parent), Count::Replies, delta).await?;
    }
    Ok(())
}

/// The counters of a comment that writes keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Likes,
    Replies,
}

/// Adds `delta` to one of the comment's counters, atomically (`n = n + delta`).
pub async fn adjust(
    conn: &impl ConnectionTrait,
    id: CommentId,
    count: Count,
    delta: i64,
) -> DbResult<()> {
    let column = match count {
        Count::Likes => Column::LikeCount,
        Count::Replies => Column::ReplyCount,
    };
    Entity::update_many()
        .col_expr(column, Expr::col(column).add(delta))
        .filter(Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Which comments a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Thread {
    /// The comments on a post (not the replies).
    Post(PostId),
    /// The replies to a comment.
    Replies(CommentId),
}

/// One page of `thread`, oldest first: comments not deleted, and deleted ones that still have
/// replies (tombstones), by active accounts, without the authors `viewer` mutes or is blocked
/// from either way (`page` keyed by (`created_at`, id)).
pub async fn list(
    conn: &impl ConnectionTrait,
    thread: Thread,
    viewer: Option<UserId>,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<Model>> {
    let keyset = Keyset::new(
        [SortKey::asc((Entity, Column::CreatedAt))],
        SortKey::asc((Entity, Column::Id)),
    );
    let mut select = Entity::find()
        .filter(
            Condition::any()
                .add(Column::DeletedAt.is_null())
                .add(Column::ReplyCount.gt(0)),
        )
        .filter(accounts::is_active((Entity, Column::AuthorId)))
        .filter(hidden::visible_to(
            viewer,
            Column::HiddenAt,
            Column::AuthorId,
        ));
    select = match thread {
        Thread::Post(post) => select
            .filter(Column::PostId.eq(post.0))
            .filter(Column::ParentId.is_null()),
        Thread::Replies(parent) => select.filter(Column::ParentId.eq(parent.0)),
    };
    if let Some(viewer) = viewer {
        select = select.filter(Column::AuthorId.not_in_subquery(graph::hidden_from(viewer)));
    }
    if let Some((at, id)) = page.after {
        select = select.filter(keyset.after([at.into(), id.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}
