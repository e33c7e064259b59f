//! The watchlist's request and response types.

use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct WatchlistItem {
    pub symbol: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Watchlist {
    /// In the order they were added.
    pub items: Vec<WatchlistItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddSymbol {
    /// `AAPL`, `$aapl`, `BRK.B`: 1–10 letters or digits, with at most one inner `.`.
    #[schema(pattern = "^[$#]?([A-Za-z0-9]{1,10}|[A-Za-z0-9]{1,4}\\.[A-Za-z0-9]{1,5})$")]
    pub symbol: String,
}
