//! The server's copy of one document while a push is checked: load, apply, validate with the
//! shared-model rules, and read what the projections and conflict lists need.

use automerge::{ActorId, ChangeHash};
use shared_model::ErrorCode;
use shared_model::charting::{ClinicalEntry, validate_chart_transition};
use shared_model::documents::{
    AgendaDoc, ChartDoc, CrdtDocument, DirectoryDoc, DocumentError, DocumentKey, ProfessionalRecord,
    RegistryDoc,
};
use shared_model::ids::{DeviceId, UserId};
use shared_model::registry::{Patient, validate_consent_transition};
use shared_model::scheduling::{Appointment, check_duration};

/// The server never writes into documents; this actor only satisfies automerge.
fn server_device() -> DeviceId {
    DeviceId::from_uuid(uuid::Uuid::nil())
}

#[derive(Debug)]
pub enum ServerDoc {
    Registry(RegistryDoc),
    Chart(ChartDoc),
    Agenda(AgendaDoc),
    Directory(DirectoryDoc),
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

macro_rules! each {
    ($self:expr, $d:ident => $body:expr) => {
        match $self {
            ServerDoc::Registry($d) => $body,
            ServerDoc::Chart($d) => $body,
            ServerDoc::Agenda($d) => $body,
            ServerDoc::Directory($d) => $body,
        }
    };
}

impl ServerDoc {
    /// The genesis every replica shares: where the server starts for a document it has never seen.
    pub fn genesis(key: &DocumentKey) -> Result<Self, DocumentError> {
        Ok(match *key {
            DocumentKey::Registry(p) => ServerDoc::Registry(RegistryDoc::empty(p, server_device())?),
            DocumentKey::Chart(p) => ServerDoc::Chart(ChartDoc::new(p, server_device())?),
            DocumentKey::Agenda { professional, month } => {
                ServerDoc::Agenda(AgendaDoc::new(professional, month, server_device())?)
            }
            DocumentKey::Directory(t) => ServerDoc::Directory(DirectoryDoc::new(t, server_device())?),
        })
    }

    /// Loads a stored snapshot, checking that it is the document `key` names.
    pub fn load(key: &DocumentKey, bytes: &[u8]) -> Result<Self, DocumentError> {
        let doc = match key {
            DocumentKey::Registry(_) => ServerDoc::Registry(RegistryDoc::load(bytes)?),
            DocumentKey::Chart(_) => ServerDoc::Chart(ChartDoc::load(bytes)?),
            DocumentKey::Agenda { .. } => ServerDoc::Agenda(AgendaDoc::load(bytes)?),
            DocumentKey::Directory(_) => ServerDoc::Directory(DirectoryDoc::load(bytes)?),
        };
        if doc.key() != *key {
            return Err(DocumentError::KeyMismatch);
        }
        Ok(doc)
    }

    pub fn key(&self) -> DocumentKey {
        each!(self, d => d.key())
    }

    /// Applies untrusted data: it must parse completely first.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<usize, DocumentError> {
        shared_model::documents::check_data(bytes)?;
        each!(self, d => d.load_incremental(bytes))
    }

    /// Applies data the server stored itself.
    pub fn apply_trusted(&mut self, bytes: &[u8]) -> Result<usize, DocumentError> {
        each!(self, d => d.load_incremental(bytes))
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        each!(self, d => d.heads())
    }

    pub fn save(&mut self) -> Vec<u8> {
        each!(self, d => d.save())
    }

    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        each!(self, d => d.save_after(heads))
    }

    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<(ChangeHash, ActorId)> {
        each!(self, d => d.changes_after(heads))
    }

    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        each!(self, d => d.missing_deps())
    }

    pub fn epoch(&self) -> Result<u32, DocumentError> {
        each!(self, d => d.epoch())
    }

    pub fn state(&self) -> Result<State, DocumentError> {
        Ok(match self {
            // A registry that only has its genesis holds no patient yet.
            ServerDoc::Registry(d) => State::Registry(d.patient().ok().map(Box::new)),
            ServerDoc::Chart(d) => State::Chart(d.entries()?),
            ServerDoc::Agenda(d) => State::Agenda(d.appointments()?),
            ServerDoc::Directory(d) => State::Directory(d.professionals()?),
        })
    }

    /// The state after changes applied on top of `before_heads`, whose state was `before`:
    /// only the appointments or entries the changes touched are read again (a full read of a
    /// busy agenda costs far more than the push itself).
    pub fn state_after(
        &mut self,
        before: &State,
        before_heads: &[ChangeHash],
    ) -> Result<State, DocumentError> {
        match (self, before) {
            (ServerDoc::Agenda(d), State::Agenda(old)) => {
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
            (ServerDoc::Chart(d), State::Chart(old)) => {
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

    /// Open domain conflicts: (kind, sorted subject ids). Agenda conflicts come from `state`
    /// (the same rule as `AgendaDoc::conflicts`, without reading the document again).
    pub fn conflicts(&self, state: &State) -> Result<Vec<(&'static str, Vec<String>)>, DocumentError> {
        if let State::Agenda(appointments) = state {
            return Ok(shared_model::scheduling::find_overlaps(appointments)
                .into_iter()
                .map(|(a, b)| ("agenda.double_booking", vec![a.to_string(), b.to_string()]))
                .collect());
        }
        Ok(match self {
            ServerDoc::Registry(_) | ServerDoc::Directory(_) => Vec::new(),
            ServerDoc::Chart(d) => d
                .conflicts()?
                .into_iter()
                .map(|c| {
                    let mut subjects = vec![c.entry.to_string()];
                    subjects.extend(c.fields);
                    ("chart.concurrent_draft_edit", subjects)
                })
                .collect(),
            ServerDoc::Agenda(d) => d
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
