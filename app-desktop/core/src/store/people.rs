//! Users, professionals, clinic metadata and the local audit trail.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::CoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub professional_id: Option<String>,
    pub active: bool,
}

pub fn insert_user(conn: &Connection, user: &UserRow, now_ms: i64) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO users (user_id, name, role, professional_id, active, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user.user_id, user.name, user.role, user.professional_id, user.active, now_ms])?;
    Ok(())
}

/// Inserts or refreshes a user known from the server (name, role and professional may change).
pub fn upsert_user(conn: &Connection, user: &UserRow, now_ms: i64) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO users (user_id, name, role, professional_id, active, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (user_id) DO UPDATE SET name = ?2, role = ?3, professional_id = ?4, active = ?5",
    )?
    .execute(params![user.user_id, user.name, user.role, user.professional_id, user.active, now_ms])?;
    Ok(())
}

pub fn get_user(conn: &Connection, user_id: &str) -> Result<Option<UserRow>, CoreError> {
    Ok(conn
        .prepare_cached("SELECT user_id, name, role, professional_id, active FROM users WHERE user_id = ?1")?
        .query_row(params![user_id], read_user)
        .optional()?)
}

pub fn list_users(conn: &Connection) -> Result<Vec<UserRow>, CoreError> {
    let mut stmt = conn.prepare(
        "SELECT user_id, name, role, professional_id, active FROM users ORDER BY created_at_ms, user_id",
    )?;
    let rows = stmt.query_map([], read_user)?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

fn read_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        user_id: row.get(0)?,
        name: row.get(1)?,
        role: row.get(2)?,
        professional_id: row.get(3)?,
        active: row.get(4)?,
    })
}

/// Stores a professional as JSON (`data`) with its name for listing.
pub fn upsert_professional(conn: &Connection, id: &str, name: &str, json: &str) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO professionals (professional_id, name, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (professional_id) DO UPDATE SET name = excluded.name, data = excluded.data",
    )?
    .execute(params![id, name, json])?;
    Ok(())
}

pub fn get_professional(conn: &Connection, id: &str) -> Result<Option<String>, CoreError> {
    Ok(conn
        .prepare_cached("SELECT data FROM professionals WHERE professional_id = ?1")?
        .query_row(params![id], |row| row.get(0))
        .optional()?)
}

/// Every professional's JSON, by name.
pub fn list_professionals(conn: &Connection) -> Result<Vec<String>, CoreError> {
    let mut stmt = conn.prepare("SELECT data FROM professionals ORDER BY name, professional_id")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), CoreError> {
    conn.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
        .execute(params![key, value])?;
    Ok(())
}

pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, CoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row(params![key], |row| row.get(0))
        .optional()?)
}

/// Appends an audit event. `action` and `record` are codes and ids, never patient data
/// (NGS1.07.06).
pub fn audit(
    conn: &Connection,
    at_ms: i64,
    user_id: Option<&str>,
    device_id: &str,
    action: &str,
    record: Option<&str>,
) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (event_id, at_ms, user_id, device_id, action, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![uuid::Uuid::now_v7().to_string(), at_ms, user_id, device_id, action, record])?;
    Ok(())
}
