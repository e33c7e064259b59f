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
}

impl Section for SocialSettings {
    const TITLE: &'static str = "Social";
    const FIELDS: &'static [Field<Self>] = &[Field {
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
    }];
}

/// The module's settings, as the server loaded them at start.
pub fn of(state: &AppState) -> Result<&SocialSettings, ApiError> {
    state
        .config()
        .section::<SocialSettings>()
        .ok_or_else(|| ApiError::internal("the social settings were not loaded at start"))
}
