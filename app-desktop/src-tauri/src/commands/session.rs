//! First start, login, lock and user switch, and the sync indicator.

use atendebem_core::demo::{self, DemoOptions};
use atendebem_core::keys::KeyPreference;
use atendebem_core::sync::{LoginRequest, SyncState, connect_replica};
use atendebem_core::{Clinic, CoreError, Replica, SystemClock};
use atendebem_ipc::{
    AppInfo, AppStatus, CommandError, ConflictView, ConnectInput, LocalLoginInput, LoginInput, NoInput,
    QuarantineView, SyncDetails, SyncEstado, SyncView,
};
use shared_model::identity::Role;
use shared_model::values::ClinicTimeZone;
use tauri::Manager;

use super::when;
use crate::state::{AppState, KEYCHAIN, Opened, Shell, from_core, key_access};

/// Patients in the demo clinic (a busy small clinic; the command line makes bigger ones).
const DEMO_PATIENTS: u32 = 500;

/// Name, vendor and version, shown on every screen (NGS1.01.01).
#[tauri::command]
pub fn app_info(input: NoInput) -> Result<AppInfo, CommandError> {
    let NoInput {} = input;
    Ok(AppInfo {
        name: "AtendeBem".to_owned(),
        vendor: "AtendeBem".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        replica_schema: atendebem_core::store::SCHEMA_VERSION,
    })
}

/// Which screen the window needs; the window's title names who is logged in.
#[tauri::command]
pub async fn app_status(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<AppStatus, CommandError> {
    let NoInput {} = input;
    screen(&app, &state, |shell, _| Ok(shell.status())).await
}

/// Runs `f` (which decides the next screen) and titles the window after it.
async fn screen(
    app: &tauri::AppHandle,
    state: &AppState,
    f: impl FnOnce(&mut Shell, &crate::sync::SyncHandle) -> Result<AppStatus, CommandError> + Send + 'static,
) -> Result<AppStatus, CommandError> {
    let status = state.with_shell(f).await?;
    set_title(app, &status);
    Ok(status)
}

fn set_title(app: &tauri::AppHandle, status: &AppStatus) {
    let title = match status {
        AppStatus::Working(w) => w.title(),
        AppStatus::Login(l) if l.locked_by.is_some() => "AtendeBem — tela bloqueada".to_owned(),
        _ => "AtendeBem".to_owned(),
    };
    for window in app.webview_windows().values() {
        if let Err(error) = window.set_title(&title) {
            tracing::debug!(%error, "título da janela");
        }
    }
}

/// Runs an async core operation to completion on this (blocking-pool) thread.
fn block_on<T>(future: impl std::future::Future<Output = Result<T, CoreError>>) -> Result<T, CommandError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("ui.runtime", format!("Falha interna ao conectar ({e}).")))?
        .block_on(future)
        .map_err(|e| login_error(&e))
}

/// A login's error, on the field that caused it.
fn login_error(error: &CoreError) -> CommandError {
    let e = from_core(error);
    let field = match e.code.as_str() {
        "sync.bad_server_url"
        | "sync.unreachable"
        | "sync.timeout"
        | "sync.server_required"
        | "sync.other_server" => "servidor-url",
        "sync.tenant_required" | "sync.other_clinic" => "servidor-clinica",
        "auth.password_change_required" | "auth.weak_password" | "auth.password_policy" => "login-nova-senha",
        "auth.offline_unknown_user" => "login-email",
        _ => "login-senha",
    };
    e.on(field)
}

fn data_dir(shell: &Shell) -> Result<std::path::PathBuf, CommandError> {
    shell.dir.clone().ok_or_else(|| {
        CommandError::new(
            "ui.no_data_dir",
            "Não foi possível achar a pasta de dados (use --data-dir ou ATENDEBEM_DATA_DIR).",
        )
    })
}

fn first_start_only(shell: &Shell) -> Result<(), CommandError> {
    if matches!(shell.opened, Opened::Nothing) {
        Ok(())
    } else {
        Err(CommandError::new(
            "ui.already_set_up",
            "Este computador já tem uma clínica.",
        ))
    }
}

/// First start: a standalone demo clinic on this computer; then the login screen lists its
/// users.
#[tauri::command]
pub async fn start_demo(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<AppStatus, CommandError> {
    let NoInput {} = input;
    screen(&app, &state, |shell, _| {
        first_start_only(shell)?;
        let dir = data_dir(shell)?;
        let mut clinic = Replica::create(&dir, KeyPreference::Auto, key_access())
            .and_then(|replica| {
                Clinic::init(
                    replica,
                    "Clínica Demonstração AtendeBem",
                    ClinicTimeZone::default_brazil(),
                    Box::new(SystemClock),
                )
            })
            .map_err(|e| from_core(&e))?;
        let admin = clinic.session(None, Role::Admin).map_err(|e| from_core(&e))?;
        demo::generate(
            &mut clinic,
            &admin,
            DemoOptions {
                patients: DEMO_PATIENTS,
                seed: 2026,
                months: 3,
            },
        )
        .map_err(|e| from_core(&e))?;
        shell.opened = Opened::Ready(Box::new(clinic));
        shell.forget_session();
        Ok(shell.status())
    })
    .await
}

/// First start: this computer becomes a device of a server's clinic; the first login is online.
#[tauri::command]
pub async fn connect_server(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: ConnectInput,
) -> Result<AppStatus, CommandError> {
    screen(&app, &state, move |shell, sync| {
        first_start_only(shell)?;
        let dir = data_dir(shell)?;
        if input.server.trim().is_empty() {
            return Err(
                CommandError::new("sync.server_required", "Informe o endereço do servidor.")
                    .on("servidor-url"),
            );
        }
        if input.tenant.trim().is_empty() {
            return Err(
                CommandError::new("sync.tenant_required", "Informe a clínica.").on("servidor-clinica")
            );
        }
        let request = LoginRequest {
            server: Some(input.server.trim().to_owned()),
            tenant: Some(input.tenant.trim().to_owned()),
            email: input.email,
            password: input.password,
            new_password: input.new_password.filter(|p| !p.is_empty()),
        };
        let (clinic, _outcome) = block_on(connect_replica(
            &dir,
            KeyPreference::Auto,
            key_access(),
            &request,
            Box::new(SystemClock),
        ))?;
        shell.opened = Opened::Ready(Box::new(clinic));
        Ok(after_login(shell, sync))
    })
    .await
}

/// After an online (or offline) login on a connected replica: the session is read afresh, the
/// sync loop runs (started if needed) and widens to the new account.
fn after_login(shell: &mut Shell, sync: &crate::sync::SyncHandle) -> AppStatus {
    shell.forget_session();
    if let Some(dir) = shell.dir.clone() {
        sync.start(dir);
    }
    sync.logged_in();
    shell.status()
}

/// Login on a connected computer: online when the server answers, else offline for users who
/// logged in here before (NGS1.02.01).
#[tauri::command]
pub async fn login(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: LoginInput,
) -> Result<AppStatus, CommandError> {
    screen(&app, &state, move |shell, sync| {
        let request = LoginRequest {
            server: None,
            tenant: None,
            email: input.email,
            password: input.password,
            new_password: input.new_password.filter(|p| !p.is_empty()),
        };
        block_on(shell.clinic()?.login(&request, &KEYCHAIN))?;
        Ok(after_login(shell, sync))
    })
    .await
}

/// Login on a standalone computer: one of its local users (the replica itself is protected by
/// the OS keychain or its passphrase).
#[tauri::command]
pub async fn login_local(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: LocalLoginInput,
) -> Result<AppStatus, CommandError> {
    screen(&app, &state, move |shell, _| {
        let clinic = shell.clinic()?;
        if clinic.is_connected().map_err(|e| from_core(&e))? {
            return Err(CommandError::new(
                "auth.password_required",
                "Neste computador o login é com e-mail e senha.",
            ));
        }
        let session = clinic
            .session(Some(&input.user_id), Role::Staff)
            .map_err(|e| from_core(&e))?;
        shell.set_local_session(session);
        Ok(shell.status())
    })
    .await
}

fn lock_now(shell: &mut Shell) -> Result<AppStatus, CommandError> {
    let clinic = shell.clinic()?;
    if clinic.is_connected().map_err(|e| from_core(&e))? {
        clinic.lock_terminal().map_err(|e| from_core(&e))?;
    }
    shell.forget_session();
    Ok(shell.status())
}

/// Locks the screen (after inactivity, or by hand); the user's session stays behind their
/// password.
#[tauri::command]
pub async fn lock(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<AppStatus, CommandError> {
    let NoInput {} = input;
    screen(&app, &state, |shell, _| lock_now(shell)).await
}

/// Another user takes the computer: the screen locks and the login screen opens.
#[tauri::command]
pub async fn switch_user(
    app: tauri::AppHandle,
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<AppStatus, CommandError> {
    let NoInput {} = input;
    screen(&app, &state, |shell, _| {
        let mut status = lock_now(shell)?;
        // A switch is not a lock: the login screen opens empty.
        if let AppStatus::Login(screen) = &mut status {
            screen.locked_by = None;
        }
        Ok(status)
    })
    .await
}

/// The sync indicator: the loop's state, and the replica's own counters (always current, even
/// while the loop waits to retry).
#[tauri::command]
pub async fn sync_state(state: tauri::State<'_, AppState>, input: NoInput) -> Result<SyncView, CommandError> {
    let NoInput {} = input;
    state
        .with_shell(|shell, sync| {
            let clinic = shell.clinic()?;
            let status = clinic.sync_status().map_err(|e| from_core(&e))?;
            if !status.connected {
                return Ok(SyncView::local());
            }
            let live = sync.live();
            let (estado, recebidos, total, mensagem) = match live.state {
                SyncState::Offline => (SyncEstado::Offline, 0, None, None),
                SyncState::Connecting => (SyncEstado::Conectando, 0, None, None),
                SyncState::Syncing {
                    documents_done,
                    documents_total,
                    ..
                } => (SyncEstado::Sincronizando, documents_done, documents_total, None),
                SyncState::UpToDate => (SyncEstado::EmDia, 0, None, None),
                SyncState::Error { message, .. } => (SyncEstado::Erro, 0, None, Some(message)),
            };
            let tz = &clinic.settings().time_zone;
            Ok(SyncView {
                estado,
                pendentes: status.pending_documents,
                conflitos: status.conflicts,
                quarentena: status.quarantined,
                recebidos,
                total,
                ultima: status.last_sync_ms.map(|ms| when(tz, ms)),
                mensagem,
                versao: live.documents_received,
            })
        })
        .await
}

/// What a conflict's kind means to people.
fn conflict_text(kind: &str) -> &'static str {
    match kind {
        "agenda.double_booking" => "Dois agendamentos no mesmo horário",
        "chart.concurrent_draft_edit" => "Rascunho de prontuário alterado em dois computadores",
        _ => "Alterações simultâneas em dois computadores",
    }
}

/// The lists behind the indicator.
#[tauri::command]
pub async fn sync_details(
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<SyncDetails, CommandError> {
    let NoInput {} = input;
    state
        .with_session(false, |clinic, _session| {
            let tz = clinic.settings().time_zone.clone();
            let conflicts = clinic
                .open_conflicts()
                .map_err(|e| from_core(&e))?
                .into_iter()
                .map(|c| ConflictView {
                    description: format!("{} ({})", conflict_text(&c.kind), when(&tz, c.detected_at_ms)),
                    day: None,
                    id: c.id,
                })
                .collect();
            let quarantine = clinic
                .quarantine()
                .map_err(|e| from_core(&e))?
                .into_iter()
                .map(|q| QuarantineView {
                    what: describe_key(&q.doc_key),
                    reason: q.message,
                    at: when(&tz, q.at_ms),
                    id: q.id,
                })
                .collect();
            Ok(SyncDetails {
                conflicts,
                quarantine,
            })
        })
        .await
}

/// A document key as people call it (never a patient's data: the key holds ids only).
fn describe_key(key: &str) -> String {
    match key.split('/').next() {
        Some("registry") => "Cadastro de paciente".to_owned(),
        Some("chart") => "Prontuário".to_owned(),
        Some("agenda") => "Agenda".to_owned(),
        Some("directory") => "Profissionais da clínica".to_owned(),
        _ => "Documento".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_errors_land_on_the_field_that_caused_them() {
        let wrong = CoreError::Domain {
            code: "auth.invalid_credentials",
            message: "e-mail ou senha incorretos".to_owned(),
        };
        assert_eq!(login_error(&wrong).field.as_deref(), Some("login-senha"));
        let change = CoreError::Domain {
            code: "auth.password_change_required",
            message: "x".to_owned(),
        };
        assert_eq!(login_error(&change).field.as_deref(), Some("login-nova-senha"));
    }

    #[test]
    fn document_keys_are_described_without_ids() {
        assert_eq!(
            describe_key("chart/0190f0a0-0000-7000-8000-000000000000"),
            "Prontuário"
        );
        assert_eq!(describe_key("agenda/x/2026-12"), "Agenda");
    }
}
