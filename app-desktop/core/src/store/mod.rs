//! The encrypted local replica: one SQLCipher 4 database file (`replica.db`) plus its public
//! metadata (`replica.json`). SQL lives only in this module and its children.
//!
//! **Invariant:** nothing is written to a replica before the key has been verified against the
//! stored key-check value and the schema version has been found not newer than ours — a wrong
//! key, a damaged file or a newer file is reported and left untouched.
//!
//! **Durability:** WAL with `synchronous = FULL`: a transaction reported as committed survives a
//! crash or power loss.

pub mod appointments;
mod backup;
pub mod billing;
pub mod charts;
pub mod documents;
mod migrations;
pub mod patients;
pub mod people;
pub mod sync;

pub use appointments::AppointmentRow;
pub use backup::{BACKUP_MAGIC, BackupReport};
pub use documents::StoredDocument;
pub use patients::{PatientRow, SearchHit};
pub use people::UserRow;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::CoreError;
use crate::keys::{self, KeyMaterial, KeyPreference, Keychain, PassphraseProvider, ReplicaMeta};

/// The replica schema version this build writes.
pub const SCHEMA_VERSION: i64 = migrations::LATEST;

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "replica.db";

/// An open replica.
pub struct Replica {
    conn: Connection,
    dir: PathBuf,
    meta: ReplicaMeta,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// How to reach the key: the OS keychain and a passphrase source.
#[derive(Clone, Copy)]
pub struct KeyAccess<'a> {
    pub keychain: &'a dyn Keychain,
    pub passphrases: &'a dyn PassphraseProvider,
}

impl std::fmt::Debug for KeyAccess<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyAccess")
    }
}

impl Replica {
    /// Creates a new replica in `dir` (created if missing) with a fresh key.
    pub fn create(dir: &Path, preference: KeyPreference, access: KeyAccess<'_>) -> Result<Self, CoreError> {
        let db_path = dir.join(DB_FILE);
        if db_path.exists() {
            return Err(CoreError::AlreadyInitialized);
        }
        std::fs::create_dir_all(dir).map_err(|e| CoreError::io("criar o diretório de dados", e))?;
        let replica_id = uuid::Uuid::now_v7().to_string();
        let (key, meta) = keys::create_key(&replica_id, preference, access.keychain, access.passphrases)?;
        // Metadata first: a crash before the database exists leaves a directory `create` can redo.
        meta.write(dir)?;
        let conn = open_connection(&db_path, &key, true)?;
        let mut replica = Self {
            conn,
            dir: dir.to_owned(),
            meta,
        };
        replica.configure()?;
        replica.migrate()?;
        crate::fsutil::sync_dir(dir)?;
        Ok(replica)
    }

    /// Opens an existing replica, verifying key, file and schema version before any write.
    pub fn open(dir: &Path, access: KeyAccess<'_>) -> Result<Self, CoreError> {
        let meta = ReplicaMeta::read(dir)?.ok_or(CoreError::NotInitialized)?;
        let db_path = dir.join(DB_FILE);
        if !db_path.exists() {
            return Err(CoreError::NotInitialized);
        }
        let key = keys::recover_key(&meta, access.keychain, access.passphrases)?;
        Self::open_with_key(dir, meta, &key)
    }

    pub(crate) fn open_with_key(dir: &Path, meta: ReplicaMeta, key: &KeyMaterial) -> Result<Self, CoreError> {
        let conn = open_connection(&dir.join(DB_FILE), key, false)?;
        let mut replica = Self {
            conn,
            dir: dir.to_owned(),
            meta,
        };
        let version = replica.schema_version()?;
        if version > migrations::LATEST {
            return Err(CoreError::NewerSchema {
                found: version,
                supported: migrations::LATEST,
            });
        }
        replica.configure()?;
        replica.migrate()?;
        Ok(replica)
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[must_use]
    pub fn meta(&self) -> &ReplicaMeta {
        &self.meta
    }

    /// Runs `f` in one durable `BEGIN IMMEDIATE` transaction: the write lock is taken up front,
    /// so two processes on one replica serialise instead of failing mid-transaction.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, CoreError>) -> Result<T, CoreError> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Read-only access to the connection for the query functions of this module.
    #[must_use]
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// `PRAGMA cipher_integrity_check` (HMAC of every page) and `PRAGMA integrity_check`.
    /// Returns the problems found; empty means healthy.
    pub fn integrity_check(&self) -> Result<Vec<String>, CoreError> {
        integrity_problems(&self.conn)
    }

    fn schema_version(&self) -> Result<i64, CoreError> {
        // The first read decrypts page 1: a damaged file fails here.
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(map_open_error)?;
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    fn configure(&mut self) -> Result<(), CoreError> {
        apply_pragmas(&self.conn)
    }

    fn migrate(&mut self) -> Result<(), CoreError> {
        migrations::apply(&mut self.conn)
    }
}

/// The connection settings of every replica (the benchmarks use them too, so their figures are
/// the product's): WAL with `synchronous = FULL` (a committed transaction survives power loss), a
/// 32 MiB page cache (decrypted pages stay in memory instead of being decrypted again on every
/// read), temporary tables in memory (never on disk), foreign keys on.
pub fn apply_pragmas(conn: &Connection) -> Result<(), CoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(map_open_error)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -32_768)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// Opens a SQLCipher connection with `key`. SQLCipher 4 defaults (page size, HMAC-SHA512, KDF
/// settings) are left untouched.
pub(crate) fn open_connection(path: &Path, key: &KeyMaterial, create: bool) -> Result<Connection, CoreError> {
    let mut flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(map_open_error)?;
    conn.pragma_update(None, "cipher_log_level", "NONE").ok();
    conn.pragma_update(None, "key", key.sqlcipher_literal().as_str())?;
    Ok(conn)
}

/// Problems reported by `cipher_integrity_check` (no rows when every page's HMAC verifies) and
/// `integrity_check` (a single "ok" when healthy).
pub(crate) fn integrity_problems(conn: &Connection) -> Result<Vec<String>, CoreError> {
    let mut problems = Vec::new();
    for pragma in ["PRAGMA cipher_integrity_check", "PRAGMA integrity_check"] {
        let mut stmt = conn.prepare(pragma).map_err(map_open_error)?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(map_open_error)?;
        for row in rows {
            let line = row.map_err(map_open_error)?;
            if line != "ok" {
                problems.push(line);
            }
        }
    }
    Ok(problems)
}

fn map_open_error(error: rusqlite::Error) -> CoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => CoreError::Damaged,
        _ => CoreError::Database(error),
    }
}

#[cfg(test)]
mod tests;
