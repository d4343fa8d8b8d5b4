//! Appointments.

use autosurgeon::{Hydrate, Reconcile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{AppointmentStatus, SchedulingError};
use crate::documents::codec::{code_enum, millis};
use crate::ids::{AppointmentId, PatientId, ProfessionalId, UserId};
use crate::registry::{AnsCode, CardNumber};
use crate::values::Money;

code_enum! {
    /// What the appointment is for.
    pub enum AppointmentKind {
        FirstVisit = "first_visit",
        FollowUp = "follow_up",
        Exam = "exam",
        Procedure = "procedure",
        Teleconsultation = "teleconsultation",
    }
}

impl AppointmentKind {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::FirstVisit => "Primeira consulta",
            Self::FollowUp => "Retorno",
            Self::Exam => "Exame",
            Self::Procedure => "Procedimento",
            Self::Teleconsultation => "Teleconsulta",
        }
    }
}

/// Who pays. Stored as `"private"` or `{"health_plan": {"operator_ans": .., "card_number": ..}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payer {
    /// Particular.
    #[autosurgeon(rename = "private")]
    Private,
    /// Convênio: the operator and the patient's card.
    #[autosurgeon(rename = "health_plan")]
    HealthPlan {
        operator_ans: AnsCode,
        card_number: CardNumber,
    },
}

/// One appointment of one professional's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Appointment {
    #[key]
    pub id: AppointmentId,
    pub professional: ProfessionalId,
    pub patient: PatientId,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub start: Timestamp,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub end: Timestamp,
    pub status: AppointmentStatus,
    pub room: Option<String>,
    pub kind: AppointmentKind,
    pub payer: Payer,
    pub price: Option<Money>,
    /// Administrative notes only ("trazer exames"); clinical content belongs in the chart.
    pub notes: Option<String>,
    pub created_by: UserId,
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub created_at: Timestamp,
    /// Last status change or reschedule.
    #[autosurgeon(with = "crate::documents::codec::timestamp")]
    pub updated_at: Timestamp,
}

/// Input for a new appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    pub professional: ProfessionalId,
    pub patient: PatientId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub kind: AppointmentKind,
    pub payer: Payer,
    pub price: Option<Money>,
    pub room: Option<String>,
    pub notes: Option<String>,
}

impl Appointment {
    /// A new `Booked` appointment (new id). Instants are truncated to the millisecond; blank
    /// `room`/`notes` become `None`. Whether it may be booked is [`super::check_can_book`]'s
    /// call.
    #[must_use]
    pub fn new(input: NewAppointment, created_by: UserId, now: Timestamp) -> Self {
        let now = millis(now);
        let blank_to_none = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Self {
            id: AppointmentId::new(),
            professional: input.professional,
            patient: input.patient,
            start: millis(input.start),
            end: millis(input.end),
            status: AppointmentStatus::Booked,
            room: blank_to_none(input.room),
            kind: input.kind,
            payer: input.payer,
            price: input.price,
            notes: blank_to_none(input.notes),
            created_by,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether `self` and `other` are both active appointments of the same professional whose
    /// times intersect (touching ends do not overlap).
    #[must_use]
    pub fn overlaps(&self, other: &Appointment) -> bool {
        self.id != other.id
            && self.professional == other.professional
            && self.status.is_active()
            && other.status.is_active()
            && self.start < other.end
            && other.start < self.end
    }
}

/// Moves `appointment` to `next` at `now`. A no-show is recorded only once the start time has
/// passed.
pub fn transition(
    appointment: &mut Appointment,
    next: AppointmentStatus,
    now: Timestamp,
) -> Result<(), SchedulingError> {
    if !appointment.status.can_transition_to(next) {
        return Err(SchedulingError::InvalidTransition {
            from: appointment.status,
            to: next,
        });
    }
    if next == AppointmentStatus::NoShow && now < appointment.start {
        return Err(SchedulingError::NoShowBeforeStart);
    }
    appointment.status = next;
    appointment.updated_at = millis(now);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ErrorCode;

    pub(crate) fn at(hour: i8, minute: i8) -> Timestamp {
        // 2026-11-30 is a Monday; São Paulo is UTC-3.
        jiff::civil::date(2026, 11, 30)
            .at(hour, minute, 0, 0)
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(-3)))
            .unwrap()
            .timestamp()
    }

    pub(crate) fn appointment(professional: ProfessionalId, start: Timestamp, end: Timestamp) -> Appointment {
        Appointment::new(
            NewAppointment {
                professional,
                patient: PatientId::new(),
                start,
                end,
                kind: AppointmentKind::FollowUp,
                payer: Payer::Private,
                price: Some(Money::from_centavos(25_000)),
                room: Some(" ".into()),
                notes: None,
            },
            UserId::new(),
            at(7, 0),
        )
    }

    #[test]
    fn walks_the_life_cycle() {
        let mut a = appointment(ProfessionalId::new(), at(9, 0), at(9, 30));
        assert_eq!(a.room, None);
        for next in [
            AppointmentStatus::Confirmed,
            AppointmentStatus::CheckedIn,
            AppointmentStatus::InProgress,
            AppointmentStatus::Done,
        ] {
            transition(&mut a, next, at(9, 1)).unwrap();
        }
        assert_eq!(a.status, AppointmentStatus::Done);
        assert_eq!(a.updated_at, at(9, 1));
        let err = transition(&mut a, AppointmentStatus::Cancelled, at(10, 0)).unwrap_err();
        assert_eq!(err.code(), "agenda.invalid_transition");
        assert_eq!(
            err.to_string(),
            "não é possível passar de \"Atendido\" para \"Cancelado\""
        );
    }

    #[test]
    fn no_show_only_after_start() {
        let mut a = appointment(ProfessionalId::new(), at(9, 0), at(9, 30));
        let err = transition(&mut a, AppointmentStatus::NoShow, at(8, 59)).unwrap_err();
        assert_eq!(err.code(), "agenda.no_show_before_start");
        transition(&mut a, AppointmentStatus::NoShow, at(9, 15)).unwrap();
        assert!(!a.status.is_active());
    }

    #[test]
    fn payer_serialisation_is_stable() {
        let payer = Payer::HealthPlan {
            operator_ans: AnsCode::parse("326305").unwrap(),
            card_number: CardNumber::parse("123").unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&payer).unwrap(),
            r#"{"type":"health_plan","operator_ans":"326305","card_number":"123"}"#
        );
    }
}
