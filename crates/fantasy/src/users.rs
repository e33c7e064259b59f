//! The accounts the module's views name (a league's creator, a constructor's owner), as
//! anyone may see them: one query for a whole page.

use std::collections::HashMap;

use agora_core::{ApiError, ApiResult};
use agora_platform::entities::users;
use agora_platform::identity::model::UserSummary;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The summaries of the users `ids`.
pub async fn summaries(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<Summaries> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Summaries(HashMap::new()));
    }
    let rows = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(conn)
        .await
        .map_err(agora_store::DbError::from)?;
    Ok(Summaries(
        rows.into_iter()
            .map(|row| (row.id, UserSummary::from(row)))
            .collect(),
    ))
}

/// Summaries by user id.
#[derive(Debug, Clone, Default)]
pub struct Summaries(HashMap<Uuid, UserSummary>);

impl Summaries {
    /// The summary of `id`, which the page named (accounts are never deleted while a row
    /// refers to them: the foreign keys cascade).
    pub fn get(&self, id: Uuid) -> ApiResult<UserSummary> {
        self.0
            .get(&id)
            .cloned()
            .ok_or_else(|| ApiError::internal(format_args!("user {id} is missing")))
    }
}
