//! The problem codes of the core: generic HTTP failures any route can answer, the codes of the
//! extractors and of optimistic locking.
//!
//! Each crate declares its own codes as `pub const` [`ErrorCode`] values beside the code that
//! raises them and lists them in one `ERROR_CODES` slice; the server assembles every list into
//! `docs/errors.md` (`agora errors --reference`). A code is a contract: never rename one.

use axum::http::StatusCode;

/// One problem code a client can meet: its status, when it is answered and what a client
/// should do. Declared as a `pub const` beside the code that raises it, listed in its crate's
/// `ERROR_CODES`, and raised with [`crate::ApiError::from_code`], so every code a client can see is
/// in `docs/errors.md`.
#[derive(Debug, PartialEq, Eq)]
pub struct ErrorCode {
    pub status: StatusCode,
    /// Stable snake_case; the problem's `code` and the end of its `type`.
    pub code: &'static str,
    pub when: &'static str,
    pub what_to_do: &'static str,
}

pub const BAD_REQUEST: ErrorCode = ErrorCode {
    status: StatusCode::BAD_REQUEST,
    code: "bad_request",
    when: "The request cannot be read at all: malformed JSON, a broken upload, a body that is \
           not valid UTF-8.",
    what_to_do: "Fix the request; sending it again unchanged fails the same way.",
};

pub const UNAUTHORIZED: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "unauthorized",
    when: "The route needs a signed-in caller and no usable access token was sent, or its \
           account no longer exists.",
    what_to_do: "Send `Authorization: Bearer <access token>`; sign in first if you have none.",
};

pub const FORBIDDEN: ErrorCode = ErrorCode {
    status: StatusCode::FORBIDDEN,
    code: "forbidden",
    when: "The caller is known but may not do this (another user's resource, a role it lacks).",
    what_to_do: "Do not retry; the caller's rights, not the request, would have to change.",
};

pub const NOT_FOUND: ErrorCode = ErrorCode {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    when: "Nothing is at this path, or nothing the caller may see (the two are never told \
           apart); also a malformed id in the path.",
    what_to_do: "Check the id; treat the resource as gone.",
};

pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode {
    status: StatusCode::METHOD_NOT_ALLOWED,
    code: "method_not_allowed",
    when: "The path exists but not with this method.",
    what_to_do: "Use one of the methods of the `Allow` header.",
};

pub const REQUEST_TIMEOUT: ErrorCode = ErrorCode {
    status: StatusCode::REQUEST_TIMEOUT,
    code: "request_timeout",
    when: "The request took longer than the server allows (`request_timeout`) and was \
           cancelled; nothing of it was committed.",
    what_to_do: "Retry later, with a smaller request if it was large.",
};

pub const CONFLICT: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "conflict",
    when: "The request conflicts with the current state: a duplicate, something still in use, \
           a state that does not allow this action.",
    what_to_do: "Read the resource again; the `detail` says what is in the way.",
};

pub const PRECONDITION_FAILED: ErrorCode = ErrorCode {
    status: StatusCode::PRECONDITION_FAILED,
    code: "precondition_failed",
    when: "`If-Match` and the body's `version` disagree, or `If-Match` is not a version.",
    what_to_do: "Send one version, the one you read (the `ETag`).",
};

pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode {
    status: StatusCode::PAYLOAD_TOO_LARGE,
    code: "payload_too_large",
    when: "The body is over the limit of the route (`body_limit`, or the upload limits).",
    what_to_do: "Send less; the `detail` gives the limit.",
};

pub const URI_TOO_LONG: ErrorCode = ErrorCode {
    status: StatusCode::URI_TOO_LONG,
    code: "uri_too_long",
    when: "The request target (path and query) is over 8 KiB.",
    what_to_do: "Shorten the query; send large inputs in a body.",
};

pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode {
    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    when: "The body is not of a type the route reads (not JSON, a multipart body without a \
           boundary, an upload whose content is not an accepted file type).",
    what_to_do: "Send `Content-Type: application/json` (or the type the route documents).",
};

pub const VALIDATION_FAILED: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "validation_failed",
    when: "One or more fields are invalid; `errors` lists every one, each with its `field` \
           path, a `code` (see \"Field error codes\") and a `message`.",
    what_to_do: "Fix each listed field (show the messages next to the fields).",
};

pub const PRECONDITION_REQUIRED: ErrorCode = ErrorCode {
    status: StatusCode::PRECONDITION_REQUIRED,
    code: "precondition_required",
    when: "A write to a versioned resource sent neither `If-Match` nor a `version` field.",
    what_to_do: "Send the version the change is based on (the `ETag`, or `*` to overwrite).",
};

pub const RATE_LIMITED: ErrorCode = ErrorCode {
    status: StatusCode::TOO_MANY_REQUESTS,
    code: "rate_limited",
    when: "A rate limit was reached (the general one of `/api/v1`, or a route's own: sign-in, \
           registration, uploads).",
    what_to_do: "Wait the seconds of `Retry-After`, then retry.",
};

pub const HEADERS_TOO_LARGE: ErrorCode = ErrorCode {
    status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    code: "headers_too_large",
    when: "The request's headers add up to more than the server accepts.",
    what_to_do: "Send fewer or smaller headers (cookies, usually).",
};

pub const INTERNAL_ERROR: ErrorCode = ErrorCode {
    status: StatusCode::INTERNAL_SERVER_ERROR,
    code: "internal_error",
    when: "A fault on the server's side (also for other 5xx statuses made outside handlers). \
           The cause is logged under the `request_id`.",
    what_to_do: "Retry later; report the `request_id` if it persists.",
};

pub const SERVICE_UNAVAILABLE: ErrorCode = ErrorCode {
    status: StatusCode::SERVICE_UNAVAILABLE,
    code: "service_unavailable",
    when: "The server cannot serve requests for now.",
    what_to_do: "Retry later (after `Retry-After` when sent).",
};

pub const ERROR: ErrorCode = ErrorCode {
    status: StatusCode::BAD_REQUEST,
    code: "error",
    when: "A 4xx status no route answers on purpose (made by a layer outside the handlers); \
           the status tells the rest.",
    what_to_do: "Go by the status.",
};

/// Every code of the core.
pub const ERROR_CODES: &[&ErrorCode] = &[
    &BAD_REQUEST,
    &UNAUTHORIZED,
    &FORBIDDEN,
    &NOT_FOUND,
    &METHOD_NOT_ALLOWED,
    &REQUEST_TIMEOUT,
    &CONFLICT,
    &VERSION_CONFLICT,
    &PRECONDITION_FAILED,
    &PAYLOAD_TOO_LARGE,
    &URI_TOO_LONG,
    &UNSUPPORTED_MEDIA_TYPE,
    &VALIDATION_FAILED,
    &PRECONDITION_REQUIRED,
    &RATE_LIMITED,
    &HEADERS_TOO_LARGE,
    &INTERNAL_ERROR,
    &SERVICE_UNAVAILABLE,
    &ERROR,
];

pub const VERSION_CONFLICT: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "version_conflict",
    when: "The resource changed since the version the write was based on; \
           `current_version` holds the version it is at now.",
    what_to_do: "Read the resource again, reapply the change, send it with the new version.",
};
