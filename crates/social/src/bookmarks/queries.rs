//! The SQL of bookmarks.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_platform::identity::users as accounts;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait,
    RelationDef, Set,
};
use uuid::Uuid;

use super::entity::{ActiveModel, Column, Entity};
use crate::graph::queries as graph;
use crate::posts::PostId;
use crate::posts::entity::post;

/// Bookmarks `post` for `user`; nothing when it already was.
pub async fn add(
    conn: &impl ConnectionTrait,
    user: UserId,
    post: PostId,
    now: DateTime<Utc>,
) -> DbResult<()> {
    Entity::insert(ActiveModel {
        user_id: Set(user.0),
        post_id: Set(post.0),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([Column::UserId, Column::PostId])
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Removes `user`'s bookmark of `post`, if any.
pub async fn remove(conn: &impl ConnectionTrait, user: UserId, post: PostId) -> DbResult<()> {
    Entity::delete_many()
        .filter(Column::UserId.eq(user.0))
        .filter(Column::PostId.eq(post.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// The ids (as `id`) of the posts among `posts` that `viewer` bookmarked: a part of the post
/// view's one statement of the viewer's flags (`crate::post_view::flags`).
pub fn bookmarked(viewer: UserId, posts: &[Uuid]) -> SelectStatement {
    Entity::find()
        .select_only()
        .column_as(Column::PostId, "id")
        .filter(Column::UserId.eq(viewer.0))
        .filter(Column::PostId.is_in(posts.iter().copied()))
        .into_query()
}

/// One page of `user`'s bookmarked posts, newest bookmark first, with when each was
/// bookmarked: live posts of active accounts, none of an author blocked either way (`page`
/// keyed by (bookmark's `created_at`, post id)).
pub async fn list(
    conn: &impl ConnectionTrait,
    user: UserId,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> DbResult<Vec<(post::Model, DateTime<Utc>)>> {
    let join: RelationDef = Entity::belongs_to(post::Entity)
        .from(Column::PostId)
        .to(post::Column::Id)
        .into();
    let mut select = Entity::find()
        .join(JoinType::InnerJoin, join)
        .filter(Column::UserId.eq(user.0))
        .filter(post::Column::DeletedAt.is_null())
        .filter(accounts::is_active((post::Entity, post::Column::AuthorId)))
        .filter(post::Column::AuthorId.not_in_subquery(graph::blocked_either_way(user)));
    let keyset = Keyset::new(
        [SortKey::desc((Entity, Column::CreatedAt))],
        SortKey::desc((Entity, Column::PostId)),
    );
    if let Some((at, id)) = page.after {
        select = select.filter(keyset.after([at.into(), id.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    let rows = select
        .select_also(post::Entity)
        .limit(page.fetch())
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(bookmark, post)| post.map(|post| (post, bookmark.created_at)))
        .collect())
}
