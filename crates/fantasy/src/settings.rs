//! The module's settings: `[fantasy]` in `agora.toml`, `AGORA_FANTASY_*` in the environment.

use std::time::Duration;

use agora_core::ApiError;
use agora_core::config::{
    Field, Rate, Section, Setting, SettingsSection, parse_duration, parse_rate, show_duration,
};
use agora_platform::AppState;

use crate::scoring::rules::PointsTable;

/// What `MODULE.settings` hands to the server.
pub const SECTION: SettingsSection = SettingsSection::of::<FantasySettings>();

#[derive(Debug, Clone)]
pub struct FantasySettings {
    /// The Jolpica-compatible API, without a trailing slash (`…/ergast/f1`).
    pub jolpica_url: url::Url,
    /// Longest wait for one answer of the API.
    pub jolpica_timeout: Duration,
    /// Jolpica's burst budget (4 a second) and its sustained one (500 an hour).
    pub jolpica_burst: Rate,
    pub jolpica_sustained: Rate,
    /// How long a cached answer is used without asking the API again.
    pub jolpica_fresh_for: Duration,
    /// Wait after a race's expected end before fetching its results.
    pub results_grace: Duration,
    /// Points of the sprint's first places.
    pub sprint_points: PointsTable,
    /// How long a constructor has for a pick before the best driver left is picked for them;
    /// `None`: no clock, a turn waits for its constructor.
    pub pick_clock: Option<Duration>,
}

impl Default for FantasySettings {
    fn default() -> Self {
        FantasySettings {
            jolpica_url: url::Url::parse("https://api.jolpi.ca/ergast/f1")
                .unwrap_or_else(|_| unreachable!("a valid URL literal")),
            jolpica_timeout: Duration::from_secs(20),
            jolpica_burst: Rate::new(4, Duration::from_secs(1)),
            jolpica_sustained: Rate::new(500, Duration::from_secs(3600)),
            jolpica_fresh_for: Duration::from_secs(600),
            results_grace: Duration::from_secs(3600),
            sprint_points: PointsTable::default_sprint(),
            pick_clock: None,
        }
    }
}

impl Section for FantasySettings {
    const TITLE: &'static str = "Fantasy league";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "fantasy.jolpica_url",
                env: "AGORA_FANTASY_JOLPICA_URL",
                default: "https://api.jolpi.ca/ergast/f1",
                secret: false,
                help: "The Jolpica (Ergast-compatible) F1 API that `agora fantasy import` and the syncs read: seasons are at `<url>/<season>/…`.",
            },
            required: true,
            parse: |s, v| {
                s.jolpica_url = parse_base_url(v)?;
                Ok(())
            },
            show: |s| s.jolpica_url.as_str().trim_end_matches('/').to_owned(),
        },
        Field {
            setting: Setting {
                key: "fantasy.jolpica_timeout",
                env: "AGORA_FANTASY_JOLPICA_TIMEOUT",
                default: "20s",
                secret: false,
                help: "Longest wait for one answer of the Jolpica API (then it is retried).",
            },
            required: true,
            parse: |s, v| {
                s.jolpica_timeout = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.jolpica_timeout),
        },
        Field {
            setting: Setting {
                key: "fantasy.jolpica_burst",
                env: "AGORA_FANTASY_JOLPICA_BURST",
                default: "4/1s",
                secret: false,
                help: "Requests to the Jolpica API in a burst (Jolpica allows 4 a second); shared by every instance when Redis is configured.",
            },
            required: true,
            parse: |s, v| {
                s.jolpica_burst = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.jolpica_burst.to_string(),
        },
        Field {
            setting: Setting {
                key: "fantasy.jolpica_sustained",
                env: "AGORA_FANTASY_JOLPICA_SUSTAINED",
                default: "500/1h",
                secret: false,
                help: "Requests to the Jolpica API over a longer period (Jolpica allows 500 an hour); shared by every instance when Redis is configured.",
            },
            required: true,
            parse: |s, v| {
                s.jolpica_sustained = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.jolpica_sustained.to_string(),
        },
        Field {
            setting: Setting {
                key: "fantasy.jolpica_fresh_for",
                env: "AGORA_FANTASY_JOLPICA_FRESH_FOR",
                default: "10m",
                secret: false,
                help: "How long an answer of the Jolpica API is reused without asking again; `0s` always asks (conditionally, with the ETag or Last-Modified it sent). Decision 0029.",
            },
            required: true,
            parse: |s, v| {
                s.jolpica_fresh_for = if v.trim() == "0s" || v.trim() == "0" {
                    Duration::ZERO
                } else {
                    parse_duration(v)?
                };
                Ok(())
            },
            show: |s| show_duration(s.jolpica_fresh_for),
        },
        Field {
            setting: Setting {
                key: "fantasy.results_grace",
                env: "AGORA_FANTASY_RESULTS_GRACE",
                default: "1h",
                secret: false,
                help: "After a race's expected end (start + 2 h), how long to wait before the scheduled sync fetches its results.",
            },
            required: true,
            parse: |s, v| {
                s.results_grace = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.results_grace),
        },
        Field {
            setting: Setting {
                key: "fantasy.sprint_points",
                env: "AGORA_FANTASY_SPRINT_POINTS",
                default: "8,7,6,5,4,3,2,1",
                secret: false,
                help: "Fantasy points of a sprint's first places, best first (comma-separated, 1 to 20 places of 0 to 100 points).",
            },
            required: true,
            parse: |s, v| {
                s.sprint_points = PointsTable::parse(v)?;
                Ok(())
            },
            show: |s| s.sprint_points.to_string(),
        },
        Field {
            setting: Setting {
                key: "fantasy.pick_clock",
                env: "AGORA_FANTASY_PICK_CLOCK",
                default: "0",
                secret: false,
                help: "How long a constructor has for each pick of a draft (`2h`, `30m`); when it runs out, the best driver left by season fantasy points is picked for them (`auto`). `0`: no clock, a turn waits for its constructor until the race starts. Decision 0030.",
            },
            required: true,
            parse: |s, v| {
                s.pick_clock = parse_optional_duration(v)?;
                Ok(())
            },
            show: |s| s.pick_clock.map_or_else(|| "0".to_owned(), show_duration),
        },
    ];
}

/// A duration, or `0` (also `0s` and `off`) for none.
fn parse_optional_duration(value: &str) -> Result<Option<Duration>, String> {
    match value.trim() {
        "0" | "0s" | "off" => Ok(None),
        other => parse_duration(other).map(Some),
    }
}

/// An `http(s)` URL with a host, without a trailing slash.
fn parse_base_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value.trim_end_matches('/'))
        .map_err(|err| format!("`{value}` is not a URL ({err})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(format!("`{value}` must be an http:// or https:// URL")),
    }
}

/// The module's settings, as the server loaded them at start.
pub fn of(state: &AppState) -> Result<&FantasySettings, ApiError> {
    state
        .config()
        .section::<FantasySettings>()
        .ok_or_else(|| ApiError::internal("the fantasy settings were not loaded at start"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pick_clock_is_off_at_zero_and_else_a_duration() {
        for off in ["0", "0s", "off", " 0 "] {
            assert_eq!(parse_optional_duration(off), Ok(None), "{off}");
        }
        assert_eq!(
            parse_optional_duration("2h"),
            Ok(Some(Duration::from_secs(7200)))
        );
        assert!(parse_optional_duration("soon").is_err());
        assert_eq!(FantasySettings::default().pick_clock, None);
    }
}
