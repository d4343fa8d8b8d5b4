//! The server's copy of one document while a push is checked: load, apply, validate with the
//! shared-model rules, and read what the projections and conflict lists need.

use automerge::ChangeHash;
use shared_model::ErrorCode;
use shared_model::charting::{ClinicalEntry, validate_chart_transition};
use shared_model::documents::{AnyDoc, CrdtDocument, DocumentError, DocumentKey, ProfessionalRecord};
use shared_model::ids::{DeviceId, UserId};
use shared_model::registry::{Patient, validate_consent_transition};
use shared_model::scheduling::{Appointment, check_duration};

/// The server never writes into documents; this actor only satisfies automerge.
fn server_device() -> DeviceId {
    DeviceId::from_uuid(uuid::Uuid::nil())
}

/// The server's copy of a document: the shared-model [`AnyDoc`], starting from the genesis every
/// replica shares.
pub type ServerDoc = AnyDoc;

/// The genesis every replica shares: where the server starts for a document it has never seen.
pub fn genesis(key: &DocumentKey) -> Result<ServerDoc, DocumentError> {
    AnyDoc::genesis(key, server_device())
}

/// The domain content the rules compare.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Registry(Option<Box<Patient>>),
    Chart(Vec<ClinicalEntry>),
    Agenda(Vec<Appointment>),
    Directory(Vec<ProfessionalRecord>),
}

/// Why a push was refused: a stable code and a pt-BR message, no patient data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: String,
    pub message: String,
}

impl Refused {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn from_error<E: ErrorCode + std::fmt::Display>(e: &E) -> Self {
        Self {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// What the rules and the projections read from a document.
pub trait ServerView {
    /// The domain content of the document.
    fn state(&self) -> Result<State, DocumentError>;

    /// The state after changes applied on top of `before_heads`, whose state was `before`:
    /// only the appointments or entries the changes touched are read again (a full read of a
    /// busy agenda costs far more than the push itself).
    fn state_after(&mut self, before: &State, before_heads: &[ChangeHash]) -> Result<State, DocumentError>;

    /// Open domain conflicts: (kind, sorted subject ids).
    fn conflicts(&self, state: &State) -> Result<Vec<(&'static str, Vec<String>)>, DocumentError>;
}

impl ServerView for AnyDoc {
    fn state(&self) -> Result<State, DocumentError> {
        Ok(match self {
            // A registry that only has its genesis holds no patient yet.
            AnyDoc::Registry(d) => State::Registry(d.patient().ok().map(Box::new)),
            AnyDoc::Chart(d) => State::Chart(d.entries()?),
            AnyDoc::Agenda(d) => State::Agenda(d.appointments()?),
            AnyDoc::Directory(d) => State::Directory(d.professionals()?),
        })
    }

    fn state_after(&mut self, before: &State, before_heads: &[ChangeHash]) -> Result<State, DocumentError> {
        match (self, before) {
            (AnyDoc::Agenda(d), State::Agenda(old)) => {
                let keys = d.changed_keys(before_heads, "appointments");
                if keys.iter().any(|k| k == "*") {
                    return Ok(State::Agenda(d.appointments()?));
                }
                let mut list = old.clone();
                for key in keys {
                    list.retain(|a| a.id.to_string() != key);
                    if let Some(a) = d.read_appointment(&key)? {
                        list.push(a);
                    }
                }
                list.sort_by_key(|a| (a.start, a.id));
                Ok(State::Agenda(list))
            }
            (AnyDoc::Chart(d), State::Chart(old)) => {
                let keys = d.changed_keys(before_heads, "entries");
                if keys.iter().any(|k| k == "*") {
                    return Ok(State::Chart(d.entries()?));
                }
                let mut list = old.clone();
                for key in keys {
                    list.retain(|e| e.id.to_string() != key);
                    if let Some(e) = d.read_entry(&key)? {
                        list.push(e);
                    }
                }
                list.sort_by_key(|e| (e.created_at, e.id));
                Ok(State::Chart(list))
            }
            (doc, _) => doc.state(),
        }
    }

    // Agenda conflicts come from `state` (the same rule as `AgendaDoc::conflicts`, without
    // reading the document again).
    fn conflicts(&self, state: &State) -> Result<Vec<(&'static str, Vec<String>)>, DocumentError> {
        if let State::Agenda(appointments) = state {
            return Ok(shared_model::scheduling::find_overlaps(appointments)
                .into_iter()
                .map(|(a, b)| ("agenda.double_booking", vec![a.to_string(), b.to_string()]))
                .collect());
        }
        Ok(match self {
            AnyDoc::Registry(_) | AnyDoc::Directory(_) => Vec::new(),
            AnyDoc::Chart(d) => d
                .conflicts()?
                .into_iter()
                .map(|c| {
                    let mut subjects = vec![c.entry.to_string()];
                    subjects.extend(c.fields);
                    ("chart.concurrent_draft_edit", subjects)
                })
                .collect(),
            AnyDoc::Agenda(d) => d
                .conflicts()?
                .into_iter()
                .map(|c| {
                    (
                        "agenda.double_booking",
                        vec![c.first.to_string(), c.second.to_string()],
                    )
                })
                .collect(),
        })
    }
}

/// The shared-model rules on the (before, after) pair of a push by `by`.
pub fn validate(key: &DocumentKey, before: &State, after: &State, by: UserId) -> Result<(), Refused> {
    match (before, after) {
        (State::Registry(old), State::Registry(new)) => {
            let Some(new) = new else {
                return Err(Refused::new(
                    "registry.invalid_patient",
                    "O cadastro do paciente está incompleto ou ilegível.",
                ));
            };
            if DocumentKey::Registry(new.id) != *key {
                return Err(Refused::new(
                    "document.key_mismatch",
                    "O cadastro não corresponde ao paciente.",
                ));
            }
            let old_consents = old.as_deref().map(|p| p.consents.as_slice()).unwrap_or(&[]);
            validate_consent_transition(old_consents, &new.consents).map_err(|e| Refused::from_error(&e))
        }
        (State::Chart(old), State::Chart(new)) => {
            validate_chart_transition(old, new, by).map_err(|e| Refused::from_error(&e))
        }
        (State::Agenda(old), State::Agenda(new)) => {
            let DocumentKey::Agenda { professional, .. } = key else {
                return Err(Refused::new("document.key_mismatch", "Agenda inválida."));
            };
            if old.iter().any(|a| !new.iter().any(|b| b.id == a.id)) {
                return Err(Refused::new(
                    "agenda.appointment_removed",
                    "Agendamentos não podem ser apagados; cancele-os.",
                ));
            }
            for a in new.iter().filter(|a| !old.contains(a)) {
                if a.professional != *professional {
                    return Err(Refused::new(
                        "agenda.wrong_professional",
                        "O agendamento pertence à agenda de outro profissional.",
                    ));
                }
                check_duration(a.start, a.end).map_err(|e| Refused::from_error(&e))?;
            }
            Ok(())
        }
        (State::Directory(old), State::Directory(new)) => {
            // Professionals are deactivated by an administrator, never erased: their agendas and
            // signed entries keep naming them.
            if old
                .iter()
                .any(|a| !new.iter().any(|b| b.professional.id == a.professional.id))
            {
                return Err(Refused::new(
                    "directory.professional_removed",
                    "Profissionais não podem ser apagados do cadastro da clínica.",
                ));
            }
            for record in new.iter().filter(|r| !old.contains(r)) {
                record
                    .working_hours
                    .validate()
                    .map_err(|e| Refused::from_error(&e))?;
            }
            Ok(())
        }
        _ => Err(Refused::new(
            "document.wrong_kind",
            "Tipo de documento inesperado.",
        )),
    }
}
