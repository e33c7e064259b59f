//! Profiles: what users tell about themselves (`/users/me`), what others see
//! (`/users/{id_or_username}`), onboarding (time zone, and the country of the address through
//! [`crate::geolocation`]), and the counters other modules keep.
//!
//! A profile row is made on the first write; until then a user has the empty profile. The
//! counters (followers, following, posts) are changed by the writes that change them, with
//! [`adjust_counter`] in the same transaction, so a read never counts rows.

pub mod routes;
pub mod rules;

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DeriveIden, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Module;

#[derive(DeriveIden, Clone)]
enum Profiles {
    Table,
    UserId,
    Bio,
    Website,
    Location,
    Interests,
    Timezone,
    Country,
    IpHash,
    OnboardedAt,
    FollowersCount,
    FollowingCount,
    PostsCount,
    UpdatedAt,
}

/// What a user tells about themselves, and where onboarding placed them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProfileFields {
    pub bio: Option<String>,
    pub website: Option<String>,
    pub location: Option<String>,
    pub interests: Vec<String>,
    /// IANA name, from onboarding or the profile.
    pub timezone: Option<String>,
    /// Two-letter code, from the address at onboarding.
    pub country: Option<String>,
    pub onboarded: bool,
}

/// Kept by the writes, never counted on read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub followers: u64,
    pub following: u64,
    pub posts: u64,
}

/// A profile as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub fields: ProfileFields,
    pub counts: Counts,
}

#[derive(FromQueryResult)]
struct Row {
    bio: Option<String>,
    website: Option<String>,
    location: Option<String>,
    interests: String,
    timezone: Option<String>,
    country: Option<String>,
    onboarded_at: Option<DateTime<Utc>>,
    followers_count: i64,
    following_count: i64,
    posts_count: i64,
}

impl From<Row> for Profile {
    fn from(row: Row) -> Self {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Profile {
            fields: ProfileFields {
                bio: row.bio,
                website: row.website,
                location: row.location,
                // Written by `update` from a list of strings.
                interests: serde_json::from_str(&row.interests).unwrap_or_default(),
                timezone: row.timezone,
                country: row.country,
                onboarded: row.onboarded_at.is_some(),
            },
            counts: Counts {
                followers: count(row.followers_count),
                following: count(row.following_count),
                posts: count(row.posts_count),
            },
        }
    }
}

/// The profile of `user` (the empty one if it has none yet).
pub async fn load(conn: &impl ConnectionTrait, user: UserId) -> DbResult<Profile> {
    let select = Query::select()
        .columns([
            Profiles::Bio,
            Profiles::Website,
            Profiles::Location,
            Profiles::Interests,
            Profiles::Timezone,
            Profiles::Country,
            Profiles::OnboardedAt,
            Profiles::FollowersCount,
            Profiles::FollowingCount,
            Profiles::PostsCount,
        ])
        .from(Profiles::Table)
        .and_where(Expr::col(Profiles::UserId).eq(user.0))
        .to_owned();
    Ok(match conn.query_one(&select).await? {
        Some(row) => Row::from_query_result(&row, "")?.into(),
        None => Profile::default(),
    })
}

/// A change to a profile's own fields: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub bio: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub interests: Option<Vec<String>>,
    pub timezone: Option<Option<String>>,
    /// Onboarding: the country found, the hashed address, the time.
    pub onboarding: Option<Onboarding>,
}

#[derive(Debug, Clone)]
pub struct Onboarding {
    pub country: Option<String>,
    pub ip_hash: String,
    pub at: DateTime<Utc>,
}

/// Writes `changes` (checked by the caller with [`rules`]), making the row if needed.
pub async fn update(
    conn: &impl ConnectionTrait,
    user: UserId,
    changes: Changes,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let mut values: Vec<(Profiles, SimpleExpr)> = Vec::new();
    if let Some(bio) = changes.bio {
        values.push((Profiles::Bio, bio.into()));
    }
    if let Some(website) = changes.website {
        values.push((Profiles::Website, website.into()));
    }
    if let Some(location) = changes.location {
        values.push((Profiles::Location, location.into()));
    }
    if let Some(interests) = changes.interests {
        values.push((Profiles::Interests, json_list(&interests).into()));
    }
    if let Some(timezone) = changes.timezone {
        values.push((Profiles::Timezone, timezone.into()));
    }
    if let Some(onboarding) = changes.onboarding {
        values.push((Profiles::Country, onboarding.country.into()));
        values.push((Profiles::IpHash, onboarding.ip_hash.into()));
        values.push((Profiles::OnboardedAt, onboarding.at.into()));
    }
    values.push((Profiles::UpdatedAt, now.into()));
    let columns: Vec<Profiles> = values.iter().map(|(c, _)| c.clone()).collect();
    let mut insert_columns = vec![Profiles::UserId];
    insert_columns.extend(columns.iter().cloned());
    let mut insert_values: Vec<SimpleExpr> = vec![user.0.into()];
    insert_values.extend(values.into_iter().map(|(_, v)| v));
    let upsert = Query::insert()
        .into_table(Profiles::Table)
        .columns(insert_columns)
        .values_panic(insert_values)
        .on_conflict(
            OnConflict::column(Profiles::UserId)
                .update_columns(columns)
                .to_owned(),
        )
        .to_owned();
    conn.execute(&upsert).await?;
    Ok(())
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned())
}

/// A counter of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Followers,
    Following,
    Posts,
}

/// Adds `delta` to one counter of `user`'s profile (making the row if needed); call it in the
/// transaction of the write that changes what it counts. Never below zero.
pub async fn adjust_counter(
    conn: &impl ConnectionTrait,
    user: UserId,
    counter: Counter,
    delta: i64,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let column = match counter {
        Counter::Followers => Profiles::FollowersCount,
        Counter::Following => Profiles::FollowingCount,
        Counter::Posts => Profiles::PostsCount,
    };
    let counted = Expr::col((Profiles::Table, column.clone())).add(delta);
    let upsert = Query::insert()
        .into_table(Profiles::Table)
        .columns([Profiles::UserId, column.clone(), Profiles::UpdatedAt])
        .values_panic([user.0.into(), Ord::max(delta, 0).into(), now.into()])
        .on_conflict(
            OnConflict::column(Profiles::UserId)
                .value(Profiles::UpdatedAt, Expr::cust("excluded.updated_at"))
                .value(
                    column,
                    // `profiles.<counter> + delta`, floored at zero.
                    Expr::case(counted.clone().lt(0), 0).finally(counted),
                )
                .to_owned(),
        )
        .to_owned();
    conn.execute(&upsert).await?;
    Ok(())
}

/// The profiles area (its routes are listed under the `identity` tag).
pub const MODULE: Module = Module {
    router: routes::router,
    ..Module::new("profiles")
};
