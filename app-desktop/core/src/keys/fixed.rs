//! Key sources for tests, benchmarks and scripted use: an in-memory keychain and a fixed
//! passphrase.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{KeyMaterial, Keychain, Passphrase, PassphraseProvider, PassphrasePurpose, Prompt};
use crate::error::CoreError;

/// An in-memory keychain: the real `keyring` needs a D-Bus session or a kernel session keyring.
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: RefCell<HashMap<String, Vec<u8>>>,
    broken: bool,
}

impl MemoryKeychain {
    /// A keychain that refuses every request, like a machine without one.
    #[must_use]
    pub fn unavailable() -> Self {
        Self {
            entries: RefCell::default(),
            broken: true,
        }
    }
}

impl Keychain for MemoryKeychain {
    fn store(&self, replica_id: &str, key: &KeyMaterial) -> Result<(), CoreError> {
        if self.broken {
            return Err(CoreError::KeychainUnavailable);
        }
        self.entries
            .borrow_mut()
            .insert(replica_id.to_owned(), key.as_bytes().to_vec());
        Ok(())
    }

    fn load(&self, replica_id: &str) -> Result<KeyMaterial, CoreError> {
        let entries = self.entries.borrow();
        let bytes = entries.get(replica_id).ok_or(CoreError::KeyMissingFromKeychain)?;
        KeyMaterial::from_bytes(bytes)
    }

    fn store_secret(&self, name: &str, secret: &str) -> Result<(), CoreError> {
        if self.broken {
            return Err(CoreError::KeychainUnavailable);
        }
        self.entries
            .borrow_mut()
            .insert(format!("secret:{name}"), secret.as_bytes().to_vec());
        Ok(())
    }

    fn load_secret(&self, name: &str) -> Result<Option<String>, CoreError> {
        if self.broken {
            return Err(CoreError::KeychainUnavailable);
        }
        Ok(self
            .entries
            .borrow()
            .get(&format!("secret:{name}"))
            .map(|b| String::from_utf8_lossy(b).into_owned()))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FixedPassphrase(pub Option<&'static str>);

impl PassphraseProvider for FixedPassphrase {
    fn passphrase(&self, _: PassphrasePurpose, _: Prompt) -> Result<Option<Passphrase>, CoreError> {
        Ok(self.0.map(|p| Passphrase::new(p.to_owned())))
    }
}
