//! `/v1/auth/...`: login, refresh, logout, password change; `/v1/me`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::extract::{Authed, AuthedForPasswordChange, ClientIp};
use super::json::Json;
use crate::auth::password::Password;
use crate::auth::{LoginRequest, TokenPair};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::metrics::OutcomeLabels;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    /// The clinic's short name (`clinica-exemplo`).
    pub tenant: String,
    pub email: String,
    #[schema(value_type = String, format = Password)]
    pub password: Password,
    /// The id the device generated for itself (UUID).
    pub device_id: Uuid,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PasswordBody {
    #[schema(value_type = String, format = Password)]
    pub current_password: Password,
    #[schema(value_type = String, format = Password)]
    pub new_password: Password,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub session_id: Uuid,
    pub role: String,
    /// The user's name and e-mail, and their professional record if they attend patients.
    pub name: String,
    pub email: String,
    pub professional_id: Option<Uuid>,
    /// The clinic's name and IANA time zone, for a device setting itself up.
    pub clinic_name: String,
    pub time_zone: String,
}

fn too_long(s: &str, max: usize) -> bool {
    s.len() > max
}

/// Logs in: tenant + e-mail + password + device id.
#[utoipa::path(post, path = "/v1/auth/login", request_body = LoginBody, tag = "auth",
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginBody>,
) -> ApiResult<Json<TokenPair>> {
    if too_long(&body.tenant, 64) || too_long(&body.email, 320) || too_long(body.password.expose(), 1024) {
        return Err(ApiError::bad_request(
            "request.invalid_fields",
            "Campos longos demais.",
        ));
    }
    // PostgreSQL text cannot hold NUL; no real clinic, e-mail or password has one.
    if [body.tenant.as_str(), body.email.as_str()]
        .iter()
        .any(|s| s.contains('\0'))
    {
        return Err(ApiError::invalid_credentials());
    }
    if let Some(ip) = ip
        && state.limits.login_ip.check_key(&ip).is_err()
    {
        state
            .metrics
            .logins
            .get_or_create(&OutcomeLabels {
                outcome: "rate_limited",
            })
            .inc();
        return Err(ApiError::rate_limited());
    }
    let account = format!("{}|{}", body.tenant.trim(), body.email.trim().to_lowercase());
    if state.limits.login_account.check_key(&account).is_err() {
        state
            .metrics
            .logins
            .get_or_create(&OutcomeLabels {
                outcome: "rate_limited",
            })
            .inc();
        return Err(ApiError::rate_limited());
    }
    let result = state
        .auth
        .login(
            &state.pool,
            LoginRequest {
                tenant_slug: body.tenant,
                email: body.email,
                password: body.password,
                device_id: body.device_id,
                ip,
            },
        )
        .await;
    let outcome = if result.is_ok() { "ok" } else { "refused" };
    state
        .metrics
        .logins
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
    result.map(Json)
}

/// Exchanges a refresh token for a new pair (the old one stops working; reusing it ends the session).
#[utoipa::path(post, path = "/v1/auth/refresh", request_body = RefreshBody, tag = "auth",
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<RefreshBody>,
) -> ApiResult<Json<TokenPair>> {
    state
        .auth
        .refresh(&state.pool, &body.refresh_token, ip)
        .await
        .map(Json)
}

/// Ends the current session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    AuthedForPasswordChange(who): AuthedForPasswordChange,
) -> ApiResult<StatusCode> {
    state.auth.logout(&state.pool, &who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password; every other session of theirs ends.
#[utoipa::path(post, path = "/v1/auth/password", request_body = PasswordBody, tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthedForPasswordChange(who): AuthedForPasswordChange,
    Json(body): Json<PasswordBody>,
) -> ApiResult<Json<TokenPair>> {
    state
        .auth
        .change_password(&state.pool, &who, body.current_password, body.new_password)
        .await
        .map(Json)
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, Authed(who): Authed) -> ApiResult<Json<Me>> {
    let mut tx = crate::db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let (name, email, professional_id, clinic_name, time_zone): (
        String,
        String,
        Option<Uuid>,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT u.name, u.email, u.professional_id, t.name, t.time_zone FROM users u \
             JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1",
    )
    .bind(who.user)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Me {
        tenant_id: who.tenant,
        user_id: who.user,
        device_id: who.device,
        session_id: who.session,
        role: who.role.as_str().to_string(),
        name,
        email,
        professional_id,
        clinic_name,
        time_zone,
    }))
}
