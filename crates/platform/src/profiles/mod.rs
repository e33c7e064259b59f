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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Module;
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

/// The profiles area (its routes are listed under the `identity` tag).
pub const MODULE: Module = Module {
    router: routes::router,
    ..Module::new("profiles")
};
