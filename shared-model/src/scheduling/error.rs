//! Errors of the scheduling area.

use crate::ErrorCode;
use crate::documents::DocumentError;
use crate::ids::AppointmentId;

use super::AppointmentStatus;

/// Why a scheduling operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchedulingError {
    #[error("o término deve ser depois do início")]
    EndNotAfterStart,
    #[error("o agendamento deve durar pelo menos {min_minutes} minutos")]
    TooShort { min_minutes: i64 },
    #[error("o agendamento pode durar no máximo {max_hours} horas")]
    TooLong { max_hours: i64 },
    #[error("o horário está fora do expediente do profissional")]
    OutsideWorkingHours,
    #[error("o horário coincide com outro agendamento do profissional")]
    Overlap { with: AppointmentId },
    #[error("não é possível passar de \"{}\" para \"{}\"", from.label(), to.label())]
    InvalidTransition {
        from: AppointmentStatus,
        to: AppointmentStatus,
    },
    #[error("só é possível registrar a falta depois do horário marcado")]
    NoShowBeforeStart,
    #[error("um agendamento \"{}\" não pode ser remarcado", status.label())]
    NotReschedulable { status: AppointmentStatus },
    #[error("agendamento não encontrado")]
    AppointmentNotFound { id: AppointmentId },
    #[error("o agendamento é de outro profissional")]
    WrongProfessional,
    #[error("o agendamento não pertence ao mês desta agenda")]
    WrongMonth,
    #[error("expediente inválido: {reason}")]
    InvalidWorkingHours { reason: &'static str },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl ErrorCode for SchedulingError {
    fn code(&self) -> &'static str {
        match self {
            Self::EndNotAfterStart => "agenda.end_not_after_start",
            Self::TooShort { .. } => "agenda.too_short",
            Self::TooLong { .. } => "agenda.too_long",
            Self::OutsideWorkingHours => "agenda.outside_working_hours",
            Self::Overlap { .. } => "agenda.overlap",
            Self::InvalidTransition { .. } => "agenda.invalid_transition",
            Self::NoShowBeforeStart => "agenda.no_show_before_start",
            Self::NotReschedulable { .. } => "agenda.not_reschedulable",
            Self::AppointmentNotFound { .. } => "agenda.appointment_not_found",
            Self::WrongProfessional => "agenda.wrong_professional",
            Self::WrongMonth => "agenda.wrong_month",
            Self::InvalidWorkingHours { .. } => "agenda.invalid_working_hours",
            Self::Document(err) => err.code(),
        }
    }
}
