//! The answer to a create: 201 Created, `Location` (the new resource's path) and, for a
//! versioned resource, its `ETag`, so a client needs no second request to know where the
//! resource is and which version it holds.
//!
//! `idempotency::Pending::respond` takes a [`Created`] and remembers its headers with its body,
//! so a replayed create answers the same headers.

use std::fmt::Display;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::version::etag;

/// Where the API is mounted; `Location` is an absolute path under it.
pub const API_BASE: &str = "/api/v1";

/// A created resource, its path and (when versioned) its version.
#[derive(Debug, Clone)]
pub struct Created<T> {
    location: String,
    version: Option<i64>,
    body: T,
}

impl<T> Created<T> {
    /// `body`, created at `path` under [`API_BASE`] (`/users/{id}/tasks/{task}`): the path a
    /// GET of the resource answers.
    pub fn at(path: impl Display, body: T) -> Created<T> {
        Created {
            location: format!("{API_BASE}{path}"),
            version: None,
            body,
        }
    }

    /// A versioned resource also answers its version as the `ETag`.
    pub fn versioned(self, version: i64) -> Created<T> {
        Created {
            version: Some(version),
            ..self
        }
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn body(&self) -> &T {
        &self.body
    }

    /// `Location` and, when versioned, `ETag`.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::with_capacity(2);
        // Paths are made of our ids and fixed segments: always a valid header value.
        if let Ok(location) = HeaderValue::from_str(&self.location) {
            headers.push((header::LOCATION, location));
        }
        headers.extend(self.version.map(etag));
        headers
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::CREATED, axum::Json(&self.body)).into_response();
        response.headers_mut().extend(self.headers());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_answers_201_with_its_location_and_version() {
        let response = Created::at("/things/7", "seven")
            .versioned(1)
            .into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        let header = |name| response.headers().get(name).map(|v| v.as_bytes().to_vec());
        assert_eq!(header(header::LOCATION), Some(b"/api/v1/things/7".to_vec()));
        assert_eq!(header(header::ETAG), Some(b"\"1\"".to_vec()));
    }

    #[test]
    fn an_unversioned_create_has_no_etag() {
        let response = Created::at("/things/7", "seven").into_response();
        assert!(response.headers().get(header::ETAG).is_none());
        assert!(response.headers().get(header::LOCATION).is_some());
    }
}
