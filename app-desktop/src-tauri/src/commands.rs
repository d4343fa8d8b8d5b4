//! Tauri commands: one per `atendebem_ipc::Command`, with the same name, one argument named
//! `input`, and `Result<Output, CommandError>` so the UI can match on a stable code and show the
//! Portuguese message. Work on the clinic runs on the blocking pool ([`AppState::with_clinic`]).

use atendebem_ipc::{AppInfo, ClinicInfo, CommandError, NoInput, PatientHit, SearchInput};
use shared_model::values::Cpf;

use crate::state::AppState;

/// Most results a search returns (a search is refined by typing more).
const MAX_HITS: u32 = 50;

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

/// The clinic and who works on this computer.
#[tauri::command]
pub async fn clinic_info(
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<ClinicInfo, CommandError> {
    let NoInput {} = input;
    state
        .with_clinic(|clinic, session| {
            Ok(ClinicInfo {
                clinic_name: clinic.settings().clinic_name.clone(),
                user_name: session.name.clone(),
                role: session.role.label().to_owned(),
                connected: clinic.is_connected()?,
            })
        })
        .await
}

/// Patients by name (accents and case ignored), CPF or CNS.
#[tauri::command]
pub async fn search_patients(
    state: tauri::State<'_, AppState>,
    input: SearchInput,
) -> Result<Vec<PatientHit>, CommandError> {
    let limit = input.limit.clamp(1, MAX_HITS);
    state
        .with_clinic(move |clinic, session| {
            let rows = clinic.search_patients(session, &input.query, limit)?;
            Ok(rows
                .into_iter()
                .map(|r| PatientHit {
                    id: r.patient_id,
                    name: r.name,
                    social_name: r.social_name,
                    cpf: r
                        .cpf
                        .as_deref()
                        .and_then(|c| Cpf::parse(c).ok())
                        .map(|c| c.to_string()),
                    cns: r.cns,
                    birth_date: r
                        .birth_date
                        .as_deref()
                        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                        .map(|d| d.strftime("%d/%m/%Y").to_string()),
                })
                .collect())
        })
        .await
}
