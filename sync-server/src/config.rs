//! Settings: defaults → TOML file → `ATENDEBEM_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A connection string or other secret: never printed by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"[redacted]\")")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on. Port 0 picks a free port (printed on stdout).
    pub listen: SocketAddr,
    /// The server's connection: the `atendebem_app` role (no superuser, no BYPASSRLS).
    pub database_url: Secret,
    /// The owner's connection, for `migrate` and the admin console.
    pub owner_database_url: Secret,
    pub database_max_connections: u32,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    /// `json` (default) or `pretty`.
    pub log_format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub access_token_seconds: u64,
    pub refresh_token_days: u64,
    /// Argon2id memory in KiB (OWASP minimum 19 MiB = 19456).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Login attempts per minute from one IP address.
    pub login_per_ip_per_minute: u32,
    /// Login attempts per minute for one account (tenant + e-mail).
    pub login_per_account_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Largest JSON request body, bytes.
    pub max_body_bytes: usize,
    /// Largest sync WebSocket frame, bytes.
    pub max_frame_bytes: usize,
    /// Seconds a REST request may take.
    pub request_timeout_seconds: u64,
    /// Documents each instance keeps in memory between pushes (0 disables the cache).
    pub document_cache_entries: usize,
    /// Seconds between pings on an idle sync connection; silent for two is closed.
    pub sync_heartbeat_seconds: u64,
    /// Target size of one catch-up frame (documents are never split; a larger one goes alone).
    pub sync_page_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: Secret::new("postgres://atendebem_app@127.0.0.1:5432/atendebem"),
            owner_database_url: Secret::new("postgres://atendebem_owner@127.0.0.1:5432/atendebem"),
            database_max_connections: 16,
            auth: AuthSettings::default(),
            limits: LimitSettings::default(),
            log_format: "json".into(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "atendebem".into(),
            audience: "atendebem-api".into(),
            access_token_seconds: 15 * 60,
            refresh_token_days: 7,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            login_per_ip_per_minute: 30,
            login_per_account_per_minute: 12,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_frame_bytes: 16 * 1024 * 1024,
            request_timeout_seconds: 30,
            document_cache_entries: 256,
            sync_heartbeat_seconds: 30,
            sync_page_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuração inválida: {0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then the TOML file (if given), then `ATENDEBEM_*` variables
    /// (`ATENDEBEM_DATABASE_URL`, `ATENDEBEM_AUTH__ISSUER`, ...).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "arquivo {} não encontrado",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        // Only keys of these settings: other `ATENDEBEM_*` variables (the desktop's passphrase,
        // `ATENDEBEM_LOG`, `ATENDEBEM_CONFIG`) belong to someone else.
        const KNOWN: [&str; 7] = [
            "listen",
            "database_url",
            "owner_database_url",
            "database_max_connections",
            "auth",
            "limits",
            "log_format",
        ];
        let env = Env::prefixed("ATENDEBEM_").split("__").filter(|key| {
            let top = key.as_str().split('.').next().unwrap_or("");
            KNOWN.iter().any(|k| k.eq_ignore_ascii_case(top))
        });
        figment = figment.merge(env);
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let a = &self.auth;
        if a.argon2_memory_kib < 19 * 1024 || a.argon2_iterations < 2 {
            return Err(ConfigError::Invalid(
                "Argon2id abaixo do mínimo OWASP (memória ≥ 19456 KiB, iterações ≥ 2)".into(),
            ));
        }
        if !(60..=3600).contains(&a.access_token_seconds) {
            return Err(ConfigError::Invalid(
                "access_token_seconds deve ficar entre 60 e 3600".into(),
            ));
        }
        if !(1..=30).contains(&a.refresh_token_days) {
            return Err(ConfigError::Invalid(
                "refresh_token_days deve ficar entre 1 e 30".into(),
            ));
        }
        if !(1..=3600).contains(&self.limits.sync_heartbeat_seconds) {
            return Err(ConfigError::Invalid(
                "sync_heartbeat_seconds deve ficar entre 1 e 3600".into(),
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.limits.sync_page_bytes) {
            return Err(ConfigError::Invalid(
                "sync_page_bytes deve ficar entre 1024 e 67108864".into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections deve ser maior que zero".into(),
            ));
        }
        Ok(())
    }

    /// The defaults as TOML, for `print-default-config`.
    pub fn default_toml() -> String {
        let mut out = String::from(
            "# AtendeBem server configuration. Every key can also be set as an environment variable:\n\
             # ATENDEBEM_LISTEN, ATENDEBEM_DATABASE_URL, ATENDEBEM_AUTH__ACCESS_TOKEN_SECONDS, ...\n\n",
        );
        out.push_str(&toml_of(&Settings::default()));
        out
    }
}

fn toml_of(settings: &Settings) -> String {
    toml::to_string_pretty(settings).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Settings::default();
        let debug = format!("{s:?}");
        assert!(!debug.contains("atendebem_app@"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn default_toml_round_trips() {
        let text = Settings::default_toml();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, &text).expect("write");
        let loaded = Settings::load(Some(&path)).expect("load");
        assert_eq!(loaded.auth, Settings::default().auth);
        assert_eq!(loaded.listen, Settings::default().listen);
    }

    #[test]
    fn weak_argon2_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "[auth]\nargon2_memory_kib = 1024\n").expect("write");
        let err = Settings::load(Some(&path)).expect_err("weak params accepted");
        assert!(err.to_string().contains("OWASP"));
    }
}
