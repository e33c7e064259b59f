use sea_orm::entity::prelude::*;

/// A notification kept for its recipient: to be listed (`in_app`), or put in a digest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `area.event` (`forum.reply`).
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub title: String,
    pub body: Option<String>,
    pub link: Option<String>,
    /// A JSON value, as text.
    pub payload: String,
    /// Listed and counted as unread.
    pub in_app: bool,
    /// Waiting for the daily digest until `emailed_at` (or read).
    pub digest: bool,
    pub emailed_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The product's group (`social.like:post:{id}`) while one row stands for several.
    pub group_key: Option<String>,
    /// How many notifications of the group it stands for (1 when not grouped).
    pub group_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
