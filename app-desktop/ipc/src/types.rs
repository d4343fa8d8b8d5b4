//! The commands' inputs and outputs.

use serde::{Deserialize, Serialize};

/// Name, vendor and version, shown on every screen (NGS1.01.01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub replica_schema: i64,
}

impl AppInfo {
    /// The footer line: `AtendeBem versão 0.1.0`.
    #[must_use]
    pub fn footer(&self) -> String {
        format!("{} versão {}", self.name, self.version)
    }
}

/// Which screen the window shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum AppStatus {
    /// No clinic on this computer yet: connect to a server or start the demo.
    FirstStart,
    /// The clinic is here; someone must log in (or unlock).
    Login(LoginScreen),
    /// Someone is working.
    Working(WorkingSession),
    /// The replica could not be opened (wrong key, damaged, newer file): nothing else works.
    Failed { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginScreen {
    pub clinic_name: String,
    /// Connected to a server: e-mail and password. Standalone: choose a local user.
    pub connected: bool,
    /// The screen was locked by (or for) this user.
    pub locked_by: Option<String>,
    /// Standalone: the users to choose from.
    pub local_users: Vec<LocalUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUser {
    pub id: String,
    pub name: String,
    pub role_label: String,
}

/// Who works now, and what the screens may offer them (from the access policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingSession {
    pub clinic_name: String,
    pub connected: bool,
    pub user_id: String,
    pub user_name: String,
    /// `Recepção`, `Profissional de saúde`, …
    pub role_label: String,
    /// May open charts (professionals).
    pub may_read_chart: bool,
    /// May book and change appointments.
    pub may_write_agenda: bool,
    /// May register patients.
    pub may_write_registry: bool,
    /// Minutes without use after which the screen locks.
    pub lock_after_minutes: u32,
}

impl WorkingSession {
    /// The header line: `Clínica — Nome (Papel)`.
    #[must_use]
    pub fn header(&self) -> String {
        format!("{} — {} ({})", self.clinic_name, self.user_name, self.role_label)
    }

    /// The window's title.
    #[must_use]
    pub fn title(&self) -> String {
        format!("AtendeBem — {}", self.user_name)
    }
}

/// First login of this computer with a server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectInput {
    pub server: String,
    pub tenant: String,
    pub email: String,
    pub password: String,
    /// Required by the server at a user's first access.
    pub new_password: Option<String>,
}

impl std::fmt::Debug for ConnectInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectInput")
            .field("server", &self.server)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub new_password: Option<String>,
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginInput").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalLoginInput {
    pub user_id: String,
}

/// The sync indicator's states (the codes are the `data-estado` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncEstado {
    /// A standalone clinic: nothing to sync.
    Local,
    Offline,
    Conectando,
    Sincronizando,
    EmDia,
    Erro,
}

impl SyncEstado {
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Offline => "offline",
            Self::Conectando => "conectando",
            Self::Sincronizando => "sincronizando",
            Self::EmDia => "em-dia",
            Self::Erro => "erro",
        }
    }
}

/// The sync indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    pub estado: SyncEstado,
    /// Documents with changes the server does not have yet.
    pub pendentes: u64,
    pub conflitos: u64,
    pub quarentena: u64,
    /// While syncing: documents received of about how many.
    pub recebidos: u64,
    pub total: Option<u64>,
    /// `dd/mm/aaaa HH:MM` of the last exchange with the server.
    pub ultima: Option<String>,
    /// The error's message, when `estado` is `erro`.
    pub mensagem: Option<String>,
    /// Moves whenever documents arrive: screens reload when it changes.
    pub versao: u64,
}

impl SyncView {
    /// A standalone clinic.
    #[must_use]
    pub const fn local() -> Self {
        Self {
            estado: SyncEstado::Local,
            pendentes: 0,
            conflitos: 0,
            quarentena: 0,
            recebidos: 0,
            total: None,
            ultima: None,
            mensagem: None,
            versao: 0,
        }
    }

    /// The indicator's text.
    #[must_use]
    pub fn label(&self) -> String {
        let pending = match self.pendentes {
            0 => String::new(),
            1 => " — 1 alteração a enviar".to_owned(),
            n => format!(" — {n} alterações a enviar"),
        };
        match self.estado {
            SyncEstado::Local => "Somente neste computador".to_owned(),
            SyncEstado::Offline => format!("Sem conexão{pending}"),
            SyncEstado::Conectando => format!("Conectando…{pending}"),
            SyncEstado::Sincronizando => match self.total {
                Some(total) => format!("Sincronizando {} de {total}", self.recebidos.min(total)),
                None => "Sincronizando…".to_owned(),
            },
            SyncEstado::EmDia => format!("Em dia{pending}"),
            SyncEstado::Erro => format!(
                "Erro na sincronização: {}",
                self.mensagem.as_deref().unwrap_or("tente de novo")
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDetails {
    pub conflicts: Vec<ConflictView>,
    pub quarantine: Vec<QuarantineView>,
}

/// A conflict people must resolve (two bookings of one slot, a record changed on two
/// computers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictView {
    pub id: String,
    pub description: String,
    /// The day to open in the agenda, for booking conflicts (`YYYY-MM-DD`).
    pub day: Option<String>,
}

/// A change the server refused; kept, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineView {
    pub id: String,
    pub what: String,
    pub reason: String,
    /// `dd/mm/aaaa HH:MM`.
    pub at: String,
}

/// A patient search as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchInput {
    /// Name (accents and case ignored), CPF or CNS, whole or a prefix.
    pub query: String,
    pub limit: u32,
}

/// One patient found, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientHit {
    pub id: String,
    pub name: String,
    pub social_name: Option<String>,
    /// `000.000.000-00`.
    pub cpf: Option<String>,
    pub cns: Option<String>,
    /// `dd/mm/aaaa`.
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRef {
    pub patient_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfessionalOption {
    pub id: String,
    pub name: String,
    /// `CRM/SP 123456`.
    pub council: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaQuery {
    /// `YYYY-MM-DD`; the clinic's today when absent.
    pub day: Option<String>,
    /// One professional, or the whole clinic.
    pub professional_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `terça-feira, 01/12/2026`.
    pub title: String,
    /// `ter 01/12` (week columns).
    pub short_title: String,
    pub previous: String,
    pub next: String,
    pub today: bool,
    pub entries: Vec<AgendaEntry>,
    /// Overlapping bookings on this day (made offline on two computers).
    pub conflicts: Vec<AgendaConflictView>,
}

/// One appointment, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaEntry {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub professional_id: String,
    pub professional_name: String,
    /// `YYYY-MM-DD` in the clinic's zone.
    pub day: String,
    /// `dd/mm/aaaa`.
    pub day_br: String,
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    pub minutes: i64,
    /// `booked`, `confirmed`, `checked_in`, …
    pub status: String,
    pub status_label: String,
    /// What may happen next: `confirmed`, `checked_in`, `no_show`, `cancelled`, …
    pub next: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaConflictView {
    pub professional_name: String,
    /// The two appointments that overlap.
    pub first: String,
    pub second: String,
    pub description: String,
}

/// The booking form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookInput {
    pub patient_id: String,
    pub professional_id: String,
    /// `dd/mm/aaaa` (or `YYYY-MM-DD`).
    pub date: String,
    /// `HH:MM`.
    pub time: String,
    pub minutes: String,
    /// `first_visit` (default), `follow_up`, `exam`, `procedure`, `teleconsultation`.
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RescheduleInput {
    pub appointment_id: String,
    pub professional_id: String,
    pub date: String,
    pub time: String,
    pub minutes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInput {
    pub appointment_id: String,
    /// `confirmed`, `checked_in`, `no_show`, `cancelled`, `in_progress`, `done`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartView {
    pub patient_name: String,
    /// Newest first: the current version of each record.
    pub entries: Vec<ChartEntry>,
    /// The kinds present, for the filter: (code, label).
    pub kinds: Vec<(String, String)>,
}

/// One version of a clinical record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartEntry {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    /// `draft` or `signed`.
    pub status: String,
    pub text: String,
    pub author_name: String,
    /// `dd/mm/aaaa HH:MM`.
    pub written_at: String,
    pub signed_at: Option<String>,
    /// The session's user wrote it (only the author signs or amends).
    pub mine: bool,
    pub amendment_reason: Option<String>,
    /// Earlier versions, oldest first (shown struck through).
    pub history: Vec<ChartVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartVersion {
    pub id: String,
    pub text: String,
    pub written_at: String,
    pub amendment_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteInput {
    pub patient_id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    pub patient_id: String,
    pub entry_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendInput {
    pub patient_id: String,
    pub entry_id: String,
    pub text: String,
    pub reason: String,
}

/// The registration form as typed (every field text; the shell parses each and names the
/// field of the first refusal: `cadastro-nome`, `cadastro-cpf`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterInput {
    pub name: String,
    pub social_name: String,
    /// `dd/mm/aaaa`.
    pub birth_date: String,
    /// `female`, `male`, `intersex`, `unknown`.
    pub sex: String,
    pub cpf: String,
    pub cns: String,
    pub phone: String,
    pub email: String,
    pub cep: String,
    pub street: String,
    pub number: String,
    pub district: String,
    pub city: String,
    pub uf: String,
    /// LGPD decisions taken at registration (each recorded, granted or refused).
    pub consent_treatment: bool,
    pub consent_operators: bool,
    pub consent_reminders: bool,
    pub consent_teleconsultation: bool,
}

/// A corrected registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePatientInput {
    pub patient_id: String,
    pub form: RegisterInput,
}
