//! Errors of the documents area.

use crate::ErrorCode;

use super::DocumentKind;

/// Why a document could not be loaded, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("o documento está corrompido ou não é um documento do AtendeBem")]
    Corrupt { detail: String },
    #[error("o documento é do tipo \"{found}\", esperado \"{expected}\"")]
    WrongKind { expected: DocumentKind, found: String },
    #[error(
        "o documento foi gravado por uma versão mais nova do AtendeBem (esquema {found}, \
         suportado até {supported}); atualize o aplicativo"
    )]
    UnsupportedSchema { found: u32, supported: u32 },
    #[error("os documentos não são o mesmo documento e não podem ser combinados")]
    KeyMismatch,
    #[error("o conteúdo do documento é inválido")]
    Malformed { detail: String },
    #[error("falha ao gravar no documento")]
    Write { detail: String },
    #[error("chave de documento inválida: {input}")]
    InvalidKey { input: String },
}

impl ErrorCode for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            Self::Corrupt { .. } => "document.corrupt",
            Self::WrongKind { .. } => "document.wrong_kind",
            Self::UnsupportedSchema { .. } => "document.unsupported_schema",
            Self::KeyMismatch => "document.key_mismatch",
            Self::Malformed { .. } => "document.malformed",
            Self::Write { .. } => "document.write_failed",
            Self::InvalidKey { .. } => "document.invalid_key",
        }
    }
}

impl From<autosurgeon::HydrateError> for DocumentError {
    fn from(err: autosurgeon::HydrateError) -> Self {
        Self::Malformed {
            detail: err.to_string(),
        }
    }
}

impl From<autosurgeon::ReconcileError> for DocumentError {
    fn from(err: autosurgeon::ReconcileError) -> Self {
        Self::Write {
            detail: err.to_string(),
        }
    }
}

impl From<automerge::AutomergeError> for DocumentError {
    fn from(err: automerge::AutomergeError) -> Self {
        Self::Write {
            detail: err.to_string(),
        }
    }
}
