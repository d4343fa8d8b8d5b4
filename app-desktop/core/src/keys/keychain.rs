use super::KeyMaterial;
use crate::error::CoreError;

/// Where random replica keys live. The real one is the OS keychain; tests may use a mock.
pub trait Keychain {
    fn store(&self, replica_id: &str, key: &KeyMaterial) -> Result<(), CoreError>;
    fn load(&self, replica_id: &str) -> Result<KeyMaterial, CoreError>;
    /// Keeps a session secret (a refresh token) under `name`.
    fn store_secret(&self, name: &str, secret: &str) -> Result<(), CoreError>;
    /// The secret stored under `name`, if any.
    fn load_secret(&self, name: &str) -> Result<Option<String>, CoreError>;
}

/// The OS keychain through `keyring` (Secret Service with the kernel keyring as a cache on Linux,
/// Keychain on macOS, Credential Manager on Windows).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

const SERVICE: &str = "atendebem-replica";
const SESSION_SERVICE: &str = "atendebem-session";

impl Keychain for OsKeychain {
    fn store(&self, replica_id: &str, key: &KeyMaterial) -> Result<(), CoreError> {
        let entry = keyring::Entry::new(SERVICE, replica_id).map_err(keychain_error)?;
        entry.set_secret(key.as_bytes()).map_err(keychain_error)?;
        // Read it back: some backends accept a write they cannot serve later.
        let back = entry.get_secret().map_err(keychain_error)?;
        if back.as_slice() != key.as_bytes() {
            return Err(CoreError::KeychainUnavailable);
        }
        Ok(())
    }

    fn load(&self, replica_id: &str) -> Result<KeyMaterial, CoreError> {
        let entry = keyring::Entry::new(SERVICE, replica_id).map_err(keychain_error)?;
        match entry.get_secret() {
            Ok(bytes) => KeyMaterial::from_bytes(&bytes),
            Err(keyring::Error::NoEntry) => Err(CoreError::KeyMissingFromKeychain),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn store_secret(&self, name: &str, secret: &str) -> Result<(), CoreError> {
        let entry = keyring::Entry::new(SESSION_SERVICE, name).map_err(keychain_error)?;
        entry.set_password(secret).map_err(keychain_error)
    }

    fn load_secret(&self, name: &str) -> Result<Option<String>, CoreError> {
        let entry = keyring::Entry::new(SESSION_SERVICE, name).map_err(keychain_error)?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

fn keychain_error(error: keyring::Error) -> CoreError {
    tracing::debug!(error = %error, "keychain unavailable");
    CoreError::KeychainUnavailable
}
