//! The life cycle of an appointment.

use crate::documents::codec::code_enum;

code_enum! {
    /// Where an appointment is in its life cycle.
    ///
    /// ```text
    /// Booked ──► Confirmed ──► CheckedIn ──► InProgress ──► Done
    ///   │  └───────────────────►┘  │   │
    ///   ├──► Cancelled ◄───────────┘   └──► Cancelled (patient left before being seen)
    ///   └──► NoShow    ◄── Confirmed
    /// ```
    ///
    /// `Done`, `NoShow` and `Cancelled` are terminal: a mistake there is fixed by booking again,
    /// so the record of what happened is kept. An appointment in progress can only finish.
    pub enum AppointmentStatus {
        /// Agendado.
        Booked = "booked",
        /// Confirmado (by the patient, e.g. answering a reminder).
        Confirmed = "confirmed",
        /// The patient arrived (check-in at the reception).
        CheckedIn = "checked_in",
        /// The professional is attending.
        InProgress = "in_progress",
        /// Atendido.
        Done = "done",
        /// The patient did not come (falta).
        NoShow = "no_show",
        Cancelled = "cancelled",
    }
}

impl AppointmentStatus {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Booked => "Agendado",
            Self::Confirmed => "Confirmado",
            Self::CheckedIn => "Paciente chegou",
            Self::InProgress => "Em atendimento",
            Self::Done => "Atendido",
            Self::NoShow => "Faltou",
            Self::Cancelled => "Cancelado",
        }
    }

    /// Whether the appointment holds its time slot (cancelled and no-show ones free it).
    #[must_use]
    pub const fn is_active(self) -> bool {
        !matches!(self, Self::Cancelled | Self::NoShow)
    }

    /// No transition leaves this status.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::NoShow | Self::Cancelled)
    }

    /// Whether `self → next` is allowed (see the diagram on the type).
    #[must_use]
    pub const fn can_transition_to(self, next: Self) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, next),
            (Booked, Confirmed | CheckedIn | Cancelled | NoShow)
                | (Confirmed, CheckedIn | Cancelled | NoShow)
                | (CheckedIn, InProgress | Cancelled)
                | (InProgress, Done)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::{self, *};
    use rstest::rstest;

    #[rstest]
    #[case(Booked, &[Confirmed, CheckedIn, Cancelled, NoShow])]
    #[case(Confirmed, &[CheckedIn, Cancelled, NoShow])]
    #[case(CheckedIn, &[InProgress, Cancelled])]
    #[case(InProgress, &[Done])]
    #[case(Done, &[])]
    #[case(NoShow, &[])]
    #[case(Cancelled, &[])]
    fn transitions_table(#[case] from: AppointmentStatus, #[case] allowed: &[AppointmentStatus]) {
        for to in AppointmentStatus::ALL {
            assert_eq!(
                from.can_transition_to(*to),
                allowed.contains(to),
                "{from:?} -> {to:?}"
            );
        }
        assert_eq!(from.is_terminal(), allowed.is_empty());
    }

    #[test]
    fn labels_and_activity() {
        assert_eq!(NoShow.label(), "Faltou");
        assert_eq!(CheckedIn.as_str(), "checked_in");
        let active: Vec<_> = AppointmentStatus::ALL.iter().filter(|s| s.is_active()).collect();
        assert_eq!(active, [&Booked, &Confirmed, &CheckedIn, &InProgress, &Done]);
    }
}
