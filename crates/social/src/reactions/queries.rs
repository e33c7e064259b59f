//! The SQL of likes.

use std::collections::HashSet;

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set, TryInsertResult,
};
use uuid::Uuid;

use super::entity::{comment_like, post_like};

/// Likes `post` for `user` if they did not, else takes the like back. The primary key settles
/// concurrent toggles: an insert that conflicts deletes.
pub async fn toggle_post(
    conn: &impl ConnectionTrait,
    user: UserId,
    post: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Toggled> {
    let row = post_like::ActiveModel {
        post_id: Set(post),
        user_id: Set(user.0),
        created_at: Set(now),
    };
    toggle(
        conn,
        row,
        (post_like::Column::PostId, post),
        (post_like::Column::UserId, user),
    )
    .await
}

/// [`toggle_post`] for a comment.
pub async fn toggle_comment(
    conn: &impl ConnectionTrait,
    user: UserId,
    comment: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Toggled> {
    let row = comment_like::ActiveModel {
        comment_id: Set(comment),
        user_id: Set(user.0),
        created_at: Set(now),
    };
    let target = (comment_like::Column::CommentId, comment);
    toggle(conn, row, target, (comment_like::Column::UserId, user)).await
}

/// The toggle of either like table: insert `row` unless the (`target`, `user`) key exists, in
/// which case delete that row.
async fn toggle<E, A>(
    conn: &impl ConnectionTrait,
    row: A,
    (target_column, target): (E::Column, Uuid),
    (user_column, user): (E::Column, UserId),
) -> DbResult<Toggled>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let inserted = E::insert(row)
        .on_conflict_do_nothing_on([target_column, user_column])
        .exec_without_returning(conn)
        .await?;
    if matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0) {
        return Ok(Toggled::Liked);
    }
    let deleted = E::delete_many()
        .filter(target_column.eq(target))
        .filter(user_column.eq(user.0))
        .exec(conn)
        .await?;
    Ok(if deleted.rows_affected > 0 {
        Toggled::Unliked
    } else {
        Toggled::Unchanged
    })
}

/// What a toggle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggled {
    Liked,
    Unliked,
    /// A concurrent toggle took the like back first: nothing to count.
    Unchanged,
}

impl Toggled {
    /// What the like count changes by.
    pub fn delta(self) -> i64 {
        match self {
            Toggled::Liked => 1,
            Toggled::Unliked => -1,
            Toggled::Unchanged => 0,
        }
    }
}

/// The ids (as `id`) of the posts among `posts` that `viewer` likes: a part of the post view's
/// one statement of the viewer's flags (`crate::post_view::flags`).
pub fn liked_posts(viewer: UserId, posts: &[Uuid]) -> SelectStatement {
    post_like::Entity::find()
        .select_only()
        .column_as(post_like::Column::PostId, "id")
        .filter(post_like::Column::UserId.eq(viewer.0))
        .filter(post_like::Column::PostId.is_in(posts.iter().copied()))
        .into_query()
}

/// Which of `comments` `viewer` likes (none without a viewer; one query).
pub async fn liked_comments(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    comments: &[Uuid],
) -> DbResult<HashSet<Uuid>> {
    let Some(viewer) = viewer else {
        return Ok(HashSet::new());
    };
    let ids: Vec<Uuid> = comment_like::Entity::find()
        .select_only()
        .column(comment_like::Column::CommentId)
        .filter(comment_like::Column::UserId.eq(viewer.0))
        .filter(comment_like::Column::CommentId.is_in(comments.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}
