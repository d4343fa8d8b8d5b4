//! The replica's encryption key: random 256 bits kept in the OS keychain, or — where no keychain
//! is reachable (headless servers, CI) — derived with Argon2id from a passphrase. Never a
//! plaintext key file.
//!
//! What is stored next to the replica (`replica.json`, see [`ReplicaMeta`]) is public: the key
//! source, the Argon2id salt and parameters, and a short key-check value that lets us tell "wrong
//! key" from "damaged file" without ever writing the key.

mod fixed;
mod keychain;
mod material;
mod meta;

pub use fixed::{FixedPassphrase, MemoryKeychain};
pub use keychain::{Keychain, OsKeychain};
pub(crate) use material::to_hex;
pub use material::{KeyMaterial, Passphrase};
pub use meta::{KdfParams, KeySource, ReplicaMeta};

use crate::error::CoreError;

/// Where the passphrase comes from when the replica uses (or must fall back to) one.
pub trait PassphraseProvider {
    /// Returns the passphrase, or `None` when none can be obtained (nothing configured and —
    /// with [`Prompt::Allowed`] — no terminal or window to ask on).
    fn passphrase(&self, purpose: PassphrasePurpose, prompt: Prompt)
    -> Result<Option<Passphrase>, CoreError>;
}

/// Whether a provider may ask a person, or only use what is configured (environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Allowed,
    Never,
}

/// Why a passphrase is asked for (changes the prompt text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphrasePurpose {
    /// Creating a replica: the passphrase will protect it from now on.
    NewReplica,
    /// Opening an existing replica.
    OpenReplica,
    /// Encrypting or decrypting a backup file.
    Backup,
}

/// How `init` chooses the key source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyPreference {
    /// A passphrase if one is provided (environment), else the OS keychain, else a prompt.
    #[default]
    Auto,
    Keychain,
    Passphrase,
}

/// Creates the key for a new replica and the metadata that lets it be found again.
pub fn create_key(
    replica_id: &str,
    preference: KeyPreference,
    keychain: &dyn Keychain,
    passphrases: &dyn PassphraseProvider,
) -> Result<(KeyMaterial, ReplicaMeta), CoreError> {
    let use_passphrase = |pass: Passphrase| -> Result<(KeyMaterial, ReplicaMeta), CoreError> {
        pass.check_strength()?;
        let params = KdfParams::recommended();
        let key = KeyMaterial::derive(&pass, &params)?;
        let meta = ReplicaMeta::new(replica_id, KeySource::Passphrase { kdf: params }, &key);
        Ok((key, meta))
    };
    match preference {
        KeyPreference::Passphrase => {
            match passphrases.passphrase(PassphrasePurpose::NewReplica, Prompt::Allowed)? {
                Some(pass) => use_passphrase(pass),
                None => Err(CoreError::PassphraseRequired),
            }
        }
        KeyPreference::Keychain => {
            let key = KeyMaterial::random();
            keychain.store(replica_id, &key)?;
            Ok((
                key.clone(),
                ReplicaMeta::new(replica_id, KeySource::Keychain, &key),
            ))
        }
        KeyPreference::Auto => {
            // A configured passphrase wins; else the keychain; else ask a person.
            if let Some(pass) = passphrases.passphrase(PassphrasePurpose::NewReplica, Prompt::Never)? {
                return use_passphrase(pass);
            }
            let key = KeyMaterial::random();
            if keychain.store(replica_id, &key).is_ok() {
                return Ok((
                    key.clone(),
                    ReplicaMeta::new(replica_id, KeySource::Keychain, &key),
                ));
            }
            match passphrases.passphrase(PassphrasePurpose::NewReplica, Prompt::Allowed)? {
                Some(pass) => use_passphrase(pass),
                None => Err(CoreError::NoKeychainNoPassphrase),
            }
        }
    }
}

/// Recovers the key of an existing replica and checks it against the stored key-check value.
pub fn recover_key(
    meta: &ReplicaMeta,
    keychain: &dyn Keychain,
    passphrases: &dyn PassphraseProvider,
) -> Result<KeyMaterial, CoreError> {
    let key = match &meta.key_source {
        KeySource::Keychain => keychain.load(&meta.replica_id)?,
        KeySource::Passphrase { kdf } => {
            let pass = passphrases
                .passphrase(PassphrasePurpose::OpenReplica, Prompt::Allowed)?
                .ok_or(CoreError::PassphraseRequired)?;
            KeyMaterial::derive(&pass, kdf)?
        }
    };
    if !meta.key_matches(&key) {
        return Err(CoreError::WrongKey);
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
