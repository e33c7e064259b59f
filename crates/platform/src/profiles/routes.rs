//! `/users/me`, `/users/{id_or_username}` and `/users/me/onboarding`.

use agora_core::extract::{FieldErrors, Json, Path};
use agora_core::{ApiError, ApiResult, UserId, time};
use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rules::{self, BIO_MAX, DISPLAY_NAME_MAX, LOCATION_MAX, TimeZoneName};
use super::{Changes, Counts, Onboarding, ProfileFacts, ProfileFields, ViewerFacts};
use crate::AppState;
use crate::identity::model::User;
use crate::identity::names::Username;
use crate::identity::users::{self, Lookup};
use crate::identity::{OptionalViewer, Viewer};
use crate::moderation::{PROFILE_TARGET, Screen, Screened, Screening, Target};
use crate::ratelimit::ClientIp;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(get_user))
        .routes(routes!(onboard))
}

/// The signed-in user: the account, the profile and its counts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    #[serde(flatten)]
    pub profile: ProfileFields,
    pub counts: Counts,
}

async fn me(conn: &impl ConnectionTrait, user: UserId) -> ApiResult<Me> {
    let account = users::find(conn, user.0)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    let profile = super::load(conn, user).await?;
    Ok(Me {
        user: User::from(account),
        profile: profile.fields,
        counts: profile.counts,
    })
}

/// Your account and profile.
#[utoipa::path(get, path = "/users/me", tag = "identity", security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401),
    ))]
async fn get_me(State(state): State<AppState>, viewer: Viewer) -> ApiResult<Json<Me>> {
    Ok(Json(me(state.db().reader(), viewer.user_id).await?))
}

/// An interest as a request sends it: 1–30 characters on one line, not blank. Only a schema.
#[derive(ToSchema)]
#[schema(
    min_length = 1,
    max_length = 30,
    pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$"
)]
pub struct Interest(pub String);

/// A change to your profile: a field left out is kept, `null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// At most 50 characters on one line; blank clears it.
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 50, pattern = "^[^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true))))]
    pub display_name: Option<Option<String>>,
    /// At most 160 characters.
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 160,
        extensions(("x-agora-screened" = json!(true))))]
    pub bio: Option<Option<String>>,
    /// An http(s) address, at most 200 characters; blank clears it.
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "^[^\\S\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*(https?://[A-Za-z0-9.-]*[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,4})?([/?#][!-~]*)?)?[^\\S\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$")]
    pub website: Option<Option<String>>,
    /// At most 100 characters on one line; blank clears it.
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 100, pattern = "^[^\\u0000-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true))))]
    pub location: Option<Option<String>>,
    /// Up to 10 words of 1–30 characters (stored lower-case, each once).
    #[schema(value_type = Option<Vec<Interest>>, max_items = 10)]
    pub interests: Option<Vec<String>>,
    /// An IANA time zone (`Europe/Berlin`).
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<TimeZoneName>)]
    pub timezone: Option<Option<String>>,
}

impl Screen for UpdateMe {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            (
                "display_name",
                self.display_name.as_ref().and_then(Option::as_deref),
            ),
            ("bio", self.bio.as_ref().and_then(Option::as_deref)),
            (
                "location",
                self.location.as_ref().and_then(Option::as_deref),
            ),
        ]
    }
}

/// Change your profile. The display name, the bio and the location are screened by the content rules: a
/// rule that would hide them rejects them (a profile is public or absent), a flag puts the
/// profile on the moderation queue.
#[utoipa::path(patch, path = "/users/me", tag = "identity", security(("bearer" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, body = Me),
        (status = 401),
        (status = 422, description = "A field breaks its rule (all such fields are listed), or `content_rejected`: the display name, the bio or the location breaks the content rules"),
    ))]
async fn update_me(
    State(state): State<AppState>,
    viewer: Viewer,
    Screened { body, screening }: Screened<UpdateMe>,
) -> ApiResult<Json<Me>> {
    let flagged = Screening::refuse_hide(screening)?.map(|screening| {
        let text = [&body.display_name, &body.bio, &body.location]
            .into_iter()
            .filter_map(|v| v.as_ref().and_then(Option::as_deref))
            .collect::<Vec<_>>()
            .join("\n");
        (screening, text)
    });
    let mut errors = FieldErrors::new();
    type Rule = fn(Option<String>, usize) -> Result<Option<String>, agora_core::Invalid>;
    let mut check = |field: &str, value: Option<Option<String>>, rule: Rule, max: usize| {
        value.and_then(|v| errors.check(field, rule(v, max)))
    };
    let display_name = check(
        "display_name",
        body.display_name,
        agora_core::text::optional_line,
        DISPLAY_NAME_MAX,
    );
    let bio = check("bio", body.bio, agora_core::text::optional_text, BIO_MAX);
    let location = check(
        "location",
        body.location,
        agora_core::text::optional_line,
        LOCATION_MAX,
    );
    let website = body
        .website
        .and_then(|v| errors.check("website", rules::website(v)));
    let interests = body
        .interests
        .and_then(|v| errors.check("interests", rules::interests(v)));
    let timezone = body.timezone.and_then(|v| match v {
        None => Some(None),
        Some(name) => errors.check("timezone", rules::timezone(&name)).map(Some),
    });
    errors.finish()?;

    let now = time::now();
    let txn = state.db().begin().await?;
    if let Some(display_name) = display_name {
        users::set_display_name(&txn, viewer.user_id.0, display_name, now).await?;
    }
    let changes = Changes {
        bio,
        website,
        location,
        interests,
        timezone,
        onboarding: None,
    };
    super::update(&txn, viewer.user_id, changes, now).await?;
    if let Some((screening, text)) = &flagged {
        let target = Target {
            kind: PROFILE_TARGET,
            id: viewer.user_id.0,
            author: viewer.user_id,
            text,
        };
        screening.queue(&txn, target, now).await?;
    }
    let updated = me(&txn, viewer.user_id).await?;
    txn.commit().await?;
    Ok(Json(updated))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingRequest {
    /// The browser's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
    #[schema(value_type = TimeZoneName)]
    pub timezone: String,
    /// A new username (3–30 letters, digits or `_`), if the user chose one.
    #[schema(pattern = "^[A-Za-z0-9_]{3,30}$")]
    pub username: Option<String>,
}

/// Finish onboarding: the time zone, optionally a username, and the country of the address the
/// request came from (looked up by the configured geolocation provider; left empty when there
/// is none or it fails). Only a keyed hash of the address is kept. May be repeated.
#[utoipa::path(post, path = "/users/me/onboarding", tag = "identity", security(("bearer" = [])),
    request_body = OnboardingRequest,
    responses(
        (status = 200, body = Me),
        (status = 401),
        (status = 409, description = "The username is taken"),
        (status = 422, description = "Not a time zone, or not a username"),
    ))]
async fn onboard(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientIp,
    Json(body): Json<OnboardingRequest>,
) -> ApiResult<Json<Me>> {
    let mut errors = FieldErrors::new();
    let timezone = errors.check("timezone", rules::timezone(&body.timezone));
    let username = body
        .username
        .map(|name| errors.check("username", Username::parse_new(&name)));
    errors.finish()?;

    // Outside the transaction: a slow provider must not hold a database connection.
    let country = state.geolocator().country(client.ip()).await;
    let now = time::now();
    let txn = state.db().begin().await?;
    if let Some(Some(username)) = username {
        if users::username_taken_by_other(&txn, &username, viewer.user_id.0).await? {
            return Err(ApiError::conflict(format!(
                "the username {} is already taken",
                username.as_str()
            )));
        }
        users::set_username(&txn, viewer.user_id.0, &username, now).await?;
    }
    let changes = Changes {
        timezone: Some(timezone),
        onboarding: Some(Onboarding {
            country,
            ip_hash: state.identity().hash_ip(client.ip()),
            at: now,
        }),
        ..Changes::default()
    };
    super::update(&txn, viewer.user_id, changes, now).await?;
    let updated = me(&txn, viewer.user_id).await?;
    txn.commit().await?;
    Ok(Json(updated))
}

/// What anyone may see of a user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicProfile {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    /// Where the profile picture is served (thumbnails beside it, as on `/users/me`).
    pub profile_picture_url: Option<String>,
    pub bio: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub interests: Vec<String>,
    pub counts: Counts,
    /// Whether the signed-in viewer follows this user; `null` without a token, on one's own
    /// profile, or when no enabled module has follows.
    pub followed_by_me: Option<bool>,
    pub created_at: DateTime<Utc>,
}

/// A user's public profile, by id or by username (any case). Disabled accounts are not found,
/// nor, for a signed-in viewer, a user hidden by a block between them.
#[utoipa::path(get, path = "/users/{user_id}", tag = "identity", security((), ("bearer" = [])),
    params(("user_id" = String, Path, description = "A user id, or a username")),
    responses(
        (status = 200, body = PublicProfile),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404),
    ))]
async fn get_user(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id_or_username): Path<String>,
) -> ApiResult<Json<PublicProfile>> {
    let db = state.db().reader();
    let username;
    let lookup = match uuid::Uuid::parse_str(&id_or_username) {
        Ok(id) => Lookup::Id(id),
        Err(_) => {
            username = Username::parse(&id_or_username).map_err(|_| not_found())?;
            Lookup::Username(&username)
        }
    };
    let account = users::find_active(db, lookup)
        .await?
        .ok_or_else(not_found)?;
    let user = UserId(account.id);
    let facts = match (viewer.0, state.try_service::<ProfileFacts>()) {
        (Some(viewer), Some(facts)) if viewer.user_id != user => {
            facts.of(&state, viewer.user_id, user).await?
        }
        _ => ViewerFacts::default(),
    };
    if facts.hidden {
        return Err(not_found());
    }
    let profile = super::load(db, user).await?;
    Ok(Json(PublicProfile {
        id: UserId(account.id),
        username: account.username,
        display_name: account.display_name,
        profile_picture_url: account
            .profile_picture_key
            .as_deref()
            .map(agora_store::media_url::url_of),
        bio: profile.fields.bio,
        website: profile.fields.website,
        location: profile.fields.location,
        interests: profile.fields.interests,
        counts: profile.counts,
        followed_by_me: facts.followed_by_me,
        created_at: account.created_at,
    }))
}

fn not_found() -> ApiError {
    ApiError::not_found("no user with this id or username")
}
