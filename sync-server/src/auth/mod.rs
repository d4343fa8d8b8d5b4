//! Authentication: login, refresh rotation with reuse detection (RFC 9700), lockout
//! (NGS1.02.13), password change ending other sessions, and the per-request principal check.

pub mod password;
pub mod refresh;
pub mod tokens;

use std::net::IpAddr;

use axum::http::StatusCode;
use shared_model::identity::Role;
use sqlx::PgPool;
use uuid::Uuid;

use self::password::{Hasher, Password};
use self::refresh::RefreshToken;
use self::tokens::{Claims, KeyRing, TokenError};
use crate::audit::{self, AuditEvent, Outcome};
use crate::config::AuthSettings;
use crate::db::{self, DbTime};
use crate::error::{ApiError, ApiResult};

/// Who is calling, after the token was verified and the database confirmed that user, device
/// and session are still good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: Uuid,
    pub user: Uuid,
    pub device: Uuid,
    pub session: Uuid,
    pub role: Role,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The account must change its password before anything else works (NGS1.02.06).
    pub password_change_required: bool,
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub role: String,
}

#[derive(Debug)]
pub struct LoginRequest {
    pub tenant_slug: String,
    pub email: String,
    pub password: Password,
    pub device_id: Uuid,
    pub ip: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub settings: AuthSettings,
    pub hasher: Hasher,
    pub keys: std::sync::Arc<KeyRing>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    role: String,
    password_hash: String,
    must_change_password: bool,
    status: String,
    failed_logins: i32,
    locked_at: Option<DbTime>,
}

impl Auth {
    fn issue(
        &self,
        tenant: Uuid,
        user: Uuid,
        device: Uuid,
        session: Uuid,
        role: &str,
        pwd_change: bool,
    ) -> Result<String, TokenError> {
        let now = jiff::Timestamp::now().as_second();
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: user,
            tid: tenant,
            did: device,
            sid: session,
            role: role.to_string(),
            pwd_change,
            iat: now,
            exp: now + self.settings.access_token_seconds as i64,
            jti: Uuid::now_v7(),
        };
        self.keys.sign(&claims)
    }

    #[allow(clippy::too_many_arguments)]
    fn pair(
        &self,
        tenant: Uuid,
        user: Uuid,
        device: Uuid,
        session: Uuid,
        role: &str,
        password_change_required: bool,
        refresh: RefreshToken,
    ) -> ApiResult<TokenPair> {
        let access = self
            .issue(tenant, user, device, session, role, password_change_required)
            .map_err(|_| ApiError::internal())?;
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh.token,
            token_type: "Bearer",
            expires_in: self.settings.access_token_seconds,
            password_change_required,
            user_id: user,
            tenant_id: tenant,
            role: role.to_string(),
        })
    }

    fn refresh_expiry(&self) -> DbTime {
        DbTime::now().plus_seconds(self.settings.refresh_token_days as i64 * 86_400)
    }

    pub async fn login(&self, pool: &PgPool, req: LoginRequest) -> ApiResult<TokenPair> {
        let ip = req.ip.map(|i| i.to_string());
        let email = req.email.trim().to_lowercase();
        let tenant: Option<(Uuid, String, i32)> =
            sqlx::query_as("SELECT id, status, lockout_threshold FROM tenant_for_login($1)")
                .bind(req.tenant_slug.trim())
                .fetch_optional(pool)
                .await?;
        let Some((tenant, tenant_status, threshold)) = tenant else {
            self.burn(req.password).await;
            tracing::info!(action = "auth.login", outcome = "unknown_tenant", "login refused");
            return Err(ApiError::invalid_credentials());
        };
        let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
        let user: Option<UserRow> = sqlx::query_as(
            "SELECT id, role, password_hash, must_change_password, status, failed_logins, locked_at \
             FROM users WHERE email = $1 FOR UPDATE",
        )
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = user else {
            self.burn(req.password).await;
            audit::append(
                &mut tx,
                tenant,
                &[AuditEvent::new("auth.login", Outcome::Failed)
                    .ip(ip)
                    .detail("unknown_account")],
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::invalid_credentials());
        };
        let ok = self.verify(req.password, user.password_hash.clone()).await?;
        let base = |outcome| {
            AuditEvent::new("auth.login", outcome)
                .user(Some(user.id))
                .device(Some(req.device_id))
                .ip(ip.clone())
        };
        if tenant_status != "active" || user.status != "active" || user.locked_at.is_some() {
            let why = if tenant_status != "active" {
                "tenant_suspended"
            } else if user.status != "active" {
                "user_disabled"
            } else {
                "locked"
            };
            audit::append(&mut tx, tenant, &[base(Outcome::Denied).detail(why)]).await?;
            tx.commit().await?;
            return Err(ApiError::invalid_credentials());
        }
        if !ok {
            let failures = user.failed_logins + 1;
            let lock = failures >= threshold;
            sqlx::query(
                "UPDATE users SET failed_logins = $2, locked_at = CASE WHEN $3 THEN now() ELSE locked_at END WHERE id = $1",
            )
            .bind(user.id)
            .bind(failures)
            .bind(lock)
            .execute(&mut *tx)
            .await?;
            let mut events = vec![base(Outcome::Failed).detail("wrong_password")];
            if lock {
                events.push(
                    AuditEvent::new("auth.lockout", Outcome::Ok)
                        .user(Some(user.id))
                        .ip(ip.clone())
                        .detail(format!("after {failures} failures")),
                );
            }
            audit::append(&mut tx, tenant, &events).await?;
            tx.commit().await?;
            return Err(ApiError::invalid_credentials());
        }
        // Device: registered on first login, refused for good once revoked.
        let device: Option<(Option<DbTime>,)> =
            sqlx::query_as("SELECT revoked_at FROM devices WHERE id = $1 FOR UPDATE")
                .bind(req.device_id)
                .fetch_optional(&mut *tx)
                .await?;
        match device {
            Some((Some(_),)) => {
                audit::append(&mut tx, tenant, &[base(Outcome::Denied).detail("device_revoked")]).await?;
                tx.commit().await?;
                return Err(ApiError::forbidden(
                    "auth.device_revoked",
                    "Este computador foi desautorizado pelo administrador da clínica.",
                ));
            }
            Some((None,)) => {
                sqlx::query("UPDATE devices SET last_seen_at = now() WHERE id = $1")
                    .bind(req.device_id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query("INSERT INTO devices (tenant_id, id, first_user_id) VALUES ($1, $2, $3)")
                    .bind(tenant)
                    .bind(req.device_id)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("UPDATE users SET failed_logins = 0, last_login_at = now() WHERE id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let session = Uuid::now_v7();
        sqlx::query("INSERT INTO sessions (tenant_id, id, user_id, device_id) VALUES ($1, $2, $3, $4)")
            .bind(tenant)
            .bind(session)
            .bind(user.id)
            .bind(req.device_id)
            .execute(&mut *tx)
            .await?;
        let refresh = RefreshToken::generate(tenant);
        self.store_refresh(&mut tx, tenant, session, &refresh).await?;
        audit::append(
            &mut tx,
            tenant,
            &[base(Outcome::Ok).record("session", session.to_string())],
        )
        .await?;
        let pair = self.pair(
            tenant,
            user.id,
            req.device_id,
            session,
            &user.role,
            user.must_change_password,
            refresh,
        )?;
        tx.commit().await?;
        Ok(pair)
    }

    async fn store_refresh(
        &self,
        tx: &mut db::TenantTx,
        tenant: Uuid,
        session: Uuid,
        token: &RefreshToken,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO refresh_tokens (tenant_id, token_hash, session_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant)
        .bind(RefreshToken::hash(&token.token))
        .bind(session)
        .bind(self.refresh_expiry())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Rotates a refresh token. Presenting one that was already used revokes its whole session
    /// family (RFC 9700 §4.14.2): whoever holds the newer token is logged out too.
    pub async fn refresh(&self, pool: &PgPool, token: &str, ip: Option<IpAddr>) -> ApiResult<TokenPair> {
        let invalid = || {
            ApiError::unauthorized(
                "auth.refresh_invalid",
                "Sessão expirada ou inválida. Entre novamente.",
            )
        };
        let Some(tenant) = RefreshToken::parse_tenant(token) else {
            return Err(invalid());
        };
        let ip = ip.map(|i| i.to_string());
        let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            session_id: Uuid,
            expires_at: DbTime,
            used_at: Option<DbTime>,
            session_revoked: Option<DbTime>,
            user_id: Uuid,
            device_id: Uuid,
            role: String,
            must_change_password: bool,
            user_status: String,
            device_revoked: Option<DbTime>,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT r.session_id, r.expires_at, r.used_at, s.revoked_at AS session_revoked, s.user_id, \
             s.device_id, u.role, u.must_change_password, u.status AS user_status, d.revoked_at AS device_revoked \
             FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id \
             JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
             JOIN devices d ON d.tenant_id = s.tenant_id AND d.id = s.device_id \
             WHERE r.token_hash = $1 FOR UPDATE OF r, s",
        )
        .bind(RefreshToken::hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(invalid());
        };
        let event = |outcome| {
            AuditEvent::new("auth.refresh", outcome)
                .user(Some(row.user_id))
                .device(Some(row.device_id))
                .ip(ip.clone())
                .record("session", row.session_id.to_string())
        };
        if row.used_at.is_some() {
            sqlx::query(
                "UPDATE sessions SET revoked_at = now(), revoked_reason = 'refresh_reuse' WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(row.session_id)
            .execute(&mut *tx)
            .await?;
            audit::append(&mut tx, tenant, &[event(Outcome::Denied).detail("refresh_reuse")]).await?;
            tx.commit().await?;
            crate::notify::revoked(pool, tenant, crate::notify::Revoked::Session(row.session_id)).await;
            return Err(ApiError::unauthorized(
                "auth.refresh_reused",
                "Esta sessão foi encerrada por segurança (token reutilizado). Entre novamente.",
            ));
        }
        if row.device_revoked.is_some() {
            // The token proves possession of this device's session: telling it why is no leak,
            // and the desktop can tell its user the computer was de-authorised.
            audit::append(
                &mut tx,
                tenant,
                &[event(Outcome::Denied).detail("device_revoked")],
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::forbidden(
                "auth.device_revoked",
                "Este computador foi desautorizado pelo administrador da clínica.",
            ));
        }
        let now = DbTime::now();
        if row.session_revoked.is_some() || row.expires_at <= now || row.user_status != "active" {
            audit::append(&mut tx, tenant, &[event(Outcome::Denied).detail("session_ended")]).await?;
            tx.commit().await?;
            return Err(invalid());
        }
        sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
            .bind(RefreshToken::hash(token))
            .execute(&mut *tx)
            .await?;
        let next = RefreshToken::generate(tenant);
        self.store_refresh(&mut tx, tenant, row.session_id, &next).await?;
        audit::append(&mut tx, tenant, &[event(Outcome::Ok)]).await?;
        let pair = self.pair(
            tenant,
            row.user_id,
            row.device_id,
            row.session_id,
            &row.role,
            row.must_change_password,
            next,
        )?;
        tx.commit().await?;
        Ok(pair)
    }

    /// Verifies an access token and confirms user, device and session in the database
    /// (a disabled user or revoked device is refused at once, not when the token expires).
    pub async fn authenticate(
        &self,
        pool: &PgPool,
        token: &str,
        ip: Option<IpAddr>,
        allow_password_change_only: bool,
    ) -> ApiResult<Principal> {
        self.authenticate_with_claims(pool, token, ip, allow_password_change_only)
            .await
            .map(|(p, _)| p)
    }

    /// [`authenticate`](Self::authenticate), also giving the verified claims (the sync
    /// connection needs the token's expiry).
    pub async fn authenticate_with_claims(
        &self,
        pool: &PgPool,
        token: &str,
        ip: Option<IpAddr>,
        allow_password_change_only: bool,
    ) -> ApiResult<(Principal, Claims)> {
        let claims = self
            .keys
            .verify(token)
            .map_err(|e| ApiError::from_code(StatusCode::UNAUTHORIZED, &e))?;
        if claims.pwd_change && !allow_password_change_only {
            return Err(ApiError::forbidden(
                "auth.password_change_required",
                "Troque a sua senha antes de continuar.",
            ));
        }
        let mut tx = db::begin_tenant_uuid(pool, claims.tid).await?;
        let principal = check_session(&mut tx, &claims).await?;
        tx.commit().await?;
        Ok((
            Principal {
                ip: ip.map(|i| i.to_string()),
                ..principal
            },
            claims,
        ))
    }

    pub async fn logout(&self, pool: &PgPool, who: &Principal) -> ApiResult<()> {
        let mut tx = db::begin_tenant_uuid(pool, who.tenant).await?;
        sqlx::query("UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1 AND revoked_at IS NULL")
            .bind(who.session)
            .execute(&mut *tx)
            .await?;
        audit::append(&mut tx, who.tenant, &[event_for(who, "auth.logout", Outcome::Ok)]).await?;
        tx.commit().await?;
        crate::notify::revoked(pool, who.tenant, crate::notify::Revoked::Session(who.session)).await;
        Ok(())
    }

    /// Changes the caller's own password and ends every other session of theirs.
    pub async fn change_password(
        &self,
        pool: &PgPool,
        who: &Principal,
        current: Password,
        new: Password,
    ) -> ApiResult<TokenPair> {
        password::check_quality(new.expose())
            .map_err(|e| ApiError::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
        let mut tx = db::begin_tenant_uuid(pool, who.tenant).await?;
        let (phc, previous): (String, Option<String>) = sqlx::query_as(
            "SELECT password_hash, previous_password_hash FROM users WHERE id = $1 FOR UPDATE",
        )
        .bind(who.user)
        .fetch_one(&mut *tx)
        .await?;
        if current.expose() == new.expose() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password.same_as_current",
                "A nova senha deve ser diferente da atual.",
            ));
        }
        if !self.verify(current, phc).await? {
            audit::append_now(
                pool,
                who.tenant,
                &[event_for(who, "auth.password_change", Outcome::Failed)],
            )
            .await?;
            return Err(ApiError::unauthorized(
                "auth.wrong_password",
                "A senha atual está incorreta.",
            ));
        }
        // NGS1.02.08: not the previous one either.
        if let Some(previous) = previous
            && self
                .verify(Password::new(new.expose().to_owned()), previous)
                .await?
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password.same_as_previous",
                "A nova senha deve ser diferente da anterior.",
            ));
        }
        let hash = self.hash(new).await?;
        sqlx::query(
            "UPDATE users SET previous_password_hash = password_hash, password_hash = $2, must_change_password = false, \
             password_changed_at = now() WHERE id = $1",
        )
        .bind(who.user)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        let ended = end_sessions(
            &mut tx,
            SessionsOf::UserExcept(who.user, who.session),
            "password_change",
        )
        .await?;
        let refresh = RefreshToken::generate(who.tenant);
        self.store_refresh(&mut tx, who.tenant, who.session, &refresh)
            .await?;
        audit::append(
            &mut tx,
            who.tenant,
            &[event_for(who, "auth.password_change", Outcome::Ok)
                .detail(format!("ended {} sessions", ended.len()))],
        )
        .await?;
        let pair = self.pair(
            who.tenant,
            who.user,
            who.device,
            who.session,
            who.role.as_str(),
            false,
            refresh,
        )?;
        tx.commit().await?;
        // Only the other sessions end: their connections are cut, this one's stays.
        for session in ended {
            crate::notify::revoked(pool, who.tenant, crate::notify::Revoked::Session(session)).await;
        }
        Ok(pair)
    }

    pub async fn hash(&self, password: Password) -> ApiResult<String> {
        self.hasher
            .hash(password.expose())
            .await
            .ok_or_else(ApiError::unavailable)
    }

    async fn verify(&self, password: Password, phc: String) -> ApiResult<bool> {
        self.hasher
            .try_verify(password.expose(), &phc)
            .await
            .ok_or_else(ApiError::unavailable)
    }

    async fn burn(&self, password: Password) {
        self.hasher.burn(password.expose()).await;
    }
}

/// Where a session stands, read from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Usable, with the user's current role.
    Active(Role),
    /// Logged out, revoked, or its user or clinic disabled.
    Ended,
    DeviceRevoked,
}

/// One query for session, user, device and clinic — used per request and again inside every
/// sync push (NGS1.02.01: re-authenticated before storing).
pub async fn session_status(
    tx: &mut db::TenantTx,
    session: Uuid,
    user: Uuid,
    device: Uuid,
) -> Result<SessionStatus, sqlx::Error> {
    type Row = (String, String, Option<DbTime>, Option<DbTime>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.role, u.status, s.revoked_at, d.revoked_at, t.status FROM sessions s \
         JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
         JOIN devices d ON d.tenant_id = s.tenant_id AND d.id = s.device_id \
         JOIN tenants t ON t.id = s.tenant_id \
         WHERE s.id = $1 AND s.user_id = $2 AND s.device_id = $3",
    )
    .bind(session)
    .bind(user)
    .bind(device)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((role, user_status, session_revoked, device_revoked, tenant_status)) = row else {
        return Ok(SessionStatus::Ended);
    };
    if device_revoked.is_some() {
        return Ok(SessionStatus::DeviceRevoked);
    }
    if session_revoked.is_some() || user_status != "active" || tenant_status != "active" {
        return Ok(SessionStatus::Ended);
    }
    let role: Role = role
        .parse()
        .map_err(|_| sqlx::Error::Decode("unknown role in users".into()))?;
    Ok(SessionStatus::Active(role))
}

/// Confirms in the database that the token's session, user and device are still good; the
/// role comes from the database, not the token, so a role change takes effect at once.
pub async fn check_session(tx: &mut db::TenantTx, claims: &Claims) -> ApiResult<Principal> {
    match session_status(tx, claims.sid, claims.sub, claims.did).await? {
        SessionStatus::Active(role) => Ok(Principal {
            tenant: claims.tid,
            user: claims.sub,
            device: claims.did,
            session: claims.sid,
            role,
            ip: None,
        }),
        SessionStatus::DeviceRevoked => Err(ApiError::forbidden(
            "auth.device_revoked",
            "Este computador foi desautorizado pelo administrador da clínica.",
        )),
        SessionStatus::Ended => Err(ApiError::unauthorized(
            "auth.session_ended",
            "Sua sessão foi encerrada. Entre novamente.",
        )),
    }
}

/// Whose sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum SessionsOf {
    User(Uuid),
    /// Every session of the user except this one.
    UserExcept(Uuid, Uuid),
    Device(Uuid),
}

/// Ends sessions inside the caller's tenant transaction; returns their ids.
pub async fn end_sessions(
    tx: &mut db::TenantTx,
    of: SessionsOf,
    reason: &'static str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (user, except, device) = match of {
        SessionsOf::User(u) => (Some(u), None, None),
        SessionsOf::UserExcept(u, s) => (Some(u), Some(s), None),
        SessionsOf::Device(d) => (None, None, Some(d)),
    };
    sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $4 WHERE revoked_at IS NULL \
         AND ($1::uuid IS NULL OR user_id = $1) AND ($2::uuid IS NULL OR id <> $2) AND ($3::uuid IS NULL OR device_id = $3) \
         RETURNING id",
    )
    .bind(user)
    .bind(except)
    .bind(device)
    .bind(reason)
    .fetch_all(&mut **tx)
    .await
}

pub fn event_for(who: &Principal, action: &'static str, outcome: Outcome) -> AuditEvent {
    AuditEvent::new(action, outcome)
        .user(Some(who.user))
        .device(Some(who.device))
        .ip(who.ip.clone())
}
