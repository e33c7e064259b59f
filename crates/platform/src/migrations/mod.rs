//! The platform's schema migrations, oldest first. Never edit one that has shipped: add another.

use agora_store::sea_orm_migration::MigrationTrait;
use agora_store::sea_orm_migration::prelude::ForeignKeyCreateStatement;

mod m20261123_000001_accounts;
mod m20261123_000002_email_outbox;
mod m20261123_000003_identity;
mod m20261123_000004_idempotency;
mod m20261123_000005_jobs;
mod m20261123_000006_ws_tickets;
mod m20261123_000007_notifications;
mod m20261123_000008_media;
mod m20261123_000009_profiles;
mod m20261123_000010_media_usage;
mod m20261123_000010_ws_ticket_token_expiry;
mod m20261130_000001_login_networks;
mod m20261201_000001_idempotency_headers;
mod m20261203_000010_notification_groups;
mod m20261203_000020_moderation;
mod m20261203_000030_analytics;
mod m20261203_000040_error_logs;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261123_000001_accounts::Migration),
        Box::new(m20261123_000002_email_outbox::Migration),
        Box::new(m20261123_000003_identity::Migration),
        Box::new(m20261123_000004_idempotency::Migration),
        Box::new(m20261123_000005_jobs::Migration),
        Box::new(m20261123_000006_ws_tickets::Migration),
        Box::new(m20261123_000007_notifications::Migration),
        Box::new(m20261123_000008_media::Migration),
        Box::new(m20261123_000009_profiles::Migration),
        Box::new(m20261123_000010_media_usage::Migration),
        Box::new(m20261130_000001_login_networks::Migration),
        Box::new(m20261123_000010_ws_ticket_token_expiry::Migration),
        Box::new(m20261201_000001_idempotency_headers::Migration),
        Box::new(m20261203_000010_notification_groups::Migration),
        Box::new(m20261203_000020_moderation::Migration),
        Box::new(m20261203_000030_analytics::Migration),
        Box::new(m20261203_000040_error_logs::Migration),
    ]
}

/// A column that belongs to a user: removed with the user.
fn user_fk(table: &'static str, column: &'static str) -> ForeignKeyCreateStatement {
    agora_store::migrate::cascade_fk(table, column, "users")
}
