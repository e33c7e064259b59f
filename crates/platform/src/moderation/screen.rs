//! The hook every module calls on public user text: [`Screened<T>`], a JSON body extractor.
//!
//! A request type lists its user-text fields by implementing [`Screen`], and marks each in
//! its OpenAPI schema with `#[schema(extensions(("x-agora-screened" = json!(true))))]` (the
//! test `screening.rs` of the API suite walks `/openapi.json` and fails on a free-text field
//! of a public resource's request body without that mark). A handler that takes
//! `Screened<CreatePost>` instead of `Json<CreatePost>` gets the body only once every listed
//! field passed the rules: a `reject` is the 422 `content_rejected` (naming the field, never
//! the rule); a `flag` or `hide` is handed to the handler as [`Screening`], which it stores
//! with the content ([`Screening::queue`], and the hidden state for `hide`).

use agora_core::extract::Json;
use agora_core::{ApiError, ApiResult, ErrorCode, FieldCode, FieldError, UserId};
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use super::cache::RuleCache;
use super::matching::Action;
use super::queries::{self, NewFlag};
use crate::AppState;

pub const CONTENT_REJECTED: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "content_rejected",
    when: "Text of the request breaks the community's content rules; `errors` names the field.",
    what_to_do: "Show the message at the field and let the user rephrase; do not retry as is.",
};

/// The OpenAPI extension that marks a field as screened.
pub const SCREENED_EXTENSION: &str = "x-agora-screened";

/// A request body with user text: each field the moderation rules read, by its JSON name, with
/// its value when present.
pub trait Screen {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)>;
}

/// What the rules said of a body they did not reject: flag it, or hide it too.
#[derive(Debug, Clone)]
#[must_use = "a flag or a hide is stored with the content (Screening::queue)"]
pub struct Screening {
    pub action: Action,
    /// Each rule matched, with the field it matched in.
    pub matches: Vec<(&'static str, Uuid)>,
}

impl Screening {
    /// Whether the content is to be hidden from everyone but its author and the moderators.
    pub fn hides(&self) -> bool {
        self.action >= Action::Hide
    }

    /// For content that has no hidden state (a profile is public or absent): a `hide` is
    /// refused as a `reject` is; a `flag` is kept.
    pub fn refuse_hide(screening: Option<Screening>) -> ApiResult<Option<Screening>> {
        match screening {
            Some(screening) if screening.hides() => {
                let mut fields: Vec<&str> = screening.matches.iter().map(|(f, _)| *f).collect();
                fields.dedup();
                Err(rejected(fields))
            }
            other => Ok(other),
        }
    }

    /// Puts the content on the moderation queue (in the transaction that writes it).
    pub async fn queue(
        &self,
        conn: &impl ConnectionTrait,
        target: Target<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let flags = self
            .matches
            .iter()
            .map(|(field, rule)| {
                json!({ "rule_id": rule, "field": field, "action": self.action, "at": now })
            })
            .collect();
        queries::enqueue(
            conn,
            NewFlag {
                target_type: target.kind,
                target_id: target.id,
                author: Some(target.author),
                preview: preview(target.text),
                action: Some(self.action),
                flags,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// Content on the queue: its kind (`post`), id, author and the text moderators see.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: &'static str,
    pub id: Uuid,
    pub author: UserId,
    pub text: &'a str,
}

/// The kind of queue entry of a profile (display name, bio, location); its id is the user's.
pub const PROFILE_TARGET: &str = "profile";

/// The most characters of a queue entry's preview.
pub const PREVIEW_MAX: usize = 500;

pub fn preview(text: &str) -> String {
    text.chars().take(PREVIEW_MAX).collect()
}

/// A JSON body whose user text passed the moderation rules (see the module's header).
#[derive(Debug)]
pub struct Screened<T> {
    pub body: T,
    /// `None` when no rule matched.
    pub screening: Option<Screening>,
}

impl<T> FromRequest<AppState> for Screened<T>
where
    T: DeserializeOwned + Screen + Send,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let Json(body) = <Json<T> as FromRequest<AppState>>::from_request(req, state).await?;
        let screening = screen(state, &body.texts()).await?;
        Ok(Screened { body, screening })
    }
}

/// An optional body (`Option<Screened<T>>`): no body at all is `None`, as for `Json`.
impl<T> OptionalFromRequest<AppState> for Screened<T>
where
    T: DeserializeOwned + Screen + Send,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        let Some(Json(body)) =
            <Json<T> as OptionalFromRequest<AppState>>::from_request(req, state).await?
        else {
            return Ok(None);
        };
        let screening = screen(state, &body.texts()).await?;
        Ok(Some(Screened { body, screening }))
    }
}

/// Screens `texts` (field name, value): the platform function behind [`Screened`], for text
/// that does not come in a JSON body. A `reject` is the 422 `content_rejected`.
pub async fn screen(
    state: &AppState,
    texts: &[(&'static str, Option<&str>)],
) -> ApiResult<Option<Screening>> {
    let rules = state.service::<RuleCache>()?.rules(state).await?;
    if rules.is_empty() {
        return Ok(None);
    }
    let mut screening: Option<Screening> = None;
    let mut rejected = Vec::new();
    for (field, text) in texts {
        let Some(verdict) = text.and_then(|text| rules.check(text)) else {
            continue;
        };
        if verdict.action == Action::Reject {
            rejected.push(*field);
            continue;
        }
        let screening = screening.get_or_insert(Screening {
            action: verdict.action,
            matches: Vec::new(),
        });
        screening.action = screening.action.max(verdict.action);
        screening
            .matches
            .extend(verdict.rules.into_iter().map(|rule| (*field, rule)));
    }
    if !rejected.is_empty() {
        return Err(self::rejected(rejected));
    }
    Ok(screening)
}

/// The 422 `content_rejected` naming `fields`, never the rule.
fn rejected(fields: Vec<&str>) -> ApiError {
    CONTENT_REJECTED
        .with_detail(format!(
            "`{}` breaks the community's content rules; please rephrase",
            fields.join("`, `")
        ))
        .with_errors(
            fields
                .into_iter()
                .map(|field| {
                    FieldError::new(
                        field,
                        FieldCode::Invalid,
                        "breaks the community's content rules",
                    )
                })
                .collect(),
        )
}
