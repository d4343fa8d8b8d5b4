//! The admin console: run on the server by the operator, connected as the owner role (which
//! is still subject to the tenant policies on tenant-owned tables — only the `tenants` table
//! itself is visible in full). Every action is audited.

use std::io::Read;

use serde::Serialize;
use shared_model::identity::{Role, TenantSlug};
use sqlx::PgPool;
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::password::{self, Hasher};
use crate::auth::{self, SessionsOf};
use crate::db::{self, DbTime, PLATFORM_TENANT};
use crate::notify::{self, Revoked};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{message}")]
    Input { code: &'static str, message: String },
    #[error("erro de banco de dados: {0}")]
    Db(#[from] sqlx::Error),
}

impl AdminError {
    fn input(code: &'static str, message: impl Into<String>) -> Self {
        Self::Input {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Input { code, .. } => code,
            AdminError::Db(_) => "db",
        }
    }
}

type Result<T> = std::result::Result<T, AdminError>;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TenantInfo {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub status: String,
    pub time_zone: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub locked: bool,
    pub must_change_password: bool,
    pub last_login_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub first_user_id: Uuid,
    pub created_at: String,
    pub last_seen_at: String,
    pub revoked_at: Option<String>,
}

pub struct Console {
    pool: PgPool,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

/// Checks the password rule (NGS1.03) and hashes it.
fn checked_hash(password: &str, hasher: &Hasher) -> Result<String> {
    password::check_quality(password).map_err(|e| AdminError::input("password.too_weak", e.to_string()))?;
    hasher
        .hash_blocking(password)
        .ok_or_else(|| AdminError::input("password.hash", "falha ao gerar o hash"))
}

fn console_event(action: &'static str) -> AuditEvent {
    AuditEvent::new(action, Outcome::Ok).detail("console")
}

impl Console {
    pub fn new(owner_pool: PgPool) -> Self {
        Self { pool: owner_pool }
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<TenantInfo> {
        sqlx::query_as(
            "SELECT id, slug, name, plan, status, time_zone, created_at::text AS created_at FROM tenants \
             WHERE slug = $1 AND status <> 'platform'",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AdminError::input("tenant.not_found", format!("clínica '{slug}' não encontrada")))
    }

    pub async fn tenant_create(&self, slug: &str, name: &str, plan: &str) -> Result<TenantInfo> {
        let slug = TenantSlug::parse(slug).map_err(|e| AdminError::input("tenant.slug", e.to_string()))?;
        if slug.as_str() == "platform" {
            return Err(AdminError::input(
                "tenant.slug_reserved",
                "o identificador 'platform' é reservado",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AdminError::input(
                "tenant.name",
                "o nome da clínica deve ter de 1 a 200 caracteres",
            ));
        }
        if !["free", "starter", "professional", "enterprise"].contains(&plan) {
            return Err(AdminError::input(
                "tenant.plan",
                "plano inválido (free, starter, professional, enterprise)",
            ));
        }
        let id = Uuid::now_v7();
        let mut tx = db::begin_tenant_uuid(&self.pool, id).await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, slug, name, plan, status) VALUES ($1, $2, $3, $4, 'active') ON CONFLICT (slug) DO NOTHING",
        )
        .bind(id)
        .bind(slug.as_str())
        .bind(name)
        .bind(plan)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AdminError::input(
                "tenant.exists",
                format!("a clínica '{}' já existe", slug.as_str()),
            ));
        }
        audit::append(
            &mut tx,
            id,
            &[console_event("admin.tenant.create").record("tenant", id.to_string())],
        )
        .await?;
        tx.commit().await?;
        self.tenant_by_slug(slug.as_str()).await
    }

    pub async fn tenant_list(&self) -> Result<Vec<TenantInfo>> {
        let list = sqlx::query_as(
            "SELECT id, slug, name, plan, status, time_zone, created_at::text AS created_at FROM tenants \
             WHERE status <> 'platform' ORDER BY slug",
        )
        .fetch_all(&self.pool)
        .await?;
        audit::append_now(&self.pool, PLATFORM_TENANT, &[console_event("admin.tenant.list")]).await?;
        Ok(list)
    }

    pub async fn tenant_suspend(&self, slug: &str) -> Result<TenantInfo> {
        let tenant = self.tenant_by_slug(slug).await?;
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        sqlx::query("UPDATE tenants SET status = 'suspended' WHERE id = $1")
            .bind(tenant.id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            tenant.id,
            &[console_event("admin.tenant.suspend").record("tenant", tenant.id.to_string())],
        )
        .await?;
        tx.commit().await?;
        notify::revoked(&self.pool, tenant.id, Revoked::Tenant).await;
        self.tenant_by_slug(slug).await
    }

    pub async fn user_create(
        &self,
        slug: &str,
        email: &str,
        name: &str,
        role: &str,
        password: &str,
        hasher: &Hasher,
    ) -> Result<UserInfo> {
        let tenant = self.tenant_by_slug(slug).await?;
        let email = shared_model::values::Email::parse(email)
            .map_err(|e| AdminError::input("user.email", e.to_string()))?;
        let role: Role = role.parse().map_err(|_| {
            AdminError::input("user.role", "papel inválido (ADMIN, PROFESSIONAL, STAFF, VIEWER)")
        })?;
        if role == Role::SuperAdmin {
            return Err(AdminError::input(
                "user.role",
                "SUPER_ADMIN não pertence a uma clínica",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AdminError::input(
                "user.name",
                "o nome deve ter de 1 a 200 caracteres",
            ));
        }
        let hash = checked_hash(password, hasher)?;
        let id = Uuid::now_v7();
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (tenant_id, id, email, name, role, password_hash, must_change_password) \
             VALUES ($1, $2, $3, $4, $5, $6, true) ON CONFLICT (tenant_id, email) DO NOTHING",
        )
        .bind(tenant.id)
        .bind(id)
        .bind(email.as_str().to_lowercase())
        .bind(name)
        .bind(role.as_str())
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AdminError::input(
                "user.exists",
                "já existe um usuário com esse e-mail nesta clínica",
            ));
        }
        audit::append(
            &mut tx,
            tenant.id,
            &[console_event("admin.user.create")
                .record("user", id.to_string())
                .detail(format!("console role={}", role.as_str()))],
        )
        .await?;
        tx.commit().await?;
        self.user(tenant.id, id).await
    }

    async fn user(&self, tenant: Uuid, id: Uuid) -> Result<UserInfo> {
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant).await?;
        let user = fetch_users(&mut tx, Some(id)).await?.into_iter().next();
        tx.commit().await?;
        user.ok_or_else(|| AdminError::input("user.not_found", "usuário não encontrado"))
    }

    async fn user_id_by_email(&self, tx: &mut db::TenantTx, email: &str) -> Result<Uuid> {
        let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&mut **tx)
            .await?;
        id.ok_or_else(|| AdminError::input("user.not_found", "usuário não encontrado nesta clínica"))
    }

    pub async fn user_list(&self, slug: &str) -> Result<Vec<UserInfo>> {
        let tenant = self.tenant_by_slug(slug).await?;
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        let users = fetch_users(&mut tx, None).await?;
        audit::append(&mut tx, tenant.id, &[console_event("admin.user.list")]).await?;
        tx.commit().await?;
        Ok(users)
    }

    pub async fn user_disable(&self, slug: &str, email: &str) -> Result<UserInfo> {
        let tenant = self.tenant_by_slug(slug).await?;
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        let id = self.user_id_by_email(&mut tx, email).await?;
        sqlx::query("UPDATE users SET status = 'disabled' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        auth::end_sessions(&mut tx, SessionsOf::User(id), "user_disabled").await?;
        audit::append(
            &mut tx,
            tenant.id,
            &[console_event("admin.user.disable").record("user", id.to_string())],
        )
        .await?;
        tx.commit().await?;
        notify::revoked(&self.pool, tenant.id, Revoked::User(id)).await;
        self.user(tenant.id, id).await
    }

    /// Sets a new password (to be changed at next login, NGS1.02.06), unlocks the account
    /// (NGS1.02.13) and ends every session of the user.
    pub async fn user_reset_password(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        hasher: &Hasher,
    ) -> Result<UserInfo> {
        let hash = checked_hash(password, hasher)?;
        let tenant = self.tenant_by_slug(slug).await?;
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        let id = self.user_id_by_email(&mut tx, email).await?;
        sqlx::query(
            "UPDATE users SET previous_password_hash = password_hash, password_hash = $2, must_change_password = true, \
             password_changed_at = now(), failed_logins = 0, locked_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        auth::end_sessions(&mut tx, SessionsOf::User(id), "password_reset").await?;
        audit::append(
            &mut tx,
            tenant.id,
            &[console_event("admin.user.reset_password").record("user", id.to_string())],
        )
        .await?;
        tx.commit().await?;
        notify::revoked(&self.pool, tenant.id, Revoked::User(id)).await;
        self.user(tenant.id, id).await
    }

    pub async fn device_list(&self, slug: &str) -> Result<Vec<DeviceInfo>> {
        let tenant = self.tenant_by_slug(slug).await?;
        let mut tx = db::begin_tenant_uuid(&self.pool, tenant.id).await?;
        let rows: Vec<(Uuid, Uuid, DbTime, DbTime, Option<DbTime>)> = sqlx::query_as(
            "SELECT id, first_user_id, created_at, last_seen_at, revoked_at FROM devices ORDER BY created_at",
        )
        .fetch_all(&mut *tx)
        .await?;
        audit::append(&mut tx, tenant.id, &[console_event("admin.device.list")]).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|(id, first_user_id, c, l, r)| DeviceInfo {
                id,
                first_user_id,
                created_at: c.to_string(),
                last_seen_at: l.to_string(),
                revoked_at: r.map(|r| r.to_string()),
            })
            .collect())
    }

    /// Revokes a device: its sessions end and open sync connections are cut at once.
    pub async fn device_revoke(&self, device: Uuid, slug: Option<&str>) -> Result<Uuid> {
        let tenants: Vec<Uuid> = match slug {
            Some(slug) => vec![self.tenant_by_slug(slug).await?.id],
            None => {
                sqlx::query_scalar("SELECT id FROM tenants WHERE status <> 'platform'")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        for tenant in tenants {
            let mut tx = db::begin_tenant_uuid(&self.pool, tenant).await?;
            let found =
                sqlx::query("UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1")
                    .bind(device)
                    .execute(&mut *tx)
                    .await?;
            if found.rows_affected() == 0 {
                tx.rollback().await?;
                continue;
            }
            auth::end_sessions(&mut tx, SessionsOf::Device(device), "device_revoked").await?;
            audit::append(
                &mut tx,
                tenant,
                &[console_event("admin.device.revoke")
                    .device(Some(device))
                    .record("device", device.to_string())],
            )
            .await?;
            tx.commit().await?;
            notify::revoked(&self.pool, tenant, Revoked::Device(device)).await;
            return Ok(tenant);
        }
        Err(AdminError::input(
            "device.not_found",
            "dispositivo não encontrado",
        ))
    }

    pub async fn audit_verify(&self, slug: &str) -> Result<audit::Verification> {
        let tenant = if slug == "platform" {
            PLATFORM_TENANT
        } else {
            self.tenant_by_slug(slug).await?.id
        };
        let mut tx = db::begin_tenant_snapshot(&self.pool, tenant).await?;
        let result = audit::verify(&mut tx, tenant).await?;
        tx.commit().await?;
        let outcome = if result.first_broken.is_some() {
            Outcome::Failed
        } else {
            Outcome::Ok
        };
        let mut event =
            AuditEvent::new("admin.audit.verify", outcome).detail(format!("console rows={}", result.rows));
        if let Some(b) = &result.first_broken {
            event = event.record("audit_seq", b.seq.to_string());
        }
        audit::append_now(&self.pool, tenant, &[event]).await?;
        Ok(result)
    }
}

async fn fetch_users(tx: &mut db::TenantTx, id: Option<Uuid>) -> Result<Vec<UserInfo>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        Uuid,
        String,
        String,
        String,
        String,
        Option<DbTime>,
        bool,
        Option<DbTime>,
    )> = sqlx::query_as(
        "SELECT id, email, name, role, status, locked_at, must_change_password, last_login_at FROM users \
         WHERE ($1::uuid IS NULL OR id = $1) ORDER BY email",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, name, role, status, locked, must, last)| UserInfo {
            id,
            email,
            name,
            role,
            status,
            locked: locked.is_some(),
            must_change_password: must,
            last_login_at: last.map(|t| t.to_string()),
        })
        .collect())
}

/// Reads a password from standard input (one line, without the newline).
pub fn read_password_stdin() -> std::io::Result<String> {
    let mut buf = String::new();
    std::io::stdin().take(4096).read_to_string(&mut buf)?;
    Ok(buf.lines().next().unwrap_or("").to_string())
}
