//! The clinic this window works on: the replica of the data directory (opened once, or created
//! at first start), who works on it now, and the background sync. Commands reach the clinic
//! through [`AppState::with_shell`] / [`AppState::with_session`], always off the window's
//! thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atendebem_core::keys::{OsKeychain, Passphrase, PassphraseProvider, PassphrasePurpose, Prompt};
use atendebem_core::{Clinic, CoreError, ErrorCode, KeyAccess, Replica, Session, SystemClock};
use atendebem_ipc::{AppStatus, CommandError, LocalUser, LoginScreen, WorkingSession};
use shared_model::access::{Action, Area, decide};

use crate::sync::SyncHandle;

/// Screens lock after this long without use (shared terminals).
pub const LOCK_AFTER: Duration = Duration::from_secs(15 * 60);
/// A connected terminal's activity is written at most this often (each write is an fsync and
/// wakes the sync loop); idleness is judged from it, so locking may come this much later.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Passphrases from the environment only (`ATENDEBEM_PASSPHRASE`): the window has no terminal.
#[derive(Debug)]
pub struct EnvPassphrases;

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

pub static KEYCHAIN: OsKeychain = OsKeychain;
static PASSPHRASES: EnvPassphrases = EnvPassphrases;

/// How the replica's key is reached: the OS keychain, or `ATENDEBEM_PASSPHRASE`.
pub fn key_access() -> KeyAccess<'static> {
    KeyAccess {
        keychain: &KEYCHAIN,
        passphrases: &PASSPHRASES,
    }
}

/// Where the replica lives: `--data-dir DIR` on the command line, else `ATENDEBEM_DATA_DIR`,
/// else `$XDG_DATA_HOME/atendebem`, else `~/.local/share/atendebem` (the command line's rule).
pub fn data_dir(args: &[String]) -> Option<PathBuf> {
    if let Some(i) = args.iter().position(|a| a == "--data-dir") {
        return args.get(i + 1).map(PathBuf::from);
    }
    if let Some(dir) = args.iter().find_map(|a| a.strip_prefix("--data-dir=")) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("ATENDEBEM_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|base| base.join("atendebem"))
}

pub fn from_core(error: &CoreError) -> CommandError {
    CommandError::new(error.code(), error.to_string())
}

fn internal() -> CommandError {
    CommandError::new("ui.state", "Estado interno do aplicativo inválido; reabra-o.")
}

/// Opens the replica in `dir`.
pub fn open_clinic(dir: &Path) -> Result<Clinic, CoreError> {
    Replica::open(dir, key_access()).and_then(|replica| Clinic::open(replica, Box::new(SystemClock)))
}

/// What the window holds.
pub enum Opened {
    /// No replica yet (first start).
    Nothing,
    Ready(Box<Clinic>),
    /// The replica exists but cannot be opened; shown on screen.
    Failed(CommandError),
}

/// The clinic and who works on it.
pub struct Shell {
    pub dir: Option<PathBuf>,
    pub opened: Opened,
    /// A standalone replica: the local user chosen on the login screen (memory only).
    local_session: Option<Session>,
    /// A connected replica: the terminal's session as last read, and when it was touched.
    terminal: Option<(Session, Instant)>,
}

impl Shell {
    pub fn clinic(&mut self) -> Result<&mut Clinic, CommandError> {
        match &mut self.opened {
            Opened::Ready(clinic) => Ok(clinic),
            Opened::Failed(error) => Err(error.clone()),
            Opened::Nothing => Err(CommandError::new(
                "ui.no_replica",
                "Nenhuma clínica neste computador ainda: conecte-se a um servidor ou abra a demonstração.",
            )),
        }
    }

    /// Forgets who was working (after lock, switch or login).
    pub fn forget_session(&mut self) {
        self.local_session = None;
        self.terminal = None;
    }

    pub fn set_local_session(&mut self, session: Session) {
        self.local_session = Some(session);
    }

    /// The session of whoever works now: the chosen local user (standalone) or the terminal's
    /// user (connected; refused when nobody is logged in or the screen is locked).
    pub fn session(&mut self) -> Result<Session, CoreError> {
        let clinic = match &self.opened {
            Opened::Ready(clinic) => clinic,
            _ => return Err(not_logged_in()),
        };
        if !clinic.is_connected()? {
            return self.local_session.clone().ok_or_else(not_logged_in);
        }
        if let Some((session, touched)) = &self.terminal
            && touched.elapsed() < TOUCH_EVERY
        {
            return Ok(session.clone());
        }
        match clinic.terminal_session(LOCK_AFTER) {
            Ok(session) => {
                self.terminal = Some((session.clone(), Instant::now()));
                Ok(session)
            }
            Err(e) => {
                self.terminal = None;
                Err(e)
            }
        }
    }

    /// Which screen the window needs now.
    pub fn status(&mut self) -> AppStatus {
        let clinic = match &self.opened {
            Opened::Nothing => return AppStatus::FirstStart,
            Opened::Failed(e) => {
                return AppStatus::Failed {
                    code: e.code.clone(),
                    message: e.message.clone(),
                };
            }
            Opened::Ready(clinic) => clinic,
        };
        let clinic_name = clinic.settings().clinic_name.clone();
        let connected = match clinic.is_connected() {
            Ok(c) => c,
            Err(e) => {
                return AppStatus::Failed {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                };
            }
        };
        let local_users = if connected {
            Vec::new()
        } else {
            clinic
                .users()
                .unwrap_or_default()
                .into_iter()
                .filter(|u| u.active)
                .map(|u| LocalUser {
                    role_label: u
                        .role
                        .parse::<shared_model::identity::Role>()
                        .map(|r| r.label().to_owned())
                        .unwrap_or_default(),
                    id: u.user_id,
                    name: u.name,
                })
                .collect()
        };
        match self.session() {
            Ok(session) => AppStatus::Working(working(clinic_name, connected, &session)),
            Err(e) => AppStatus::Login(LoginScreen {
                clinic_name,
                connected,
                locked_by: (e.code() == "terminal.locked")
                    .then(|| self.locked_user())
                    .flatten(),
                local_users,
            }),
        }
    }

    fn locked_user(&self) -> Option<String> {
        let Opened::Ready(clinic) = &self.opened else {
            return None;
        };
        let status = clinic.sync_status().ok()?;
        let current = clinic.current_terminal_user().ok().flatten()?;
        status
            .accounts
            .into_iter()
            .find(|a| a.user_id == current)
            .map(|a| a.name)
    }
}

fn not_logged_in() -> CoreError {
    CoreError::Domain {
        code: "auth.not_logged_in",
        message: "ninguém está conectado neste computador; faça login".to_owned(),
    }
}

/// What the screens may offer `session` (asked of the access policy, the one place that
/// decides).
pub fn working(clinic_name: String, connected: bool, session: &Session) -> WorkingSession {
    WorkingSession {
        clinic_name,
        connected,
        user_id: session.user.to_string(),
        user_name: session.name.clone(),
        role_label: session.role.label().to_owned(),
        may_read_chart: decide(session.role, Area::ClinicalChart, Action::Read).is_allowed(),
        may_write_agenda: decide(session.role, Area::Agenda, Action::Write).is_allowed(),
        may_write_registry: decide(session.role, Area::PatientRegistry, Action::Write).is_allowed(),
        lock_after_minutes: (LOCK_AFTER.as_secs() / 60) as u32,
    }
}

/// The window's state.
#[derive(Clone)]
pub struct AppState {
    shell: Arc<Mutex<Shell>>,
    pub sync: SyncHandle,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the replica of the data directory, if there is one; the error is kept to show on
    /// screen. A connected replica starts syncing at once.
    pub fn open(args: &[String]) -> Self {
        let dir = data_dir(args);
        let opened = match &dir {
            None => Opened::Failed(CommandError::new(
                "ui.no_data_dir",
                "Não foi possível achar a pasta de dados (use --data-dir ou ATENDEBEM_DATA_DIR).",
            )),
            Some(dir) if !dir.join("replica.db").exists() => Opened::Nothing,
            Some(dir) => match open_clinic(dir) {
                Ok(clinic) => Opened::Ready(Box::new(clinic)),
                Err(e) => {
                    tracing::warn!(code = e.code(), "réplica não aberta");
                    Opened::Failed(from_core(&e))
                }
            },
        };
        let sync = SyncHandle::default();
        if let (Some(dir), Opened::Ready(clinic)) = (&dir, &opened)
            && clinic.is_connected().unwrap_or(false)
        {
            sync.start(dir.clone());
        }
        Self {
            shell: Arc::new(Mutex::new(Shell {
                dir,
                opened,
                local_session: None,
                terminal: None,
            })),
            sync,
        }
    }

    /// Runs `f` on the shell, on the blocking pool (never on the window's thread).
    pub async fn with_shell<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Shell, &SyncHandle) -> Result<T, CommandError> + Send + 'static,
    ) -> Result<T, CommandError> {
        let shell = Arc::clone(&self.shell);
        let sync = self.sync.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = shell.lock().map_err(|_| internal())?;
            f(&mut guard, &sync)
        })
        .await
        .map_err(|_| internal())?
    }

    /// Runs `f` with the clinic and the session of whoever works now. `writes`: `f` changes the
    /// replica, so the sync loop is nudged afterwards.
    pub async fn with_session<T: Send + 'static>(
        &self,
        writes: bool,
        f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CommandError> + Send + 'static,
    ) -> Result<T, CommandError> {
        self.with_shell(move |shell, sync| {
            let session = shell.session().map_err(|e| from_core(&e))?;
            let result = f(shell.clinic()?, &session);
            if writes && result.is_ok() {
                sync.nudge();
            }
            result
        })
        .await
    }
}
