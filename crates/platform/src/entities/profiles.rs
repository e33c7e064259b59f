use sea_orm::entity::prelude::*;

/// A user's profile; made on the first write (until then the user has the empty profile).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub bio: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    /// A JSON list of strings, as text.
    pub interests: String,
    pub timezone: Option<String>,
    pub country: Option<String>,
    pub ip_hash: Option<String>,
    pub onboarded_at: Option<DateTimeUtc>,
    pub followers_count: i64,
    pub following_count: i64,
    pub posts_count: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
