//! The module's settings: `[tasks]` in `agora.toml`, `AGORA_TASKS_*` in the environment.

use agora_core::ApiError;
use agora_core::config::{Field, Section, Setting, SettingsSection, number};
use agora_platform::AppState;

/// What `MODULE.settings` hands to the server.
pub const SECTION: SettingsSection = SettingsSection::of::<TasksSettings>();

#[derive(Debug, Clone, Default)]
pub struct TasksSettings {
    /// Tasks in a page of the list when the request gives no `limit`.
    pub page_size: u64,
}

impl Section for TasksSettings {
    const TITLE: &'static str = "Tasks";
    const FIELDS: &'static [Field<Self>] = &[Field {
        setting: Setting {
            key: "tasks.page_size",
            env: "AGORA_TASKS_PAGE_SIZE",
            default: "20",
            secret: false,
            help: "Tasks in a page of `GET /api/v1/users/{user_id}/tasks` when the request gives no `limit`; from 1 to 100 (the largest `limit`).",
        },
        required: true,
        parse: |s, v| {
            s.page_size = number(v, 1, agora_core::pagination::MAX_LIMIT)?;
            Ok(())
        },
        show: |s| s.page_size.to_string(),
    }];
}

/// The module's settings, as the server loaded them at start.
pub fn of(state: &AppState) -> Result<&TasksSettings, ApiError> {
    state
        .config()
        .section::<TasksSettings>()
        .ok_or_else(|| ApiError::internal("the tasks settings were not loaded at start"))
}
