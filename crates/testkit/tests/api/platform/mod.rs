//! The platform's areas, as `crates/platform/src/` has them.

mod email;
mod identity;
mod jobs;
mod media;
mod notifications;
mod observability;
mod profiles;
mod realtime;
