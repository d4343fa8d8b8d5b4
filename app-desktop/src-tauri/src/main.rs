//! AtendeBem desktop shell: Tauri 2 window and commands over `atendebem-core`. Only OS glue lives
//! here; every rule and every byte of storage is in the core.
//!
//! `atendebem-desktop [--data-dir DIR]`: the replica's folder (else `ATENDEBEM_DATA_DIR`, else the
//! user's data folder).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod state;
mod sync;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATENDEBEM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = tauri::Builder::default()
        .manage(state::AppState::open(&args))
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::app_status,
            commands::start_demo,
            commands::connect_server,
            commands::login,
            commands::login_local,
            commands::lock,
            commands::switch_user,
            commands::sync_state,
            commands::sync_details,
            commands::search_patients,
            commands::register_patient,
            commands::patient_form,
            commands::update_patient,
            commands::patient_appointments,
            commands::professionals,
            commands::agenda_day,
            commands::agenda_week,
            commands::book,
            commands::reschedule,
            commands::set_status,
            commands::chart_timeline,
            commands::add_note,
            commands::sign_entry,
            commands::amend_entry,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "a janela do AtendeBem não pôde ser aberta");
        std::process::exit(1);
    }
}
