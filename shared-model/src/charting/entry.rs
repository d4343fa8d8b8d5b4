//! One clinical entry and the rules for drafting and signing it.

use autosurgeon::{Hydrate, Reconcile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ChartError;
use crate::documents::codec::{code_enum, millis};
use crate::ids::{DeviceId, EntryId, ProfessionalId, UserId};
use crate::values::Cid10;

code_enum! {
    /// What an entry records.
    pub enum EntryKind {
        Anamnesis = "anamnesis",
        PhysicalExam = "physical_exam",
        Evolution = "evolution",
        Diagnosis = "diagnosis",
        Prescription = "prescription",
        Certificate = "certificate",
        ExamRequest = "exam_request",
        ExamResult = "exam_result",
        Referral = "referral",
        Procedure = "procedure",
    }
}

impl EntryKind {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Anamnesis => "Anamnese",
            Self::PhysicalExam => "Exame físico",
            Self::Evolution => "Evolução",
            Self::Diagnosis => "Diagnóstico",
            Self::Prescription => "Prescrição",
            Self::Certificate => "Atestado",
            Self::ExamRequest => "Solicitação de exame",
            Self::ExamResult => "Resultado de exame",
            Self::Referral => "Encaminhamento",
            Self::Procedure => "Procedimento",
        }
    }
}

code_enum! {
    /// A draft is private work in progress of its author; a signed entry is final.
    pub enum EntryStatus {
        Draft = "draft",
        Signed = "signed",
    }
}

impl EntryStatus {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Draft => "Rascunho",
            Self::Signed => "Assinado",
        }
    }
}

/// One version of one clinical record. Each version has its own id; an amendment is a new
/// entry whose [`amends`](Self::amends) names the version it supersedes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ClinicalEntry {
    #[key]
    pub id: EntryId,
    pub kind: EntryKind,
    pub status: EntryStatus,
    pub text: String,
    /// Diagnoses (mandatory, at least one, when signing a [`EntryKind::Diagnosis`]).
    pub cid10: Vec<Cid10>,
    /// The user who wrote the entry; the only one who may edit, sign or amend it.
    pub author: UserId,
    /// The professional the entry is recorded for (the author's professional record).
    pub professional: Option<ProfessionalId>,
    /// The replica the entry was written on.
    pub device: DeviceId,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub created_at: Timestamp,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub updated_at: Timestamp,
    #[autosurgeon(with = "crate::documents::codec::option_timestamp")]
    pub signed_at: Option<Timestamp>,
    pub signed_by: Option<UserId>,
    /// The version this entry corrects.
    pub amends: Option<EntryId>,
    /// Why the correction was made (set exactly when `amends` is).
    pub amendment_reason: Option<String>,
}

/// Input for a new draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub text: String,
    pub cid10: Vec<Cid10>,
    pub professional: Option<ProfessionalId>,
}

impl ClinicalEntry {
    /// A new draft by `author` on `device` at `now` (truncated to the millisecond). A draft may
    /// start empty; it must have text to be signed.
    #[must_use]
    pub fn draft(input: NewEntry, author: UserId, device: DeviceId, now: Timestamp) -> Self {
        let now = millis(now);
        Self {
            id: EntryId::new(),
            kind: input.kind,
            status: EntryStatus::Draft,
            text: input.text,
            cid10: input.cid10,
            author,
            professional: input.professional,
            device,
            created_at: now,
            updated_at: now,
            signed_at: None,
            signed_by: None,
            amends: None,
            amendment_reason: None,
        }
    }

    #[must_use]
    pub fn is_signed(&self) -> bool {
        self.status == EntryStatus::Signed
    }

    /// Whether `by` may change this entry: it is a draft and `by` wrote it.
    pub fn check_editable(&self, by: UserId) -> Result<(), ChartError> {
        if self.is_signed() {
            return Err(ChartError::SignedEntryImmutable { id: self.id });
        }
        if by != self.author {
            return Err(ChartError::NotAuthor { id: self.id });
        }
        Ok(())
    }

    /// Replaces the text of a draft.
    pub fn edit_draft(&mut self, text: &str, by: UserId, now: Timestamp) -> Result<(), ChartError> {
        self.check_editable(by)?;
        text.clone_into(&mut self.text);
        self.updated_at = millis(now);
        Ok(())
    }

    /// Replaces the CID-10 codes of a draft.
    pub fn set_draft_cid10(
        &mut self,
        cid10: Vec<Cid10>,
        by: UserId,
        now: Timestamp,
    ) -> Result<(), ChartError> {
        self.check_editable(by)?;
        self.cid10 = cid10;
        self.updated_at = millis(now);
        Ok(())
    }

    /// Signs a draft: only its author, only with text (and, for a diagnosis, a CID-10).
    pub fn sign(&mut self, by: UserId, now: Timestamp) -> Result<(), ChartError> {
        self.check_editable(by)?;
        self.check_signable_content()?;
        let now = millis(now);
        self.status = EntryStatus::Signed;
        self.signed_at = Some(now);
        self.signed_by = Some(by);
        self.updated_at = now;
        Ok(())
    }

    /// The content rules a signed entry meets.
    pub(crate) fn check_signable_content(&self) -> Result<(), ChartError> {
        if self.text.trim().is_empty() {
            return Err(ChartError::EmptyText);
        }
        if self.kind == EntryKind::Diagnosis && self.cid10.is_empty() {
            return Err(ChartError::DiagnosisWithoutCid10);
        }
        Ok(())
    }

    /// Status and signature fields agree: a draft has neither `signed_at` nor `signed_by`; a
    /// signed entry has both, signed by its author, and signable content.
    pub(crate) fn check_consistent(&self) -> Result<(), ChartError> {
        let consistent = match self.status {
            EntryStatus::Draft => self.signed_at.is_none() && self.signed_by.is_none(),
            EntryStatus::Signed => self.signed_at.is_some() && self.signed_by == Some(self.author),
        };
        if !consistent || self.amends.is_some() != self.amendment_reason.is_some() {
            return Err(ChartError::InconsistentSignature { id: self.id });
        }
        if self.is_signed() {
            self.check_signable_content()?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    pub(crate) fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    pub(crate) fn new_entry(kind: EntryKind, text: &str) -> NewEntry {
        NewEntry {
            kind,
            text: text.to_owned(),
            cid10: Vec::new(),
            professional: None,
        }
    }

    #[test]
    fn labels_are_portuguese_and_codes_stable() {
        assert_eq!(EntryKind::Anamnesis.label(), "Anamnese");
        assert_eq!(EntryKind::PhysicalExam.label(), "Exame físico");
        assert_eq!(EntryKind::Evolution.label(), "Evolução");
        assert_eq!(EntryKind::ExamRequest.as_str(), "exam_request");
        assert_eq!(serde_json::to_string(&EntryStatus::Signed).unwrap(), "\"signed\"");
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::from_code(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn author_edits_and_signs_a_draft() {
        let author = UserId::new();
        let mut entry = ClinicalEntry::draft(
            new_entry(EntryKind::Evolution, ""),
            author,
            DeviceId::new(),
            at(0),
        );
        entry
            .edit_draft("Paciente refere melhora.", author, at(60))
            .unwrap();
        entry.sign(author, at(120)).unwrap();
        assert!(entry.is_signed());
        assert_eq!(entry.signed_at, Some(at(120)));
        assert_eq!(entry.signed_by, Some(author));
        assert_eq!(entry.check_consistent(), Ok(()));
    }

    #[rstest]
    #[case::other_user_edits(false, false, "texto", "chart.not_author")]
    #[case::other_user_signs(false, true, "texto", "chart.not_author")]
    #[case::sign_empty(true, true, "  ", "chart.text_empty")]
    fn refuses(#[case] by_author: bool, #[case] sign: bool, #[case] text: &str, #[case] code: &str) {
        let author = UserId::new();
        let by = if by_author { author } else { UserId::new() };
        let mut entry = ClinicalEntry::draft(
            new_entry(EntryKind::Evolution, text),
            author,
            DeviceId::new(),
            at(0),
        );
        let result = if sign {
            entry.sign(by, at(1))
        } else {
            entry.edit_draft("outro", by, at(1))
        };
        assert_eq!(result.unwrap_err().code(), code);
    }

    #[test]
    fn signed_entry_is_immutable_even_for_its_author() {
        let author = UserId::new();
        let mut entry = ClinicalEntry::draft(
            new_entry(EntryKind::Anamnesis, "Queixa: cefaleia."),
            author,
            DeviceId::new(),
            at(0),
        );
        entry.sign(author, at(1)).unwrap();
        let before = entry.clone();
        for result in [
            entry.edit_draft("mudado", author, at(2)),
            entry.sign(author, at(2)),
            entry.set_draft_cid10(Vec::new(), author, at(2)),
        ] {
            assert_eq!(result, Err(ChartError::SignedEntryImmutable { id: entry.id }));
        }
        assert_eq!(entry, before);
    }

    #[test]
    fn diagnosis_needs_a_cid10_to_be_signed() {
        let author = UserId::new();
        let mut entry = ClinicalEntry::draft(
            new_entry(EntryKind::Diagnosis, "Hipertensão essencial"),
            author,
            DeviceId::new(),
            at(0),
        );
        assert_eq!(entry.sign(author, at(1)), Err(ChartError::DiagnosisWithoutCid10));
        entry
            .set_draft_cid10(vec![Cid10::parse("I10").unwrap()], author, at(1))
            .unwrap();
        assert_eq!(entry.sign(author, at(2)), Ok(()));
    }
}
