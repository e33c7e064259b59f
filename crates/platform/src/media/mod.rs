//! Media: uploads checked by their bytes, images re-encoded without metadata with thumbnails,
//! stored in [`agora_store::Storage`] (a local folder or an S3 bucket) and served at
//! `/media/{key}` by this server whatever the backend.
//!
//! - [`detect`]: the kind of a file from its magic number;
//! - [`container`]: the structure of a video (MP4 boxes, WebM elements) walked over the file;
//! - [`process`]: the image pipeline (limits, orientation, re-encoding, thumbnails);
//! - [`routes`]: `POST /media/upload`, `POST|DELETE /users/me/profile-picture`, `GET /media/{key}`;
//! - this module: reading a multipart file within its limit, and storing what the pipeline made
//!   so that a failure leaves no object behind ([`prepare`], [`store`], [`Saved::discard`]).
//!
//! Ownership is the `media` table (one row per original; thumbnails are variants of its key,
//! `…/<uuid>_256.jpg`), and each user's bytes are counted in `media_usage` for the quota
//! ([`Budget`], [`queries`]). Uploads also spend the `upload` rate limit per user. URLs are
//! `/media/{key}`, or `{media_url}/{key}` when media is served from another origin
//! ([`url_of`]). Why these crates, formats and limits: `docs/decisions/0014-storage-and-media.md`.

pub mod container;
pub mod detect;
pub mod process;
pub mod queries;
pub mod routes;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use agora_core::{ApiError, ErrorCode, FieldCode, codes};
use agora_store::{Storage, StorageKey};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::ToSchema;

pub use detect::Kind;
pub use process::{ProcessError, Processed, THUMBNAIL_SIZES};

use crate::{AppState, Module, Tag};

pub const QUOTA_EXCEEDED: ErrorCode = ErrorCode {
    status: StatusCode::PAYLOAD_TOO_LARGE,
    code: "quota_exceeded",
    when: "An upload would take the account past its storage quota; `quota` and `remaining` give the numbers (bytes).",
    what_to_do: "Delete media, or verify the email address (unverified accounts have a smaller quota).",
};

/// Largest image file accepted.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Largest video file accepted.
pub const MAX_VIDEO_BYTES: usize = 50 * 1024 * 1024;
/// Most files in one upload request.
pub const MAX_FILES: usize = 10;
/// Largest upload request body (all parts and their headers).
pub const MAX_REQUEST_BYTES: usize = 60 * 1024 * 1024;
/// The routes whose bodies may reach [`MAX_REQUEST_BYTES`] instead of the `body_limit` setting.
pub const UPLOAD_PATHS: &[&str] = &["/api/v1/media/upload", "/api/v1/users/me/profile-picture"];

/// Images decoded at once: decoding is CPU- and memory-heavy, so at most one per core runs and
/// the rest wait instead of multiplying the memory the limits allow each.
static DECODING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

pub use agora_store::media_url::url_of;

/// The layer that makes the `media_url` setting visible to [`url_of`] while a request is
/// handled; the server wraps every route in it.
pub async fn with_media_url(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let base = state.config().media.url.as_deref().map(Arc::from);
    agora_store::media_url::scope(base, next.run(request)).await
}

/// What is left of a user's quota for one request, spent as its files are read, so that an
/// upload over it is refused while it streams and not after it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The user's quota; `None`: no quota (the budget never runs out).
    pub quota: Option<u64>,
    /// Bytes left before this request's files.
    pub left: u64,
    /// Bytes this request's files have used so far.
    pub spent: u64,
}

impl Budget {
    /// The budget of a user who keeps `used` bytes under `quota`.
    pub fn new(quota: Option<u64>, used: i64) -> Budget {
        let used = u64::try_from(used).unwrap_or(0);
        Budget {
            quota,
            left: quota.map_or(u64::MAX, |quota| quota.saturating_sub(used)),
            spent: 0,
        }
    }

    /// Spends `bytes` of file `name`; 413 `quota_exceeded` when they do not fit.
    fn spend(&mut self, name: &str, bytes: usize) -> Result<(), ApiError> {
        let spent = self.spent.saturating_add(bytes as u64);
        if spent > self.left {
            return Err(self.exceeded(name));
        }
        self.spent = spent;
        Ok(())
    }

    /// The 413 `quota_exceeded` problem for file `name`, saying what is left.
    pub fn exceeded(&self, name: &str) -> ApiError {
        let quota = self.quota.unwrap_or(u64::MAX);
        ApiError::from_code(
            &QUOTA_EXCEEDED,
            format!(
                "{name}: your media would pass your storage quota of {}; {} is left of it (delete media, or verify your email address if you have not: unverified accounts have a smaller quota)",
                human(quota),
                human(self.left)
            ),
        )
        .with_extension("quota", quota)
        .with_extension("remaining", self.left)
    }
}

/// Bytes for people: `1.5 MiB`, `312 KiB`, `12 bytes`.
fn human(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if value.fract() == 0.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// What may be uploaded where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Images and videos (`/media/upload`).
    Any,
    /// JPEG, PNG and WebP only (profile pictures).
    StillImages,
}

impl Allowed {
    fn permits(self, kind: Kind) -> bool {
        match self {
            Allowed::Any => true,
            Allowed::StillImages => matches!(kind, Kind::Jpeg | Kind::Png | Kind::Webp),
        }
    }

    fn accepted(self) -> &'static str {
        match self {
            Allowed::Any => "JPEG, PNG, WebP, GIF, MP4 or WebM",
            Allowed::StillImages => "JPEG, PNG or WebP",
        }
    }
}

/// A stored upload as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediaItem {
    /// Where it is served (`/media/{key}` of this server).
    #[schema(example = "/media/uploads/2026/11/0195f1c2-7d4e-7a31-9c55-1f2e3d4c5b6a.jpg")]
    pub url: String,
    pub key: String,
    /// The stored type, which may differ from the upload's (WebP and GIF are re-encoded).
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    /// Bytes of the stored file.
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// For images: URL by longest side (`"64"`, `"256"`, `"1024"`); a size the image does not
    /// exceed points to the original. Empty for videos.
    pub thumbnails: BTreeMap<String, String>,
}

/// What one file became in storage, before its row is written.
#[derive(Debug, Clone)]
pub struct Saved {
    pub key: StorageKey,
    pub kind: Kind,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Every object written for it (the original and its thumbnails).
    pub written: Vec<StorageKey>,
}

impl Saved {
    pub fn item(&self) -> MediaItem {
        let thumbnails = if self.kind.is_image() {
            THUMBNAIL_SIZES
                .iter()
                .map(|size| {
                    let key = self.key.variant(&size.to_string());
                    let url = if self.written.contains(&key) {
                        url_of(key.as_str())
                    } else {
                        url_of(self.key.as_str())
                    };
                    (size.to_string(), url)
                })
                .collect()
        } else {
            BTreeMap::new()
        };
        MediaItem {
            url: url_of(self.key.as_str()),
            key: self.key.to_string(),
            content_type: self.kind.content_type().to_owned(),
            size: self.size,
            width: self.width,
            height: self.height,
            thumbnails,
        }
    }

    /// Deletes what was written (after a failure).
    pub async fn discard(saved: &[Saved], storage: &Storage) {
        for one in saved {
            storage.delete_all(&one.written).await;
        }
    }
}

/// The objects of an upload that has not finished. If the request is dropped before it does
/// (the client went away mid-upload, a timeout), they are deleted in the background; on every
/// other path the handler deletes them itself, or keeps them, and then [`Pending::disarm`]s.
pub struct Pending {
    storage: Storage,
    keys: Vec<StorageKey>,
}

impl Pending {
    pub fn new(storage: &Storage) -> Pending {
        Pending {
            storage: storage.clone(),
            keys: Vec::new(),
        }
    }

    pub fn add(&mut self, saved: &Saved) {
        self.keys.extend(saved.written.iter().cloned());
    }

    /// The upload finished (kept or already cleaned up): nothing to do on drop.
    pub fn disarm(mut self) {
        self.keys.clear();
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.keys);
        let storage = self.storage.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { storage.delete_all(&keys).await });
        }
    }
}

/// Every object that may exist for an original `key`: itself and its thumbnails.
pub fn objects_of(key: &StorageKey) -> Vec<StorageKey> {
    std::iter::once(key.clone())
        .chain(
            THUMBNAIL_SIZES
                .iter()
                .map(|size| key.variant(&size.to_string())),
        )
        .collect()
}

/// Reads one multipart file within its limit (by kind, known from its first bytes) and the
/// `budget` of the user's quota, and returns its kind and bytes. Refuses as soon as the kind is
/// known to be wrong (415), the file grows past its limit (413 `payload_too_large`) or past
/// what is left of the quota (413 `quota_exceeded`), without reading the rest.
pub async fn read_file(
    field: &mut Field<'_>,
    allowed: Allowed,
    name: &str,
    budget: &mut Budget,
) -> Result<(Kind, Bytes), ApiError> {
    let mut bytes: Vec<u8> = Vec::new();
    let mut kind = None;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        let limit = match kind {
            Some(kind) => limit_of(kind),
            None => MAX_VIDEO_BYTES.max(MAX_IMAGE_BYTES),
        };
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(name, limit));
        }
        budget.spend(name, chunk.len())?;
        bytes.extend_from_slice(&chunk);
        if kind.is_none() && bytes.len() >= detect::SNIFF_LEN {
            let known = recognise(&bytes, allowed, name)?;
            if bytes.len() > limit_of(known) {
                return Err(too_large(name, limit_of(known)));
            }
            kind = Some(known);
        }
    }
    if bytes.is_empty() {
        return Err(ApiError::invalid_field(
            name,
            FieldCode::TooShort,
            "the file is empty",
        ));
    }
    let kind = match kind {
        Some(kind) => kind,
        None => recognise(&bytes, allowed, name)?,
    };
    Ok((kind, Bytes::from(bytes)))
}

fn limit_of(kind: Kind) -> usize {
    if kind.is_image() {
        MAX_IMAGE_BYTES
    } else {
        MAX_VIDEO_BYTES
    }
}

fn recognise(head: &[u8], allowed: Allowed, name: &str) -> Result<Kind, ApiError> {
    match Kind::sniff(head) {
        Some(kind) if allowed.permits(kind) => Ok(kind),
        _ => Err(ApiError::from_code(
            &codes::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{name}: the content is not an accepted file type ({}); the file name and the declared type are not taken into account",
                allowed.accepted()
            ),
        )),
    }
}

fn too_large(name: &str, limit: usize) -> ApiError {
    ApiError::from_code(
        &codes::PAYLOAD_TOO_LARGE,
        format!(
            "{name}: files of this type may be at most {} MiB",
            limit >> 20
        ),
    )
}

/// A broken or oversized multipart body: 413 when the body limit was hit, else 400.
pub fn multipart_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::from_code(
            &codes::PAYLOAD_TOO_LARGE,
            format!(
                "an upload request may be at most {} MiB",
                MAX_REQUEST_BYTES >> 20
            ),
        )
    } else {
        ApiError::bad_request(format!(
            "the multipart body could not be read: {}",
            err.body_text()
        ))
    }
}

/// Runs the image pipeline on the blocking pool, one decode per core at a time.
pub async fn process(kind: Kind, bytes: Bytes, name: &str) -> Result<Processed, ApiError> {
    let _permit = DECODING
        .acquire()
        .await
        .map_err(|_| ApiError::internal("the decoding semaphore is closed"))?;
    let outcome = tokio::task::spawn_blocking(move || process::process_image(&bytes, kind))
        .await
        .map_err(|err| ApiError::internal(format!("image processing panicked: {err}")))?;
    outcome.map_err(|err| match err {
        ProcessError::Encoding(_) => ApiError::internal(err),
        other => ApiError::invalid_field(name, FieldCode::InvalidFormat, other.to_string()),
    })
}

/// Stores an upload under a new key of `area`: a processed image (original and thumbnails) or
/// a video as it came. If a write fails, what was written is deleted before the error returns.
pub async fn store(
    storage: &Storage,
    area: &str,
    now: DateTime<Utc>,
    kind: Kind,
    upload: Upload,
) -> Result<Saved, ApiError> {
    let (key, objects, width, height) = match upload {
        Upload::Video(bytes) => {
            let key = StorageKey::generate(area, now, kind.extension());
            (key.clone(), vec![(key, kind, bytes)], None, None)
        }
        Upload::Image(processed) => {
            let output = processed.original.kind;
            let key = StorageKey::generate(area, now, output.extension());
            let mut objects = vec![(key.clone(), output, Bytes::from(processed.original.bytes))];
            for (size, thumbnail) in processed.thumbnails {
                objects.push((
                    key.variant(&size.to_string()),
                    thumbnail.kind,
                    Bytes::from(thumbnail.bytes),
                ));
            }
            let width = i32::try_from(processed.original.width).ok();
            let height = i32::try_from(processed.original.height).ok();
            (key, objects, width, height)
        }
    };
    let size = objects
        .first()
        .map_or(0, |(_, _, bytes)| bytes.len() as i64);
    let kind = objects.first().map_or(kind, |(_, kind, _)| *kind);
    let mut written = Vec::with_capacity(objects.len());
    for (object_key, object_kind, bytes) in objects {
        if let Err(err) = storage
            .put(&object_key, bytes, object_kind.content_type())
            .await
        {
            storage.delete_all(&written).await;
            return Err(err.into());
        }
        written.push(object_key);
    }
    Ok(Saved {
        key,
        kind,
        size,
        width,
        height,
        written,
    })
}

/// What is stored for one file.
pub enum Upload {
    Image(Processed),
    Video(Bytes),
}

/// Reads, checks and processes one file of a multipart request, ready to [`store`]: images are
/// decoded and re-encoded, videos have their structure walked ([`container`]; a file that only
/// starts like a video is 422, as an image that does not decode).
pub async fn prepare(
    field: &mut Field<'_>,
    allowed: Allowed,
    name: &str,
    budget: &mut Budget,
) -> Result<(Kind, Upload), ApiError> {
    let (kind, bytes) = read_file(field, allowed, name, budget).await?;
    if kind.is_image() {
        let processed = process(kind, bytes, name).await?;
        Ok((kind, Upload::Image(processed)))
    } else {
        container::check(kind, &bytes)
            .map_err(|why| ApiError::invalid_field(name, FieldCode::InvalidFormat, why))?;
        Ok((kind, Upload::Video(bytes)))
    }
}

/// The media area: uploads and the profile picture (stored media is served at the root,
/// `crate::root_router`).
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "media",
        description: "Uploads (checked by content, images re-encoded with thumbnails) and the profile picture; stored media is served at `/media/{key}`",
    }],
    router: routes::router,
    error_codes: &[&QUOTA_EXCEEDED],
    ..Module::new("media")
};
