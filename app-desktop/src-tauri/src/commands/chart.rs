//! The chart (professionals only: the core refuses everyone else, `access.denied`): the
//! timeline, a new evolution note as a draft, signing, and amendments with a reason.

use std::collections::HashMap;

use atendebem_core::services::NoteRequest;
use atendebem_core::{Clinic, Session};
use atendebem_ipc::{
    AmendInput, ChartEntry, ChartVersion, ChartView, CommandError, EntryRef, NoteInput, PatientRef,
};
use shared_model::charting::{ClinicalEntry, EntryKind, EntryStatus};
use shared_model::ids::{EntryId, PatientId};
use shared_model::values::ClinicTimeZone;

use super::parse_id;
use crate::state::{AppState, from_core};

struct Names(HashMap<String, String>);

impl Names {
    fn of(clinic: &Clinic) -> Self {
        Self(
            clinic
                .users()
                .unwrap_or_default()
                .into_iter()
                .map(|u| (u.user_id, u.name))
                .collect(),
        )
    }

    fn get(&self, id: &str) -> String {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| "Profissional".to_owned())
    }
}

fn view(
    entry: &ClinicalEntry,
    history: Vec<ChartVersion>,
    session: &Session,
    names: &Names,
    tz: &ClinicTimeZone,
) -> ChartEntry {
    ChartEntry {
        id: entry.id.to_string(),
        kind: entry.kind.as_str().to_owned(),
        kind_label: entry.kind.label().to_owned(),
        status: match entry.status {
            EntryStatus::Draft => "draft",
            EntryStatus::Signed => "signed",
        }
        .to_owned(),
        text: entry.text.clone(),
        author_name: names.get(&entry.author.to_string()),
        written_at: tz.format_datetime(entry.created_at),
        signed_at: entry.signed_at.map(|t| tz.format_datetime(t)),
        mine: entry.author == session.user,
        amendment_reason: entry.amendment_reason.clone(),
        history,
    }
}

fn chart_error(error: &atendebem_core::CoreError) -> CommandError {
    let e = from_core(error);
    match e.code.as_str() {
        "chart.text_empty" => e.on("nova-evolucao"),
        "chart.amendment_reason_required" => e.on("corrigir-motivo"),
        _ => e,
    }
}

/// The patient's chart, newest first.
#[tauri::command]
pub async fn chart_timeline(
    state: tauri::State<'_, AppState>,
    input: PatientRef,
) -> Result<ChartView, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    state
        .with_session(false, move |clinic, session| {
            let all = clinic
                .chart_entries(session, patient)
                .map_err(|e| from_core(&e))?;
            let items = shared_model::charting::timeline(&all, None);
            let patient_name = clinic
                .patient(session, patient)
                .map(|p| p.display_name().to_string())
                .map_err(|e| from_core(&e))?;
            let names = Names::of(clinic);
            let tz = clinic.settings().time_zone.clone();
            let by_id: HashMap<EntryId, &ClinicalEntry> = all.iter().map(|e| (e.id, e)).collect();
            let mut kinds: Vec<(String, String)> = Vec::new();
            let entries = items
                .iter()
                .map(|item| {
                    let history = item
                        .superseded
                        .iter()
                        .filter_map(|id| by_id.get(id))
                        .map(|old| ChartVersion {
                            id: old.id.to_string(),
                            text: old.text.clone(),
                            written_at: tz.format_datetime(old.created_at),
                            amendment_reason: old.amendment_reason.clone(),
                        })
                        .collect();
                    let kind = (
                        item.current.kind.as_str().to_owned(),
                        item.current.kind.label().to_owned(),
                    );
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                    view(&item.current, history, session, &names, &tz)
                })
                .collect();
            Ok(ChartView {
                patient_name,
                entries,
                kinds,
            })
        })
        .await
}

/// A new evolution note, as a draft of the session's professional.
#[tauri::command]
pub async fn add_note(
    state: tauri::State<'_, AppState>,
    input: NoteInput,
) -> Result<ChartEntry, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    if input.text.trim().is_empty() {
        return Err(
            CommandError::new("chart.text_empty", "Escreva a evolução antes de salvar.").on("nova-evolucao"),
        );
    }
    state
        .with_session(true, move |clinic, session| {
            let entry = clinic
                .add_note(
                    session,
                    patient,
                    NoteRequest {
                        kind: EntryKind::Evolution,
                        text: input.text,
                        cid10: Vec::new(),
                        sign: false,
                    },
                )
                .map_err(|e| chart_error(&e))?;
            let tz = clinic.settings().time_zone.clone();
            Ok(view(&entry, Vec::new(), session, &Names::of(clinic), &tz))
        })
        .await
}

/// Signs (locks) a draft of the session's user.
#[tauri::command]
pub async fn sign_entry(
    state: tauri::State<'_, AppState>,
    input: EntryRef,
) -> Result<ChartEntry, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    let entry: EntryId = parse_id(&input.entry_id)?;
    state
        .with_session(true, move |clinic, session| {
            let signed = clinic
                .sign_entry(session, patient, entry)
                .map_err(|e| chart_error(&e))?;
            let tz = clinic.settings().time_zone.clone();
            Ok(view(&signed, Vec::new(), session, &Names::of(clinic), &tz))
        })
        .await
}

/// Corrects a signed record: a new signed version with the reason (NGS1.12.01).
#[tauri::command]
pub async fn amend_entry(
    state: tauri::State<'_, AppState>,
    input: AmendInput,
) -> Result<ChartEntry, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    let entry: EntryId = parse_id(&input.entry_id)?;
    if input.reason.trim().is_empty() {
        return Err(
            CommandError::new("chart.amendment_reason_required", "Informe o motivo da correção.")
                .on("corrigir-motivo"),
        );
    }
    state
        .with_session(true, move |clinic, session| {
            let amended = clinic
                .amend_entry(session, patient, entry, &input.text, &input.reason)
                .map_err(|e| chart_error(&e))?;
            let tz = clinic.settings().time_zone.clone();
            Ok(view(&amended, Vec::new(), session, &Names::of(clinic), &tz))
        })
        .await
}
