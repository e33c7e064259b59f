//! The leaderboard's parameters and view.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rules::Standing;
use crate::constructors::model::Constructor;
use crate::leagues::LeagueId;
use crate::races::RaceId;

/// `GET /fantasy/leagues/{id}/leaderboard` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    /// A race: the constructors' points in it. Without it, the season's totals.
    pub race_id: Option<RaceId>,
}

/// A league's constructors ranked by points, every constructor once (0 before it scores).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Leaderboard {
    pub league_id: LeagueId,
    /// The race these are the points of; null for the season's totals.
    pub race_id: Option<RaceId>,
    /// Most points first; equal points share a rank (1, 2, 2, 4) and are listed by team name.
    pub items: Vec<LeaderboardLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderboardLine {
    pub rank: u32,
    pub points: i32,
    pub constructor: Constructor,
}

impl Standing for LeaderboardLine {
    fn points(&self) -> i64 {
        self.points.into()
    }
    fn tie_key(&self) -> &str {
        &self.constructor.team_name
    }
}
