//! Tauri commands. Each returns `Result<T, CommandError>` so the UI can match on a stable code and
//! show the Portuguese message.

use serde::Serialize;

/// Error sent to the UI: a stable code and a pt-BR message.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl From<atendebem_core::CoreError> for CommandError {
    fn from(error: atendebem_core::CoreError) -> Self {
        use atendebem_core::ErrorCode;
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

/// Name, vendor and version, shown on every screen (NGS1.01.01).
#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub name: &'static str,
    pub vendor: &'static str,
    pub version: &'static str,
    pub replica_schema: i64,
}

#[tauri::command]
pub fn app_info() -> Result<AppInfo, CommandError> {
    Ok(AppInfo {
        name: "AtendeBem",
        vendor: "AtendeBem",
        version: env!("CARGO_PKG_VERSION"),
        replica_schema: atendebem_core::store::SCHEMA_VERSION,
    })
}
