//! The desktop's command surface, typed once for both sides: the Tauri shell implements each
//! [`Command`], the Leptos UI calls it through one generic wrapper. No page holds a command
//! name as a string. Builds for wasm32 (serde only).
//!
//! Ids travel as their canonical UUID text; dates as `YYYY-MM-DD` unless a field says
//! otherwise (forms send what the person typed, `dd/mm/aaaa`, and the shell parses it so the
//! error lands on that field).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod types;
pub use types::*;

/// One Tauri command: its name, what it takes and what it returns. Every command takes one
/// argument named `input` (Tauri renames argument keys; one fixed name avoids surprises).
pub trait Command {
    const NAME: &'static str;
    type Input: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

/// What the UI receives when a command fails: a stable code to react on and a pt-BR message
/// to show next to what caused it (`field` names it when it is a form field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl CommandError {
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    /// The same error, attached to a form field.
    #[must_use]
    pub fn on(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

macro_rules! commands {
    ($($(#[$meta:meta])* $ty:ident = $name:literal : $input:ty => $output:ty;)+) => {
        $(
            $(#[$meta])*
            #[derive(Debug)]
            pub enum $ty {}

            impl Command for $ty {
                const NAME: &'static str = $name;
                type Input = $input;
                type Output = $output;
            }
        )+

        /// Every command's name, for the test that the shell registers them all.
        pub const ALL: &[&str] = &[$($name),+];
    };
}

commands! {
    /// Name, vendor and version, shown on every screen (NGS1.01.01).
    GetAppInfo = "app_info": NoInput => AppInfo;
    /// Which screen the window needs: first start, login/lock, or work (with who is working).
    GetStatus = "app_status": NoInput => AppStatus;
    /// First start: a standalone clinic with demo data on this computer.
    StartDemo = "start_demo": NoInput => AppStatus;
    /// First start: this computer becomes a device of a server's clinic (first login online).
    ConnectServer = "connect_server": ConnectInput => AppStatus;
    /// Login on a connected computer: online, or offline for users known here.
    Login = "login": LoginInput => AppStatus;
    /// Login on a standalone computer: choose one of its local users.
    LoginLocal = "login_local": LocalLoginInput => AppStatus;
    /// Locks the screen (the session stays behind the user's password).
    Lock = "lock": NoInput => AppStatus;
    /// Leaves the screen for another user to log in (the session is locked, not ended).
    SwitchUser = "switch_user": NoInput => AppStatus;
    /// The sync indicator's state.
    GetSyncState = "sync_state": NoInput => SyncView;
    /// The lists behind the indicator: open conflicts and refused (quarantined) changes.
    GetSyncDetails = "sync_details": NoInput => SyncDetails;
    /// Patients by name (accents and case ignored), CPF or CNS.
    SearchPatients = "search_patients": SearchInput => Vec<PatientHit>;
    /// Registers a patient with the LGPD consent decisions.
    RegisterPatient = "register_patient": RegisterInput => PatientHit;
    /// A patient's registration as the form shows it (to edit it).
    GetPatientForm = "patient_form": PatientRef => RegisterInput;
    /// Corrects a registration; changed consent answers become new consent records.
    UpdatePatient = "update_patient": UpdatePatientInput => PatientHit;
    /// A patient's upcoming and past appointments.
    PatientAppointments = "patient_appointments": PatientRef => Vec<AgendaEntry>;
    /// The clinic's professionals (for the agenda's filters and the booking form).
    ListProfessionals = "professionals": NoInput => Vec<ProfessionalOption>;
    /// One day's agenda, of one professional or the whole clinic.
    GetAgendaDay = "agenda_day": AgendaQuery => AgendaDay;
    /// Seven days from Monday of the given day's week.
    GetAgendaWeek = "agenda_week": AgendaQuery => Vec<AgendaDay>;
    /// Books an appointment.
    Book = "book": BookInput => AgendaEntry;
    /// Moves an appointment to another time (and/or professional): a new booking and the old
    /// one cancelled, in one step.
    Reschedule = "reschedule": RescheduleInput => AgendaEntry;
    /// Confirm, check in, no-show, cancel.
    SetStatus = "set_status": StatusInput => AgendaEntry;
    /// A patient's chart: the timeline of records (professionals only).
    ChartTimeline = "chart_timeline": PatientRef => ChartView;
    /// A new evolution note, as a draft.
    AddNote = "add_note": NoteInput => ChartEntry;
    /// Signs (locks) a draft.
    SignEntry = "sign_entry": EntryRef => ChartEntry;
    /// Corrects a signed record: a new version with a mandatory reason.
    AmendEntry = "amend_entry": AmendInput => ChartEntry;
}

/// No input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoInput {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_footer_names_the_product_and_version() {
        let info = AppInfo {
            name: "AtendeBem".into(),
            vendor: "AtendeBem".into(),
            version: "0.1.0".into(),
            replica_schema: 4,
        };
        assert_eq!(info.footer(), "AtendeBem versão 0.1.0");
    }

    #[test]
    fn errors_travel_as_code_message_and_field() {
        let plain = serde_json::to_value(CommandError::new(
            "cpf.check_digit",
            "dígito verificador do CPF inválido",
        ))
        .unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"code": "cpf.check_digit", "message": "dígito verificador do CPF inválido"})
        );
        let back: CommandError =
            serde_json::from_value(serde_json::json!({"code": "a", "message": "b", "field": "cpf"})).unwrap();
        assert_eq!(back.field.as_deref(), Some("cpf"));
    }

    #[test]
    fn command_names_are_unique_snake_case() {
        let mut names = ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "nomes repetidos");
        assert!(
            ALL.iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn the_week_title_and_sync_labels_are_portuguese() {
        let view = SyncView::local();
        assert_eq!(view.estado, SyncEstado::Local);
        assert_eq!(view.label(), "Somente neste computador");
        let offline = SyncView {
            estado: SyncEstado::Offline,
            pendentes: 2,
            ..SyncView::local()
        };
        assert_eq!(offline.label(), "Sem conexão — 2 alterações a enviar");
    }
}
