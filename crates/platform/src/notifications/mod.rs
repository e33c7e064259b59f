//! Notifications: one table and one API for every product (a reply, a mention, a like, a
//! message, a pick turn, a race scored).
//!
//! A product calls [`notify`] in the transaction of the change that causes the notification.
//! The recipient's [`preferences`] for that kind decide the channels: `in_app` (listed by
//! `GET /api/v1/notifications` and counted as unread), `email_digest` (gathered into one email
//! a day by the `notifications.digest` job while still unread), and `realtime` (pushed to the
//! recipient's open connections as a `notification.created` event once the change commits).
//!
//! ```ignore
//! let delivered = notifications::notify(&txn, NewNotification {
//!     user_id: topic.author_id,
//!     kind: "forum.reply".into(),
//!     actor_id: Some(viewer.user_id),
//!     title: format!("{} replied to {}", author.username, topic.title),
//!     body: None,
//!     link: Some(format!("/forum/topics/{}", topic.id)),
//!     payload: json!({ "topic_id": topic.id, "post_id": post.id }),
//! }, now).await?;
//! txn.commit().await?;
//! notifications::after_commit(&state, delivered).await;
//! ```

pub mod digest;
pub mod preferences;
pub mod queries;
pub mod routes;

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::notifications;
use crate::realtime::{Event, Room};
use crate::{AppState, Module, Tag};
pub use preferences::Channels;
pub use queries::unread_count;

agora_core::id_type!(
    /// Identifies a notification.
    NotificationId
);

/// The most a title keeps; a longer one is cut (it is the product's text, not the user's).
pub const TITLE_MAX_CHARS: usize = 200;

/// A notification to deliver.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Who receives it.
    pub user_id: UserId,
    /// `area.event` (`forum.reply`); the recipient chooses channels per kind.
    pub kind: String,
    /// Who caused it, if someone did.
    pub actor_id: Option<UserId>,
    /// One line, shown in lists and digests.
    pub title: String,
    pub body: Option<String>,
    /// Where a client takes the reader: a path of the application (`/forum/topics/…`).
    pub link: Option<String>,
    /// What a client needs to show it (ids, names).
    pub payload: serde_json::Value,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    #[schema(value_type = String, format = Uuid)]
    pub id: NotificationId,
    pub kind: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor_id: Option<UserId>,
    pub title: String,
    pub body: Option<String>,
    pub link: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// When the recipient read it; null while unread.
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notifications::Model> for Notification {
    fn from(row: notifications::Model) -> Self {
        Notification {
            id: NotificationId(row.id),
            kind: row.kind,
            actor_id: row.actor_id.map(UserId),
            title: row.title,
            body: row.body,
            link: row.link,
            // Written by `notify` from a JSON value.
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            read_at: row.read_at,
            created_at: row.created_at,
        }
    }
}

/// What [`notify`] did, for [`after_commit`].
#[derive(Debug, Clone)]
pub struct Delivered {
    pub user_id: UserId,
    pub notification: Notification,
    /// Push it to the recipient's open connections.
    pub realtime: bool,
}

/// Delivers `new` on `conn` (the transaction of the change that causes it) by the recipient's
/// channels for its kind: stored when it is to be listed or put in a digest. `None` when the
/// recipient turned every channel of the kind off.
pub async fn notify(
    conn: &impl ConnectionTrait,
    new: NewNotification,
    now: DateTime<Utc>,
) -> DbResult<Option<Delivered>> {
    let channels = queries::channels(conn, new.user_id, &new.kind).await?;
    if !(channels.in_app || channels.email_digest || channels.realtime) {
        return Ok(None);
    }
    let title: String = new.title.chars().take(TITLE_MAX_CHARS).collect();
    let notification = Notification {
        id: NotificationId::new(),
        kind: new.kind,
        actor_id: new.actor_id,
        title,
        body: new.body,
        link: new.link,
        payload: new.payload,
        read_at: None,
        created_at: now,
    };
    if channels.in_app || channels.email_digest {
        queries::insert(conn, new.user_id, &notification, channels, None).await?;
    }
    Ok(Some(Delivered {
        user_id: new.user_id,
        notification,
        realtime: channels.realtime,
    }))
}

/// Delivers `new` as [`notify`] does, grouped under `group` (the product's key, such as
/// `social.like:post:{id}`): while the recipient has an unread notification of the group, that
/// one row grows instead of a new one (its count, its latest actor, and the title
/// `title(count)` gives, such as "alice and 3 others liked your post"); its payload gets
/// `count`. Once read, the next one starts a new group. The realtime channel pushes the row as
/// it now is, as `notification.created` with the same id.
pub async fn notify_grouped(
    conn: &impl ConnectionTrait,
    new: NewNotification,
    group: &str,
    title: impl FnOnce(i64) -> String,
    now: DateTime<Utc>,
) -> DbResult<Option<Delivered>> {
    let channels = queries::channels(conn, new.user_id, &new.kind).await?;
    if !(channels.in_app || channels.email_digest || channels.realtime) {
        return Ok(None);
    }
    let stored = channels.in_app || channels.email_digest;
    let mut payload = new.payload;
    if stored && let Some(row) = queries::join_group(conn, new.user_id, group, new.actor_id).await?
    {
        let title: String = title(row.group_count)
            .chars()
            .take(TITLE_MAX_CHARS)
            .collect();
        if let Some(object) = payload.as_object_mut() {
            object.insert("count".to_owned(), row.group_count.into());
        }
        queries::retell(conn, row.id, &title, &payload).await?;
        let notification = Notification {
            title,
            payload,
            ..Notification::from(row)
        };
        return Ok(Some(Delivered {
            user_id: new.user_id,
            notification,
            realtime: channels.realtime,
        }));
    }
    if let Some(object) = payload.as_object_mut() {
        object.insert("count".to_owned(), 1.into());
    }
    let notification = Notification {
        id: NotificationId::new(),
        kind: new.kind,
        actor_id: new.actor_id,
        title: new.title.chars().take(TITLE_MAX_CHARS).collect(),
        body: new.body,
        link: new.link,
        payload,
        read_at: None,
        created_at: now,
    };
    if stored {
        queries::insert(conn, new.user_id, &notification, channels, Some(group)).await?;
    }
    Ok(Some(Delivered {
        user_id: new.user_id,
        notification,
        realtime: channels.realtime,
    }))
}

/// Pushes what [`notify`] delivered to the recipient's open connections (when the recipient
/// wants that). Call it once the transaction has committed; it never fails the caller.
pub async fn after_commit(state: &AppState, delivered: Option<Delivered>) {
    let Some(delivered) = delivered else {
        return;
    };
    if delivered.realtime {
        push_created(state, &delivered).await;
    }
}

/// `notification.created`, with the notification as the recipient lists it, in their room.
async fn push_created(state: &AppState, delivered: &Delivered) {
    // A struct of strings, ids, times and a JSON value always serialises.
    let payload = serde_json::to_value(&delivered.notification).unwrap_or_default();
    let room = Room::user(delivered.user_id.0);
    state
        .realtime()
        .publish(Event::new(room, "notification.created", payload))
        .await;
}

/// The notifications area: its routes, and the daily digest's job and schedule.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "notifications",
        description: "The signed-in user's notifications and their channels",
    }],
    router: routes::router,
    jobs: || vec![digest::job()],
    schedules: &[digest::SCHEDULE],
    ..Module::new("notifications")
};
