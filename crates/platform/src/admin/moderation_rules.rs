//! `/admin/moderation-rules`: the rules, for admins. Every change is in the audit log and
//! reaches every instance's compiled rules at once (`cache.rs`).

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_core::{ApiError, ApiResult, Created, FieldCode, FieldError, time};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::audit::{self, AuditEntry};
use crate::entities::moderation_rules;
use crate::identity::AdminUser;
use crate::moderation::cache::rules_changed;
use crate::moderation::matching::{self, Action, MatchKind};
use crate::moderation::queries::{self, RuleFields};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_moderation_rules, create_moderation_rule))
        .routes(routes!(
            get_moderation_rule,
            update_moderation_rule,
            delete_moderation_rule
        ))
}

/// A moderation rule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModerationRule {
    pub id: Uuid,
    pub pattern: String,
    #[serde(rename = "match")]
    pub kind: MatchKind,
    pub severity: i16,
    pub action: Action,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<moderation_rules::Model> for ModerationRule {
    type Error = ApiError;

    fn try_from(row: moderation_rules::Model) -> ApiResult<Self> {
        Ok(ModerationRule {
            kind: MatchKind::parse(&row.match_kind)
                .ok_or_else(|| ApiError::internal("a rule of an unknown match kind"))?,
            action: Action::parse(&row.action)
                .ok_or_else(|| ApiError::internal("a rule of an unknown action"))?,
            id: row.id,
            pattern: row.pattern,
            severity: row.severity,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// `POST /admin/moderation-rules`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    /// A word (or words in a row), a phrase, or a regular expression: 1–500 characters.
    /// Words and phrases are matched after case folding, Unicode normalisation and look-alike
    /// folding; a word matches whole words only.
    #[schema(min_length = 1, max_length = 500)]
    pub pattern: String,
    #[serde(rename = "match")]
    pub kind: MatchKind,
    /// 1 (mild) to 5 (severe).
    #[schema(minimum = 1, maximum = 5)]
    pub severity: i16,
    pub action: Action,
}

/// `PATCH /admin/moderation-rules/{id}`: the fields to change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRule {
    #[schema(min_length = 1, max_length = 500)]
    pub pattern: Option<String>,
    #[serde(rename = "match")]
    pub kind: Option<MatchKind>,
    #[schema(minimum = 1, maximum = 5)]
    pub severity: Option<i16>,
    pub action: Option<Action>,
}

/// `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RulePage {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const NEWEST: CursorSort = CursorSort::new("moderation_rules", "newest");

/// Checks a rule's fields, every invalid one at once.
fn fields(
    pattern: String,
    kind: MatchKind,
    severity: i16,
    action: Action,
) -> ApiResult<RuleFields> {
    let mut errors = Vec::new();
    let pattern = pattern.trim().to_owned();
    if pattern.is_empty() {
        errors.push(FieldError::new(
            "pattern",
            FieldCode::Required,
            "is required",
        ));
    } else if let Err(message) = matching::check_pattern(kind, &pattern) {
        errors.push(FieldError::new("pattern", FieldCode::Invalid, message));
    }
    if !(1..=5).contains(&severity) {
        errors.push(FieldError::new(
            "severity",
            FieldCode::OutOfRange,
            "must be from 1 to 5",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(RuleFields {
        pattern,
        kind,
        severity,
        action,
    })
}

fn no_such_rule() -> ApiError {
    ApiError::not_found("no moderation rule with this id")
}

/// The rules, newest first.
#[utoipa::path(get, path = "/admin/moderation-rules", tag = "moderation", security(("bearer" = [])),
    params(RulePage),
    responses(
        (status = 200, body = CursorPage<ModerationRule>),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
async fn list_moderation_rules(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(page): Query<RulePage>,
) -> ApiResult<Json<CursorPage<ModerationRule>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref()).resolve::<Uuid>(NEWEST)?;
    let rows = queries::list_rules(state.db().reader(), &page).await?;
    let page = page.page(rows, |row| row.id);
    Ok(Json(CursorPage {
        items: page
            .items
            .into_iter()
            .map(ModerationRule::try_from)
            .collect::<ApiResult<_>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// Add a rule. It applies to the next text screened, on every instance.
#[utoipa::path(post, path = "/admin/moderation-rules", tag = "moderation", security(("bearer" = [])),
    request_body = CreateRule,
    responses(
        (status = 201, body = ModerationRule, headers(("Location" = String))),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Invalid fields: a `pattern` that is not a valid regular expression or is too big to run, a `severity` out of range"),
    ))]
async fn create_moderation_rule(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<CreateRule>,
) -> ApiResult<Response> {
    let fields = fields(body.pattern, body.kind, body.severity, body.action)?;
    let now = time::now();
    let txn = state.db().begin().await?;
    let row = queries::insert_rule(&txn, fields, admin.0.user_id, now).await?;
    let rule = ModerationRule::try_from(row)?;
    record(&txn, &admin, "moderation.rule_created", &rule, now).await?;
    txn.commit().await?;
    rules_changed(&state).await;
    Ok(Created::at(format!("/admin/moderation-rules/{}", rule.id), rule).into_response())
}

/// A rule.
#[utoipa::path(get, path = "/admin/moderation-rules/{id}", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, body = ModerationRule),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404),
    ))]
async fn get_moderation_rule(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ModerationRule>> {
    let row = queries::find_rule(state.db().reader(), id)
        .await?
        .ok_or_else(no_such_rule)?;
    Ok(Json(ModerationRule::try_from(row)?))
}

/// Change a rule.
#[utoipa::path(patch, path = "/admin/moderation-rules/{id}", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    request_body = PatchRule,
    responses(
        (status = 200, body = ModerationRule),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404),
        (status = 422, description = "Invalid fields"),
    ))]
async fn update_moderation_rule(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<PatchRule>,
) -> ApiResult<Json<ModerationRule>> {
    let now = time::now();
    let txn = state.db().begin().await?;
    let row = queries::find_rule(&txn, id)
        .await?
        .ok_or_else(no_such_rule)?;
    let before = ModerationRule::try_from(row.clone())?;
    let fields = fields(
        body.pattern.unwrap_or_else(|| before.pattern.clone()),
        body.kind.unwrap_or(before.kind),
        body.severity.unwrap_or(before.severity),
        body.action.unwrap_or(before.action),
    )?;
    let rule = ModerationRule::try_from(queries::update_rule(&txn, row, fields, now).await?)?;
    record(&txn, &admin, "moderation.rule_updated", &rule, now).await?;
    txn.commit().await?;
    rules_changed(&state).await;
    Ok(Json(rule))
}

/// Delete a rule.
#[utoipa::path(delete, path = "/admin/moderation-rules/{id}", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404),
    ))]
async fn delete_moderation_rule(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let now = time::now();
    let txn = state.db().begin().await?;
    let row = queries::find_rule(&txn, id)
        .await?
        .ok_or_else(no_such_rule)?;
    let rule = ModerationRule::try_from(row)?;
    queries::delete_rule(&txn, id).await?;
    record(&txn, &admin, "moderation.rule_deleted", &rule, now).await?;
    txn.commit().await?;
    rules_changed(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn record(
    txn: &agora_store::Transaction,
    admin: &AdminUser,
    action: &str,
    rule: &ModerationRule,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    audit::record(
        txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action,
            target_type: "moderation_rule",
            target_id: Some(rule.id.to_string()),
            reason: None,
            details: Some(serde_json::json!({
                "pattern": rule.pattern,
                "match": rule.kind,
                "severity": rule.severity,
                "action": rule.action,
            })),
        },
        now,
    )
    .await?;
    Ok(())
}
