//! Tauri commands: one per `atendebem_ipc::Command`, with the same name, one argument named
//! `input`, and `Result<Output, CommandError>` so the UI can match on a stable code and show the
//! Portuguese message.

use atendebem_ipc::{AppInfo, Command, CommandError, GetAppInfo, NoInput};

/// Name, vendor and version, shown on every screen (NGS1.01.01).
#[tauri::command]
pub fn app_info(input: NoInput) -> Result<<GetAppInfo as Command>::Output, CommandError> {
    let NoInput {} = input;
    Ok(AppInfo {
        name: "AtendeBem".to_owned(),
        vendor: "AtendeBem".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        replica_schema: atendebem_core::store::SCHEMA_VERSION,
    })
}
