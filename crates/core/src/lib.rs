//! Agora's core: what every other crate speaks, and nothing that does I/O.
//!
//! - [`config`]: the settings, their defaults, loading and validation;
//! - [`error`]: [`ApiError`], the one error type, rendered as an RFC 9457 problem document;
//! - [`extract`]: request extractors that answer bad input with that problem document;
//! - [`id`]: typed UUIDv7 identifiers;
//! - [`request_context`]: the id of the request being handled.

pub mod config;
pub mod error;
pub mod extract;
pub mod id;
pub mod pagination;
pub mod request_context;

pub use error::{ApiError, ApiResult, FieldError, Problem};
pub use id::{OrganizationId, SessionId, UserId};
