//! Booking rules: duration, working hours, overlaps.

use jiff::{SignedDuration, Timestamp};

use super::{Appointment, SchedulingError, WorkingHours, check_within_working_hours};
use crate::ids::AppointmentId;
use crate::values::ClinicTimeZone;

/// The shortest appointment.
pub const MIN_DURATION: SignedDuration = SignedDuration::from_mins(5);
/// The longest appointment.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(8);

/// Checks `end > start` and a duration between [`MIN_DURATION`] and [`MAX_DURATION`].
pub fn check_duration(start: Timestamp, end: Timestamp) -> Result<(), SchedulingError> {
    let duration = end.duration_since(start);
    if duration <= SignedDuration::ZERO {
        Err(SchedulingError::EndNotAfterStart)
    } else if duration < MIN_DURATION {
        Err(SchedulingError::TooShort {
            min_minutes: MIN_DURATION.as_mins(),
        })
    } else if duration > MAX_DURATION {
        Err(SchedulingError::TooLong {
            max_hours: MAX_DURATION.as_hours(),
        })
    } else {
        Ok(())
    }
}

/// Pairs of active appointments of the same professional whose times intersect, each pair as
/// `(smaller id, larger id)`, sorted. Cancelled and no-show appointments never count.
#[must_use]
pub fn find_overlaps(appointments: &[Appointment]) -> Vec<(AppointmentId, AppointmentId)> {
    let mut active: Vec<&Appointment> = appointments.iter().filter(|a| a.status.is_active()).collect();
    active.sort_by_key(|a| (a.start, a.id));
    let mut pairs = Vec::new();
    for (i, a) in active.iter().enumerate() {
        for b in active[i + 1..].iter().take_while(|b| b.start < a.end) {
            if a.overlaps(b) {
                pairs.push((a.id.min(b.id), a.id.max(b.id)));
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

/// Whether `candidate` may be booked next to `existing` (the same professional's agenda):
/// duration, working hours in `tz`, no overlap with an active appointment. `existing` may
/// contain `candidate` itself (rescheduling); it is skipped.
pub fn check_can_book(
    existing: &[Appointment],
    candidate: &Appointment,
    hours: &WorkingHours,
    tz: &ClinicTimeZone,
) -> Result<(), SchedulingError> {
    check_duration(candidate.start, candidate.end)?;
    check_within_working_hours(hours, tz, candidate.start, candidate.end)?;
    match existing.iter().find(|other| candidate.overlaps(other)) {
        Some(other) => Err(SchedulingError::Overlap { with: other.id }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::ids::ProfessionalId;
    use crate::scheduling::appointment::tests::{appointment, at};
    use crate::scheduling::hours::tests::{hours, sao_paulo};
    use crate::scheduling::{AppointmentStatus, transition};
    use rstest::rstest;

    #[rstest]
    #[case((9, 0), (9, 0), Some("agenda.end_not_after_start"))]
    #[case((9, 30), (9, 0), Some("agenda.end_not_after_start"))]
    #[case((9, 0), (9, 4), Some("agenda.too_short"))]
    #[case((9, 0), (9, 5), None)]
    #[case((8, 0), (16, 0), None)]
    #[case((8, 0), (16, 1), Some("agenda.too_long"))]
    fn duration_table(#[case] start: (i8, i8), #[case] end: (i8, i8), #[case] code: Option<&str>) {
        let result = check_duration(at(start.0, start.1), at(end.0, end.1));
        assert_eq!(result.map_err(|e| e.code()).err(), code);
    }

    #[test]
    fn booking_outside_working_hours_is_refused() {
        let candidate = appointment(ProfessionalId::new(), at(12, 15), at(12, 45));
        let err = check_can_book(&[], &candidate, &hours(), &sao_paulo()).unwrap_err();
        assert_eq!(err.code(), "agenda.outside_working_hours");
    }

    #[test]
    fn overlapping_booking_is_refused_and_cancelled_does_not_block() {
        let professional = ProfessionalId::new();
        let mut booked = appointment(professional, at(9, 0), at(9, 30));
        let candidate = appointment(professional, at(9, 15), at(9, 45));
        let err = check_can_book(&[booked.clone()], &candidate, &hours(), &sao_paulo()).unwrap_err();
        assert_eq!(err, SchedulingError::Overlap { with: booked.id });

        transition(&mut booked, AppointmentStatus::Cancelled, at(8, 0)).unwrap();
        assert_eq!(
            check_can_book(&[booked], &candidate, &hours(), &sao_paulo()),
            Ok(())
        );
    }

    #[test]
    fn other_professionals_and_touching_slots_do_not_overlap() {
        let professional = ProfessionalId::new();
        let booked = appointment(professional, at(9, 0), at(9, 30));
        let next = appointment(professional, at(9, 30), at(10, 0));
        let colleague = appointment(ProfessionalId::new(), at(9, 0), at(9, 30));
        let existing = [booked.clone(), colleague];
        assert_eq!(check_can_book(&existing, &next, &hours(), &sao_paulo()), Ok(()));
        assert_eq!(check_can_book(&existing, &booked, &hours(), &sao_paulo()), Ok(()));
    }

    #[test]
    fn finds_every_overlapping_pair_once() {
        let professional = ProfessionalId::new();
        let a = appointment(professional, at(9, 0), at(10, 0));
        let b = appointment(professional, at(9, 30), at(10, 30));
        let c = appointment(professional, at(9, 45), at(9, 50));
        let mut d = appointment(professional, at(9, 0), at(10, 0));
        transition(&mut d, AppointmentStatus::Cancelled, at(8, 0)).unwrap();
        let e = appointment(professional, at(11, 0), at(11, 30));
        let pairs = find_overlaps(&[a.clone(), b.clone(), c.clone(), d, e]);
        let mut expected = vec![
            (a.id.min(b.id), a.id.max(b.id)),
            (a.id.min(c.id), a.id.max(c.id)),
            (b.id.min(c.id), b.id.max(c.id)),
        ];
        expected.sort();
        assert_eq!(pairs, expected);
    }
}
