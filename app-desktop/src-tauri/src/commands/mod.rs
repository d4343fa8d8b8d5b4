//! Tauri commands: one per `atendebem_ipc::Command`, with the same name, one argument named
//! `input`, and `Result<Output, CommandError>` so the UI can match on a stable code and show the
//! Portuguese message next to the field it names. Work on the clinic runs on the blocking pool
//! ([`AppState::with_shell`]); the clinic's own rules (access, validation) are the core's.

mod agenda;
mod chart;
mod patients;
mod session;

pub use agenda::*;
pub use chart::*;
pub use patients::*;
pub use session::*;

use atendebem_ipc::CommandError;
use shared_model::values::ClinicTimeZone;

/// A canonical id from the UI (a bad one is a bug or a stale screen, never a person's typing).
fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, CommandError> {
    text.trim().parse().map_err(|_| {
        CommandError::new(
            "ui.bad_id",
            "Registro não encontrado; atualize a tela e tente de novo.",
        )
    })
}

/// `dd/mm/aaaa HH:MM` in the clinic's zone.
fn when(tz: &ClinicTimeZone, ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|ts| tz.format_datetime(ts))
        .unwrap_or_default()
}
