//! Registry services: patients, professionals and local users.

use shared_model::access::{Action, Area, require};
use shared_model::documents::{DirectoryDoc, DocumentKey, RegistryDoc};
use shared_model::identity::Role;
use shared_model::ids::{PatientId, UserId};
use shared_model::registry::{NewConsent, NewPatient, NewProfessional, Patient, Professional};
use shared_model::scheduling::{WeeklyRule, WorkingHours};
use shared_model::values::Cpf;

use super::documents::{self, fresh};
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{PatientRow, SearchHit, UserRow, patients, people};

pub use shared_model::documents::ProfessionalRecord;

/// Input for [`Clinic::add_professional`].
#[derive(Debug, Clone)]
pub struct NewProfessionalRecord {
    pub professional: NewProfessional,
    /// `None`: Monday to Friday, 08:00–18:00.
    pub working_hours: Option<WorkingHours>,
}

impl Clinic {
    /// Registers a patient: validates, refuses a CPF already registered, stores the registry
    /// document and the search index in one transaction.
    pub fn add_patient(&mut self, session: &Session, input: NewPatient) -> Result<Patient, CoreError> {
        self.add_patient_with_consents(session, input, Vec::new())
    }

    /// Registers a patient with the consent decisions taken at registration (LGPD: each a
    /// record of its own, granted or refused, by this user, now; NGS1.11.05), in the same
    /// transaction as the record itself.
    pub fn add_patient_with_consents(
        &mut self,
        session: &Session,
        input: NewPatient,
        consents: Vec<NewConsent>,
    ) -> Result<Patient, CoreError> {
        require(session.role, Area::PatientRegistry, Action::Write)?;
        let now = self.clock.now();
        let today = self.settings.time_zone.to_local(now).date();
        let patient = Patient::new(input, today).map_err(CoreError::domain)?;
        let device = self.settings.device;
        // The bare document, then the record written as this user (see `documents::authored`).
        let mut bare = documents::authored(
            RegistryDoc::empty(patient.id, device).map_err(CoreError::domain)?,
            device,
            session.user,
        );
        bare.update(&patient).map_err(CoreError::domain)?;
        for consent in consents {
            bare.add_consent(consent, session.user, now)
                .map_err(CoreError::domain)?;
        }
        let patient = bare.patient().map_err(CoreError::domain)?;
        let mut doc = fresh(bare);
        let row = index_row(&patient);
        self.replica.write(|tx| {
            cpf_free_for(tx, row.cpf.as_deref(), patient.id)?;
            doc.store(tx, now.as_millisecond())?;
            patients::upsert(tx, &row, now.as_millisecond())?;
            self.audit(tx, Some(session), "patient.create", Some(&patient.id.to_string()))
        })?;
        Ok(patient)
    }

    /// Corrects a patient's registration: the fields of `input` replace the record's (cards and
    /// consents are kept: consents change only by new decisions, `consents` here — each a new
    /// record, never an edit, NGS1.11.06). Refuses a CPF of another patient. Document, index and
    /// audit in one transaction.
    pub fn update_patient(
        &mut self,
        session: &Session,
        id: PatientId,
        input: NewPatient,
        consents: Vec<NewConsent>,
    ) -> Result<Patient, CoreError> {
        require(session.role, Area::PatientRegistry, Action::Write)?;
        let now = self.clock.now();
        let today = self.settings.time_zone.to_local(now).date();
        let edited = Patient::new(input, today).map_err(CoreError::domain)?;
        let device = self.settings.device;
        let key = DocumentKey::Registry(id);
        self.replica.write(|tx| {
            let mut doc = documents::load::<RegistryDoc>(tx, &key, device, session.user)?
                .ok_or(CoreError::PatientNotFound)?;
            let current = doc.doc.patient().map_err(CoreError::domain)?;
            let updated = Patient {
                id,
                health_plan_cards: current.health_plan_cards.clone(),
                consents: current.consents.clone(),
                ..edited
            };
            cpf_free_for(tx, updated.cpf.as_ref().map(Cpf::as_str), id)?;
            doc.doc.update(&updated).map_err(CoreError::domain)?;
            for consent in consents {
                doc.doc
                    .add_consent(consent, session.user, now)
                    .map_err(CoreError::domain)?;
            }
            let stored = doc.doc.patient().map_err(CoreError::domain)?;
            doc.store(tx, now.as_millisecond())?;
            patients::upsert(tx, &index_row(&stored), now.as_millisecond())?;
            self.audit(tx, Some(session), "patient.update", Some(&id.to_string()))?;
            Ok(stored)
        })
    }

    /// The registry record of a patient.
    pub fn patient(&self, session: &Session, id: PatientId) -> Result<Patient, CoreError> {
        require(session.role, Area::PatientRegistry, Action::Read)?;
        let doc: RegistryDoc = documents::read(self.replica.conn(), &DocumentKey::Registry(id))?
            .ok_or(CoreError::PatientNotFound)?;
        doc.patient().map_err(CoreError::domain)
    }

    /// Search as you type (see [`patients::search`]).
    pub fn search_patients(
        &self,
        session: &Session,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, CoreError> {
        require(session.role, Area::PatientRegistry, Action::Read)?;
        patients::search(self.replica.conn(), query, limit)
    }

    /// Registers a professional and the PROFESSIONAL user they log in with: a new local user,
    /// or the user `input.professional.user_id` names (e.g. an account of the clinic's server).
    pub fn add_professional(
        &mut self,
        session: &Session,
        input: NewProfessionalRecord,
    ) -> Result<ProfessionalRecord, CoreError> {
        require(session.role, Area::Users, Action::Write)?;
        let mut new = input.professional;
        let user_id = *new.user_id.get_or_insert_with(UserId::new);
        let professional = Professional::new(new).map_err(CoreError::domain)?;
        let working_hours = input.working_hours.unwrap_or_else(default_hours);
        working_hours.validate().map_err(CoreError::domain)?;
        let record = ProfessionalRecord {
            professional,
            working_hours,
        };
        let json = serde_json::to_string(&record).map_err(|_| CoreError::Damaged)?;
        let user = UserRow {
            user_id: user_id.to_string(),
            name: record.professional.name.to_string(),
            role: Role::Professional.as_str().to_owned(),
            professional_id: Some(record.professional.id.to_string()),
            active: true,
        };
        if self
            .professionals()?
            .iter()
            .any(|p| p.professional.registration == record.professional.registration)
        {
            return Err(CoreError::Domain {
                code: "professional.duplicate_registration",
                message: "já existe um profissional com este registro no conselho".to_owned(),
            });
        }
        let now_ms = self.clock.now().as_millisecond();
        let device = self.settings.device;
        let key = DocumentKey::Directory(self.settings.tenant);
        self.replica.write(|tx| {
            // The clinic's directory document carries the professional to every device.
            let mut doc = match documents::load::<DirectoryDoc>(tx, &key, device, session.user)? {
                Some(loaded) => loaded,
                None => fresh(documents::authored(
                    DirectoryDoc::new(self.settings.tenant, device).map_err(CoreError::domain)?,
                    device,
                    session.user,
                )),
            };
            doc.doc.put(&record).map_err(CoreError::domain)?;
            doc.store(tx, now_ms)?;
            people::upsert_professional(tx, &record.professional.id.to_string(), &user.name, &json)?;
            people::upsert_user(tx, &user, now_ms)?;
            self.audit(
                tx,
                Some(session),
                "professional.create",
                Some(&record.professional.id.to_string()),
            )
        })?;
        Ok(record)
    }

    /// Every professional of the clinic.
    pub fn professionals(&self) -> Result<Vec<ProfessionalRecord>, CoreError> {
        people::list_professionals(self.replica.conn())?
            .iter()
            .map(|json| serde_json::from_str(json).map_err(|_| CoreError::Damaged))
            .collect()
    }

    /// One professional.
    pub fn professional(&self, id: &str) -> Result<ProfessionalRecord, CoreError> {
        let json =
            people::get_professional(self.replica.conn(), id)?.ok_or(CoreError::ProfessionalNotFound)?;
        serde_json::from_str(&json).map_err(|_| CoreError::Damaged)
    }

    /// Creates a local user that is not a professional (ADMIN, STAFF, VIEWER).
    pub fn add_user(&mut self, session: &Session, name: &str, role: Role) -> Result<UserRow, CoreError> {
        require(session.role, Area::Users, Action::Write)?;
        if matches!(role, Role::Professional | Role::SuperAdmin) {
            return Err(CoreError::Domain {
                code: "user.role_not_allowed",
                message:
                    "profissionais são cadastrados com 'professional add'; SUPER_ADMIN só existe no servidor"
                        .to_owned(),
            });
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(CoreError::Domain {
                code: "user.name_invalid",
                message: "o nome do usuário deve ter de 1 a 200 caracteres".to_owned(),
            });
        }
        let user = UserRow {
            user_id: UserId::new().to_string(),
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            professional_id: None,
            active: true,
        };
        let now_ms = self.clock.now().as_millisecond();
        self.replica.write(|tx| {
            people::insert_user(tx, &user, now_ms)?;
            self.audit(tx, Some(session), "user.create", Some(&user.user_id))
        })?;
        Ok(user)
    }

    pub fn users(&self) -> Result<Vec<UserRow>, CoreError> {
        people::list_users(self.replica.conn())
    }
}

/// The index row of a patient.
/// Refuses a CPF (digits) already registered for a patient other than `patient` (registering
/// a new one, or correcting one's record).
fn cpf_free_for(tx: &rusqlite::Connection, cpf: Option<&str>, patient: PatientId) -> Result<(), CoreError> {
    if let Some(cpf) = cpf
        && patients::find_by_cpf(tx, cpf)?.is_some_and(|other| other != patient.to_string())
    {
        return Err(CoreError::Domain {
            code: "patient.duplicate_cpf",
            message: "já existe um paciente cadastrado com este CPF".to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn index_row(patient: &Patient) -> PatientRow {
    PatientRow {
        patient_id: patient.id.to_string(),
        name: patient.name.to_string(),
        social_name: patient.social_name.as_ref().map(ToString::to_string),
        cpf: patient.cpf.as_ref().map(|c| c.as_str().to_owned()),
        cns: patient.cns.as_ref().map(|c| c.as_str().to_owned()),
        birth_date: patient.birth_date.as_ref().map(|d| d.date().to_string()),
    }
}

fn default_hours() -> WorkingHours {
    use jiff::civil::{Weekday, time};
    let weekly = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
    .into_iter()
    .map(|weekday| WeeklyRule {
        weekday,
        start: time(8, 0, 0, 0),
        end: time(18, 0, 0, 0),
        room: None,
    })
    .collect();
    WorkingHours {
        weekly,
        exceptions: Vec::new(),
    }
}
