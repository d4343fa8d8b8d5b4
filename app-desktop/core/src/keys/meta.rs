use std::path::Path;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::KeyMaterial;
use crate::error::CoreError;

/// Public metadata stored beside the replica as `replica.json`. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaMeta {
    /// Version of this file's format.
    pub format: u32,
    /// Random id of this replica; names the keychain entry.
    pub replica_id: String,
    pub key_source: KeySource,
    /// First 16 bytes of SHA-256("atendebem/replica-key-check/v1" ‖ key), hex.
    pub key_check: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeySource {
    /// Random key in the OS keychain (service `atendebem-replica`, account = replica id).
    Keychain,
    /// Key derived with Argon2id from a passphrase.
    Passphrase { kdf: KdfParams },
}

/// Argon2id parameters and salt, stored so the same key can be derived again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub algorithm: String,
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
    /// 16 random bytes, hex.
    pub salt: String,
}

impl KdfParams {
    /// Above the OWASP minimum for Argon2id (m ≥ 19 MiB, t ≥ 2, p = 1): 64 MiB, t = 3, p = 1.
    #[must_use]
    pub fn recommended() -> Self {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        Self {
            algorithm: "argon2id".to_owned(),
            m_cost_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
            salt: super::material::to_hex(&salt),
        }
    }

    pub(crate) fn salt_bytes(&self) -> Result<Vec<u8>, CoreError> {
        if self.algorithm != "argon2id" || !self.salt.len().is_multiple_of(2) || self.salt.len() < 16 {
            return Err(CoreError::KdfParams);
        }
        (0..self.salt.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&self.salt[i..i + 2], 16).map_err(|_| CoreError::KdfParams))
            .collect()
    }
}

impl ReplicaMeta {
    pub const FORMAT: u32 = 1;
    pub const FILE_NAME: &'static str = "replica.json";

    #[must_use]
    pub fn new(replica_id: &str, key_source: KeySource, key: &KeyMaterial) -> Self {
        Self {
            format: Self::FORMAT,
            replica_id: replica_id.to_owned(),
            key_source,
            key_check: key.check_value(),
        }
    }

    #[must_use]
    pub fn key_matches(&self, key: &KeyMaterial) -> bool {
        self.key_check == key.check_value()
    }

    pub fn read(dir: &Path) -> Result<Option<Self>, CoreError> {
        let path = dir.join(Self::FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io("ler replica.json", e)),
        };
        let meta: Self = serde_json::from_str(&text).map_err(|_| CoreError::MetaCorrupt)?;
        if meta.format > Self::FORMAT {
            return Err(CoreError::NewerFormat);
        }
        Ok(Some(meta))
    }

    /// Writes atomically (temporary file, fsync, rename) so a crash leaves the old or the new file.
    pub fn write(&self, dir: &Path) -> Result<(), CoreError> {
        let text = serde_json::to_string_pretty(self).map_err(|_| CoreError::MetaCorrupt)?;
        crate::fsutil::write_atomic(&dir.join(Self::FILE_NAME), text.as_bytes())
    }
}
