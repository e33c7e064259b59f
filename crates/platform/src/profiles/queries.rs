//! The `profiles` table: a profile as stored, the changes its owner makes (an upsert: the
//! row is made on the first write), and the counters other modules keep.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{Changes, Counter, Counts, Profile, ProfileFields};
use crate::entities::profiles::{self, Column};

impl From<profiles::Model> for Profile {
    fn from(row: profiles::Model) -> Self {
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
    Ok(profiles::Entity::find_by_id(user.0)
        .one(conn)
        .await?
        .map(Profile::from)
        .unwrap_or_default())
}

/// Writes `changes` (checked by the caller with [`super::rules`]), making the row if needed.
pub async fn update(
    conn: &impl ConnectionTrait,
    user: UserId,
    changes: Changes,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let mut values: Vec<(Column, SimpleExpr)> = Vec::new();
    if let Some(bio) = changes.bio {
        values.push((Column::Bio, bio.into()));
    }
    if let Some(website) = changes.website {
        values.push((Column::Website, website.into()));
    }
    if let Some(location) = changes.location {
        values.push((Column::Location, location.into()));
    }
    if let Some(interests) = changes.interests {
        values.push((Column::Interests, json_list(&interests).into()));
    }
    if let Some(timezone) = changes.timezone {
        values.push((Column::Timezone, timezone.into()));
    }
    if let Some(onboarding) = changes.onboarding {
        values.push((Column::Country, onboarding.country.into()));
        values.push((Column::IpHash, onboarding.ip_hash.into()));
        values.push((Column::OnboardedAt, onboarding.at.into()));
    }
    values.push((Column::UpdatedAt, now.into()));
    let columns: Vec<Column> = values.iter().map(|(c, _)| *c).collect();
    let mut insert_columns = vec![Column::UserId];
    insert_columns.extend(columns.iter().copied());
    let mut insert_values: Vec<SimpleExpr> = vec![user.0.into()];
    insert_values.extend(values.into_iter().map(|(_, v)| v));
    let upsert = Query::insert()
        .into_table(profiles::Entity)
        .columns(insert_columns)
        .values_panic(insert_values)
        .on_conflict(
            OnConflict::column(Column::UserId)
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
        Counter::Followers => Column::FollowersCount,
        Counter::Following => Column::FollowingCount,
        Counter::Posts => Column::PostsCount,
    };
    let counted = Expr::col((profiles::Entity, column)).add(delta);
    let upsert = Query::insert()
        .into_table(profiles::Entity)
        .columns([Column::UserId, column, Column::UpdatedAt])
        .values_panic([user.0.into(), Ord::max(delta, 0).into(), now.into()])
        .on_conflict(
            OnConflict::column(Column::UserId)
                .update_column(Column::UpdatedAt)
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
