//! Argon2id password hashing (NGS1.02.02: a salted open hash ≥ 160 bits) and the password
//! quality rule (NGS1.02.03: ≥ 8 characters, ≥ 1 letter, ≥ 1 digit).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

/// A password typed by a person: zeroed on drop, never printed.
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Password::new)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("a senha deve ter pelo menos 8 caracteres, com ao menos uma letra e um número")]
    TooWeak,
    #[error("a senha pode ter no máximo 128 caracteres")]
    TooLong,
}

impl shared_model::ErrorCode for PasswordRuleError {
    fn code(&self) -> &'static str {
        match self {
            PasswordRuleError::TooWeak => "password.too_weak",
            PasswordRuleError::TooLong => "password.too_long",
        }
    }
}

/// NGS1.02.03.
pub fn check_quality(password: &str) -> Result<(), PasswordRuleError> {
    if password.chars().count() > 128 {
        return Err(PasswordRuleError::TooLong);
    }
    let long_enough = password.chars().count() >= 8;
    let letter = password.chars().any(char::is_alphabetic);
    let digit = password.chars().any(|c| c.is_ascii_digit());
    if long_enough && letter && digit {
        Ok(())
    } else {
        Err(PasswordRuleError::TooWeak)
    }
}

#[derive(Clone)]
pub struct Hasher {
    argon: Argon2<'static>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, argon2::Error> {
        let params = Params::new(memory_kib, iterations, 1, Some(32))?;
        Ok(Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=...`), salted per password.
    pub fn hash(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        let salt = SaltString::generate(&mut OsRng);
        Ok(self.argon.hash_password(password.as_bytes(), &salt)?.to_string())
    }

    /// Verifies against the parameters stored in the hash (so raising them later keeps old
    /// hashes valid).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self.argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the same time as a real verification, for unknown accounts (NGS1.02.16: no
    /// timing difference between "no such user" and "wrong password").
    pub fn burn(&self, password: &str) {
        let salt = SaltString::from_b64("c2FsdHNhbHRzYWx0c2FsdA").ok();
        if let Some(salt) = salt {
            let _ = self.argon.hash_password(password.as_bytes(), &salt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NGS1.02.03: `abc1234` rejected, `abcd1234` accepted.
    #[test]
    fn quality_rule() {
        assert_eq!(check_quality("abc1234"), Err(PasswordRuleError::TooWeak));
        assert_eq!(check_quality("abcdefgh"), Err(PasswordRuleError::TooWeak));
        assert_eq!(check_quality("12345678"), Err(PasswordRuleError::TooWeak));
        assert_eq!(check_quality("abcd1234"), Ok(()));
        assert_eq!(check_quality("çãoáéí12"), Ok(()));
        assert_eq!(check_quality(&"a1".repeat(65)), Err(PasswordRuleError::TooLong));
    }

    #[test]
    fn hash_and_verify() {
        let h = Hasher::new(19 * 1024, 2).expect("params");
        let phc = h.hash("abcd1234").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("abcd1234", &phc));
        assert!(!h.verify("abcd1235", &phc));
        assert!(!h.verify("abcd1234", "not a hash"));
        assert_ne!(h.hash("abcd1234").expect("hash"), phc, "salt per password");
    }
}
