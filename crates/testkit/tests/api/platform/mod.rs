//! The platform's areas, as `crates/platform/src/` has them.

mod analytics;
mod email;
mod identity;
mod jobs;
mod media;
mod moderation;
mod notifications;
mod observability;
mod profiles;
mod realtime;
