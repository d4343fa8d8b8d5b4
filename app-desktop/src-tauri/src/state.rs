//! The clinic this window works on: the replica in the data directory, opened once at start.
//! Commands reach it through [`AppState::with_clinic`], off the window's thread.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atendebem_core::keys::{OsKeychain, Passphrase, PassphraseProvider, PassphrasePurpose, Prompt};
use atendebem_core::{Clinic, CoreError, KeyAccess, Replica, Session, SystemClock};
use atendebem_ipc::CommandError;
use shared_model::identity::Role;

/// Passphrases from the environment only (`ATENDEBEM_PASSPHRASE`): the window has no terminal.
/// Typing one in the first-start screen comes with it.
#[derive(Debug)]
struct EnvPassphrases;

impl PassphraseProvider for EnvPassphrases {
    fn passphrase(&self, purpose: PassphrasePurpose, _: Prompt) -> Result<Option<Passphrase>, CoreError> {
        let var = match purpose {
            PassphrasePurpose::Backup => "ATENDEBEM_BACKUP_PASSPHRASE",
            PassphrasePurpose::NewReplica | PassphrasePurpose::OpenReplica => "ATENDEBEM_PASSPHRASE",
        };
        Ok(std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Passphrase::new))
    }
}

/// Where the replica lives: `ATENDEBEM_DATA_DIR`, else `$XDG_DATA_HOME/atendebem`, else
/// `~/.local/share/atendebem` (the same rule as the command line).
fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ATENDEBEM_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|base| base.join("atendebem"))
}

pub fn from_core(error: &CoreError) -> CommandError {
    use atendebem_core::ErrorCode;
    CommandError::new(error.code(), error.to_string())
}

/// The window's state.
#[derive(Clone)]
pub struct AppState {
    clinic: Arc<Mutex<Result<Clinic, CommandError>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the replica of the data directory; the error is kept to show on screen.
    pub fn open() -> Self {
        static KEYCHAIN: OsKeychain = OsKeychain;
        static PASSPHRASES: EnvPassphrases = EnvPassphrases;
        let clinic = match data_dir() {
            None => Err(CommandError::new(
                "ui.no_data_dir",
                "Não foi possível achar a pasta de dados (defina ATENDEBEM_DATA_DIR).",
            )),
            Some(dir) if !dir.join("replica.db").exists() => Err(CommandError::new(
                "ui.no_replica",
                "Nenhuma clínica neste computador ainda: crie a clínica com \
                 'atendebem init' ou conecte-se a um servidor com 'atendebem login'.",
            )),
            Some(dir) => Replica::open(
                &dir,
                KeyAccess {
                    keychain: &KEYCHAIN,
                    passphrases: &PASSPHRASES,
                },
            )
            .and_then(|replica| Clinic::open(replica, Box::new(SystemClock)))
            .map_err(|e| from_core(&e)),
        };
        if let Err(error) = &clinic {
            tracing::warn!(code = %error.code, "réplica não aberta");
        }
        Self {
            clinic: Arc::new(Mutex::new(clinic)),
        }
    }

    /// Runs `f` with the clinic and the session of whoever works on this computer, on the
    /// blocking pool (never on the window's thread).
    pub async fn with_clinic<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Clinic, &Session) -> Result<T, CoreError> + Send + 'static,
    ) -> Result<T, CommandError> {
        let clinic = Arc::clone(&self.clinic);
        tauri::async_runtime::spawn_blocking(move || {
            let guard = clinic.lock().map_err(|_| {
                CommandError::new("ui.state", "Estado interno do aplicativo inválido; reabra-o.")
            })?;
            let clinic = guard.as_ref().map_err(Clone::clone)?;
            let session = session(clinic).map_err(|e| from_core(&e))?;
            f(clinic, &session).map_err(|e| from_core(&e))
        })
        .await
        .map_err(|_| CommandError::new("ui.state", "Estado interno do aplicativo inválido; reabra-o."))?
    }
}

/// A standalone replica works as its reception user by default; a connected one as the user
/// logged in on this computer (locked after 15 minutes without use).
fn session(clinic: &Clinic) -> Result<Session, CoreError> {
    if clinic.is_connected()? {
        clinic.terminal_session(Duration::from_secs(15 * 60))
    } else {
        clinic.session(None, Role::Staff)
    }
}
