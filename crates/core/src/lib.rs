//! Agora's core: what every other crate speaks, and nothing that does I/O.
//!
//! - [`codes`]: the generic problem codes ([`ErrorCode`]) any route can answer;
//! - [`created`]: the answer to a create (201, `Location`, `ETag`);
//! - [`config`]: the settings, declared once in their sections (modules declare their own),
//!   their defaults, loading and validation;
//! - [`error`]: [`ApiError`], the one error type, rendered as an RFC 9457 problem document;
//! - [`extract`]: request extractors that answer bad input with that problem document;
//! - [`id`]: typed UUIDv7 identifiers;
//! - [`pagination`]: list parameters, cursors and list bodies;
//! - [`request_context`]: the id of the request being handled;
//! - [`text`]: the rule for text in requests (no control characters);
//! - [`time`]: the clock, at the precision the databases keep;
//! - [`version`]: optimistic locking (`If-Match`, `version_conflict`) and conditional reads
//!   (`ETag`, `If-None-Match`, 304).

pub mod codes;
pub mod config;
pub mod created;
pub mod error;
pub mod extract;
pub mod id;
pub mod pagination;
pub mod request_context;
pub mod text;
pub mod time;
pub mod version;

pub use codes::ErrorCode;
pub use created::Created;
pub use error::{ApiError, ApiResult, FieldCode, FieldError, Invalid, Problem};
pub use id::{OrganizationId, SessionId, UserId};
