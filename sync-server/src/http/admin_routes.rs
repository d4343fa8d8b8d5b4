//! Read-only REST for clinic admins: users, devices, audit trail. Tenant comes from the token;
//! row-level security makes other tenants' rows invisible regardless of the query.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use shared_model::access::{Action, Area, require};
use uuid::Uuid;

use super::AppState;
use super::extract::Authed;
use super::json::{Json, Page, PageParams, Query};
use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::{Principal, event_for};
use crate::db::{self, DbTime};
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn allow(who: &Principal, area: Area, action: Action) -> ApiResult<()> {
    require(who.role, area, action).map_err(|e| ApiError::from_code(StatusCode::FORBIDDEN, &e))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserItem {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub locked: bool,
    pub last_login_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceItem {
    pub id: Uuid,
    pub first_user_id: Uuid,
    pub created_at: String,
    pub last_seen_at: String,
    pub revoked: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditItem {
    pub seq: i64,
    pub event_id: Uuid,
    pub at: String,
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip: Option<String>,
    pub action: String,
    pub outcome: String,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub detail: Option<String>,
}

/// The clinic's users (ADMIN).
#[utoipa::path(get, path = "/v1/users", tag = "admin", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<UserItem>), (status = 403, body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<UserItem>>> {
    allow(&who, Area::Users, Action::Read)?;
    let limit = page.limit()?;
    let after: Option<String> = page.cursor()?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        Uuid,
        String,
        String,
        String,
        String,
        Option<DbTime>,
        Option<DbTime>,
    )> = sqlx::query_as(
        "SELECT id, email, name, role, status, locked_at, last_login_at FROM users \
         WHERE ($1::text IS NULL OR email > $1) ORDER BY email LIMIT $2",
    )
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        who.tenant,
        &[event_for(&who, "api.users.list", Outcome::Ok)],
    )
    .await?;
    tx.commit().await?;
    let items = rows
        .into_iter()
        .map(|(id, email, name, role, status, locked, last)| UserItem {
            id,
            email,
            name,
            role,
            status,
            locked: locked.is_some(),
            last_login_at: last.map(|t| t.to_string()),
        })
        .collect();
    Ok(Json(Page::from_rows(items, limit, |u: &UserItem| {
        u.email.clone()
    })))
}

/// The clinic's devices (ADMIN).
#[utoipa::path(get, path = "/v1/devices", tag = "admin", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<DeviceItem>), (status = 403, body = ErrorBody)))]
pub async fn devices(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<DeviceItem>>> {
    allow(&who, Area::Users, Action::Read)?;
    let limit = page.limit()?;
    let after: Option<Uuid> = page.cursor()?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let rows: Vec<(Uuid, Uuid, DbTime, DbTime, Option<DbTime>)> = sqlx::query_as(
        "SELECT id, first_user_id, created_at, last_seen_at, revoked_at FROM devices \
         WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        who.tenant,
        &[event_for(&who, "api.devices.list", Outcome::Ok)],
    )
    .await?;
    tx.commit().await?;
    let items = rows
        .into_iter()
        .map(|(id, first_user_id, c, l, r)| DeviceItem {
            id,
            first_user_id,
            created_at: c.to_string(),
            last_seen_at: l.to_string(),
            revoked: r.is_some(),
        })
        .collect();
    Ok(Json(Page::from_rows(items, limit, |d: &DeviceItem| d.id)))
}

/// The clinic's audit trail, oldest first (ADMIN, as auditor). Reading it is audited too.
#[utoipa::path(get, path = "/v1/audit", tag = "admin", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditItem>), (status = 403, body = ErrorBody)))]
pub async fn audit_trail(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<AuditItem>>> {
    if let Err(e) = allow(&who, Area::Audit, Action::Read) {
        audit::append_now(
            &state.pool,
            who.tenant,
            &[event_for(&who, "api.audit.read", Outcome::Denied)],
        )
        .await?;
        return Err(e);
    }
    let limit = page.limit()?;
    let after: Option<i64> = page.cursor()?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let rows: Vec<audit::AuditRow> = sqlx::query_as(
        "SELECT tenant_id, seq, event_id, at, user_id, device_id, ip, action, outcome, record_kind, record_id, \
         detail, prev_hash, hash FROM audit_events WHERE seq > coalesce($1, 0) ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        who.tenant,
        &[AuditEvent {
            ..event_for(&who, "api.audit.read", Outcome::Ok)
        }],
    )
    .await?;
    tx.commit().await?;
    let items = rows
        .into_iter()
        .map(|r| AuditItem {
            seq: r.seq,
            event_id: r.event_id,
            at: r.at.to_string(),
            user_id: r.user_id,
            device_id: r.device_id,
            ip: r.ip,
            action: r.action,
            outcome: r.outcome,
            record_kind: r.record_kind,
            record_id: r.record_id,
            detail: r.detail,
        })
        .collect();
    Ok(Json(Page::from_rows(items, limit, |a: &AuditItem| a.seq)))
}
