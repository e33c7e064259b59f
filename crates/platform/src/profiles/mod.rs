//! Profiles: what users tell about themselves (`/users/me`), what others see
//! (`/users/{id_or_username}`), onboarding (time zone, and the country of the address through
//! [`crate::geolocation`]), and the counters other modules keep.
//!
//! A profile row is made on the first write; until then a user has the empty profile. The
//! counters (followers, following, posts) are changed by the writes that change them, with
//! [`adjust_counter`] in the same transaction, so a read never counts rows.

mod queries;
pub mod routes;
pub mod rules;

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::moderation::{ModeratedKind, PROFILE_TARGET};
use crate::{AppState, Module};
use futures::future::BoxFuture;
pub use queries::{adjust_counter, load, update};

/// What a user tells about themselves, and where onboarding placed them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProfileFields {
    pub bio: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub interests: Vec<String>,
    /// IANA name, from onboarding or the profile.
    pub timezone: Option<String>,
    /// Two-letter code, from the address at onboarding.
    pub country: Option<String>,
    pub onboarded: bool,
}

/// Kept by the writes, never counted on read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub followers: u64,
    pub following: u64,
    pub posts: u64,
}

/// A profile as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub fields: ProfileFields,
    pub counts: Counts,
}

/// A change to a profile's own fields: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub bio: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub interests: Option<Vec<String>>,
    pub timezone: Option<Option<String>>,
    /// Onboarding: the country found, the hashed address, the time.
    pub onboarding: Option<Onboarding>,
}

#[derive(Debug, Clone)]
pub struct Onboarding {
    pub country: Option<String>,
    pub ip_hash: String,
    pub at: DateTime<Utc>,
}

/// A counter of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Followers,
    Following,
    Posts,
}

/// What a module tells about a user to a signed-in viewer of their public profile (the social
/// module: whether a block between them hides the profile, whether the viewer follows them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerFacts {
    /// The profile is hidden from this viewer: answered as if the user did not exist.
    pub hidden: bool,
    /// Whether the viewer follows the user; `None` from a module that has no follows.
    pub followed_by_me: Option<bool>,
}

/// A module's look-up of [`ViewerFacts`] (`crate::Module::profile_facts`): the state, the
/// viewer, the user viewed.
pub type ViewerFactsFn =
    fn(AppState, UserId, UserId) -> futures::future::BoxFuture<'static, DbResult<ViewerFacts>>;

/// The look-ups of the enabled modules, a service the server builds from their `MODULE`s.
#[derive(Clone, Default)]
pub struct ProfileFacts(pub Vec<ViewerFactsFn>);

impl ProfileFacts {
    /// What every module tells about `user` to `viewer`, together: hidden if any hides it,
    /// followed if any says so.
    pub async fn of(
        &self,
        state: &AppState,
        viewer: UserId,
        user: UserId,
    ) -> DbResult<ViewerFacts> {
        let mut facts = ViewerFacts::default();
        for look_up in &self.0 {
            let told = look_up(state.clone(), viewer, user).await?;
            facts.hidden |= told.hidden;
            facts.followed_by_me = match (facts.followed_by_me, told.followed_by_me) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            };
        }
        Ok(facts)
    }
}

/// The profiles area (its routes are listed under the `identity` tag).
pub const MODULE: Module = Module {
    router: routes::router,
    moderation: &[ModeratedKind {
        kind: PROFILE_TARGET,
        restore: restore_profile,
        remove: remove_profile,
    }],
    ..Module::new("profiles")
};

/// A profile is never hidden: restoring it leaves it as it is.
fn restore_profile(
    _: &agora_store::Transaction,
    _: uuid::Uuid,
    _: DateTime<Utc>,
) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async { Ok(true) })
}

/// Removing a profile's text clears its display name, bio and location.
fn remove_profile(
    txn: &agora_store::Transaction,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move {
        if crate::identity::users::find(txn, id).await?.is_none() {
            return Ok(false);
        }
        crate::identity::users::set_display_name(txn, id, None, now).await?;
        let changes = Changes {
            bio: Some(None),
            location: Some(None),
            ..Changes::default()
        };
        update(txn, UserId(id), changes, now).await?;
        Ok(true)
    })
}
