//! Errors of the charting area.

use crate::ErrorCode;
use crate::documents::DocumentError;
use crate::ids::EntryId;

/// Why a chart operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("registro clínico não encontrado")]
    EntryNotFound { id: EntryId },
    #[error("um registro assinado não pode ser alterado; registre uma retificação")]
    SignedEntryImmutable { id: EntryId },
    #[error("somente o autor pode alterar ou assinar este rascunho")]
    NotAuthor { id: EntryId },
    #[error("o texto do registro não pode ficar vazio")]
    EmptyText,
    #[error("um diagnóstico precisa de pelo menos um código CID-10")]
    DiagnosisWithoutCid10,
    #[error("só registros assinados são retificados; um rascunho é editado")]
    AmendmentOfDraft { id: EntryId },
    #[error("a retificação precisa de uma justificativa com pelo menos {min} caracteres")]
    AmendmentReasonTooShort { min: usize },
    #[error("somente o autor do registro pode retificá-lo (NGS1.12.01)")]
    AmendmentNotByAuthor { id: EntryId },
    #[error("a retificação deve ser do mesmo tipo do registro original")]
    AmendmentKindMismatch { id: EntryId },
    #[error("este registro já foi retificado; retifique a versão mais recente")]
    NotCurrentVersion { id: EntryId, current: EntryId },
    #[error("registros clínicos nunca são apagados (NGS1.12.03)")]
    EntryRemoved { id: EntryId },
    #[error("o campo {field} de um registro clínico não pode mudar")]
    IdentityChanged { id: EntryId, field: &'static str },
    #[error("a assinatura do registro está inconsistente")]
    InconsistentSignature { id: EntryId },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl ErrorCode for ChartError {
    fn code(&self) -> &'static str {
        match self {
            Self::EntryNotFound { .. } => "chart.entry_not_found",
            Self::SignedEntryImmutable { .. } => "chart.signed_entry_immutable",
            Self::NotAuthor { .. } => "chart.not_author",
            Self::EmptyText => "chart.text_empty",
            Self::DiagnosisWithoutCid10 => "chart.diagnosis_without_cid10",
            Self::AmendmentOfDraft { .. } => "chart.amendment_of_draft",
            Self::AmendmentReasonTooShort { .. } => "chart.amendment_reason_required",
            Self::AmendmentNotByAuthor { .. } => "chart.amendment_not_by_author",
            Self::AmendmentKindMismatch { .. } => "chart.amendment_kind_mismatch",
            Self::NotCurrentVersion { .. } => "chart.not_current_version",
            Self::EntryRemoved { .. } => "chart.entry_removed",
            Self::IdentityChanged { .. } => "chart.identity_changed",
            Self::InconsistentSignature { .. } => "chart.inconsistent_signature",
            Self::Document(err) => err.code(),
        }
    }
}
