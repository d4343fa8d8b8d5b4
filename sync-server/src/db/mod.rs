//! PostgreSQL access: pools, per-tenant transactions, migrations.
//!
//! Tenant isolation is enforced by row-level security. The only way to reach tenant data is a
//! [`TenantTx`], which sets `app.current_tenant` with `set_config(.., true)` — transaction-local,
//! so a pooled connection never carries one request's tenant into the next.

mod time;

use std::str::FromStr;
use std::time::Duration;

use shared_model::ids::TenantId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

pub use self::time::DbTime;
use crate::config::Secret;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The id of the platform's own audit chain (console actions that concern no clinic).
pub const PLATFORM_TENANT: uuid::Uuid = uuid::Uuid::nil();

pub async fn connect(url: &Secret, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url.expose())?.application_name("atendebem-server");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// A transaction bound to one tenant: every statement on it sees only that tenant's rows.
pub type TenantTx = Transaction<'static, Postgres>;

pub async fn begin_tenant(pool: &PgPool, tenant: TenantId) -> Result<TenantTx, sqlx::Error> {
    begin_tenant_uuid(pool, *tenant.as_uuid()).await
}

pub async fn begin_tenant_uuid(pool: &PgPool, tenant: uuid::Uuid) -> Result<TenantTx, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('app.current_tenant', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// A read-only, repeatable-read transaction bound to one tenant (one consistent snapshot).
pub async fn begin_tenant_snapshot(pool: &PgPool, tenant: uuid::Uuid) -> Result<TenantTx, sqlx::Error> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    sqlx::query("SELECT set_config('app.current_tenant', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Whether every migration this binary knows has been applied (for `/readyz`).
pub async fn migrations_current(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .all(|m| applied.contains(&m.version)))
}
