//! Moderation: the rules user text is screened against, the hook every module calls on its
//! public user text, and the queue of flagged content (docs/decisions/0026-moderation.md).
//!
//! - `matching.rs`: normalising text and matching the rules (pure functions, unit-tested);
//! - `screen.rs`: the hook, the [`Screened`] body extractor over [`screen`], and [`Screening`]
//!   (a flag or a hide) that the handler stores with the content;
//! - `cache.rs`: the compiled rules held in process, rebuilt when the rules change anywhere;
//! - `queries.rs`: the SQL of the rules and of the queue's entries.
//!
//! It sits below every area with user text (identity's display name at registration,
//! profiles) so they can call it; the routes of the rules and of the queue (admins' and
//! moderators', which need the guards and notify) are in `admin`
//! (`admin/moderation_rules.rs`, `admin/moderation_queue.rs`).

pub mod cache;
pub mod matching;
pub mod queries;
pub mod screen;

pub use cache::RuleCache;
pub use matching::{Action, MatchKind};
pub use screen::{
    CONTENT_REJECTED, PROFILE_TARGET, SCREENED_EXTENSION, Screen, Screened, Screening, Target,
    screen,
};

use crate::module::{ServiceContext, Services};
use crate::{Module, Tag};

/// The moderation area.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "moderation",
        description: "Content rules, the moderation queue and reports (admins and moderators)",
    }],
    services,
    error_codes: &[&CONTENT_REJECTED],
    ..Module::new("moderation")
};

fn services(_: &ServiceContext<'_>, services: &mut Services) -> Result<(), String> {
    services.insert(RuleCache::default())
}

/// What the moderators do to a kind of content from the queue, in their transaction: restore
/// it (visible again) or remove it (gone for good: soft-deleted, or its text cleared). Each
/// answers false when the content no longer exists.
pub type ModerationFn = for<'a> fn(
    &'a agora_store::Transaction,
    uuid::Uuid,
    chrono::DateTime<chrono::Utc>,
) -> futures::future::BoxFuture<'a, agora_store::DbResult<bool>>;

/// A kind of content on the moderation queue and how to restore or remove it
/// (`Module::moderation`).
#[derive(Debug, Clone, Copy)]
pub struct ModeratedKind {
    /// The `target.type` of its queue entries (`post`).
    pub kind: &'static str,
    pub restore: ModerationFn,
    pub remove: ModerationFn,
}

/// The kinds of the enabled modules, a service the server builds from their `MODULE`s.
#[derive(Debug, Clone, Default)]
pub struct ModeratedKinds(pub Vec<ModeratedKind>);

impl ModeratedKinds {
    pub fn of(&self, kind: &str) -> Option<&ModeratedKind> {
        self.0.iter().find(|k| k.kind == kind)
    }
}
