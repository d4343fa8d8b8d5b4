//! The sync engine's bookkeeping (ADR 0006): per-document server heads and pending flags,
//! accounts, quarantine, the server's conflicts and the shared terminal.

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::CoreError;

/// Encodes heads as concatenated 32-byte hashes.
#[must_use]
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Decodes [`encode_heads`]; anything else means the file was tampered with.
pub fn decode_heads(bytes: &[u8]) -> Result<Vec<ChangeHash>, CoreError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(CoreError::Damaged);
    }
    bytes
        .chunks_exact(32)
        .map(|c| ChangeHash::try_from(c).map_err(|_| CoreError::Damaged))
        .collect()
}

/// A document's sync state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocSyncState {
    /// `None`: the server has nothing of this document yet.
    pub server_heads: Option<Vec<ChangeHash>>,
    pub pending: bool,
}

pub fn doc_state(conn: &Connection, doc_key: &str) -> Result<Option<DocSyncState>, CoreError> {
    let row = conn
        .prepare_cached("SELECT server_heads, pending FROM documents WHERE doc_key = ?1")?
        .query_row(params![doc_key], |r| {
            Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?;
    row.map(|(heads, pending)| {
        Ok(DocSyncState {
            server_heads: heads.as_deref().map(decode_heads).transpose()?,
            pending: pending != 0,
        })
    })
    .transpose()
}

pub fn set_doc_state(conn: &Connection, doc_key: &str, state: &DocSyncState) -> Result<(), CoreError> {
    let heads = state.server_heads.as_deref().map(encode_heads);
    conn.prepare_cached("UPDATE documents SET server_heads = ?2, pending = ?3 WHERE doc_key = ?1")?
        .execute(params![doc_key, heads, i64::from(state.pending)])?;
    Ok(())
}

/// Marks a document as holding local changes the server has not acknowledged.
pub fn mark_pending(conn: &Connection, doc_key: &str) -> Result<(), CoreError> {
    conn.prepare_cached("UPDATE documents SET pending = 1 WHERE doc_key = ?1 AND pending = 0")?
        .execute(params![doc_key])?;
    Ok(())
}

pub fn pending_keys(conn: &Connection) -> Result<Vec<String>, CoreError> {
    let mut stmt = conn.prepare_cached("SELECT doc_key FROM documents WHERE pending = 1 ORDER BY doc_key")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

// --- accounts -------------------------------------------------------------------------------

/// Where an account's refresh token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStore {
    /// The OS keychain (entry named after the replica and the user).
    Keychain,
    /// This (encrypted) replica, when it is protected by a passphrase instead of the keychain.
    Replica,
    /// None: the user must log in online again.
    None,
}

impl TokenStore {
    fn as_str(self) -> &'static str {
        match self {
            TokenStore::Keychain => "keychain",
            TokenStore::Replica => "replica",
            TokenStore::None => "none",
        }
    }

    fn parse(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "keychain" => TokenStore::Keychain,
            "replica" => TokenStore::Replica,
            "none" => TokenStore::None,
            _ => return Err(CoreError::Damaged),
        })
    }
}

/// A user who logged in online on this device.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub professional_id: Option<String>,
    pub verifier: String,
    pub token_store: TokenStore,
    pub refresh_token: Option<String>,
    pub ended_code: Option<String>,
    pub logged_in_at_ms: i64,
    pub server_auth_ms: Option<i64>,
}

impl std::fmt::Debug for AccountRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRow")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .field("token_store", &self.token_store)
            .field("ended_code", &self.ended_code)
            .finish_non_exhaustive()
    }
}

pub fn upsert_account(conn: &Connection, a: &AccountRow) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO accounts (user_id, email, name, role, professional_id, verifier, token_store, refresh_token, \
         ended_code, logged_in_at_ms, server_auth_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (user_id) DO UPDATE SET email = ?2, name = ?3, role = ?4, professional_id = ?5, verifier = ?6, \
         token_store = ?7, refresh_token = ?8, ended_code = ?9, logged_in_at_ms = ?10, server_auth_ms = ?11",
    )?
    .execute(params![
        a.user_id,
        a.email,
        a.name,
        a.role,
        a.professional_id,
        a.verifier,
        a.token_store.as_str(),
        a.refresh_token,
        a.ended_code,
        a.logged_in_at_ms,
        a.server_auth_ms
    ])?;
    Ok(())
}

fn account_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(AccountRow, String)> {
    Ok((
        AccountRow {
            user_id: r.get(0)?,
            email: r.get(1)?,
            name: r.get(2)?,
            role: r.get(3)?,
            professional_id: r.get(4)?,
            verifier: r.get(5)?,
            token_store: TokenStore::None,
            refresh_token: r.get(7)?,
            ended_code: r.get(8)?,
            logged_in_at_ms: r.get(9)?,
            server_auth_ms: r.get(10)?,
        },
        r.get(6)?,
    ))
}

const ACCOUNT_COLUMNS: &str = "user_id, email, name, role, professional_id, verifier, token_store, refresh_token, \
                               ended_code, logged_in_at_ms, server_auth_ms";

pub fn accounts(conn: &Connection) -> Result<Vec<AccountRow>, CoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY logged_in_at_ms DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], account_from)?;
    rows.map(|row| {
        let (mut a, store) = row?;
        a.token_store = TokenStore::parse(&store)?;
        Ok(a)
    })
    .collect()
}

pub fn account(conn: &Connection, user_id: &str) -> Result<Option<AccountRow>, CoreError> {
    Ok(accounts(conn)?.into_iter().find(|a| a.user_id == user_id))
}

pub fn account_by_email(conn: &Connection, email: &str) -> Result<Option<AccountRow>, CoreError> {
    Ok(accounts(conn)?
        .into_iter()
        .find(|a| a.email.eq_ignore_ascii_case(email)))
}

/// Records a rotated refresh token (kept in the replica) and the time the server accepted it.
pub fn set_refresh_token(
    conn: &Connection,
    user_id: &str,
    token: Option<&str>,
    now_ms: i64,
) -> Result<(), CoreError> {
    conn.prepare_cached(
        "UPDATE accounts SET refresh_token = ?2, server_auth_ms = ?3, ended_code = NULL WHERE user_id = ?1",
    )?
    .execute(params![user_id, token, now_ms])?;
    Ok(())
}

/// The server ended this account's session: it must log in online again.
pub fn end_session(conn: &Connection, user_id: &str, code: &str) -> Result<(), CoreError> {
    conn.prepare_cached(
        "UPDATE accounts SET token_store = 'none', refresh_token = NULL, ended_code = ?2 WHERE user_id = ?1",
    )?
    .execute(params![user_id, code])?;
    Ok(())
}

// --- quarantine -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    pub id: String,
    pub doc_key: String,
    pub user_id: Option<String>,
    pub code: String,
    pub message: String,
    pub changes: Vec<u8>,
    pub content: String,
    pub at_ms: i64,
}

pub fn insert_quarantine(conn: &Connection, q: &QuarantineRow) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO quarantine (id, doc_key, user_id, code, message, changes, content, at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        q.id, q.doc_key, q.user_id, q.code, q.message, q.changes, q.content, q.at_ms
    ])?;
    Ok(())
}

pub fn quarantine(conn: &Connection) -> Result<Vec<QuarantineRow>, CoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, doc_key, user_id, code, message, changes, content, at_ms FROM quarantine ORDER BY at_ms, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(QuarantineRow {
            id: r.get(0)?,
            doc_key: r.get(1)?,
            user_id: r.get(2)?,
            code: r.get(3)?,
            message: r.get(4)?,
            changes: r.get(5)?,
            content: r.get(6)?,
            at_ms: r.get(7)?,
        })
    })?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

// --- conflicts ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConflictRow {
    pub id: String,
    pub doc_key: String,
    pub kind: String,
    pub subjects: Vec<String>,
    pub detected_at_ms: i64,
}

pub fn replace_conflicts(conn: &Connection, rows: &[ConflictRow]) -> Result<(), CoreError> {
    conn.execute("DELETE FROM conflicts", [])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO conflicts (id, doc_key, kind, subjects, detected_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in rows {
        let subjects = serde_json::to_string(&c.subjects).map_err(|_| CoreError::Damaged)?;
        stmt.execute(params![c.id, c.doc_key, c.kind, subjects, c.detected_at_ms])?;
    }
    Ok(())
}

pub fn conflicts(conn: &Connection) -> Result<Vec<ConflictRow>, CoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, doc_key, kind, subjects, detected_at_ms FROM conflicts ORDER BY detected_at_ms, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, doc_key, kind, subjects, detected_at_ms) = row?;
        Ok(ConflictRow {
            id,
            doc_key,
            kind,
            subjects: serde_json::from_str(&subjects).map_err(|_| CoreError::Damaged)?,
            detected_at_ms,
        })
    })
    .collect()
}

// --- shared terminal ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRow {
    pub user_id: String,
    pub locked: bool,
    pub last_activity_ms: i64,
}

pub fn terminal(conn: &Connection) -> Result<Option<TerminalRow>, CoreError> {
    conn.query_row(
        "SELECT user_id, locked, last_activity_ms FROM terminal WHERE id = 1",
        [],
        |r| {
            Ok(TerminalRow {
                user_id: r.get(0)?,
                locked: r.get::<_, i64>(1)? != 0,
                last_activity_ms: r.get(2)?,
            })
        },
    )
    .optional()
    .map_err(Into::into)
}

pub fn set_terminal(conn: &Connection, t: &TerminalRow) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO terminal (id, user_id, locked, last_activity_ms) VALUES (1, ?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET user_id = ?1, locked = ?2, last_activity_ms = ?3",
        params![t.user_id, i64::from(t.locked), t.last_activity_ms],
    )?;
    Ok(())
}
