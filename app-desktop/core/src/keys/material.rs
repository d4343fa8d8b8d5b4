use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::KdfParams;
use crate::error::CoreError;

/// 256 secret bits. Zeroed on drop; `Debug` never shows them.
#[derive(Clone)]
pub struct KeyMaterial(Zeroizing<[u8; 32]>);

impl KeyMaterial {
    /// A fresh random key from the operating system's CSPRNG.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| CoreError::KeychainCorrupt)?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// Argon2id(passphrase, salt) with the given parameters.
    pub fn derive(passphrase: &Passphrase, kdf: &KdfParams) -> Result<Self, CoreError> {
        let params = Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(32))
            .map_err(|_| CoreError::KdfParams)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = kdf.salt_bytes()?;
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.0.as_bytes(), &salt, out.as_mut())
            .map_err(|_| CoreError::KdfParams)?;
        Ok(Self(out))
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The SQLCipher raw-key literal `x'…'` (64 hex digits). The key is already uniformly random,
    /// so SQLCipher's passphrase KDF is not needed; its HMAC and page settings stay default.
    #[must_use]
    pub(crate) fn sqlcipher_literal(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(67));
        s.push_str("x'");
        for b in self.0.iter() {
            s.push(hex_digit(b >> 4));
            s.push(hex_digit(b & 0x0f));
        }
        s.push('\'');
        s
    }

    /// A value that identifies the key without revealing it: SHA-256 over a domain label and the
    /// key, first 16 bytes, hex.
    #[must_use]
    pub(crate) fn check_value(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"atendebem/replica-key-check/v1");
        hasher.update(self.0.as_ref());
        to_hex(&hasher.finalize()[..16])
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// Lower-case hex of public bytes (salts, checksums, key-check values). Not for key material:
/// [`KeyMaterial::sqlcipher_literal`] writes its hex straight into a zeroized buffer.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [hex_digit(b >> 4), hex_digit(b & 0x0f)])
        .collect()
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial([REDACTED])")
    }
}

/// A passphrase typed by a person or given in `ATENDEBEM_PASSPHRASE`. Zeroed on drop; redacted
/// in `Debug`.
pub struct Passphrase(String);

impl Passphrase {
    #[must_use]
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// At least 8 characters with a letter and a digit (NGS1.02.03 applies the same rule to
    /// passwords).
    pub fn check_strength(&self) -> Result<(), CoreError> {
        let s = &self.0;
        let ok = s.chars().count() >= 8
            && s.chars().any(char::is_alphabetic)
            && s.chars().any(|c| c.is_ascii_digit());
        if ok {
            Ok(())
        } else {
            Err(CoreError::WeakPassphrase)
        }
    }
}

impl Drop for Passphrase {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([REDACTED])")
    }
}
