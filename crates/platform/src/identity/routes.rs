//! The `/auth` routes and `/.well-known/jwks.json`.

use agora_core::extract::{FieldErrors, Json, Path};
use agora_core::{
    ApiError, ApiResult, Created, ErrorCode, FieldCode, FieldError, SessionId, UserId,
};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    AccountStatus, AuthResponse, LoginRequest, RefreshRequest, RegisterRequest, Role, SessionList,
    User, VerifyRequest, VerifyResponse,
};
use super::names::{EmailAddress, Username};
use super::networks;
use super::password::Password;
use super::sessions::RevokedReason;
use super::sessions::{self, Refresh};
use super::users::{self, NewUser};
use super::viewer::{Viewer, account_disabled, authenticate};
use crate::AppState;
use crate::entities::users as user_rows;
use crate::moderation::{PROFILE_TARGET, Screened, Screening, Target};
use crate::ratelimit::{ClientIp, LoginAccount, RateLimitStatus};
use agora_core::text::optional_line;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(verify))
}

pub fn root_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// Where a request came from, for the session record: the client address (behind trusted
/// proxies, the one they forwarded) and the user agent.
pub(crate) struct RequestMeta {
    pub client: ClientIp,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(RequestMeta {
            client: ClientIp::from_request_parts(parts, state).await?,
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        })
    }
}

/// Opens a session for `user` and returns the tokens.
async fn sign_in(
    state: &AppState,
    conn: &impl sea_orm::ConnectionTrait,
    user: user_rows::Model,
    meta: RequestMeta,
    now: DateTime<Utc>,
) -> ApiResult<AuthResponse> {
    let identity = state.identity();
    let ip_hash = Some(identity.hash_ip(meta.client.ip()));
    // From now on this network may sign in to the account even when its account-wide login
    // budget is spent (`networks`).
    let network = identity.hash_network(&meta.client.network_key());
    networks::remember(conn, user.id, network, now).await?;
    let (session, refresh_token) =
        sessions::open(conn, user.id, meta.user_agent, ip_hash, now).await?;
    tokens_for(state, user, session.id, refresh_token, now)
}

fn tokens_for(
    state: &AppState,
    user: user_rows::Model,
    session: uuid::Uuid,
    refresh_token: String,
    now: DateTime<Utc>,
) -> ApiResult<AuthResponse> {
    let (access_token, claims) = state
        .identity()
        .tokens
        .issue(user.id, session, user.role.as_str(), now)
        .map_err(ApiError::internal)?;
    Ok(AuthResponse {
        user: User::from(user),
        access_token,
        refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: claims.exp - claims.iat,
    })
}

pub const INVALID_CREDENTIALS: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_credentials",
    when: "Sign-in: no account has this email or username with this password (the two are not told apart).",
    what_to_do: "Ask the person to check what they typed; offer the password reset.",
};

pub const ALREADY_EXISTS: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_exists",
    when: "Registration: the username or the email address is taken; `errors` names which (code `taken`).",
    what_to_do: "Ask for another username, or offer sign-in and the password reset for the email.",
};

pub const INVALID_REFRESH_TOKEN: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_refresh_token",
    when: "The refresh token is unknown, expired or its session has ended.",
    what_to_do: "Sign in again.",
};

pub const REFRESH_TOKEN_REUSED: ErrorCode = ErrorCode {
    status: StatusCode::UNAUTHORIZED,
    code: "refresh_token_reused",
    when: "A refresh token was used a second time (a sign of theft): its session is ended.",
    what_to_do: "Sign in again; keep only the newest refresh token.",
};

fn invalid_credentials() -> ApiError {
    INVALID_CREDENTIALS.with_detail("the email or username and password do not match an account")
}

/// Create an account (and optionally an organization) and sign in.
#[utoipa::path(post, path = "/auth/register", tag = "identity",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in; `Location` is the account's profile", body = AuthResponse,
            headers(("Location" = String))),
        (status = 409, description = "Username or email already registered (`errors` says which)"),
        (status = 422, description = "Invalid fields, or `content_rejected`: the display name breaks the community's content rules"),
        (status = 429, description = "Too many attempts (`rate_limited`, with `Retry-After`)"),
    ))]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    Screened { body, screening }: Screened<RegisterRequest>,
) -> ApiResult<(RateLimitStatus, Created<AuthResponse>)> {
    let limit = state.rate_limiter().check_register(meta.client).await?;
    // An account has no hidden state: what a rule would hide is refused.
    let flagged = Screening::refuse_hide(screening)?;
    let mut errors = FieldErrors::new();
    let username = errors.check("username", Username::parse_new(&body.username));
    let email = errors.check("email", EmailAddress::parse(&body.email));
    let password = errors.check("password", Password::parse(&body.password));
    let display_name = errors.check(
        "display_name",
        optional_line(body.display_name, super::names::DISPLAY_NAME_MAX),
    );
    let organization_name = errors.check(
        "organization_name",
        optional_line(body.organization_name, 100),
    );
    errors.finish()?;
    let (Some(username), Some(email), Some(password), Some(display_name), Some(organization)) =
        (username, email, password, display_name, organization_name)
    else {
        return Err(ApiError::internal("validated fields are missing"));
    };

    let db = state.db();
    let (username_taken, email_taken) = users::taken(db.reader(), &username, &email).await?;
    if username_taken || email_taken {
        return Err(already_registered(username_taken, email_taken));
    }
    let password_hash = state
        .identity()
        .passwords
        .hash(&password)
        .await
        .map_err(ApiError::internal)?;

    let now = agora_core::time::now();
    let txn = db.begin().await?;
    let new_user = NewUser {
        username: &username,
        email: &email,
        password_hash: Some(password_hash),
        display_name,
        role: Role::User,
    };
    let user = match users::insert(&txn, new_user, now).await {
        Ok(user) => user,
        // Lost a race with a registration of the same name between the check and the insert.
        Err(err) if err.is_unique_violation() => {
            // The transaction holds the (SQLite: only) writer connection; end it first.
            drop(txn);
            let (u, e) = users::taken(db.reader(), &username, &email).await?;
            return Err(already_registered(u || !e, e));
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(name) = organization {
        users::create_organization(&txn, &name, user.id, now).await?;
    }
    if let (Some(flagged), Some(name)) = (&flagged, &user.display_name) {
        let target = Target {
            kind: PROFILE_TARGET,
            id: user.id,
            author: UserId(user.id),
            text: name,
        };
        flagged.queue(&txn, target, now).await?;
    }
    super::recovery::send_verification(&state, &txn, &user, now).await?;
    let response = sign_in(&state, &txn, user, meta, now).await?;
    txn.commit().await?;
    state.jobs().wake();
    let profile = format!("/users/{}", response.user.id);
    Ok((limit, Created::at(profile, response)))
}

fn already_registered(username: bool, email: bool) -> ApiError {
    let mut errors = Vec::new();
    if username {
        errors.push(FieldError::new(
            "username",
            FieldCode::Taken,
            "is already taken",
        ));
    }
    if email {
        errors.push(FieldError::new(
            "email",
            FieldCode::Taken,
            "is already registered",
        ));
    }
    ALREADY_EXISTS
        .with_detail("an account with this username or email already exists")
        .with_errors(errors)
}

/// Sign in with email or username and password.
#[utoipa::path(post, path = "/auth/login", tag = "identity",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Wrong credentials (the same answer whether or not the account exists)"),
        (status = 403, description = "`account_disabled`"),
        (status = 422, description = "Neither or both of email and username"),
        (status = 429, description = "Too many attempts (`rate_limited`, with `Retry-After`)"),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    Json(body): Json<LoginRequest>,
) -> ApiResult<(RateLimitStatus, Json<AuthResponse>)> {
    let ((Some(login), None) | (None, Some(login))) = (&body.email, &body.username) else {
        return Err(ApiError::invalid_field(
            "email",
            FieldCode::Required,
            "give either `email` or `username`",
        ));
    };
    // Throttled per address before any look-up, then per account (whichever identifier named
    // it) and client network, then per account from everywhere; see `networks`.
    let limiter = state.rate_limiter();
    let by_address = limiter.check_login_address(meta.client).await?;
    let db = state.db();
    let user =
        users::find_by_login(db.reader(), body.email.as_deref(), body.username.as_deref()).await?;
    let account = match &user {
        Some(user) => LoginAccount::User(user.id),
        None => LoginAccount::Unknown(login.clone()),
    };
    let check = limiter.check_login_account(meta.client, &account).await?;
    if let Err(limited) = check.account_wide {
        let network = state.identity().hash_network(&meta.client.network_key());
        // Asked for unknown identifiers too (no account has the nil id), so both take as long.
        let id = user.as_ref().map_or(uuid::Uuid::nil(), |user| user.id);
        if !networks::is_known(db.reader(), id, &network).await? {
            return Err(limited.into());
        }
    }
    let limit = by_address.tighter(check.status);
    // Verified even when there is no account (against a dummy hash), so timing is the same.
    let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let matched = state
        .identity()
        .passwords
        .verify(&body.password, hash)
        .await;
    let Some(user) = user.filter(|_| matched) else {
        return Err(limit.annotate(invalid_credentials()));
    };
    if user.status != AccountStatus::Active {
        return Err(limit.annotate(account_disabled()));
    }
    let now = agora_core::time::now();
    Ok((
        limit,
        Json(sign_in(&state, db.writer(), user, meta, now).await?),
    ))
}

/// Exchange a refresh token for a new pair. Each refresh token works once; presenting a used
/// one again revokes the whole session.
#[utoipa::path(post, path = "/auth/refresh", tag = "identity",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access and refresh token", body = AuthResponse),
        (status = 401, description = "Unknown, used or expired refresh token"),
        (status = 403, description = "`account_disabled`"),
    ))]
async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> ApiResult<Json<AuthResponse>> {
    let now = agora_core::time::now();
    match sessions::refresh(state.db(), &body.refresh_token, now).await? {
        Refresh::Rotated {
            session,
            user,
            refresh_token,
        } => Ok(Json(tokens_for(
            &state,
            user,
            session.id,
            refresh_token,
            now,
        )?)),
        Refresh::Invalid => {
            Err(INVALID_REFRESH_TOKEN.with_detail("the refresh token is not valid; sign in again"))
        }
        Refresh::Reused { session_id } => {
            state.identity().revoke(&[session_id], now);
            tracing::warn!(session = %session_id, "refresh token reused; session revoked");
            Err(REFRESH_TOKEN_REUSED
                .with_detail("this refresh token was already used; the session has been ended"))
        }
        Refresh::Disabled => Err(account_disabled()),
    }
}

/// End this session: its access token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "identity", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"),
        (status = 401)))]
async fn logout(State(state): State<AppState>, viewer: Viewer) -> ApiResult<StatusCode> {
    // A token of the external provider has no session here: signing out is the provider's.
    if let Some(session) = viewer.session_id {
        let now = agora_core::time::now();
        sessions::revoke_in(state.db().writer(), session.0, RevokedReason::Logout, now).await?;
        state.identity().revoke(&[session.0], now);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of the caller, on every device.
#[utoipa::path(post, path = "/auth/logout-all", tag = "identity", security(("bearer" = [])),
    responses((status = 204, description = "Every session ended"),
        (status = 401)))]
async fn logout_all(State(state): State<AppState>, viewer: Viewer) -> ApiResult<StatusCode> {
    let now = agora_core::time::now();
    let ended = sessions::revoke_all_in(
        state.db().writer(),
        viewer.user_id.0,
        RevokedReason::LogoutAll,
        now,
    )
    .await?;
    state.identity().revoke(&ended, now);
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/auth/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = User),
        (status = 401)))]
async fn me(State(state): State<AppState>, viewer: Viewer) -> ApiResult<Json<User>> {
    let user = users::find(state.db().reader(), viewer.user_id.0)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    Ok(Json(User::from(user)))
}

/// The caller's live sessions.
#[utoipa::path(get, path = "/auth/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = SessionList),
        (status = 401)))]
async fn list_sessions(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<SessionList>> {
    let items = sessions::list_live(
        state.db().reader(),
        viewer.user_id.0,
        agora_core::time::now(),
    )
    .await?
    .into_iter()
    .map(|s| super::model::Session::from_model(s, viewer.session_id))
    .collect();
    Ok(Json(SessionList { items }))
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = SessionId, Path, description = "Session id")),
    responses((status = 204, description = "Session ended"),
        (status = 404, description = "No such session of the caller")))]
async fn revoke_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<SessionId>,
) -> ApiResult<StatusCode> {
    let now = agora_core::time::now();
    let writer = state.db().writer();
    let reason = RevokedReason::RevokedByUser;
    if !sessions::revoke_own(writer, viewer.user_id.0, id.0, reason, now).await? {
        return Err(ApiError::not_found("no such session"));
    }
    state.identity().revoke(&[id.0], now);
    Ok(StatusCode::NO_CONTENT)
}

/// Check an access token (for other services that accept our users).
#[utoipa::path(post, path = "/auth/verify", tag = "identity",
    request_body = VerifyRequest,
    responses((status = 200, description = "Whether the token is valid now", body = VerifyResponse)))]
async fn verify(
    State(state): State<AppState>,
    Json(body): Json<VerifyRequest>,
) -> Json<VerifyResponse> {
    Json(match authenticate(&state, &body.token).await {
        Ok(viewer) => VerifyResponse {
            valid: true,
            user_id: Some(viewer.user_id),
            expires_at: Some(viewer.expires_at),
        },
        Err(_) => VerifyResponse {
            valid: false,
            user_id: None,
            expires_at: None,
        },
    })
}

/// The public keys that verify access tokens issued by this server (JWK set).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "identity",
    responses((status = 200, description = "JWK set", body = Object)))]
async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.identity().tokens.jwks().clone())
}
