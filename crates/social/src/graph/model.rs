//! The response types of follows, mutes and blocks, and the list parameters.

use agora_platform::identity::model::UserSummary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::entity::RelationKind;

/// A user in a list of relations, and since when the relation holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelatedUser {
    pub user: UserSummary,
    pub since: DateTime<Utc>,
}

/// `?limit=&cursor=` of the followers and following lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelationPage {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /content-filters`: whom the caller mutes or blocks.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FilterPage {
    /// `mute` or `block`.
    #[param(inline)]
    pub kind: FilterKind,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page (of the same `kind`).
    pub cursor: Option<String>,
}

/// The relations that filter content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterKind {
    Mute,
    Block,
}

impl From<FilterKind> for RelationKind {
    fn from(kind: FilterKind) -> RelationKind {
        match kind {
            FilterKind::Mute => RelationKind::Mute,
            FilterKind::Block => RelationKind::Block,
        }
    }
}
