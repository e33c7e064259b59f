//! Queries on accounts (and the organization created at registration).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Unchanged,
};
use uuid::Uuid;

use agora_store::{Db, DbResult};

use super::Identity;
use super::model::{AccountStatus, Role};
use super::names::{EmailAddress, Username};
use super::password::Password;
use super::secrets::new_token;
use crate::audit::{self, AuditEntry};
use crate::entities::{organization_members, organizations, users};

/// A new account, its fields already valid.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: &'a EmailAddress,
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub role: Role,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    user: NewUser<'_>,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    Ok(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(user.username.as_str().to_owned()),
        username_key: Set(user.username.key()),
        email: Set(user.email.as_str().to_owned()),
        email_key: Set(user.email.key()),
        password_hash: Set(user.password_hash),
        display_name: Set(user.display_name),
        role: Set(user.role),
        status: Set(AccountStatus::Active),
        email_verified_at: Set(None),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        profile_picture_key: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// Which of a username and an email are already taken.
pub async fn taken(
    conn: &impl ConnectionTrait,
    username: &Username,
    email: &EmailAddress,
) -> DbResult<(bool, bool)> {
    Ok((
        username_taken(conn, username).await?,
        email_taken(conn, email).await?,
    ))
}

pub async fn username_taken(conn: &impl ConnectionTrait, username: &Username) -> DbResult<bool> {
    Ok(users::Entity::find()
        .filter(users::Column::UsernameKey.eq(username.key()))
        .one(conn)
        .await?
        .is_some())
}

pub async fn email_taken(conn: &impl ConnectionTrait, email: &EmailAddress) -> DbResult<bool> {
    Ok(users::Entity::find()
        .filter(users::Column::EmailKey.eq(email.key()))
        .one(conn)
        .await?
        .is_some())
}

/// Finds an account by email or username (case-insensitively).
pub async fn find_by_login(
    conn: &impl ConnectionTrait,
    email: Option<&str>,
    username: Option<&str>,
) -> DbResult<Option<users::Model>> {
    let query = match (email, username) {
        (Some(email), _) => users::Entity::find()
            .filter(users::Column::EmailKey.eq(email.trim().to_ascii_lowercase())),
        (None, Some(username)) => users::Entity::find()
            .filter(users::Column::UsernameKey.eq(username.trim().to_ascii_lowercase())),
        (None, None) => return Ok(None),
    };
    Ok(query.one(conn).await?)
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(conn).await?)
}

/// How a public page names an account.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Id(Uuid),
    Username(&'a Username),
}

/// That the account `id` (a column of the outer query: `posts.author_id`) is active: a
/// correlated look-up by primary key for each row the outer query keeps, so it costs what the
/// page costs. (`id IN (SELECT id FROM users WHERE status = 'active')` reads every account
/// for each query, on SQLite and PostgreSQL alike.)
pub fn is_active(id: impl IntoColumnRef) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .and_where(Expr::col((users::Entity, users::Column::Id)).equals(id))
            .and_where(Expr::col((users::Entity, users::Column::Status)).eq(AccountStatus::Active))
            .to_owned(),
    )
}

/// The active account that `lookup` names (disabled accounts are not found).
pub async fn find_active(
    conn: &impl ConnectionTrait,
    lookup: Lookup<'_>,
) -> DbResult<Option<users::Model>> {
    let by = match lookup {
        Lookup::Id(id) => users::Column::Id.eq(id),
        Lookup::Username(username) => users::Column::UsernameKey.eq(username.key()),
    };
    Ok(users::Entity::find()
        .filter(by)
        .filter(users::Column::Status.eq(AccountStatus::Active))
        .one(conn)
        .await?)
}

/// Whether an account other than `except` holds `username`.
pub async fn username_taken_by_other(
    conn: &impl ConnectionTrait,
    username: &Username,
    except: Uuid,
) -> DbResult<bool> {
    Ok(users::Entity::find()
        .filter(users::Column::UsernameKey.eq(username.key()))
        .filter(users::Column::Id.ne(except))
        .one(conn)
        .await?
        .is_some())
}

/// Writes the fields set in `account` (its `id` says which row) and `updated_at`.
async fn update(
    conn: &impl ConnectionTrait,
    id: Uuid,
    mut account: users::ActiveModel,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    account.id = Unchanged(id);
    account.updated_at = Set(now);
    Ok(account.update(conn).await?)
}

pub async fn set_username(
    conn: &impl ConnectionTrait,
    id: Uuid,
    username: &Username,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let account = users::ActiveModel {
        username: Set(username.as_str().to_owned()),
        username_key: Set(username.key()),
        ..Default::default()
    };
    update(conn, id, account, now).await
}

pub async fn set_display_name(
    conn: &impl ConnectionTrait,
    id: Uuid,
    display_name: Option<String>,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let account = users::ActiveModel {
        display_name: Set(display_name),
        ..Default::default()
    };
    update(conn, id, account, now).await
}

/// A new password hash; `email_verified_at` too, since proving the address is how a reset
/// link is used.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: Uuid,
    password_hash: String,
    email_verified_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let account = users::ActiveModel {
        password_hash: Set(Some(password_hash)),
        email_verified_at: Set(Some(email_verified_at)),
        ..Default::default()
    };
    update(conn, id, account, now).await
}

/// The address of account `id` is verified, from `now`.
pub async fn mark_verified(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let account = users::ActiveModel {
        email_verified_at: Set(Some(now)),
        ..Default::default()
    };
    update(conn, id, account, now).await
}

/// The storage key of the profile picture, or none.
pub async fn set_profile_picture(
    conn: &impl ConnectionTrait,
    id: Uuid,
    key: Option<String>,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let account = users::ActiveModel {
        profile_picture_key: Set(key),
        ..Default::default()
    };
    update(conn, id, account, now).await
}

/// Creates an organization administered by `admin`.
pub async fn create_organization(
    conn: &impl ConnectionTrait,
    name: &str,
    admin: Uuid,
    now: DateTime<Utc>,
) -> DbResult<organizations::Model> {
    let organization = organizations::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        created_by: Set(Some(admin)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    organization_members::ActiveModel {
        organization_id: Set(organization.id),
        user_id: Set(admin),
        role: Set(organization_members::OrganizationRole::OrgAdmin),
        active: Set(true),
        joined_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(organization)
}

/// An admin account made by [`create_admin`].
pub struct CreatedAdmin {
    pub user: users::Model,
    /// The password, when none was given and one was generated.
    pub generated_password: Option<String>,
}

/// Creates an admin account (`agora admin create`), with a generated password when none is
/// given. Errors are one-line messages for the command line.
pub async fn create_admin(
    identity: &Identity,
    db: &Db,
    username: &str,
    email: &str,
    password: Option<String>,
) -> Result<CreatedAdmin, String> {
    let username = Username::parse(username).map_err(|e| format!("the username {e}"))?;
    let email = EmailAddress::parse(email).map_err(|e| format!("the email {e}"))?;
    let (generated_password, password) = match password {
        Some(password) => (None, password),
        None => {
            let password = new_token();
            (Some(password.clone()), password)
        }
    };
    let password = Password::parse(&password).map_err(|e| format!("the password {e}"))?;
    let (username_taken, email_taken) = taken(db.reader(), &username, &email)
        .await
        .map_err(|e| e.to_string())?;
    if username_taken {
        return Err(format!("the username {username} is already taken"));
    }
    if email_taken {
        return Err(format!(
            "the email {} is already registered",
            email.as_str()
        ));
    }
    let password_hash = identity.passwords.hash(&password).await?;
    let now = agora_core::time::now();
    let created = async {
        let txn = db.begin().await?;
        let user = insert(
            &txn,
            NewUser {
                username: &username,
                email: &email,
                password_hash: Some(password_hash),
                display_name: None,
                role: Role::Admin,
            },
            now,
        )
        .await?;
        audit::record(
            &txn,
            AuditEntry {
                actor: None,
                action: "user.created",
                target_type: "user",
                target_id: Some(user.id.to_string()),
                reason: Some("agora admin create"),
                details: Some(serde_json::json!({ "role": "admin" })),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, agora_store::DbError>(user)
    }
    .await
    .map_err(|e| e.to_string())?;
    Ok(CreatedAdmin {
        user: created,
        generated_password,
    })
}
