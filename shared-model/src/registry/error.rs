//! Errors of the registry area.

use crate::ErrorCode;
use crate::documents::DocumentError;
use crate::ids::ConsentId;
use crate::values::TimeError;

use super::{CboError, NameError};

/// Why a registry record (patient, professional, health-plan card, consent) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("nome do paciente: {0}")]
    PatientName(NameError),
    #[error("nome social: {0}")]
    SocialName(NameError),
    #[error("nome da mãe: {0}")]
    MotherName(NameError),
    #[error("data de nascimento: {0}")]
    BirthDate(TimeError),
    #[error("endereço: o campo {field} é obrigatório")]
    AddressFieldEmpty { field: &'static str },
    #[error("endereço: o campo {field} tem mais de {max} caracteres")]
    AddressFieldTooLong { field: &'static str, max: usize },
    #[error("o registro ANS da operadora deve ter 6 dígitos")]
    OperatorAns,
    #[error("o nome da operadora é obrigatório")]
    OperatorNameEmpty,
    #[error("o número da carteirinha é obrigatório")]
    CardNumberEmpty,
    #[error("o número da carteirinha só pode ter letras e dígitos")]
    CardNumberInvalid,
    #[error("o número da carteirinha tem mais de {max} caracteres")]
    CardNumberTooLong { max: usize },
    #[error("esta carteirinha já está cadastrada para o paciente")]
    DuplicateHealthPlanCard,
    #[error("nome do profissional: {0}")]
    ProfessionalName(NameError),
    #[error("a especialidade não pode ficar em branco")]
    SpecialtyEmpty,
    #[error("CBO: {0}")]
    Cbo(CboError),
    #[error("nome do representante legal: {0}")]
    RepresentativeName(NameError),
    #[error("informe o parentesco ou a qualidade do representante legal")]
    RepresentativeRelationshipEmpty,
    #[error("consentimento não encontrado")]
    ConsentNotFound { id: ConsentId },
    #[error("este consentimento já foi revogado")]
    ConsentAlreadyRevoked { id: ConsentId },
    #[error(
        "um consentimento registrado não pode ser alterado: revogue-o e registre um novo \
         (NGS1.11.06)"
    )]
    ConsentEdited { id: ConsentId },
    #[error("um consentimento registrado não pode ser apagado")]
    ConsentRemoved { id: ConsentId },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl ErrorCode for RegistryError {
    fn code(&self) -> &'static str {
        match self {
            Self::PatientName(NameError::Empty) => "patient.name_empty",
            Self::PatientName(NameError::TooLong { .. }) => "patient.name_too_long",
            Self::SocialName(_) => "patient.social_name_too_long",
            Self::MotherName(_) => "patient.mother_name_too_long",
            Self::BirthDate(err) => err.code(),
            Self::AddressFieldEmpty { .. } => "address.field_empty",
            Self::AddressFieldTooLong { .. } => "address.field_too_long",
            Self::OperatorAns => "health_plan.operator_ans_invalid",
            Self::OperatorNameEmpty => "health_plan.operator_name_empty",
            Self::CardNumberEmpty => "health_plan.card_number_empty",
            Self::CardNumberInvalid => "health_plan.card_number_invalid",
            Self::CardNumberTooLong { .. } => "health_plan.card_number_too_long",
            Self::DuplicateHealthPlanCard => "health_plan.duplicate",
            Self::ProfessionalName(NameError::Empty) => "professional.name_empty",
            Self::ProfessionalName(NameError::TooLong { .. }) => "professional.name_too_long",
            Self::SpecialtyEmpty => "professional.specialty_empty",
            Self::Cbo(err) => err.code(),
            Self::RepresentativeName(NameError::Empty) => "consent.representative_name_empty",
            Self::RepresentativeName(NameError::TooLong { .. }) => "consent.representative_name_too_long",
            Self::RepresentativeRelationshipEmpty => "consent.representative_relationship_empty",
            Self::ConsentNotFound { .. } => "consent.not_found",
            Self::ConsentAlreadyRevoked { .. } => "consent.already_revoked",
            Self::ConsentEdited { .. } => "consent.immutable",
            Self::ConsentRemoved { .. } => "consent.removed",
            Self::Document(err) => err.code(),
        }
    }
}
