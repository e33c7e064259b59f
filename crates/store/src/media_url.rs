//! The URL of stored media, as clients see it: `{media_url}/{key}` when the `media_url`
//! setting names another origin (a CDN, a bucket's domain), else `/media/{key}` of this
//! server.
//!
//! The setting is read from the request being handled (the server's layer scopes it with
//! [`scope`]), because URLs are made deep inside conversions that many areas use (an
//! account's `profile_picture_url`), which have no state at hand, and one process may run
//! several servers with different settings (the tests do). Outside a request (jobs) the URL
//! is `/media/{key}`. It lives here, below every area of the platform, so that identity and
//! profiles can show a picture's URL without importing the media area above them.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    /// The `media_url` setting of the server handling the request.
    static MEDIA_URL: Option<Arc<str>>;
}

/// The URL of the stored object `key`.
pub fn url_of(key: &str) -> String {
    match MEDIA_URL.try_with(Clone::clone).ok().flatten() {
        Some(base) => format!("{base}/{key}"),
        None => format!("/media/{key}"),
    }
}

/// Runs `future` (a request's handling) with `base` as the `media_url` setting.
pub async fn scope<F: Future>(base: Option<Arc<str>>, future: F) -> F::Output {
    MEDIA_URL.scope(base, future).await
}
