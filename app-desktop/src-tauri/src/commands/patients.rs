//! Patients: search as you type and a patient's appointments.

use atendebem_ipc::{AgendaEntry, CommandError, PatientHit, PatientRef, SearchInput};
use shared_model::ids::PatientId;
use shared_model::values::Cpf;

use super::agenda::entry_view;
use super::parse_id;
use crate::state::{AppState, from_core};

/// Most results a search returns (a search is refined by typing more).
const MAX_HITS: u32 = 50;

/// Patients by name (accents and case ignored), CPF or CNS.
#[tauri::command]
pub async fn search_patients(
    state: tauri::State<'_, AppState>,
    input: SearchInput,
) -> Result<Vec<PatientHit>, CommandError> {
    let limit = input.limit.clamp(1, MAX_HITS);
    state
        .with_session(false, move |clinic, session| {
            let rows = clinic
                .search_patients(session, &input.query, limit)
                .map_err(|e| from_core(&e))?;
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

/// A patient's appointments, oldest first.
#[tauri::command]
pub async fn patient_appointments(
    state: tauri::State<'_, AppState>,
    input: PatientRef,
) -> Result<Vec<AgendaEntry>, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    state
        .with_session(false, move |clinic, session| {
            Ok(clinic
                .patient_appointments(session, patient)
                .map_err(|e| from_core(&e))?
                .into_iter()
                .map(entry_view)
                .collect())
        })
        .await
}
