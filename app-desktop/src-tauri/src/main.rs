//! AtendeBem desktop shell: Tauri 2 window and commands over `atendebem-core`. Only OS glue lives
//! here; every rule and every byte of storage is in the core.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod state;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATENDEBEM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = tauri::Builder::default()
        .manage(state::AppState::open())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::clinic_info,
            commands::search_patients
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "a janela do AtendeBem não pôde ser aberta");
        std::process::exit(1);
    }
}
