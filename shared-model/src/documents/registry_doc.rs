//! The registry document: one patient's record.
//!
//! Root: `{schema_version, kind: "registry", epoch, patient_id, patient: {...Patient}}`.
//! Consents are a list keyed by consent id inside `patient`; they only change through
//! [`RegistryDoc::add_consent`] and [`RegistryDoc::revoke_consent`].

use automerge::AutoCommit;
use jiff::Timestamp;

use super::common::{GenesisField, commit, genesis, sealed};
use super::{CrdtDocument, DocumentError, DocumentKey, DocumentKind};
use crate::ids::{ConsentId, DeviceId, PatientId, UserId};
use crate::registry::{NewConsent, Patient, RegistryError};

/// One patient's registry record as a CRDT document.
#[derive(Debug)]
pub struct RegistryDoc {
    doc: AutoCommit,
    patient: PatientId,
}

impl RegistryDoc {
    /// A new document holding `patient`, written as `device`.
    pub fn new(patient: &Patient, device: DeviceId) -> Result<Self, DocumentError> {
        let key = DocumentKey::Registry(patient.id);
        let fields = [GenesisField::Str("patient_id", patient.id.to_string())];
        let mut doc = genesis(key, &fields, device)?;
        autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "patient", patient)?;
        commit(&mut doc, None);
        Ok(Self {
            doc,
            patient: patient.id,
        })
    }

    /// The bare document (header only, no patient yet): what every replica shares before the
    /// first write. The sync server starts from it for a document it has never seen.
    pub fn empty(patient: PatientId, device: DeviceId) -> Result<Self, DocumentError> {
        let key = DocumentKey::Registry(patient);
        let fields = [GenesisField::Str("patient_id", patient.to_string())];
        let doc = genesis(key, &fields, device)?;
        Ok(Self { doc, patient })
    }

    /// The patient this document is about.
    #[must_use]
    pub fn patient_id(&self) -> PatientId {
        self.patient
    }

    /// The patient record.
    pub fn patient(&self) -> Result<Patient, DocumentError> {
        Ok(autosurgeon::hydrate_prop(&self.doc, automerge::ROOT, "patient")?)
    }

    /// Replaces the demographic data with `patient`'s (only changed fields are written, so
    /// concurrent edits of different fields merge). `patient.consents` is ignored: the
    /// document's consents are kept as they are.
    pub fn update(&mut self, patient: &Patient) -> Result<(), DocumentError> {
        if patient.id != self.patient {
            return Err(DocumentError::KeyMismatch);
        }
        // A bare document (see `empty`) gets the whole record, consents included.
        let consents = match automerge::ReadDoc::get(&self.doc, automerge::ROOT, "patient")? {
            None => patient.consents.clone(),
            Some(_) => self.patient()?.consents,
        };
        let updated = Patient {
            consents,
            ..patient.clone()
        };
        self.write(&updated, None)
    }

    /// Records a new consent decision and returns its id.
    pub fn add_consent(
        &mut self,
        consent: NewConsent,
        by: UserId,
        now: Timestamp,
    ) -> Result<ConsentId, RegistryError> {
        let mut patient = self.patient()?;
        let id = patient.record_consent(consent, by, now);
        self.write(&patient, Some(now))?;
        Ok(id)
    }

    /// Revokes a consent record (NGS1.11.06: records are revoked, never edited).
    pub fn revoke_consent(&mut self, id: ConsentId, by: UserId, now: Timestamp) -> Result<(), RegistryError> {
        let mut patient = self.patient()?;
        patient.revoke_consent(id, by, now)?;
        self.write(&patient, Some(now))?;
        Ok(())
    }

    fn write(&mut self, patient: &Patient, now: Option<Timestamp>) -> Result<(), DocumentError> {
        autosurgeon::reconcile_prop(&mut self.doc, automerge::ROOT, "patient", patient)?;
        commit(&mut self.doc, now);
        Ok(())
    }
}

impl sealed::Inner for RegistryDoc {
    fn am(&self) -> &AutoCommit {
        &self.doc
    }
    fn am_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
    fn wrap(doc: AutoCommit) -> Result<Self, DocumentError> {
        let patient = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "patient_id")?;
        Ok(Self { doc, patient })
    }
    fn rewrap(&self, doc: AutoCommit) -> Self {
        Self {
            doc,
            patient: self.patient,
        }
    }
}

impl CrdtDocument for RegistryDoc {
    const KIND: DocumentKind = DocumentKind::Registry;
    fn key(&self) -> DocumentKey {
        DocumentKey::Registry(self.patient)
    }
}
