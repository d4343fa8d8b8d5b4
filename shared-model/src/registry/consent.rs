//! LGPD consent records (NGS1.11.05/06): purpose, who may see, signer or legal representative,
//! status. A record is never edited; a change of mind is a revocation plus a new record.

use autosurgeon::{Hydrate, Reconcile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Patient, PersonName, RegistryError};
use crate::documents::codec::{code_enum, millis};
use crate::ids::{ConsentId, ProfessionalId, UserId};
use crate::values::{Cns, Cpf};

code_enum! {
    /// What a patient consents (or refuses) to.
    pub enum ConsentPurpose {
        /// Recording and using health data for the patient's own care.
        Treatment = "treatment",
        /// Sharing data with health-plan operators (TISS billing, authorisations).
        DataSharingWithOperators = "data_sharing_with_operators",
        /// Being attended by teleconsultation.
        Teleconsultation = "teleconsultation",
        /// Appointment reminders and other messages (SMS, WhatsApp, e-mail).
        Reminders = "reminders",
        /// Use of de-identified data in research.
        Research = "research",
        /// Processing by AI assistants (data de-identified before it leaves).
        AiAssistance = "ai_assistance",
    }
}

impl ConsentPurpose {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Treatment => "Tratamento e registro em prontuário",
            Self::DataSharingWithOperators => "Compartilhamento com operadoras de saúde",
            Self::Teleconsultation => "Teleconsulta",
            Self::Reminders => "Lembretes e comunicações",
            Self::Research => "Pesquisa com dados desidentificados",
            Self::AiAssistance => "Assistente de inteligência artificial",
        }
    }
}

/// Who signs for a patient who cannot (a minor, an incapable adult).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct LegalRepresentative {
    pub name: PersonName,
    /// "mãe", "pai", "tutor", "curador", ...
    pub relationship: String,
    pub cpf: Option<Cpf>,
    pub cns: Option<Cns>,
}

impl LegalRepresentative {
    pub fn new(
        name: &str,
        relationship: &str,
        cpf: Option<Cpf>,
        cns: Option<Cns>,
    ) -> Result<Self, RegistryError> {
        let name = PersonName::parse(name).map_err(RegistryError::RepresentativeName)?;
        let relationship = relationship.trim().to_owned();
        if relationship.is_empty() {
            return Err(RegistryError::RepresentativeRelationshipEmpty);
        }
        Ok(Self {
            name,
            relationship,
            cpf,
            cns,
        })
    }
}

/// One consent decision, immutable once recorded except for its revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ConsentRecord {
    #[key]
    pub id: ConsentId,
    pub purpose: ConsentPurpose,
    /// `true` = consent given, `false` = consent refused (refusals are recorded too).
    pub granted: bool,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    /// Professionals the consent is limited to; empty = the clinic's professionals attending
    /// the patient.
    pub authorised_professionals: Vec<ProfessionalId>,
    /// Set when the representative signed instead of the patient.
    pub legal_representative: Option<LegalRepresentative>,
    /// Blob-storage key of the scanned, signed term, if there is one.
    pub scan: Option<String>,
    #[autosurgeon(with = "crate::documents::codec::option_timestamp")]
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<UserId>,
}

/// Input for a new [`ConsentRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub purpose: ConsentPurpose,
    pub granted: bool,
    pub authorised_professionals: Vec<ProfessionalId>,
    pub legal_representative: Option<LegalRepresentative>,
    pub scan: Option<String>,
}

impl NewConsent {
    /// The patient, personally, gives (`granted`) or refuses consent for `purpose`.
    #[must_use]
    pub fn by_patient(purpose: ConsentPurpose, granted: bool) -> Self {
        Self {
            purpose,
            granted,
            authorised_professionals: Vec::new(),
            legal_representative: None,
            scan: None,
        }
    }
}

impl ConsentRecord {
    /// A new record (new id), stamped `now` (truncated to the millisecond) by `by`.
    #[must_use]
    pub fn record(input: NewConsent, by: UserId, now: Timestamp) -> Self {
        Self {
            id: ConsentId::new(),
            purpose: input.purpose,
            granted: input.granted,
            recorded_at: millis(now),
            recorded_by: by,
            authorised_professionals: input.authorised_professionals,
            legal_representative: input.legal_representative,
            scan: input.scan.filter(|s| !s.trim().is_empty()),
            revoked_at: None,
            revoked_by: None,
        }
    }

    /// Not revoked.
    #[must_use]
    pub fn is_in_force(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Marks the record revoked; a record is revoked at most once.
    pub fn revoke(&mut self, by: UserId, now: Timestamp) -> Result<(), RegistryError> {
        if !self.is_in_force() {
            return Err(RegistryError::ConsentAlreadyRevoked { id: self.id });
        }
        self.revoked_at = Some(millis(now));
        self.revoked_by = Some(by);
        Ok(())
    }
}

impl Patient {
    /// Appends a new consent record and returns its id.
    pub fn record_consent(&mut self, input: NewConsent, by: UserId, now: Timestamp) -> ConsentId {
        let record = ConsentRecord::record(input, by, now);
        let id = record.id;
        self.consents.push(record);
        id
    }

    /// Revokes the consent record `id`.
    pub fn revoke_consent(&mut self, id: ConsentId, by: UserId, now: Timestamp) -> Result<(), RegistryError> {
        self.consents
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or(RegistryError::ConsentNotFound { id })?
            .revoke(by, now)
    }

    /// The decision in force for `purpose`: `Some(true)` consented, `Some(false)` refused,
    /// `None` never asked (or every record revoked). The latest record in force wins.
    #[must_use]
    pub fn consent_status(&self, purpose: ConsentPurpose) -> Option<bool> {
        self.consents
            .iter()
            .filter(|c| c.purpose == purpose && c.is_in_force())
            .max_by_key(|c| (c.recorded_at, c.id))
            .map(|c| c.granted)
    }
}

/// Checks that `after` only adds consent records to `before` or revokes records in force:
/// nothing removed, nothing else edited (NGS1.11.06).
pub fn validate_consent_transition(
    before: &[ConsentRecord],
    after: &[ConsentRecord],
) -> Result<(), RegistryError> {
    for old in before {
        let new = after
            .iter()
            .find(|c| c.id == old.id)
            .ok_or(RegistryError::ConsentRemoved { id: old.id })?;
        if new == old {
            continue;
        }
        let revoked_now = old.is_in_force() && new.revoked_at.is_some() && new.revoked_by.is_some();
        let unrevoked = ConsentRecord {
            revoked_at: None,
            revoked_by: None,
            ..new.clone()
        };
        if !(revoked_now && unrevoked == *old) {
            return Err(RegistryError::ConsentEdited { id: old.id });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn record(purpose: ConsentPurpose, granted: bool, seconds: i64) -> ConsentRecord {
        ConsentRecord::record(
            NewConsent::by_patient(purpose, granted),
            UserId::new(),
            at(seconds),
        )
    }

    #[test]
    fn change_of_mind_is_revoke_plus_new_record() {
        let first = record(ConsentPurpose::Reminders, true, 10);
        let mut revoked = first.clone();
        revoked.revoke(UserId::new(), at(20)).unwrap();
        let second = record(ConsentPurpose::Reminders, false, 20);
        let after = vec![revoked.clone(), second];
        assert_eq!(
            validate_consent_transition(std::slice::from_ref(&first), &after),
            Ok(())
        );
        assert_eq!(
            revoked.clone().revoke(UserId::new(), at(30)).unwrap_err().code(),
            "consent.already_revoked"
        );
    }

    #[test]
    fn editing_or_removing_is_refused() {
        let first = record(ConsentPurpose::Research, true, 10);
        let mut edited = first.clone();
        edited.granted = false;
        let err = validate_consent_transition(std::slice::from_ref(&first), &[edited]).unwrap_err();
        assert_eq!(err.code(), "consent.immutable");
        let err = validate_consent_transition(&[first], &[]).unwrap_err();
        assert_eq!(err.code(), "consent.removed");
    }

    #[test]
    fn un_revoking_is_an_edit() {
        let mut revoked = record(ConsentPurpose::Treatment, true, 10);
        revoked.revoke(UserId::new(), at(11)).unwrap();
        let mut restored = revoked.clone();
        restored.revoked_at = None;
        restored.revoked_by = None;
        let err = validate_consent_transition(&[revoked], &[restored]).unwrap_err();
        assert_eq!(err.code(), "consent.immutable");
    }

    #[test]
    fn representative_needs_name_and_relationship() {
        let err = LegalRepresentative::new(" ", "mãe", None, None).unwrap_err();
        assert_eq!(err.code(), "consent.representative_name_empty");
        let err = LegalRepresentative::new("Ana Souza", " ", None, None).unwrap_err();
        assert_eq!(err.code(), "consent.representative_relationship_empty");
    }
}
