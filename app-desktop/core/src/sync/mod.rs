//! The desktop sync engine (ADR 0006): logs users in against the server (online, or offline for
//! users who logged in online on this device before), and exchanges documents with the server's
//! `/v1/sync` change log. Local writes never wait for it: services only mark documents pending.
//!
//! **Invariants**
//! - A document's `server_heads` only ever name changes the server acknowledged or sent.
//! - The cursor advances only in the transaction that stores the frame it came with.
//! - Each user's changes are pushed under that user's own session; a change the server refuses
//!   is moved to the quarantine (never silently lost) and the document goes back to the
//!   server-accepted state plus the local changes that did not depend on it.

pub mod client;
mod engine;
mod login;
mod watch;

pub use engine::{AccountStatus, QuarantineItem, SyncReport, SyncState, SyncStatus};
pub use login::{LoginOutcome, LoginRequest, connect_replica};
pub use watch::{LiveSync, WatchOptions};

use shared_model::ErrorCode;

use crate::error::CoreError;

/// Meta keys of a connected replica.
pub(crate) mod meta {
    pub const SERVER_URL: &str = "server_url";
    pub const TENANT_SLUG: &str = "tenant_slug";
    pub const CURSOR: &str = "sync_cursor";
    /// The document kinds the cursor was reached with (a user who may see more restarts at 0).
    pub const SCOPE: &str = "sync_scope";
    pub const LAST_SYNC_MS: &str = "last_sync_ms";
    pub const LAST_ERROR: &str = "last_sync_error";
}

/// What went wrong talking to the server. Messages are pt-BR; codes are stable.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("endereço do servidor inválido: use http://servidor:porta ou https://servidor")]
    BadServerUrl,
    #[error(
        "servidor inacessível; o trabalho continua neste computador e será enviado quando a conexão voltar"
    )]
    Unreachable,
    #[error("a conexão com o servidor caiu; o trabalho continua neste computador")]
    ConnectionLost,
    #[error("o servidor não respondeu a tempo")]
    Timeout,
    #[error("dados da sincronização se perderam no caminho; ela recomeça do último ponto salvo")]
    FrameLost,
    #[error("resposta inesperada do servidor ({0})")]
    Protocol(&'static str),
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
}

/// Server error codes the desktop knows (anything else is `sync.server_error`).
const SERVER_CODES: &[&str] = &[
    "auth.device_revoked",
    "auth.invalid_credentials",
    "auth.lockout",
    "auth.missing_token",
    "auth.password_change_required",
    "auth.rate_limited",
    "auth.refresh_invalid",
    "auth.refresh_reused",
    "auth.session_ended",
    "auth.token_expired",
    "auth.token_invalid",
    "auth.wrong_password",
    "password.same_as_current",
    "password.same_as_previous",
    "password.too_long",
    "password.too_weak",
    "sync.unsupported_version",
    "sync.frame_gap",
    "sync.malformed_frame",
    "sync.protocol",
];

impl ErrorCode for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::BadServerUrl => "sync.bad_server_url",
            SyncError::Unreachable => "sync.unreachable",
            SyncError::ConnectionLost => "sync.connection_lost",
            SyncError::Timeout => "sync.timeout",
            SyncError::FrameLost => "sync.frame_lost",
            SyncError::Protocol(_) => "sync.protocol",
            SyncError::Server { code, .. } => SERVER_CODES
                .iter()
                .find(|c| **c == code.as_str())
                .copied()
                .unwrap_or("sync.server_error"),
        }
    }
}

/// Whether an error code means the server ended the session for good: the user must log in
/// online again.
#[must_use]
pub fn ends_session(code: &str) -> bool {
    matches!(
        code,
        "auth.device_revoked"
            | "auth.refresh_invalid"
            | "auth.refresh_reused"
            | "auth.session_ended"
            | "auth.invalid_credentials"
            | "auth.lockout"
            | "auth.password_change_required"
    )
}

/// Whether an error code means the server could not be reached, or the link lost data on the
/// way (as opposed to the server refusing something): local work simply continues and the next
/// round starts again from the stored cursor.
#[must_use]
pub fn is_offline(code: &str) -> bool {
    matches!(
        code,
        "sync.unreachable" | "sync.connection_lost" | "sync.timeout" | "sync.frame_lost" | "sync.frame_gap"
    )
}

impl From<SyncError> for CoreError {
    fn from(error: SyncError) -> Self {
        CoreError::domain(error)
    }
}
