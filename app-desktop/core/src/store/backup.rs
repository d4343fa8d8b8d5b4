//! Encrypted backup and restore of a replica (NGS1.04).
//!
//! A backup file is: the magic bytes, a little-endian `u32` header length, a JSON header (format,
//! Argon2id parameters and salt, SHA-256 of the payload, schema version) and the payload — a
//! SQLCipher 4 copy of the replica encrypted with a key derived from the backup passphrase, so a
//! backup can be restored on another machine with no keychain. Restore checks the checksum, the
//! key and both integrity checks before anything is written to the destination, and is
//! all-or-nothing (NGS1.04.05).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DB_FILE, KeyAccess, Replica, migrations, open_connection};
use crate::error::CoreError;
use crate::keys::{self, KdfParams, KeyMaterial, KeyPreference, Passphrase};

/// First bytes of every backup file.
pub const BACKUP_MAGIC: &[u8; 16] = b"ATENDEBEM-BACKUP";
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    kdf: KdfParams,
    /// SHA-256 over the KDF parameters (as JSON), the schema version and the payload, so a
    /// change anywhere — salt included — is reported as corruption, not as a wrong passphrase.
    sha256: String,
    schema_version: i64,
}

/// What a backup or restore did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
}

impl Replica {
    /// Writes an encrypted backup of this replica to `out` (atomically).
    pub fn backup(&self, out: &Path, passphrase: &Passphrase) -> Result<BackupReport, CoreError> {
        passphrase.check_strength()?;
        let kdf = KdfParams::recommended();
        let key = KeyMaterial::derive(passphrase, &kdf)?;
        let tmp = temp_path(out, "export");
        let _cleanup = RemoveOnDrop(tmp.clone());
        let schema_version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        export_to(&self.conn, &tmp, &key, schema_version)?;
        let payload = std::fs::read(&tmp).map_err(|e| CoreError::io("ler a cópia do backup", e))?;
        let sha256 = checksum(&kdf, schema_version, &payload)?;
        let header = Header {
            format: FORMAT,
            kdf,
            sha256,
            schema_version,
        };
        let header_json = serde_json::to_vec(&header).map_err(|_| CoreError::BackupNotABackup)?;
        let mut file = Vec::with_capacity(payload.len() + header_json.len() + 32);
        file.extend_from_slice(BACKUP_MAGIC);
        file.extend_from_slice(&u32::try_from(header_json.len()).unwrap_or(u32::MAX).to_le_bytes());
        file.extend_from_slice(&header_json);
        file.extend_from_slice(&payload);
        crate::fsutil::write_atomic(out, &file)?;
        Ok(BackupReport {
            path: out.to_owned(),
            bytes: file.len() as u64,
            schema_version,
        })
    }

    /// Restores `backup` into `dir`, which must not hold a replica yet. The restored replica gets
    /// a new key from `preference` (keychain or passphrase), like `create`.
    pub fn restore(
        backup: &Path,
        backup_passphrase: &Passphrase,
        dir: &Path,
        preference: KeyPreference,
        access: KeyAccess<'_>,
    ) -> Result<Replica, CoreError> {
        if dir.join(DB_FILE).exists() {
            return Err(CoreError::AlreadyInitialized);
        }
        let bytes = std::fs::read(backup).map_err(|e| CoreError::io("ler o arquivo de backup", e))?;
        let (header, payload) = parse(&bytes)?;
        if checksum(&header.kdf, header.schema_version, payload)? != header.sha256 {
            return Err(CoreError::BackupCorrupt);
        }
        if header.schema_version > migrations::LATEST {
            return Err(CoreError::NewerSchema {
                found: header.schema_version,
                supported: migrations::LATEST,
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| CoreError::io("criar o diretório de dados", e))?;
        let backup_key = KeyMaterial::derive(backup_passphrase, &header.kdf)?;
        let staged = dir.join(".restore-staged.db");
        let _cleanup_staged = RemoveOnDrop(staged.clone());
        std::fs::write(&staged, payload).map_err(|e| CoreError::io("gravar a cópia temporária", e))?;
        let source = open_connection(&staged, &backup_key, false)?;
        if source
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .is_err()
        {
            return Err(CoreError::BackupWrongPassphrase);
        }
        if !super::integrity_problems(&source)?.is_empty() {
            return Err(CoreError::BackupCorrupt);
        }

        let replica_id = uuid::Uuid::now_v7().to_string();
        let (key, meta) = keys::create_key(&replica_id, preference, access.keychain, access.passphrases)?;
        let fresh = dir.join(".restore-new.db");
        let _cleanup_fresh = RemoveOnDrop(fresh.clone());
        export_to(&source, &fresh, &key, header.schema_version)?;
        drop(source);
        // Commit point: metadata, then the database file by rename.
        meta.write(dir)?;
        std::fs::rename(&fresh, dir.join(DB_FILE))
            .map_err(|e| CoreError::io("instalar a réplica restaurada", e))?;
        crate::fsutil::sync_dir(dir)?;
        Replica::open_with_key(dir, meta, &key)
    }
}

/// Exports every table of `conn` into a new SQLCipher file at `path` encrypted with `key`.
fn export_to(
    conn: &rusqlite::Connection,
    path: &Path,
    key: &KeyMaterial,
    schema_version: i64,
) -> Result<(), CoreError> {
    // ATTACH inherits the connection's open flags, and a reopened replica lacks
    // SQLITE_OPEN_CREATE: start from an empty file (SQLite takes it as a new database).
    std::fs::File::create(path).map_err(|e| CoreError::io("criar a cópia do backup", e))?;
    let path_text = path.to_str().ok_or_else(|| {
        CoreError::io(
            "exportar",
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "caminho não UTF-8"),
        )
    })?;
    conn.execute(
        "ATTACH DATABASE ?1 AS export_target KEY ?2",
        rusqlite::params![path_text, key.sqlcipher_literal().as_str()],
    )?;
    let result = (|| -> Result<(), CoreError> {
        conn.query_row("SELECT sqlcipher_export('export_target')", [], |_| Ok(()))?;
        conn.pragma_update(Some("export_target"), "user_version", schema_version)?;
        Ok(())
    })();
    conn.execute("DETACH DATABASE export_target", [])?;
    result?;
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| CoreError::io("sincronizar a cópia", e))
}

fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), CoreError> {
    let rest = bytes
        .strip_prefix(BACKUP_MAGIC.as_slice())
        .ok_or(CoreError::BackupNotABackup)?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or(CoreError::BackupCorrupt)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| CoreError::BackupCorrupt)?;
    if rest.len() < len {
        return Err(CoreError::BackupCorrupt);
    }
    let (header, payload) = rest.split_at(len);
    let header: serde_json::Value = serde_json::from_slice(header).map_err(|_| CoreError::BackupCorrupt)?;
    let format = header
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or(CoreError::BackupCorrupt)?;
    if format > u64::from(FORMAT) {
        return Err(CoreError::BackupNewerFormat);
    }
    let header: Header = serde_json::from_value(header).map_err(|_| CoreError::BackupCorrupt)?;
    Ok((header, payload))
}

fn checksum(kdf: &KdfParams, schema_version: i64, payload: &[u8]) -> Result<String, CoreError> {
    let kdf_json = serde_json::to_vec(kdf).map_err(|_| CoreError::BackupCorrupt)?;
    let mut hasher = Sha256::new();
    hasher.update(&kdf_json);
    hasher.update(schema_version.to_le_bytes());
    hasher.update(payload);
    Ok(crate::keys::to_hex(&hasher.finalize()))
}

fn temp_path(target: &Path, label: &str) -> PathBuf {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("backup");
    target.with_file_name(format!(".{name}.{label}.tmp"))
}

/// Removes a temporary file when dropped (success or error).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
