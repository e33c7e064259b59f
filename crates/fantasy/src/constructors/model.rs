//! The constructors' request and response types.

use agora_platform::identity::UserRef;
use agora_platform::identity::model::UserSummary;
use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ConstructorId;
use super::entity::Model;
use crate::leagues::LeagueId;

/// `POST /fantasy/leagues/join`: the league's code and the name of your team in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinLeague {
    /// The league's 8-character join code (any case).
    #[schema(pattern = "^[A-HJKMNP-Za-hjkmnp-z2-9]{8}$")]
    pub code: String,
    /// 1–50 characters of one line, stored trimmed; unique in the league whatever its case.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub team_name: String,
}

impl Screen for JoinLeague {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("team_name", Some(&self.team_name))]
    }
}

/// `GET /fantasy/constructors` parameters. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConstructorFilter {
    /// Only this league's.
    pub league_id: Option<LeagueId>,
    /// Only this user's (`me`: yours, with a token).
    #[param(inline)]
    pub user_id: Option<UserRef>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A user's team in a league.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Constructor {
    pub id: ConstructorId,
    pub league_id: LeagueId,
    pub team_name: String,
    /// Its owner.
    pub user: UserSummary,
    /// Fantasy points of its drivers in the races scored so far (0 until the league's scoring
    /// runs).
    pub total_points: i32,
    pub created_at: DateTime<Utc>,
}

impl Constructor {
    pub fn from_row(row: Model, user: UserSummary) -> Constructor {
        Constructor {
            id: ConstructorId(row.id),
            league_id: LeagueId(row.league_id),
            team_name: row.team_name,
            user,
            total_points: row.total_points,
            created_at: row.created_at,
        }
    }
}
