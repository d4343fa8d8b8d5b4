//! Read models for reports and admins: patients, appointments, open sync conflicts. Rows come
//! from the projections written with each accepted change; RLS scopes them to the caller's
//! tenant and the shared-model policy to the caller's role. Reading patient data is audited.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared_model::access::{Action, Area};
use uuid::Uuid;

use super::AppState;
use super::admin_routes::allow;
use super::extract::Authed;
use super::json::{Json, Page, PageParams, Query};
use crate::audit::{self, Outcome};
use crate::auth::event_for;
use crate::db::{self, DbTime};
use crate::error::{ApiError, ApiResult, ErrorBody};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PatientItem {
    pub id: Uuid,
    pub name: String,
    pub social_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub cpf: Option<String>,
    pub cns: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentItem {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub patient_id: Uuid,
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConflictItem {
    pub id: Uuid,
    pub document: String,
    pub kind: String,
    pub subjects: Vec<String>,
    pub detected_at: String,
}

/// Patients (registry projection), by name.
#[utoipa::path(get, path = "/v1/patients", tag = "data", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Page<PatientItem>), (status = 403, body = ErrorBody)))]
pub async fn patients(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<PatientItem>>> {
    allow(&who, Area::PatientRegistry, Action::Read)?;
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.cursor()?;
    let (after_name, after_id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        Uuid,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT id, name, social_name, birth_date::text, cpf, cns FROM patients \
         WHERE ($1::text IS NULL OR (name, id) > ($1, $2)) ORDER BY name, id LIMIT $3",
    )
    .bind(after_name)
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        who.tenant,
        &[event_for(&who, "api.patients.list", Outcome::Ok)
            .detail(format!("rows={}", rows.len().min(limit as usize)))],
    )
    .await?;
    tx.commit().await?;
    let items = rows
        .into_iter()
        .map(|(id, name, social_name, birth_date, cpf, cns)| PatientItem {
            id,
            name,
            social_name,
            birth_date,
            cpf,
            cns,
        })
        .collect();
    Ok(Json(Page::from_rows(items, limit, |p: &PatientItem| {
        (p.name.clone(), p.id)
    })))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct AppointmentParams {
    /// From this instant (RFC 3339, inclusive).
    pub from: String,
    /// Until this instant (RFC 3339, exclusive); at most 92 days after `from`.
    pub to: String,
    pub professional_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Appointments (agenda projection) in a time window.
#[utoipa::path(get, path = "/v1/appointments", tag = "data", params(AppointmentParams), security(("bearer" = [])),
    responses((status = 200, body = Page<AppointmentItem>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn appointments(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(params): Query<AppointmentParams>,
) -> ApiResult<Json<Page<AppointmentItem>>> {
    allow(&who, Area::Agenda, Action::Read)?;
    let bad = || {
        ApiError::bad_request(
            "request.invalid_period",
            "Período inválido: use from < to, no formato RFC 3339, até 92 dias.",
        )
    };
    let from: jiff::Timestamp = params.from.parse().map_err(|_| bad())?;
    let to: jiff::Timestamp = params.to.parse().map_err(|_| bad())?;
    if to <= from || to.duration_since(from) > jiff::SignedDuration::from_hours(92 * 24) {
        return Err(bad());
    }
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(i64, Uuid)> = page.cursor()?;
    let (after_start, after_id) = after.map_or((None, None), |(s, i)| (Some(s), Some(i)));
    let after_start = after_start
        .and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
        .map(DbTime::from_timestamp);
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let rows: Vec<(Uuid, Uuid, Uuid, DbTime, DbTime, String)> = sqlx::query_as(
        "SELECT id, professional_id, patient_id, starts_at, ends_at, status FROM appointments \
         WHERE starts_at >= $1 AND starts_at < $2 AND ($3::uuid IS NULL OR professional_id = $3) \
         AND ($4::timestamptz IS NULL OR (starts_at, id) > ($4, $5)) ORDER BY starts_at, id LIMIT $6",
    )
    .bind(DbTime::from_timestamp(from))
    .bind(DbTime::from_timestamp(to))
    .bind(params.professional_id)
    .bind(after_start)
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        who.tenant,
        &[event_for(&who, "api.appointments.list", Outcome::Ok)],
    )
    .await?;
    tx.commit().await?;
    let mut keys = Vec::new();
    let items = rows
        .into_iter()
        .map(|(id, professional_id, patient_id, s, e, status)| {
            keys.push((s.as_micros(), id));
            AppointmentItem {
                id,
                professional_id,
                patient_id,
                starts_at: s.to_string(),
                ends_at: e.to_string(),
                status,
            }
        })
        .collect::<Vec<_>>();
    let page = Page::from_rows(items, limit, |a: &AppointmentItem| {
        keys.iter()
            .find(|(_, id)| *id == a.id)
            .copied()
            .unwrap_or((0, a.id))
    });
    Ok(Json(page))
}

/// Open sync conflicts in the documents the caller may see.
#[utoipa::path(get, path = "/v1/conflicts", tag = "data", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConflictItem>), (status = 401, body = ErrorBody)))]
pub async fn conflicts(
    State(state): State<AppState>,
    Authed(who): Authed,
) -> ApiResult<Json<Vec<ConflictItem>>> {
    let kinds = crate::sync::store::readable_kinds(who.role);
    let open = crate::sync::store::open_conflicts(&state.pool, who.tenant, &kinds).await?;
    Ok(Json(
        open.into_iter()
            .map(|c| ConflictItem {
                id: c.id,
                document: c.key.to_string(),
                kind: c.kind,
                subjects: c.subjects,
                detected_at: jiff::Timestamp::from_millisecond(c.detected_at)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}
