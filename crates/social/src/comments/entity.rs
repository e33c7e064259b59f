//! The typed row of `comments`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub post_id: Uuid,
    pub author_id: Uuid,
    /// The comment it answers; null for a comment on the post.
    pub parent_id: Option<Uuid>,
    /// 0 for a comment on the post, its parent's + 1 for a reply.
    pub depth: i16,
    pub content: String,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub like_count: i64,
    pub reply_count: i64,
    /// Hidden by a content rule: seen by its author and the moderators only.
    pub hidden_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
