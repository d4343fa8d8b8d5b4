//! The agenda document: booking rules through the document and concurrent bookings.

use jiff::Timestamp;

use super::*;
use crate::ErrorCode;
use crate::ids::{DeviceId, PatientId, ProfessionalId, UserId};
use crate::scheduling::{
    Appointment, AppointmentKind, AppointmentStatus, NewAppointment, Payer, Period, SchedulingError,
    WeeklyRule, WorkingHours,
};
use crate::values::{ClinicTimeZone, Money};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_796_000_000 + seconds).unwrap()
}

pub(super) fn sao_paulo() -> ClinicTimeZone {
    ClinicTimeZone::parse("America/Sao_Paulo").unwrap()
}

/// 2026-11-30 (a Monday) at `hour:minute` in São Paulo (UTC-3).
pub(super) fn monday(hour: i8, minute: i8) -> Timestamp {
    sao_paulo()
        .local_to_timestamp(jiff::civil::date(2026, 11, 30).at(hour, minute, 0, 0))
        .unwrap()
}

pub(super) fn agenda(professional: ProfessionalId, device: DeviceId) -> AgendaDoc {
    let mut doc = AgendaDoc::new(professional, YearMonth::new(2026, 11).unwrap(), device).unwrap();
    let hours = WorkingHours {
        weekly: vec![WeeklyRule {
            weekday: jiff::civil::Weekday::Monday,
            start: jiff::civil::time(8, 0, 0, 0),
            end: jiff::civil::time(12, 0, 0, 0),
            room: None,
        }],
        exceptions: vec![],
    };
    doc.set_working_hours(&hours).unwrap();
    doc
}

pub(super) fn slot(professional: ProfessionalId, start: Timestamp, minutes: i64) -> Appointment {
    Appointment::new(
        NewAppointment {
            professional,
            patient: PatientId::new(),
            start,
            end: start
                .checked_add(jiff::SignedDuration::from_mins(minutes))
                .unwrap(),
            kind: AppointmentKind::FirstVisit,
            payer: Payer::Private,
            price: Some(Money::from_centavos(30_000)),
            room: None,
            notes: Some("Trazer exames anteriores".into()),
        },
        UserId::new(),
        at(0),
    )
}

#[test]
fn agenda_booking_rules() {
    let professional = ProfessionalId::new();
    let mut doc = agenda(professional, DeviceId::new());
    let tz = sao_paulo();

    let outside = slot(professional, monday(13, 0), 30);
    assert_eq!(doc.book(&outside, &tz), Err(SchedulingError::OutsideWorkingHours));

    let first = doc.book(&slot(professional, monday(9, 0), 30), &tz).unwrap();
    let overlapping = slot(professional, monday(9, 15), 30);
    assert_eq!(
        doc.book(&overlapping, &tz),
        Err(SchedulingError::Overlap { with: first })
    );

    doc.set_status(first, AppointmentStatus::Cancelled, at(1))
        .unwrap();
    assert_eq!(doc.book(&overlapping, &tz), Ok(overlapping.id));

    let err = doc
        .book(&slot(ProfessionalId::new(), monday(10, 0), 30), &tz)
        .unwrap_err();
    assert_eq!(err.code(), "agenda.wrong_professional");
    let december = slot(
        professional,
        monday(10, 0)
            .checked_add(jiff::SignedDuration::from_hours(24 * 7))
            .unwrap(),
        30,
    );
    assert_eq!(doc.book(&december, &tz), Err(SchedulingError::WrongMonth));

    doc.reschedule(overlapping.id, monday(11, 0), monday(11, 30), &tz, at(2))
        .unwrap();
    let moved = doc.appointment(overlapping.id).unwrap();
    assert_eq!(moved.start, monday(11, 0));
    let err = doc
        .reschedule(first, monday(10, 0), monday(10, 30), &tz, at(3))
        .unwrap_err();
    assert_eq!(err.code(), "agenda.not_reschedulable");

    let loaded = AgendaDoc::load(&doc.save()).unwrap();
    assert_eq!(loaded.appointments().unwrap(), doc.appointments().unwrap());
    assert_eq!(loaded.working_hours().unwrap(), doc.working_hours().unwrap());
    assert_eq!(loaded.month().to_string(), "2026-11");
}

#[test]
fn concurrent_bookings_of_one_slot_are_both_kept_and_reported() {
    let professional = ProfessionalId::new();
    let tz = sao_paulo();
    let mut reception_1 = agenda(professional, DeviceId::new());
    let mut reception_2 = reception_1.fork(DeviceId::new());
    let one = reception_1
        .book(&slot(professional, monday(9, 0), 30), &tz)
        .unwrap();
    let two = reception_2
        .book(&slot(professional, monday(9, 0), 30), &tz)
        .unwrap();
    reception_1.merge(&mut reception_2).unwrap();
    reception_2.merge(&mut reception_1.fork(DeviceId::new())).unwrap();

    assert_eq!(reception_1.appointments().unwrap().len(), 2);
    let expected = vec![AgendaConflict {
        first: one.min(two),
        second: one.max(two),
    }];
    assert_eq!(reception_1.conflicts().unwrap(), expected);
    assert_eq!(reception_2.conflicts().unwrap(), expected);

    // Cancelling one resolves it.
    reception_1
        .set_status(two, AppointmentStatus::Cancelled, at(5))
        .unwrap();
    assert!(reception_1.conflicts().unwrap().is_empty());
}

#[test]
fn working_hours_exceptions_survive_the_document() {
    let mut doc = agenda(ProfessionalId::new(), DeviceId::new());
    let mut hours = doc.working_hours().unwrap();
    hours.exceptions.push(crate::scheduling::HoursException {
        date: jiff::civil::date(2026, 11, 30),
        periods: vec![Period {
            start: jiff::civil::time(14, 0, 0, 0),
            end: jiff::civil::time(15, 30, 0, 0),
        }],
        reason: Some("Mutirão".into()),
    });
    doc.set_working_hours(&hours).unwrap();
    assert_eq!(doc.working_hours().unwrap(), hours);
    let professional = doc.professional();
    let err = doc
        .book(&slot(professional, monday(9, 0), 30), &sao_paulo())
        .unwrap_err();
    assert_eq!(err, SchedulingError::OutsideWorkingHours);
    assert!(
        doc.book(&slot(professional, monday(14, 0), 30), &sao_paulo())
            .is_ok()
    );
}
