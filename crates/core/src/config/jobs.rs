//! Background jobs: the worker and the periodic schedules.

use std::collections::BTreeMap;
use std::time::Duration;

use super::parse::{number, parse_duration, show_duration};
use super::{Field, Section, Setting};

#[derive(Debug, Clone, Default)]
pub struct JobsSettings {
    /// Jobs run at once by this instance's worker (0: none).
    pub workers: usize,
    pub poll_interval: Duration,
    /// Schedule name → cron expression or `off`, replacing the built-in defaults.
    pub schedules: BTreeMap<String, String>,
}

impl Section for JobsSettings {
    const TITLE: &'static str = "Jobs";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "jobs_workers",
                env: "AGORA_JOBS_WORKERS",
                default: "4",
                secret: false,
                help: "Background jobs this instance runs at once (email delivery, scheduled clean-ups, ...). `0`: this instance runs none and only enqueues; another instance must run them.",
            },
            required: true,
            parse: |s, v| {
                s.workers = number(v, 0, 256)?;
                Ok(())
            },
            show: |s| s.workers.to_string(),
        },
        Field {
            setting: Setting {
                key: "jobs_poll_interval",
                env: "AGORA_JOBS_POLL_INTERVAL",
                default: "1s",
                secret: false,
                help: "How often a job worker looks for due jobs. A job enqueued on this instance is started at once; one enqueued on another instance waits for this poll.",
            },
            required: true,
            parse: |s, v| {
                s.poll_interval = parse_duration(v)?;
                Ok(())
            },
            show: |s| show_duration(s.poll_interval),
        },
        Field {
            setting: Setting {
                key: "schedules",
                env: "AGORA_SCHEDULES",
                default: "",
                secret: false,
                help: "Changes to the periodic jobs, as `name=cron` pairs separated by `;` (`jobs.purge=0 4 * * *; idempotency.purge=off`). A cron expression has five fields (minute hour day-of-month month day-of-week) or six with seconds first, in UTC; `off` turns a schedule off. The schedules and their defaults are listed by `agora jobs schedules`.",
            },
            required: false,
            parse: |s, v| {
                s.schedules = parse_schedules(v)?;
                Ok(())
            },
            show: |s| {
                s.schedules
                    .iter()
                    .map(|(name, cron)| format!("{name}={cron}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        },
    ];
}

/// `name=cron; name=off`: the cron expressions are checked when the scheduler starts, where
/// the schedules are known.
pub(super) fn parse_schedules(value: &str) -> Result<BTreeMap<String, String>, String> {
    let mut schedules = BTreeMap::new();
    for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, cron) = pair
            .split_once('=')
            .map(|(name, cron)| (name.trim(), cron.trim()))
            .filter(|(name, cron)| !name.is_empty() && !cron.is_empty())
            .ok_or_else(|| format!("`{pair}` is not `name=cron expression` (or `name=off`)"))?;
        if schedules.insert(name.to_owned(), cron.to_owned()).is_some() {
            return Err(format!("`{name}` is given twice"));
        }
    }
    Ok(schedules)
}
