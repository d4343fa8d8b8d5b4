//! `login`, `sync`, `conflicts`, `quarantine`, `lock`, `switch-user`: the CLI over the core's
//! sync engine and shared-terminal sessions.

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use atendebem_core::sync::{LiveSync, LoginRequest, SyncState, WatchOptions, connect_replica};
use atendebem_core::{Clinic, CoreError, Session, SystemClock};
use shared_model::identity::Role;

use crate::args::{LoginArgs, SwitchUserArgs, SyncArgs};
use crate::commands::{access, open, preference};
use crate::output;

/// Minutes of inactivity before a shared terminal locks (`ATENDEBEM_LOCK_AFTER_MINUTES`).
pub fn lock_after() -> Duration {
    let minutes = std::env::var("ATENDEBEM_LOCK_AFTER_MINUTES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(15);
    Duration::from_secs(minutes * 60)
}

/// The session a command runs as. A replica connected to a server uses the terminal's current
/// user (logged in, not locked); a standalone replica keeps `--as` / its default user.
pub fn session(clinic: &Clinic, as_user: Option<&str>, preferred: Role) -> Result<Session, CoreError> {
    if !clinic.is_connected()? {
        return clinic.session(as_user, preferred);
    }
    let session = clinic.terminal_session(lock_after())?;
    if let Some(wanted) = as_user
        && wanted != session.user.to_string()
    {
        return Err(CoreError::Domain {
            code: "terminal.other_user",
            message: "outro usuário está neste computador; use 'atendebem switch-user'".to_owned(),
        });
    }
    Ok(session)
}

fn runtime() -> Result<tokio::runtime::Runtime, CoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CoreError::Io {
            action: "iniciar a rede",
            source: e,
        })
}

/// Reads the password (and an optional new password) from standard input.
fn read_passwords(from_stdin: bool) -> Result<(String, Option<String>), CoreError> {
    if !from_stdin {
        let password = rpassword::prompt_password("Senha: ").map_err(|e| CoreError::Io {
            action: "ler a senha",
            source: e,
        })?;
        return Ok((password, None));
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut next = || -> Result<Option<String>, CoreError> {
        lines
            .next()
            .transpose()
            .map_err(|e| CoreError::Io {
                action: "ler a senha da entrada padrão",
                source: e,
            })
            .map(|l| {
                l.map(|s| s.trim_end_matches('\r').to_owned())
                    .filter(|s| !s.is_empty())
            })
    };
    let password = next()?.ok_or(CoreError::Domain {
        code: "auth.password_missing",
        message: "nenhuma senha na entrada padrão".to_owned(),
    })?;
    Ok((password, next()?))
}

pub fn login(dir: &Path, args: LoginArgs, json: bool) -> Result<(), CoreError> {
    let (password, new_password) = read_passwords(args.password_stdin)?;
    let request = LoginRequest {
        server: args.server,
        tenant: args.tenant,
        email: args.email,
        password,
        new_password,
    };
    let rt = runtime()?;
    let (clinic, outcome) = if dir.join(atendebem_core::store::DB_FILE).exists() {
        let mut clinic = open(dir)?;
        let outcome = rt.block_on(clinic.login(&request, access().keychain))?;
        (clinic, outcome)
    } else {
        rt.block_on(connect_replica(
            dir,
            preference(args.key_source),
            access(),
            &request,
            Box::new(SystemClock),
        ))?
    };
    if json {
        output::json(&serde_json::json!({
            "user_id": outcome.session.user.to_string(),
            "name": outcome.session.name,
            "role": outcome.session.role.as_str(),
            "online": outcome.online,
            "device_id": clinic.settings().device.to_string(),
            "clinic_name": clinic.settings().clinic_name,
        }))
    } else {
        let how = if outcome.online {
            "online"
        } else {
            "sem conexão (senha conferida neste computador)"
        };
        println!("Bem-vindo(a), {} — {}.", outcome.session.name, how);
        Ok(())
    }
}

pub fn switch_user(dir: &Path, args: SwitchUserArgs, json: bool) -> Result<(), CoreError> {
    let (password, _) = read_passwords(args.password_stdin)?;
    let mut clinic = open(dir)?;
    let session = clinic.login_offline(&args.email, &password)?;
    if json {
        output::json(&serde_json::json!({
            "user_id": session.user.to_string(),
            "name": session.name,
            "role": session.role.as_str(),
        }))
    } else {
        println!("Usuário atual: {}.", session.name);
        Ok(())
    }
}

pub fn lock(dir: &Path, json: bool) -> Result<(), CoreError> {
    open(dir)?.lock_terminal()?;
    if json {
        output::json(&serde_json::json!({ "locked": true }))
    } else {
        println!("Tela bloqueada.");
        Ok(())
    }
}

pub fn sync(dir: &Path, args: SyncArgs, json: bool) -> Result<(), CoreError> {
    let mut clinic = open(dir)?;
    let rt = runtime()?;
    let keychain = access().keychain;
    if !args.watch {
        let report = rt.block_on(clinic.sync_once(keychain, &mut |_| {}))?;
        return if json {
            output::json(&report)
        } else {
            println!(
                "Sincronizado: {} documentos recebidos, {} enviados, {} recusados, {} conflitos abertos, {} pendentes.",
                report.documents_received,
                report.documents_pushed,
                report.documents_refused,
                report.conflicts_open,
                report.pending_documents
            );
            Ok(())
        };
    }
    // --watch: connected until interrupted (or --for-seconds); each change of state is printed.
    let (live, mut changes) = tokio::sync::watch::channel(LiveSync::default());
    let nudge = tokio::sync::Notify::new();
    let options = WatchOptions::default();
    let limit = args.for_seconds.map(Duration::from_secs);
    rt.block_on(async {
        let stop = async {
            let limit = async {
                match limit {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = limit => {}
            }
        };
        let printer = async {
            while changes.changed().await.is_ok() {
                let now = changes.borrow_and_update().clone();
                print_live(&now, json);
            }
        };
        tokio::select! {
            result = clinic.sync_watch(keychain, &options, &live, &nudge, stop) => result,
            () = printer => Ok(()),
        }
    })
}

fn print_live(live: &LiveSync, json: bool) {
    if json {
        println!("{}", serde_json::to_string(live).unwrap_or_default());
        return;
    }
    let state = match &live.state {
        SyncState::Offline => "sem conexão com o servidor; o trabalho continua neste computador".to_owned(),
        SyncState::Connecting => "conectando".to_owned(),
        SyncState::Syncing {
            documents_done,
            documents_total,
            ..
        } => match documents_total {
            Some(total) => format!("sincronizando: {documents_done} de {total} documentos"),
            None => format!("sincronizando: {documents_done} documentos"),
        },
        SyncState::UpToDate => "em dia".to_owned(),
        SyncState::Error { message, .. } => format!("erro: {message}"),
    };
    println!(
        "{state} — {} pendentes, {} conflitos",
        live.pending_documents, live.conflicts
    );
}

pub fn conflicts(dir: &Path, as_user: Option<&str>) -> Result<(), CoreError> {
    let clinic = open(dir)?;
    session(&clinic, as_user, Role::Staff)?;
    output::json(&clinic.open_conflicts()?)
}

pub fn quarantine(dir: &Path, as_user: Option<&str>, export_unsent: bool) -> Result<(), CoreError> {
    let clinic = open(dir)?;
    let session = session(&clinic, as_user, Role::Staff)?;
    if export_unsent {
        clinic.quarantine_unsent(&session)?;
    }
    // Each person sees what was refused from them (administrators see everything).
    let items: Vec<_> = clinic
        .quarantine()?
        .into_iter()
        .filter(|q| session.role == Role::Admin || q.user_id.as_deref() == Some(&session.user.to_string()))
        .collect();
    output::json(&items)
}
