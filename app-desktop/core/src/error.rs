//! The core's error type. Every variant has a pt-BR message for people and a stable code for
//! programs; none carries patient data.

use shared_model::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    // --- replica files and keys ---
    #[error("a réplica ainda não foi criada neste diretório; execute 'atendebem init'")]
    NotInitialized,
    #[error("já existe uma réplica neste diretório")]
    AlreadyInitialized,
    #[error("chave incorreta: não foi possível abrir a réplica com a chave ou senha informada")]
    WrongKey,
    #[error("o arquivo da réplica está danificado ou não é uma réplica do AtendeBem; ele não foi alterado")]
    Damaged,
    #[error(
        "a réplica foi criada por uma versão mais nova do AtendeBem (esquema {found}, esta versão conhece até {supported}); atualize o aplicativo — o arquivo não foi alterado"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("replica.json foi criado por uma versão mais nova do AtendeBem; atualize o aplicativo")]
    NewerFormat,
    #[error("replica.json está danificado")]
    MetaCorrupt,
    #[error("nenhum chaveiro do sistema está disponível; defina ATENDEBEM_PASSPHRASE ou digite uma senha")]
    NoKeychainNoPassphrase,
    #[error("o chaveiro do sistema não está disponível")]
    KeychainUnavailable,
    #[error("a chave desta réplica não está no chaveiro do sistema")]
    KeyMissingFromKeychain,
    #[error("o chaveiro do sistema devolveu uma chave inválida")]
    KeychainCorrupt,
    #[error("esta réplica é protegida por senha; defina ATENDEBEM_PASSPHRASE ou digite a senha")]
    PassphraseRequired,
    #[error("a senha deve ter ao menos 8 caracteres, com letras e números")]
    WeakPassphrase,
    #[error("parâmetros de derivação de chave inválidos")]
    KdfParams,

    // --- backups ---
    #[error("o arquivo de backup não é um backup do AtendeBem")]
    BackupNotABackup,
    #[error("o backup foi criado por uma versão mais nova do AtendeBem")]
    BackupNewerFormat,
    #[error("o backup está corrompido (falha na verificação de integridade); nada foi restaurado")]
    BackupCorrupt,
    #[error("senha do backup incorreta; nada foi restaurado")]
    BackupWrongPassphrase,

    // --- domain ---
    #[error("{message}")]
    Domain { code: &'static str, message: String },
    #[error("paciente não encontrado")]
    PatientNotFound,
    #[error("profissional não encontrado")]
    ProfessionalNotFound,
    #[error("usuário não encontrado")]
    UserNotFound,
    #[error("agendamento não encontrado")]
    AppointmentNotFound,
    #[error("nenhum profissional cadastrado nesta réplica; use 'atendebem professional add'")]
    NoProfessional,

    // --- infrastructure ---
    #[error("erro de entrada/saída ao {action}: {source}")]
    Io {
        action: &'static str,
        source: std::io::Error,
    },
    #[error("erro interno do banco de dados local")]
    Database(#[source] rusqlite::Error),
}

impl CoreError {
    pub(crate) fn io(action: &'static str, source: std::io::Error) -> Self {
        CoreError::Io { action, source }
    }

    /// Wraps any domain error, keeping its stable code and its Portuguese message.
    pub fn domain<E: ErrorCode + std::fmt::Display>(error: E) -> Self {
        CoreError::Domain {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl ErrorCode for CoreError {
    fn code(&self) -> &'static str {
        match self {
            CoreError::NotInitialized => "replica.not_initialized",
            CoreError::AlreadyInitialized => "replica.already_initialized",
            CoreError::WrongKey => "replica.wrong_key",
            CoreError::Damaged => "replica.damaged",
            CoreError::NewerSchema { .. } => "replica.newer_schema",
            CoreError::NewerFormat => "replica.newer_format",
            CoreError::MetaCorrupt => "replica.meta_corrupt",
            CoreError::NoKeychainNoPassphrase => "key.no_keychain",
            CoreError::KeychainUnavailable => "key.keychain_unavailable",
            CoreError::KeyMissingFromKeychain => "key.missing",
            CoreError::KeychainCorrupt => "key.corrupt",
            CoreError::PassphraseRequired => "key.passphrase_required",
            CoreError::WeakPassphrase => "key.weak_passphrase",
            CoreError::KdfParams => "key.kdf_params",
            CoreError::BackupNotABackup => "backup.not_a_backup",
            CoreError::BackupNewerFormat => "backup.newer_format",
            CoreError::BackupCorrupt => "backup.corrupt",
            CoreError::BackupWrongPassphrase => "backup.wrong_passphrase",
            CoreError::Domain { code, .. } => code,
            CoreError::PatientNotFound => "patient.not_found",
            CoreError::ProfessionalNotFound => "professional.not_found",
            CoreError::UserNotFound => "user.not_found",
            CoreError::AppointmentNotFound => "appointment.not_found",
            CoreError::NoProfessional => "professional.none",
            CoreError::Io { .. } => "io",
            CoreError::Database(_) => "database",
        }
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(error: rusqlite::Error) -> Self {
        CoreError::Database(error)
    }
}

impl From<shared_model::access::AccessDenied> for CoreError {
    fn from(error: shared_model::access::AccessDenied) -> Self {
        CoreError::domain(error)
    }
}
