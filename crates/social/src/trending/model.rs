//! The parameters and answer of `GET /tickers/trending`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A window of time over which tickers trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum TrendWindow {
    #[serde(rename = "1h")]
    Hour,
    #[default]
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
}

impl TrendWindow {
    pub const ALL: [TrendWindow; 3] = [TrendWindow::Hour, TrendWindow::Day, TrendWindow::Week];

    /// The stored (and serialised) name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrendWindow::Hour => "1h",
            TrendWindow::Day => "24h",
            TrendWindow::Week => "7d",
        }
    }

    pub fn length(self) -> chrono::Duration {
        match self {
            TrendWindow::Hour => chrono::Duration::hours(1),
            TrendWindow::Day => chrono::Duration::hours(24),
            TrendWindow::Week => chrono::Duration::days(7),
        }
    }
}

/// `?window=&limit=`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendingParams {
    /// `1h`, `24h` (the default) or `7d`.
    #[param(inline)]
    pub window: Option<TrendWindow>,
    /// 1–100, default 10.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// The tickers named by the most authors over a window, as last computed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrendingTickers {
    pub window: TrendWindow,
    /// When the ranking was computed (it is refreshed every minute); null before the first
    /// refresh.
    pub computed_at: Option<DateTime<Utc>>,
    /// Most authors first, then most posts, then by symbol.
    pub items: Vec<TrendingTicker>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrendingTicker {
    /// 1 for the first.
    pub rank: i32,
    pub symbol: String,
    /// How many accounts named it in the window (each counts once, however often it posted).
    pub authors: i64,
    /// How many posts named it in the window.
    pub posts: i64,
}
