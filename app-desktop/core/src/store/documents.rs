//! Automerge documents: one snapshot row plus incremental change rows per document. Loading
//! concatenates them (automerge loads a snapshot followed by change chunks); after
//! [`COMPACT_AFTER`] incremental changes the caller replaces them with a fresh snapshot.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::CoreError;

/// Incremental changes kept before a document is compacted into a new snapshot.
pub const COMPACT_AFTER: i64 = 64;

/// A document's bytes as stored.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    /// Snapshot followed by every incremental change, ready for `AutoCommit::load`.
    pub bytes: Vec<u8>,
    pub change_count: i64,
}

impl StoredDocument {
    #[must_use]
    pub fn needs_compaction(&self) -> bool {
        self.change_count >= COMPACT_AFTER
    }
}

/// Loads a document, or `None` if the replica does not hold it.
pub fn load(conn: &Connection, doc_key: &str) -> Result<Option<StoredDocument>, CoreError> {
    let row = conn
        .query_row(
            "SELECT snapshot, change_count FROM documents WHERE doc_key = ?1",
            params![doc_key],
            |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?)),
        )
        .optional()?;
    let Some((mut bytes, change_count)) = row else {
        return Ok(None);
    };
    if change_count > 0 {
        let mut stmt =
            conn.prepare_cached("SELECT data FROM document_changes WHERE doc_key = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![doc_key], |row| row.get::<_, Vec<u8>>(0))?;
        for change in rows {
            bytes.extend_from_slice(&change?);
        }
    }
    Ok(Some(StoredDocument { bytes, change_count }))
}

/// Stores a new document's first snapshot.
pub fn insert(
    conn: &Connection,
    doc_key: &str,
    kind: &str,
    snapshot: &[u8],
    now_ms: i64,
) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO documents (doc_key, kind, snapshot, change_count, updated_at_ms) VALUES (?1, ?2, ?3, 0, ?4)",
    )?
    .execute(params![doc_key, kind, snapshot, now_ms])?;
    Ok(())
}

/// Appends an incremental change (the output of `save_incremental`). Empty changes are skipped.
pub fn append_change(conn: &Connection, doc_key: &str, change: &[u8], now_ms: i64) -> Result<(), CoreError> {
    if change.is_empty() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO document_changes (doc_key, data, created_at_ms) VALUES (?1, ?2, ?3)")?
        .execute(params![doc_key, change, now_ms])?;
    conn.prepare_cached(
        "UPDATE documents SET change_count = change_count + 1, updated_at_ms = ?2 WHERE doc_key = ?1",
    )?
    .execute(params![doc_key, now_ms])?;
    Ok(())
}

/// Replaces a document's snapshot and incremental changes by one full snapshot (`save()` of a
/// document that contains them all).
pub fn compact(conn: &Connection, doc_key: &str, snapshot: &[u8], now_ms: i64) -> Result<(), CoreError> {
    conn.prepare_cached("DELETE FROM document_changes WHERE doc_key = ?1")?
        .execute(params![doc_key])?;
    conn.prepare_cached(
        "UPDATE documents SET snapshot = ?2, change_count = 0, updated_at_ms = ?3 WHERE doc_key = ?1",
    )?
    .execute(params![doc_key, snapshot, now_ms])?;
    Ok(())
}

/// Stores a document's new state, following the compaction policy: a new document's first
/// snapshot (`stored_changes` = `None`), an incremental change, or — once [`COMPACT_AFTER`]
/// changes have accumulated — one fresh snapshot replacing them. `bytes(true)` must give the
/// whole document, `bytes(false)` the changes since what is stored. Returns the number of
/// incremental changes now stored.
pub fn store_state(
    conn: &Connection,
    doc_key: &str,
    kind: &str,
    stored_changes: Option<i64>,
    now_ms: i64,
    bytes: &mut dyn FnMut(bool) -> Vec<u8>,
) -> Result<i64, CoreError> {
    match stored_changes {
        None => {
            insert(conn, doc_key, kind, &bytes(true), now_ms)?;
            Ok(0)
        }
        Some(count) if count + 1 >= COMPACT_AFTER => {
            compact(conn, doc_key, &bytes(true), now_ms)?;
            Ok(0)
        }
        Some(count) => {
            append_change(conn, doc_key, &bytes(false), now_ms)?;
            Ok(count + 1)
        }
    }
}

/// Keys of every stored document of a kind (for exports and index rebuilds).
pub fn keys_of_kind(conn: &Connection, kind: &str) -> Result<Vec<String>, CoreError> {
    let mut stmt = conn.prepare("SELECT doc_key FROM documents WHERE kind = ?1 ORDER BY doc_key")?;
    let rows = stmt.query_map(params![kind], |row| row.get(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// Keys of every stored document, sorted.
pub fn all_keys(conn: &Connection) -> Result<Vec<String>, CoreError> {
    let mut stmt = conn.prepare("SELECT doc_key FROM documents ORDER BY doc_key")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// Number of stored documents.
pub fn count(conn: &Connection) -> Result<i64, CoreError> {
    Ok(conn.query_row("SELECT count(*) FROM documents", [], |row| row.get(0))?)
}
