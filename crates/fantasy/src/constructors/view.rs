//! Constructors as clients see them: each with its owner, the owners of a page read at once.

use agora_core::ApiResult;
use sea_orm::ConnectionTrait;

use super::entity::Model;
use super::model::Constructor;
use crate::users;

pub async fn views(conn: &impl ConnectionTrait, rows: Vec<Model>) -> ApiResult<Vec<Constructor>> {
    let owners = users::summaries(conn, rows.iter().map(|row| row.user_id)).await?;
    rows.into_iter()
        .map(|row| {
            let owner = owners.get(row.user_id)?;
            Ok(Constructor::from_row(row, owner))
        })
        .collect()
}

pub async fn view(conn: &impl ConnectionTrait, row: Model) -> ApiResult<Constructor> {
    let owners = users::summaries(conn, [row.user_id]).await?;
    let owner = owners.get(row.user_id)?;
    Ok(Constructor::from_row(row, owner))
}
