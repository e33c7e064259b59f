//! The social module's schema migrations, oldest first. Never edit one that has shipped.
//! (The watchlist's table is the platform's `m20261123_000009_profiles`: see `watchlist/`.)

use agora_store::sea_orm_migration::MigrationTrait;

mod m20261203_000200_user_relations;
mod m20261203_000300_posts;
mod m20261203_000400_post_edits_media_polls;
mod m20261203_000500_conversations;
mod m20261203_000600_search_trending_reports;
mod m20261203_000700_moderation_state;
mod m20261203_000800_feed_index;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261203_000200_user_relations::Migration),
        Box::new(m20261203_000300_posts::Migration),
        Box::new(m20261203_000400_post_edits_media_polls::Migration),
        Box::new(m20261203_000500_conversations::Migration),
        Box::new(m20261203_000600_search_trending_reports::Migration),
        Box::new(m20261203_000700_moderation_state::Migration),
        Box::new(m20261203_000800_feed_index::Migration),
    ]
}
