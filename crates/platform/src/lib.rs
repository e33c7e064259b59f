//! Agora's platform: the services every product module uses.
//!
//! Today: the shared [`AppState`], the [`Module`] contract between products and the server,
//! health checks, rate limits and the accounts schema. Identity, jobs, notifications, real time, media,
//! moderation and search are added here by the issues that build them.

pub mod health;
pub mod migrations;
pub mod module;
pub mod ratelimit;
pub mod state;

pub use module::Module;
pub use state::AppState;
