//! Argon2id password hashing (NGS1.02.02: a salted open hash ≥ 160 bits) and the password
//! quality rule (NGS1.02.03: ≥ 8 characters, ≥ 1 letter, ≥ 1 digit).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Argon2id with a fixed set of worker threads, each owning its memory blocks: logins never
/// allocate 19 MiB each (memory stays flat however many people log in) and at most `workers`
/// hashes run at once (a flood of logins cannot take every core).
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

enum Job {
    Hash(Zeroizing<String>, tokio::sync::oneshot::Sender<Option<String>>),
    Verify(Zeroizing<String>, String, tokio::sync::oneshot::Sender<bool>),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, argon2::Error> {
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 4);
        Self::with_workers(memory_kib, iterations, workers)
    }

    pub fn with_workers(memory_kib: u32, iterations: u32, workers: usize) -> Result<Self, argon2::Error> {
        let params = Params::new(memory_kib, iterations, 1, Some(32))?;
        let (jobs, rx) = std::sync::mpsc::sync_channel::<Job>(256);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            let params = params.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    let mut blocks = vec![Block::default(); params.block_count()];
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(Job::Hash(password, reply)) => {
                                let _ = reply.send(hash_with(&params, &password, &mut blocks));
                            }
                            Ok(Job::Verify(password, phc, reply)) => {
                                let _ = reply.send(verify_with(&password, &phc, &mut blocks));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if spawned.is_err() {
                return Err(argon2::Error::MemoryTooMuch);
            }
        }
        Ok(Self { params, jobs })
    }

    /// A PHC string (`$argon2id$v=19$m=...`), salted per password.
    pub async fn hash(&self, password: &str) -> Option<String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Job::Hash(Zeroizing::new(password.to_owned()), tx))?;
        rx.await.ok().flatten()
    }

    /// Verifies against the parameters stored in the hash (so raising them later keeps old
    /// hashes valid). `None` when the hashing queue is full (the caller answers "try again"
    /// without counting a failed login).
    pub async fn try_verify(&self, password: &str, phc: &str) -> Option<bool> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Job::Verify(
            Zeroizing::new(password.to_owned()),
            phc.to_owned(),
            tx,
        ))?;
        rx.await.ok()
    }

    pub async fn verify(&self, password: &str, phc: &str) -> bool {
        self.try_verify(password, phc).await.unwrap_or(false)
    }

    /// Spends the same time as a real verification, for unknown accounts (NGS1.02.16: no
    /// timing difference between "no such user" and "wrong password").
    pub async fn burn(&self, password: &str) {
        let _ = self.hash(password).await;
    }

    /// For callers outside a runtime (the admin console).
    pub fn hash_blocking(&self, password: &str) -> Option<String> {
        hash_with(&self.params, password, &mut Vec::new())
    }

    fn submit(&self, job: Job) -> Option<()> {
        // Never blocks the async runtime: with 256 hashes queued, further ones are refused.
        self.jobs.try_send(job).ok()
    }
}

fn hash_with(params: &Params, password: &str, blocks: &mut Vec<Block>) -> Option<String> {
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), Block::default());
    }
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).ok()?;
    let mut out = [0u8; 32];
    argon
        .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, &mut *blocks)
        .ok()?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params.try_into().ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).ok()?),
    };
    Some(hash.to_string())
}

fn verify_with(password: &str, phc: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if blocks.len() < params.block_count() {
        // A hash made with more memory than configured now: grow once.
        blocks.resize(params.block_count(), Block::default());
    }
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = vec![0u8; expected.len()];
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, &mut blocks[..])
        .is_err()
    {
        return false;
    }
    // `Output` compares in constant time.
    Output::new(&out).is_ok_and(|o| o == expected)
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

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Hasher::with_workers(19 * 1024, 2, 1).expect("params");
        let phc = h.hash("abcd1234").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("abcd1234", &phc).await);
        assert!(!h.verify("abcd1235", &phc).await);
        assert!(!h.verify("abcd1234", "not a hash").await);
        assert_ne!(h.hash("abcd1234").await.expect("hash"), phc, "salt per password");
        assert!(
            h.verify("abcd1234", &h.hash_blocking("abcd1234").expect("hash"))
                .await
        );
    }

    /// Hashes made by the reference implementation (other parameters too) still verify.
    #[tokio::test]
    async fn verifies_standard_phc_strings() {
        use argon2::password_hash::PasswordHasher;
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 3, 1, None).expect("params"),
        );
        let phc = other
            .hash_password(b"senha-forte-9", &SaltString::generate(&mut OsRng))
            .expect("hash")
            .to_string();
        let h = Hasher::with_workers(19 * 1024, 2, 1).expect("params");
        assert!(h.verify("senha-forte-9", &phc).await);
        assert!(!h.verify("senha-forte-8", &phc).await);
        let argon2i = phc.replace("$argon2id$", "$argon2i$");
        assert!(
            !h.verify("senha-forte-9", &argon2i).await,
            "only Argon2id is accepted"
        );
    }
}
