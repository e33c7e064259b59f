//! The media routes: uploads, the profile picture, and serving stored media.

use agora_core::extract::{Json, Path};
use agora_core::pagination::Items;
use agora_core::version::{IfNoneMatch, Tagged};
use agora_core::{ApiError, ApiResult, FieldCode, codes};
use agora_store::{StorageError, StorageKey};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::OpenApi;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Allowed, Budget, MAX_FILES, MediaItem, Pending, Saved, objects_of, queries};
use crate::AppState;
use crate::entities::users as user_rows;
use crate::identity::Viewer;
use crate::identity::model::User;
use crate::identity::users;
use crate::ratelimit::RateLimitStatus;

/// `/api/v1` routes: uploads and the profile picture. Their bodies may be as large as
/// [`MAX_REQUEST_BYTES`]: the server's body-limit layer holds them to that (it knows these
/// paths, [`super::UPLOAD_PATHS`]), so axum's own default limit is turned off here. A second
/// limit would wrap the first one's error and hide the 413 from the multipart reader.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(set_profile_picture, delete_profile_picture))
        .layer(DefaultBodyLimit::disable())
}

/// Root routes: `GET /media/{key}`, whatever the storage backend (S3 is proxied, so that the
/// bucket can stay private and URLs do not depend on the backend).
pub fn root_router() -> OpenApiRouter<AppState> {
    // The key spans several segments (`uploads/2026/11/….jpg`): an axum wildcard, which
    // `routes!` cannot mount, so the route is added by hand and its documentation merged.
    OpenApiRouter::with_openapi(ServeDoc::openapi()).route("/media/{*key}", get(serve))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(serve))]
struct ServeDoc;

/// The form of an upload: 1 to 10 `file` parts (schema only: the handler reads the parts as
/// they stream in).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadForm {
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 10)]
    pub file: Vec<Vec<u8>>,
}

/// The form of a profile picture: one `file` part (schema only).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePictureForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A part other than `file`: refused, as JSON bodies refuse unknown members, so that a
/// misspelt part name is an error rather than a silently empty upload.
fn unknown_part(name: Option<&str>) -> ApiError {
    ApiError::invalid_field(
        name.unwrap_or("body"),
        FieldCode::UnknownField,
        "unknown part: send the file(s) as `file` parts",
    )
}

/// The multipart body, or 415 when the request is not `multipart/form-data`.
fn multipart(body: Result<Multipart, MultipartRejection>) -> ApiResult<Multipart> {
    body.map_err(|rejection| match rejection {
        MultipartRejection::InvalidBoundary(_) => ApiError::from_code(
            &codes::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be multipart/form-data with a boundary",
        ),
        other => ApiError::bad_request(other.body_text()),
    })
}

/// The quota of the account (smaller while its email is not verified).
fn quota_of(state: &AppState, user: &user_rows::Model) -> Option<u64> {
    state
        .config()
        .media
        .quota_of(user.email_verified_at.is_some())
}

/// The caller's account, read before the upload is.
async fn account(state: &AppState, viewer: &Viewer) -> ApiResult<user_rows::Model> {
    users::find(state.db().reader(), viewer.user_id.0)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))
}

/// Upload media: images (JPEG, PNG, WebP, GIF; ≤ 5 MiB each) and videos (MP4, WebM; ≤ 50 MiB
/// each), at most 10 files and 60 MiB per request, as `file` parts of a multipart body. The type
/// is told by the content, never by the name, and a video's structure is checked over the whole
/// file; images are re-encoded without their metadata and get thumbnails. All files are stored
/// or none. The stored sizes count against the caller's storage quota (`media_quota`, smaller
/// before the email address is verified), and each request spends the caller's upload rate limit.
#[utoipa::path(post, path = "/media/upload", tag = "media", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "one or more `file` parts"),
    responses(
        (status = 201, description = "Stored, in the order of the parts; no `Location`, as a batch has no one address (each item has its `url`)", body = Items<MediaItem>),
        (status = 401),
        (status = 413, description = "A file or the request is too large (`payload_too_large`), or the files would pass the caller's storage quota (`quota_exceeded`, with `quota` and `remaining` bytes)"),
        (status = 415, description = "A file is not of an accepted type"),
        (status = 422, description = "No file, too many files, an image too large in pixels or undecodable, a video whose structure is broken"),
        (status = 429, description = "Too many uploads (`rate_limited`, with `Retry-After`)"),
    ))]
async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, RateLimitStatus, Json<Items<MediaItem>>)> {
    let limit = state.rate_limiter().check_upload(viewer.user_id.0).await?;
    let mut body = multipart(body)?;
    let user = viewer.user_id.0;
    let quota = quota_of(&state, &account(&state, &viewer).await?);
    let mut budget = Budget::new(quota, queries::usage(state.db().reader(), user).await?);
    let storage = state.storage();
    let now = agora_core::time::now();
    let mut saved: Vec<Saved> = Vec::new();
    let mut pending = Pending::new(storage);
    // Each file is stored as soon as it is processed (memory holds one file at a time); any
    // failure deletes what the earlier parts stored.
    let outcome: ApiResult<()> = async {
        let mut index = 0;
        while let Some(mut field) = body.next_field().await.map_err(super::multipart_error)? {
            if field.name() != Some("file") {
                return Err(unknown_part(field.name()));
            }
            if index == MAX_FILES {
                return Err(ApiError::invalid_field(
                    "file",
                    FieldCode::TooLong,
                    format!("at most {MAX_FILES} files may be uploaded at once"),
                ));
            }
            let name = format!("file[{index}]");
            let (kind, upload) =
                super::prepare(&mut field, Allowed::Any, &name, &mut budget).await?;
            let one = super::store(storage, "uploads", now, kind, upload).await?;
            pending.add(&one);
            saved.push(one);
            index += 1;
        }
        if saved.is_empty() {
            return Err(ApiError::invalid_field(
                "file",
                FieldCode::Required,
                "send at least one `file` part",
            ));
        }
        let txn = state.db().begin().await?;
        // The quota is checked again where it counts: an upload that ran at the same time may
        // have used what this one's budget saw, and images are stored at their re-encoded size.
        let used = queries::usage(&txn, user).await?;
        for (index, one) in saved.iter().enumerate() {
            if !queries::insert(&txn, user, one, now, quota).await? {
                return Err(Budget::new(quota, used).exceeded(&format!("file[{index}]")));
            }
        }
        txn.commit().await?;
        Ok(())
    }
    .await;
    if let Err(err) = outcome {
        Saved::discard(&saved, storage).await;
        pending.disarm();
        return Err(err);
    }
    pending.disarm();
    Ok((
        StatusCode::CREATED,
        limit,
        Json(Items::new(saved.iter().map(Saved::item).collect())),
    ))
}

/// Set the caller's profile picture: one `file` part, a JPEG, PNG or WebP image of at most 5 MiB.
/// It is re-encoded without metadata, with thumbnails; the previous picture is deleted (its
/// bytes go back to the caller's storage quota, which the new one counts against). Spends the
/// caller's upload rate limit.
#[utoipa::path(post, path = "/users/me/profile-picture", tag = "media", security(("bearer" = [])),
    request_body(content = ProfilePictureForm, content_type = "multipart/form-data", description = "one `file` part"),
    responses(
        (status = 200, description = "The account with its new picture", body = User),
        (status = 401),
        (status = 413, description = "The file is too large (`payload_too_large`), or would pass the caller's storage quota (`quota_exceeded`)"),
        (status = 415, description = "Not a JPEG, PNG or WebP image"),
        (status = 422),
        (status = 429, description = "Too many uploads (`rate_limited`, with `Retry-After`)"),
    ))]
async fn set_profile_picture(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Result<Multipart, MultipartRejection>,
) -> ApiResult<(RateLimitStatus, Json<User>)> {
    let limit = state.rate_limiter().check_upload(viewer.user_id.0).await?;
    let mut body = multipart(body)?;
    let user = viewer.user_id.0;
    let account = account(&state, &viewer).await?;
    let quota = quota_of(&state, &account);
    // The old picture's bytes come back when the new one replaces it.
    let reader = state.db().reader();
    let replaced = match &account.profile_picture_key {
        Some(old) => queries::size_of(reader, user, old).await?,
        None => 0,
    };
    let mut budget = Budget::new(quota, queries::usage(reader, user).await? - replaced);
    let storage = state.storage();
    let now = agora_core::time::now();
    let mut saved: Option<Saved> = None;
    let mut pending = Pending::new(storage);
    let outcome: ApiResult<(User, Option<String>)> = async {
        while let Some(mut field) = body.next_field().await.map_err(super::multipart_error)? {
            if field.name() != Some("file") {
                return Err(unknown_part(field.name()));
            }
            if saved.is_some() {
                return Err(ApiError::invalid_field(
                    "file",
                    FieldCode::TooLong,
                    "send exactly one `file` part",
                ));
            }
            let (kind, upload) =
                super::prepare(&mut field, Allowed::StillImages, "file", &mut budget).await?;
            let one = super::store(storage, "avatars", now, kind, upload).await?;
            pending.add(&one);
            saved = Some(one);
        }
        let Some(new) = &saved else {
            return Err(ApiError::invalid_field(
                "file",
                FieldCode::Required,
                "send exactly one `file` part",
            ));
        };
        let txn = state.db().begin().await?;
        let user = users::find(&txn, viewer.user_id.0)
            .await?
            .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
        let old = user.profile_picture_key.clone();
        if let Some(old) = &old {
            queries::delete(&txn, user.id, old).await?;
        }
        let used = queries::usage(&txn, user.id).await?;
        if !queries::insert(&txn, user.id, new, now, quota).await? {
            return Err(Budget::new(quota, used).exceeded("file"));
        }
        let user =
            users::set_profile_picture(&txn, user.id, Some(new.key.to_string()), now).await?;
        txn.commit().await?;
        Ok((User::from(user), old))
    }
    .await;
    match outcome {
        Ok((user, old)) => {
            pending.disarm();
            delete_picture_files(&state, old.as_deref()).await;
            Ok((limit, Json(user)))
        }
        Err(err) => {
            if let Some(saved) = saved {
                Saved::discard(&[saved], storage).await;
            }
            pending.disarm();
            Err(err)
        }
    }
}

/// Remove the caller's profile picture (its files are deleted, its bytes go back to the caller's
/// storage quota). Without one, nothing happens.
#[utoipa::path(delete, path = "/users/me/profile-picture", tag = "media", security(("bearer" = [])),
    responses(
        (status = 204, description = "The account has no picture"),
        (status = 401),
    ))]
async fn delete_profile_picture(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<StatusCode> {
    let txn = state.db().begin().await?;
    let user = users::find(&txn, viewer.user_id.0)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    let Some(old) = user.profile_picture_key.clone() else {
        return Ok(StatusCode::NO_CONTENT);
    };
    queries::delete(&txn, viewer.user_id.0, &old).await?;
    users::set_profile_picture(&txn, user.id, None, agora_core::time::now()).await?;
    txn.commit().await?;
    delete_picture_files(&state, Some(&old)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// After the commit: the old picture's original and thumbnails. A failure is logged; the row is
/// gone already, so the files are unreachable either way.
async fn delete_picture_files(state: &AppState, key: Option<&str>) {
    let Some(key) = key else { return };
    match StorageKey::parse(key) {
        Ok(key) => state.storage().delete_all(&objects_of(&key)).await,
        Err(_) => tracing::warn!(key, "a profile picture key in the database is not valid"),
    }
}

/// Serves a stored object (from the local folder or, proxied, from the S3 bucket). Keys never
/// change content, so responses may be cached for a year.
#[utoipa::path(get, path = "/media/{key}", tag = "media",
    params(("key" = String, Path, description = "The storage key, slashes included (`uploads/2026/11/….jpg`)"), IfNoneMatch),
    responses(
        (status = 200, description = "The file, with its type, `Cache-Control: immutable` and an `ETag`"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "No media with this key (also for any key that is not valid)"),
        (status = 503, description = "The storage backend is unavailable"),
    ))]
async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
    if_none_match: IfNoneMatch,
) -> Response {
    // A key with `..`, a backslash, an absolute path, upper case or an encoded dot names
    // nothing: the same 404 as an unknown key.
    // Only keys of media (`….jpg`, `….mp4`, ...) are served: never a folder, whatever the
    // backend makes of one.
    let Some(key) = StorageKey::parse(&key)
        .ok()
        .filter(|key| key.content_type() != "application/octet-stream")
    else {
        return ApiError::not_found("no media with this key").into_response();
    };
    let cache = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    match state.storage().get(&key).await {
        Ok(object) => {
            let content_type = HeaderValue::from_str(&object.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let last_modified = object.last_modified.and_then(|modified| {
                HeaderValue::from_str(&modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
                    .ok()
            });
            // A key never changes content: the key is the entity tag.
            let file = ([(header::CONTENT_TYPE, content_type)], object.bytes);
            let mut response = (
                cache,
                if_none_match.answer(Tagged::new(key.to_string(), file)),
            )
                .into_response();
            if let Some(value) = last_modified
                && response.status() == StatusCode::OK
            {
                response.headers_mut().insert(header::LAST_MODIFIED, value);
            }
            response
        }
        Err(StorageError::NotFound) => {
            ApiError::not_found("no media with this key").into_response()
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}
