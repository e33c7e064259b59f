//! The leagues' request and response types.

use agora_core::{FieldError, UserId};
use agora_platform::identity::model::UserSummary;
use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LeagueId;
use super::entity::{DraftMethod, Model};
use super::rules;

/// `POST /fantasy/leagues`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeague {
    /// 1–100 characters of one line, stored trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub name: String,
    /// At most 1,000 characters, stored trimmed (empty is none).
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub description: Option<String>,
    /// How many constructors may join: 2–20.
    #[schema(minimum = 2, maximum = 20)]
    pub max_teams: i32,
    /// A private league is seen only by its creator and members, who alone see its join code.
    pub is_private: bool,
    pub draft_method: DraftMethod,
}

impl Screen for CreateLeague {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("name", Some(&self.name)),
            ("description", self.description.as_deref()),
        ]
    }
}

/// What a create or an update writes, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeagueContent {
    pub name: String,
    pub description: Option<String>,
    pub max_teams: i32,
    pub is_private: bool,
    pub draft_method: DraftMethod,
}

impl CreateLeague {
    /// The league this request describes, or every invalid field.
    pub fn content(&self) -> Result<LeagueContent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = rules::name(&self.name).map_err(|e| errors.push(e.at("name")));
        let description = rules::description(self.description.clone())
            .map_err(|e| errors.push(e.at("description")));
        let max_teams =
            rules::max_teams(self.max_teams).map_err(|e| errors.push(e.at("max_teams")));
        match (name, description, max_teams) {
            (Ok(name), Ok(description), Ok(max_teams)) => Ok(LeagueContent {
                name,
                description,
                max_teams,
                is_private: self.is_private,
                draft_method: self.draft_method,
            }),
            _ => Err(errors),
        }
    }
}

/// `PATCH /fantasy/leagues/{id}`: absent fields stay; `description: null` clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeague {
    /// 1–100 characters of one line, stored trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub name: Option<String>,
    /// At most 1,000 characters; `null` or empty clears it.
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(
        value_type = Option<String>,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub description: Option<Option<String>>,
    /// 2–20, and not fewer than the constructors the league has.
    #[schema(minimum = 2, maximum = 20)]
    pub max_teams: Option<i32>,
    pub is_private: Option<bool>,
    /// The method of the drafts initialized from now on (a draft keeps the method it began with).
    pub draft_method: Option<DraftMethod>,
}

impl Screen for UpdateLeague {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("name", self.name.as_deref()),
            (
                "description",
                self.description.as_ref().and_then(|d| d.as_deref()),
            ),
        ]
    }
}

impl UpdateLeague {
    /// `current` with this request's changes applied, or every invalid field.
    pub fn apply_to(&self, current: &Model) -> Result<LeagueContent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut content = LeagueContent {
            name: current.name.clone(),
            description: current.description.clone(),
            max_teams: current.max_teams,
            is_private: current.is_private,
            draft_method: current.draft_method,
        };
        if let Some(name) = &self.name {
            match rules::name(name) {
                Ok(name) => content.name = name,
                Err(e) => errors.push(e.at("name")),
            }
        }
        if let Some(description) = &self.description {
            match rules::description(description.clone()) {
                Ok(description) => content.description = description,
                Err(e) => errors.push(e.at("description")),
            }
        }
        if let Some(max_teams) = self.max_teams {
            match rules::max_teams(max_teams) {
                Ok(max_teams) => content.max_teams = max_teams,
                Err(e) => errors.push(e.at("max_teams")),
            }
        }
        if let Some(is_private) = self.is_private {
            content.is_private = is_private;
        }
        if let Some(method) = self.draft_method {
            content.draft_method = method;
        }
        if errors.is_empty() {
            Ok(content)
        } else {
            Err(errors)
        }
    }

    /// Whether the request changes any user text (to be screened and put on the queue).
    pub fn has_text(&self) -> bool {
        self.name.is_some() || matches!(self.description, Some(Some(_)))
    }
}

/// `GET /fantasy/leagues` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeagueFilter {
    /// Words of the league's name (any case).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A league.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct League {
    pub id: LeagueId,
    pub name: String,
    pub description: Option<String>,
    pub creator: UserSummary,
    /// 2–20.
    pub max_teams: i32,
    /// The constructors it has.
    pub team_count: i32,
    pub is_private: bool,
    /// The method of the drafts initialized from now on.
    pub draft_method: DraftMethod,
    /// The code that joins it (`POST /fantasy/leagues/join`): shown to everyone for a public
    /// league, to its creator and members only for a private one (null for others).
    pub join_code: Option<String>,
    /// Whether the viewer has a constructor in it (false without a viewer).
    pub is_member: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl League {
    /// The view of `row` for `viewer` (a member when `is_member`).
    pub fn from_row(
        row: Model,
        creator: UserSummary,
        viewer: Option<UserId>,
        is_member: bool,
    ) -> League {
        let insider = is_member || viewer.is_some_and(|v| v.0 == row.creator_id);
        League {
            id: LeagueId(row.id),
            join_code: (!row.is_private || insider).then_some(row.join_code),
            name: row.name,
            description: row.description,
            creator,
            max_teams: row.max_teams,
            team_count: row.team_count,
            is_private: row.is_private,
            draft_method: row.draft_method,
            is_member,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
