//! SeaORM entities of the platform's tables: one file per table, mirroring the migrations.
//! Queries live with the resource that owns them; these are only the typed rows.

pub mod analytics_cohorts;
pub mod analytics_daily;
pub mod analytics_daily_counters;
pub mod audit_log;
pub mod emails;
pub mod error_logs;
pub mod external_identities;
pub mod idempotency_keys;
pub mod job_schedules;
pub mod jobs;
pub mod login_networks;
pub mod media;
pub mod media_usage;
pub mod moderation_queue;
pub mod moderation_rules;
pub mod notification_preferences;
pub mod notifications;
pub mod one_time_tokens;
pub mod organization_members;
pub mod organizations;
pub mod profiles;
pub mod refresh_tokens;
pub mod route_stats;
pub mod sessions;
pub mod user_activity;
pub mod users;
pub mod ws_tickets;
