//! The module's settings: `[social]` in `agora.toml`, `AGORA_SOCIAL_*` in the environment.

use agora_core::ApiError;
use agora_core::config::{Field, Section, Setting, SettingsSection, number};
use agora_platform::AppState;

/// What `MODULE.settings` hands to the server.
pub const SECTION: SettingsSection = SettingsSection::of::<SocialSettings>();

#[derive(Debug, Clone, Default)]
pub struct SocialSettings {
    /// How long after publishing its author may edit a post, in minutes (0: never).
    pub edit_window_minutes: u32,
    /// How many of the newest posts that match a search are ranked (`GET /search`).
    pub search_candidates: u64,
}

impl Section for SocialSettings {
    const TITLE: &'static str = "Social";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "social.edit_window_minutes",
                env: "AGORA_SOCIAL_EDIT_WINDOW_MINUTES",
                default: "15",
                secret: false,
                help: "Minutes after publishing during which the author may edit a post (`PATCH /api/v1/posts/{id}`); from 0 (posts are never edited) to 10080 (a week).",
            },
            required: true,
            parse: |s, v| {
                s.edit_window_minutes = number(v, 0, 10_080)?;
                Ok(())
            },
            show: |s| s.edit_window_minutes.to_string(),
        },
        Field {
            setting: Setting {
                key: "social.search_candidates",
                env: "AGORA_SOCIAL_SEARCH_CANDIDATES",
                default: "1000",
                secret: false,
                help: "How many of the newest posts that hold every word of a search are ranked (`GET /api/v1/search`): more finds older posts, each one costs a rank; from 1 to 100000.",
            },
            required: true,
            parse: |s, v| {
                s.search_candidates = number(v, 1, 100_000)?;
                Ok(())
            },
            show: |s| s.search_candidates.to_string(),
        },
    ];
}

/// The module's settings, as the server loaded them at start.
pub fn of(state: &AppState) -> Result<&SocialSettings, ApiError> {
    state
        .config()
        .section::<SocialSettings>()
        .ok_or_else(|| ApiError::internal("the social settings were not loaded at start"))
}
