//! What the sync server relies on: strict data checks, per-user actors, bare registry documents.

use jiff::Timestamp;

use super::*;
use crate::charting::{EntryKind, NewEntry};
use crate::ids::{DeviceId, PatientId, UserId};
use crate::registry::{NewPatient, Patient};

fn chart_with_note() -> (ChartDoc, DeviceId, UserId) {
    let device = DeviceId::new();
    let user = UserId::new();
    let mut chart = ChartDoc::new(PatientId::new(), device).unwrap();
    chart.set_author(device, user);
    let entry = NewEntry {
        kind: EntryKind::Evolution,
        text: "nota".into(),
        cid10: vec![],
        professional: None,
    };
    chart.add_draft(entry, user, device, Timestamp::now()).unwrap();
    (chart, device, user)
}

#[test]
fn check_data_accepts_whole_documents_and_change_runs() {
    let (mut chart, _, _) = chart_with_note();
    check_data(&chart.save()).unwrap();
    check_data(&chart.save_after(&[])).unwrap();
    check_data(&[]).unwrap();
}

#[test]
fn check_data_refuses_truncated_corrupted_and_foreign_bytes() {
    let (mut chart, _, _) = chart_with_note();
    for data in [chart.save(), chart.save_after(&[])] {
        for cut in [1, data.len() / 2, data.len() - 1] {
            assert!(check_data(&data[..cut]).is_err(), "truncated at {cut}");
        }
        let mut flipped = data.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(check_data(&flipped).is_err(), "corrupted body");
    }
    assert!(check_data(b"not automerge at all").is_err());
}

#[test]
fn actor_for_binds_device_and_user() {
    let (mut chart, device, user) = chart_with_note();
    let actors: Vec<_> = chart.changes_after(&[]).into_iter().map(|(_, a)| a).collect();
    // The genesis change (deterministic actor) and the note (this user on this device).
    assert_eq!(actors.len(), 2);
    assert_eq!(actors[1], actor_for(device, user));
    assert_ne!(actor_for(device, user), actor_for(device, UserId::new()));
    assert_ne!(actor_for(device, user), actor_id(device));
}

#[test]
fn a_bare_registry_shares_the_genesis_and_takes_a_first_record() {
    let patient = Patient::new(NewPatient::named("Ana Lima"), jiff::civil::date(2026, 1, 1)).unwrap();
    let device = DeviceId::new();
    let mut full = RegistryDoc::new(&patient, device).unwrap();
    let mut bare = RegistryDoc::empty(patient.id, DeviceId::new()).unwrap();
    assert!(bare.patient().is_err());
    bare.load_incremental(&full.save()).unwrap();
    assert_eq!(
        bare.heads(),
        full.heads(),
        "one shared genesis, so merging adds only the record"
    );
    let mut fresh = RegistryDoc::empty(patient.id, device).unwrap();
    fresh.set_author(device, UserId::new());
    fresh.update(&patient).unwrap();
    assert_eq!(fresh.patient().unwrap(), patient);
}

#[test]
fn changed_keys_names_what_a_change_touched() {
    use crate::ids::ProfessionalId;
    use crate::scheduling::{
        Appointment, AppointmentKind, AppointmentStatus, NewAppointment, Payer, WeeklyRule, WorkingHours,
    };
    use crate::values::ClinicTimeZone;
    use jiff::civil::{Time, Weekday};

    let device = DeviceId::new();
    let professional = ProfessionalId::new();
    let mut agenda = AgendaDoc::new(professional, YearMonth::new(2027, 3).unwrap(), device).unwrap();
    let weekly = vec![WeeklyRule {
        weekday: Weekday::Wednesday,
        start: Time::constant(7, 0, 0, 0),
        end: Time::constant(19, 0, 0, 0),
        room: None,
    }];
    agenda
        .set_working_hours(&WorkingHours {
            weekly,
            exceptions: vec![],
        })
        .unwrap();
    let h0 = agenda.heads();
    assert!(agenda.changed_keys(&h0, "appointments").is_empty());
    let start: Timestamp = "2027-03-10T13:00:00Z".parse().unwrap();
    let a = Appointment::new(
        NewAppointment {
            professional,
            patient: PatientId::new(),
            start,
            end: start.checked_add(jiff::SignedDuration::from_mins(30)).unwrap(),
            kind: AppointmentKind::FollowUp,
            payer: Payer::Private,
            price: None,
            room: None,
            notes: None,
        },
        UserId::new(),
        Timestamp::now(),
    );
    agenda.book(&a, &ClinicTimeZone::default()).unwrap();
    assert_eq!(agenda.changed_keys(&h0, "appointments"), vec![a.id.to_string()]);
    let h1 = agenda.heads();
    agenda
        .set_status(a.id, AppointmentStatus::Confirmed, Timestamp::now())
        .unwrap();
    assert_eq!(agenda.changed_keys(&h1, "appointments"), vec![a.id.to_string()]);
    assert_eq!(
        agenda.read_appointment(&a.id.to_string()).unwrap(),
        Some(agenda.appointment(a.id).unwrap())
    );
    assert_eq!(agenda.read_appointment("nao-existe").unwrap(), None);
    assert!(agenda.changed_keys(&h1, "outra").is_empty());

    let (mut chart, device, user) = chart_with_note();
    let h = chart.heads();
    let entry = NewEntry {
        kind: EntryKind::Evolution,
        text: "outra".into(),
        cid10: vec![],
        professional: None,
    };
    let id = chart.add_draft(entry, user, device, Timestamp::now()).unwrap();
    assert_eq!(chart.changed_keys(&h, "entries"), vec![id.to_string()]);
    assert_eq!(
        chart.read_entry(&id.to_string()).unwrap(),
        Some(chart.entry(id).unwrap())
    );
}
