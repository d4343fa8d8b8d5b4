use jiff::Timestamp;
use shared_model::charting::EntryKind;
use shared_model::identity::Role;
use shared_model::registry::{Cbo, NewPatient, NewProfessional};
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};
use shared_model::values::{ClinicTimeZone, CouncilRegistration, Cpf};

use super::*;
use crate::ErrorCode;
use crate::clock::FixedClock;
use crate::keys::{FixedPassphrase, KeyPreference, MemoryKeychain};
use crate::store::KeyAccess;

/// Sunday 29 Nov 2026, 12:00 in São Paulo.
fn now() -> Timestamp {
    "2026-11-29T15:00:00Z".parse().unwrap()
}

pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub clinic: Clinic,
    pub admin: Session,
    pub doctor: Session,
    pub staff: Session,
    pub professional: ProfessionalId,
}

pub(crate) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(
        dir.path(),
        KeyPreference::Keychain,
        KeyAccess {
            keychain: &keychain,
            passphrases: &none,
        },
    )
    .unwrap();
    let mut clinic = Clinic::init(
        replica,
        "Clínica Teste",
        ClinicTimeZone::default_brazil(),
        Box::new(FixedClock(now())),
    )
    .unwrap();
    let admin = clinic.session(None, Role::Admin).unwrap();
    let record = clinic
        .add_professional(
            &admin,
            NewProfessionalRecord {
                professional: NewProfessional {
                    user_id: None,
                    name: "Dra. Helena Araújo".into(),
                    registration: CouncilRegistration::parse("CRM/SP 123456").unwrap(),
                    specialties: vec!["Clínica médica".into()],
                    cbo: Cbo::parse("225125").unwrap(),
                },
                working_hours: None,
            },
        )
        .unwrap();
    let staff_row = clinic.add_user(&admin, "Recepção", Role::Staff).unwrap();
    let doctor = clinic.session(None, Role::Professional).unwrap();
    let staff = clinic.session(Some(&staff_row.user_id), Role::Staff).unwrap();
    Fixture {
        _dir: dir,
        clinic,
        admin,
        doctor,
        staff,
        professional: record.professional.id,
    }
}

pub(crate) fn joao(f: &mut Fixture) -> shared_model::registry::Patient {
    let mut input = NewPatient::named("João da Silva");
    input.cpf = Some(Cpf::parse("529.982.247-25").unwrap());
    f.clinic.add_patient(&f.staff, input).unwrap()
}

pub(crate) fn booking(f: &Fixture, patient: shared_model::ids::PatientId, start: &str) -> BookRequest {
    BookRequest {
        professional: f.professional,
        patient,
        start: start.parse().unwrap(),
        minutes: 30,
        kind: AppointmentKind::FirstVisit,
        payer: Payer::Private,
        price: None,
        room: None,
    }
}

fn count(f: &Fixture, table: &str) -> i64 {
    f.clinic
        .replica()
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn reception_registers_and_finds_patients_without_accents() {
    let mut f = fixture();
    let patient = joao(&mut f);
    for query in ["joao silva", "JOÃO", "529.982.247-25", "52998224725", "silva jo"] {
        let hits = f.clinic.search_patients(&f.staff, query, 10).unwrap();
        assert_eq!(hits.len(), 1, "{query}");
        assert_eq!(hits[0].patient_id, patient.id.to_string());
    }
    assert!(
        f.clinic
            .search_patients(&f.staff, "maria", 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn duplicate_cpf_is_refused_and_nothing_is_stored() {
    let mut f = fixture();
    joao(&mut f);
    let documents = count(&f, "documents");
    let mut again = NewPatient::named("Outro Nome");
    again.cpf = Some(Cpf::parse("52998224725").unwrap());
    let err = f.clinic.add_patient(&f.staff, again).unwrap_err();
    assert_eq!(err.code(), "patient.duplicate_cpf");
    assert_eq!(count(&f, "documents"), documents);
    assert_eq!(count(&f, "patient_index"), 1);
}

/// NGS1.03.01/02/03: reception never reads clinical content, through the core API either.
#[test]
fn staff_cannot_write_or_read_the_chart() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let note = NoteRequest {
        kind: EntryKind::Evolution,
        text: "Paciente estável.".into(),
        cid10: vec![],
        sign: true,
    };
    let err = f.clinic.add_note(&f.staff, patient.id, note.clone()).unwrap_err();
    assert_eq!(err.code(), "access.denied");
    f.clinic.add_note(&f.doctor, patient.id, note).unwrap();
    assert_eq!(
        f.clinic.timeline(&f.staff, patient.id, None).unwrap_err().code(),
        "access.denied"
    );
    assert_eq!(f.clinic.timeline(&f.doctor, patient.id, None).unwrap().len(), 1);
    let export = f.clinic.export_patient(&f.staff, patient.id).unwrap();
    assert!(export.chart.is_none());
    assert_eq!(export.chart_omitted, Some("access.denied"));
    let export = f.clinic.export_patient(&f.doctor, patient.id).unwrap();
    assert_eq!(export.chart.unwrap().len(), 1);
}

#[test]
fn booking_respects_hours_and_overlaps_and_lists_by_local_day() {
    let mut f = fixture();
    let patient = joao(&mut f);
    // Tuesday 1 Dec 2026, 09:00 in São Paulo (UTC−3).
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    let err = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:15:00Z"))
        .unwrap_err();
    assert_eq!(err.code(), "agenda.overlap");
    // 22:00 local: outside the default 08:00–18:00.
    let err = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-02T01:00:00Z"))
        .unwrap_err();
    assert_eq!(err.code(), "agenda.outside_working_hours");
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].local_start, "09:00");
    assert_eq!(day[0].patient_name, "João da Silva");
    // Check-in, then the slot's status shows it.
    f.clinic
        .set_appointment_status(&f.staff, a.id, AppointmentStatus::CheckedIn)
        .unwrap();
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), Some(f.professional))
        .unwrap();
    assert_eq!(day[0].status, "checked_in");
    // Cancelled appointments free the slot.
    let b = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T14:00:00Z"))
        .unwrap();
    f.clinic
        .set_appointment_status(&f.staff, b.id, AppointmentStatus::Cancelled)
        .unwrap();
    f.clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T14:00:00Z"))
        .unwrap();
    assert!(
        f.clinic
            .agenda_conflicts(&f.staff, jiff::civil::date(2026, 12, 1))
            .unwrap()
            .is_empty()
    );
}

/// NGS1.12.01/12.03: signed entries are immutable; corrections are new versions with a reason.
#[test]
fn signed_notes_are_amended_never_edited() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let note = NoteRequest {
        kind: EntryKind::Evolution,
        text: "PA 12x8.".into(),
        cid10: vec![],
        sign: false,
    };
    let draft = f.clinic.add_note(&f.doctor, patient.id, note).unwrap();
    let err = f
        .clinic
        .amend_entry(&f.doctor, patient.id, draft.id, "PA 13x8.", "Erro de digitação")
        .unwrap_err();
    assert_eq!(err.code(), "chart.amendment_of_draft");
    f.clinic.sign_entry(&f.doctor, patient.id, draft.id).unwrap();
    let err = f.clinic.sign_entry(&f.doctor, patient.id, draft.id).unwrap_err();
    assert_eq!(err.code(), "chart.signed_entry_immutable");
    let err = f
        .clinic
        .amend_entry(&f.doctor, patient.id, draft.id, "PA 13x8.", "x")
        .unwrap_err();
    assert_eq!(err.code(), "chart.amendment_reason_required");
    let amended = f
        .clinic
        .amend_entry(&f.doctor, patient.id, draft.id, "PA 13x8.", "Erro de digitação")
        .unwrap();
    assert_eq!(amended.amends, Some(draft.id));
    let timeline = f.clinic.timeline(&f.doctor, patient.id, None).unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].current.text, "PA 13x8.");
    assert_eq!(timeline[0].superseded, vec![draft.id]);
    assert_eq!(f.clinic.chart_entries(&f.doctor, patient.id).unwrap().len(), 2);
}

#[test]
fn every_action_is_audited_without_patient_data() {
    let mut f = fixture();
    let patient = joao(&mut f);
    f.clinic.export_patient(&f.doctor, patient.id).unwrap();
    let conn = f.clinic.replica().conn();
    let mut stmt = conn
        .prepare("SELECT action, coalesce(record, '') FROM audit_log ORDER BY seq")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let actions: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    assert!(
        actions.contains(&"patient.create") && actions.contains(&"patient.export"),
        "{actions:?}"
    );
    // NGS1.07.06: no names or CPF in the audit trail.
    for (action, record) in &rows {
        for text in [action, record] {
            assert!(!text.contains("João") && !text.contains("52998224725"));
        }
    }
}

#[test]
fn many_changes_compact_into_a_snapshot_and_still_load() {
    let mut f = fixture();
    let patient = joao(&mut f);
    for i in 0..150 {
        let note = NoteRequest {
            kind: EntryKind::Evolution,
            text: format!("Nota {i}"),
            cid10: vec![],
            sign: i % 2 == 0,
        };
        f.clinic.add_note(&f.doctor, patient.id, note).unwrap();
    }
    let pending: i64 = f
        .clinic
        .replica()
        .conn()
        .query_row("SELECT count(*) FROM document_changes", [], |r| r.get(0))
        .unwrap();
    assert!(pending < crate::store::documents::COMPACT_AFTER, "{pending}");
    assert_eq!(f.clinic.timeline(&f.doctor, patient.id, None).unwrap().len(), 150);
}

#[test]
fn demo_twice_keeps_cpfs_and_registrations_unique() {
    let mut f = fixture();
    let options = crate::demo::DemoOptions {
        patients: 40,
        seed: 5,
        months: 2,
    };
    let first = crate::demo::generate(&mut f.clinic, &f.admin, options).unwrap();
    assert!(first.appointments > 0 && first.chart_entries > 0);
    crate::demo::generate(&mut f.clinic, &f.admin, options).unwrap();
    let conn = f.clinic.replica().conn();
    let duplicates: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT cpf FROM patient_index WHERE cpf IS NOT NULL GROUP BY cpf HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(duplicates, 0);
    assert_eq!(count(&f, "patient_index"), 80);
    // Seven demo professionals, each once; the fixture's CRM/SP 123456 is reused, not repeated.
    assert_eq!(f.clinic.professionals().unwrap().len(), 7);
}

/// Each write appends only its own changes, not the document's whole history.
#[test]
fn stored_changes_are_incremental() {
    let mut f = fixture();
    let patient = joao(&mut f);
    for i in 0..40 {
        let text = format!("Evolução {i}: paciente estável, sem queixas novas, mantida a conduta.");
        let note = NoteRequest {
            kind: EntryKind::Evolution,
            text,
            cid10: vec![],
            sign: true,
        };
        f.clinic.add_note(&f.doctor, patient.id, note).unwrap();
    }
    let conn = f.clinic.replica().conn();
    let (rows, largest, snapshot): (i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), max(length(c.data)), (SELECT length(snapshot) FROM documents WHERE doc_key = ?1)
             FROM document_changes c WHERE c.doc_key = ?1",
            [format!("chart/{}", patient.id)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(rows, 39, "the first write stored the snapshot");
    assert!(
        largest < 1_500,
        "largest change {largest} bytes (snapshot {snapshot})"
    );
}

/// Every change a person makes is written under `actor_for(device, user)`: the actor the sync
/// server accepts from that user's session (anything else is refused as `sync.foreign_actor`).
#[test]
fn changes_are_written_as_the_session_user_on_this_device() {
    use shared_model::documents::{
        AgendaDoc, ChartDoc, CrdtDocument, DocumentKey, RegistryDoc, YearMonth, actor_for,
    };
    let mut f = fixture();
    let patient = joao(&mut f);
    let booked = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    let note = NoteRequest {
        kind: EntryKind::Evolution,
        text: "Nota".into(),
        cid10: vec![],
        sign: true,
    };
    f.clinic.add_note(&f.doctor, patient.id, note).unwrap();
    let device = f.clinic.settings().device;
    let stored = |key: &DocumentKey| {
        crate::store::documents::load(f.clinic.replica().conn(), &key.to_string())
            .unwrap()
            .unwrap()
            .bytes
    };
    // Genesis changes have their own deterministic actor; every other change is the person's.
    let genesis_prefix = b"atendebem:genesis:".as_slice();
    let check = |actors: Vec<automerge::ActorId>, who: &Session| {
        let people: Vec<_> = actors
            .into_iter()
            .filter(|a| !a.to_bytes().starts_with(genesis_prefix))
            .collect();
        assert!(!people.is_empty());
        assert!(
            people.iter().all(|a| *a == actor_for(device, who.user)),
            "{people:?}"
        );
    };
    let mut registry = RegistryDoc::load(&stored(&DocumentKey::Registry(patient.id))).unwrap();
    check(
        registry.changes_after(&[]).into_iter().map(|(_, a)| a).collect(),
        &f.staff,
    );
    let month = YearMonth::of(booked.start, ClinicTimeZone::default_brazil().time_zone());
    let mut agenda = AgendaDoc::load(&stored(&DocumentKey::Agenda {
        professional: f.professional,
        month,
    }))
    .unwrap();
    check(
        agenda.changes_after(&[]).into_iter().map(|(_, a)| a).collect(),
        &f.staff,
    );
    let mut chart = ChartDoc::load(&stored(&DocumentKey::Chart(patient.id))).unwrap();
    check(
        chart.changes_after(&[]).into_iter().map(|(_, a)| a).collect(),
        &f.doctor,
    );
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A second professional (CRM/SP 234567); `None` hours: Monday to Friday, 08:00–18:00.
fn otavio(f: &mut Fixture, working_hours: Option<shared_model::scheduling::WorkingHours>) -> ProfessionalId {
    f.clinic
        .add_professional(
            &f.admin,
            NewProfessionalRecord {
                professional: NewProfessional {
                    user_id: None,
                    name: "Dr. Otávio Simões Falcão".into(),
                    registration: CouncilRegistration::parse("CRM/SP 234567").unwrap(),
                    specialties: vec!["Pediatria".into()],
                    cbo: Cbo::parse("225124").unwrap(),
                },
                working_hours,
            },
        )
        .unwrap()
        .professional
        .id
}

fn maria(f: &mut Fixture) -> shared_model::registry::Patient {
    f.clinic
        .add_patient(&f.staff, NewPatient::named("Maria Souza"))
        .unwrap()
}

/// Row counts of everything a write touches: a refused operation leaves them as they were.
fn stored_counts(f: &Fixture) -> [i64; 4] {
    ["documents", "document_changes", "appointment_index", "audit_log"].map(|table| count(f, table))
}

#[test]
fn rescheduling_within_the_month_moves_the_same_appointment() {
    let mut f = fixture();
    let patient = joao(&mut f);
    // Tuesday 1 Dec 2026, 09:00 in São Paulo (UTC−3).
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    f.clinic
        .set_appointment_status(&f.staff, a.id, AppointmentStatus::Confirmed)
        .unwrap();
    // 09:15 overlaps only the appointment's own old slot: allowed.
    let nudged = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2026-12-01T12:15:00Z"), 30)
        .unwrap();
    assert_eq!(nudged.id, a.id);
    // Wednesday 2 Dec, 10:00 local, 45 minutes.
    let moved = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2026-12-02T13:00:00Z"), 45)
        .unwrap();
    assert_eq!(moved.id, a.id);
    assert_eq!(moved.patient, patient.id);
    assert_eq!(moved.professional, f.professional);
    assert_eq!(moved.start, ts("2026-12-02T13:00:00Z"));
    assert_eq!(moved.end, ts("2026-12-02T13:45:00Z"));
    assert_eq!(moved.status, AppointmentStatus::Confirmed);
    assert!(
        f.clinic
            .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
            .unwrap()
            .is_empty()
    );
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 2), Some(f.professional))
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].appointment_id, a.id.to_string());
    assert_eq!(day[0].local_start, "10:00");
    assert_eq!(day[0].local_end, "10:45");
    assert_eq!(day[0].status, "confirmed");
    // Moved, not copied.
    assert_eq!(count(&f, "appointment_index"), 1);
    assert_eq!(
        f.clinic.patient_appointments(&f.staff, patient.id).unwrap().len(),
        1
    );
}

#[test]
fn rescheduling_to_another_professional_cancels_and_books_anew() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let other = otavio(&mut f, None);
    // Tuesday 1 Dec 2026, 09:00 local, with Dra. Helena.
    let mut request = booking(&f, patient.id, "2026-12-01T12:00:00Z");
    request.kind = AppointmentKind::FollowUp;
    request.room = Some("Sala 2".into());
    let a = f.clinic.book(&f.staff, request).unwrap();
    // Same day, 10:00 local, with Dr. Otávio.
    let moved = f
        .clinic
        .reschedule(&f.staff, a.id, other, ts("2026-12-01T13:00:00Z"), 30)
        .unwrap();
    assert_ne!(moved.id, a.id);
    assert_eq!(moved.professional, other);
    assert_eq!(moved.patient, patient.id);
    assert_eq!(moved.start, ts("2026-12-01T13:00:00Z"));
    assert_eq!(moved.status, AppointmentStatus::Booked);
    assert_eq!(moved.kind, AppointmentKind::FollowUp);
    assert_eq!(moved.room.as_deref(), Some("Sala 2"));

    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
        .unwrap();
    assert_eq!(day.len(), 2);
    assert_eq!(day[0].appointment_id, a.id.to_string());
    assert_eq!(day[0].professional_id, f.professional.to_string());
    assert_eq!(day[0].local_start, "09:00");
    assert_eq!(day[0].status, "cancelled");
    assert_eq!(day[1].appointment_id, moved.id.to_string());
    assert_eq!(day[1].professional_id, other.to_string());
    assert_eq!(day[1].professional_name, "Dr. Otávio Simões Falcão");
    assert_eq!(day[1].patient_id, patient.id.to_string());
    assert_eq!(day[1].local_start, "10:00");
    assert_eq!(day[1].status, "booked");

    let history = f.clinic.patient_appointments(&f.staff, patient.id).unwrap();
    let statuses: Vec<&str> = history.iter().map(|i| i.status.as_str()).collect();
    assert_eq!(statuses, ["cancelled", "booked"]);

    // Both halves were audited: the old appointment's cancellation and the new one's booking.
    let audit: Vec<(String, String)> = {
        let conn = f.clinic.replica().conn();
        let mut stmt = conn
            .prepare("SELECT action, coalesce(record, '') FROM audit_log ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(
        audit.contains(&("appointment.status.cancelled".to_owned(), a.id.to_string())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("appointment.reschedule".to_owned(), moved.id.to_string())),
        "{audit:?}"
    );

    // The old slot is free again.
    f.clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
}

#[test]
fn rescheduling_into_another_month_cancels_and_books_anew() {
    let mut f = fixture();
    let patient = joao(&mut f);
    // Tuesday 1 Dec 2026, 09:00 local.
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    // Tuesday 5 Jan 2027, 10:00 local: another month's agenda document.
    let moved = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2027-01-05T13:00:00Z"), 30)
        .unwrap();
    assert_ne!(moved.id, a.id);
    assert_eq!(moved.professional, f.professional);
    assert_eq!(moved.patient, patient.id);
    assert_eq!(moved.status, AppointmentStatus::Booked);
    let old_day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
        .unwrap();
    assert_eq!(old_day.len(), 1);
    assert_eq!(old_day[0].appointment_id, a.id.to_string());
    assert_eq!(old_day[0].status, "cancelled");
    let new_day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2027, 1, 5), Some(f.professional))
        .unwrap();
    assert_eq!(new_day.len(), 1);
    assert_eq!(new_day[0].appointment_id, moved.id.to_string());
    assert_eq!(new_day[0].local_day, "2027-01-05");
    assert_eq!(new_day[0].local_start, "10:00");
    assert_eq!(new_day[0].status, "booked");
    let history = f.clinic.patient_appointments(&f.staff, patient.id).unwrap();
    let ids: Vec<String> = history.iter().map(|i| i.appointment_id.clone()).collect();
    assert_eq!(ids, vec![a.id.to_string(), moved.id.to_string()]);
}

#[test]
fn checked_in_appointments_are_not_rescheduled_and_nothing_is_stored() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let other = otavio(&mut f, None);
    // Tuesday 1 Dec 2026, 09:00 local.
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    f.clinic
        .set_appointment_status(&f.staff, a.id, AppointmentStatus::CheckedIn)
        .unwrap();
    let before = stored_counts(&f);
    // Same professional, same month (the appointment would move in place).
    let err = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2026-12-02T13:00:00Z"), 30)
        .unwrap_err();
    assert_eq!(err.code(), "agenda.not_reschedulable");
    // Another professional (it would be cancelled and booked anew).
    let err = f
        .clinic
        .reschedule(&f.staff, a.id, other, ts("2026-12-01T13:00:00Z"), 30)
        .unwrap_err();
    assert_eq!(err.code(), "agenda.not_reschedulable");
    assert_eq!(stored_counts(&f), before);
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].appointment_id, a.id.to_string());
    assert_eq!(day[0].professional_id, f.professional.to_string());
    assert_eq!(day[0].local_start, "09:00");
    assert_eq!(day[0].status, "checked_in");
    assert!(
        f.clinic
            .agenda_day(&f.staff, jiff::civil::date(2026, 12, 2), None)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rescheduling_onto_a_taken_slot_changes_nothing() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let someone_else = maria(&mut f);
    let other = otavio(&mut f, None);
    // Tuesday 1 Dec 2026: João 09:00 and Maria 10:00 with Dra. Helena, Maria 11:00 with Dr. Otávio.
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    f.clinic
        .book(&f.staff, booking(&f, someone_else.id, "2026-12-01T13:00:00Z"))
        .unwrap();
    let taken = f
        .clinic
        .book(
            &f.staff,
            BookRequest {
                professional: other,
                ..booking(&f, someone_else.id, "2026-12-01T14:00:00Z")
            },
        )
        .unwrap();
    let before = stored_counts(&f);
    // Same professional: onto Maria's 10:00.
    let err = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2026-12-01T13:15:00Z"), 30)
        .unwrap_err();
    assert_eq!(err.code(), "agenda.overlap");
    // Another professional: onto Maria's 11:00. The old appointment is cancelled before the new
    // booking is refused, in the same transaction: that cancellation must not stay.
    let err = f
        .clinic
        .reschedule(&f.staff, a.id, other, ts("2026-12-01T14:15:00Z"), 30)
        .unwrap_err();
    assert_eq!(err.code(), "agenda.overlap");
    assert_eq!(stored_counts(&f), before);

    let history = f.clinic.patient_appointments(&f.staff, patient.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].appointment_id, a.id.to_string());
    assert_eq!(history[0].professional_id, f.professional.to_string());
    assert_eq!(history[0].local_start, "09:00");
    assert_eq!(history[0].status, "booked");
    let other_day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), Some(other))
        .unwrap();
    assert_eq!(other_day.len(), 1);
    assert_eq!(other_day[0].appointment_id, taken.id.to_string());

    // The agenda document itself still holds it as booked: it can still be moved (a cancelled
    // appointment would be refused as `agenda.not_reschedulable`). 12:00 local is free.
    let moved = f
        .clinic
        .reschedule(&f.staff, a.id, other, ts("2026-12-01T15:00:00Z"), 30)
        .unwrap();
    assert_ne!(moved.id, a.id);
}

#[test]
fn reception_may_reschedule_but_a_viewer_may_not() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let viewer_row = f.clinic.add_user(&f.admin, "Consulta", Role::Viewer).unwrap();
    let viewer = f.clinic.session(Some(&viewer_row.user_id), Role::Viewer).unwrap();
    // Tuesday 1 Dec 2026, 09:00 local.
    let a = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    let before = stored_counts(&f);
    let err = f
        .clinic
        .reschedule(&viewer, a.id, f.professional, ts("2026-12-02T13:00:00Z"), 30)
        .unwrap_err();
    assert_eq!(err.code(), "access.denied");
    assert_eq!(
        f.clinic
            .patient_appointments(&viewer, patient.id)
            .unwrap_err()
            .code(),
        "access.denied"
    );
    assert_eq!(stored_counts(&f), before);
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 1), None)
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].appointment_id, a.id.to_string());
    assert_eq!(day[0].local_start, "09:00");

    let moved = f
        .clinic
        .reschedule(&f.staff, a.id, f.professional, ts("2026-12-02T13:00:00Z"), 30)
        .unwrap();
    assert_eq!(moved.id, a.id);
    let day = f
        .clinic
        .agenda_day(&f.staff, jiff::civil::date(2026, 12, 2), None)
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].local_start, "10:00");
}

#[test]
fn patient_appointments_are_that_patients_oldest_first_in_the_clinic_zone() {
    use jiff::civil::{Weekday, time};
    let mut f = fixture();
    let patient = joao(&mut f);
    let someone_else = maria(&mut f);
    // Dr. Otávio sees patients on Tuesday evenings, 18:00–23:00.
    let evenings = shared_model::scheduling::WorkingHours {
        weekly: vec![shared_model::scheduling::WeeklyRule {
            weekday: Weekday::Tuesday,
            start: time(18, 0, 0, 0),
            end: time(23, 0, 0, 0),
            room: None,
        }],
        exceptions: Vec::new(),
    };
    let other = otavio(&mut f, Some(evenings));
    // Booked out of order. Tuesday 5 Jan 2027, 10:00 local.
    let january = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2027-01-05T13:00:00Z"))
        .unwrap();
    // Tuesday 1 Dec 2026, 22:00 local: already 2 Dec in UTC.
    let evening = f
        .clinic
        .book(
            &f.staff,
            BookRequest {
                professional: other,
                ..booking(&f, patient.id, "2026-12-02T01:00:00Z")
            },
        )
        .unwrap();
    // Tuesday 1 Dec 2026, 09:00 local.
    let morning = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    // Someone else's appointment in between.
    let hers = f
        .clinic
        .book(&f.staff, booking(&f, someone_else.id, "2026-12-01T13:00:00Z"))
        .unwrap();

    let list = f.clinic.patient_appointments(&f.staff, patient.id).unwrap();
    let ids: Vec<String> = list.iter().map(|i| i.appointment_id.clone()).collect();
    assert_eq!(
        ids,
        vec![
            morning.id.to_string(),
            evening.id.to_string(),
            january.id.to_string()
        ]
    );
    assert!(list.iter().all(|i| i.patient_id == patient.id.to_string()));
    assert!(list.iter().all(|i| i.patient_name == "João da Silva"));
    assert!(
        list.iter()
            .all(|i| i.status == "booked" && i.status_label == "Agendado")
    );
    let days: Vec<&str> = list.iter().map(|i| i.local_day.as_str()).collect();
    assert_eq!(days, ["2026-12-01", "2026-12-01", "2027-01-05"]);
    let starts: Vec<&str> = list.iter().map(|i| i.local_start.as_str()).collect();
    assert_eq!(starts, ["09:00", "22:00", "10:00"]);
    let names: Vec<&str> = list.iter().map(|i| i.professional_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Dra. Helena Araújo",
            "Dr. Otávio Simões Falcão",
            "Dra. Helena Araújo"
        ]
    );
    assert_eq!(list[1].start, ts("2026-12-02T01:00:00Z").to_string());

    let hers_list = f.clinic.patient_appointments(&f.staff, someone_else.id).unwrap();
    assert_eq!(hers_list.len(), 1);
    assert_eq!(hers_list[0].appointment_id, hers.id.to_string());
    assert_eq!(hers_list[0].patient_name, "Maria Souza");
}

/// NGS1.11.05: the consent decisions taken at registration are stored with the record, each its
/// own entry (granted or refused), by the registering user — and survive reading the document
/// back.
#[test]
fn registration_records_each_consent_decision() {
    use shared_model::registry::{ConsentPurpose, NewConsent};
    let mut f = fixture();
    let patient = f
        .clinic
        .add_patient_with_consents(
            &f.staff,
            NewPatient::named("Teresa Cristina Almeida"),
            vec![
                NewConsent::by_patient(ConsentPurpose::Treatment, true),
                NewConsent::by_patient(ConsentPurpose::Reminders, false),
            ],
        )
        .unwrap();
    let stored = f.clinic.patient(&f.staff, patient.id).unwrap();
    assert_eq!(stored.consents.len(), 2);
    assert_eq!(stored.consent_status(ConsentPurpose::Treatment), Some(true));
    assert_eq!(stored.consent_status(ConsentPurpose::Reminders), Some(false));
    assert_eq!(stored.consent_status(ConsentPurpose::Research), None);
    assert!(stored.consents.iter().all(|c| c.recorded_by == f.staff.user));
    assert_eq!(stored, patient, "o retorno é o que ficou gravado");
}

/// A registration is corrected in place (same patient, index follows), consents change only by
/// new records (NGS1.11.06), and another patient's CPF is refused with nothing stored.
#[test]
fn a_registration_is_corrected_and_consents_only_grow() {
    use shared_model::registry::{ConsentPurpose, NewConsent};
    use shared_model::values::Cpf;
    let mut f = fixture();
    let joao = joao(&mut f);
    let other = f
        .clinic
        .add_patient_with_consents(
            &f.staff,
            NewPatient::named("Teresa Almeida"),
            vec![NewConsent::by_patient(ConsentPurpose::Reminders, true)],
        )
        .unwrap();
    let mut edit = NewPatient::named("Teresa Cristina Almeida");
    edit.cpf = Some(Cpf::parse("111.444.777-35").unwrap());
    let updated = f
        .clinic
        .update_patient(
            &f.staff,
            other.id,
            edit,
            vec![NewConsent::by_patient(ConsentPurpose::Reminders, false)],
        )
        .unwrap();
    assert_eq!(updated.id, other.id);
    assert_eq!(updated.name.to_string(), "Teresa Cristina Almeida");
    assert_eq!(updated.consents.len(), 2, "a decisão nova não apaga a anterior");
    assert_eq!(updated.consent_status(ConsentPurpose::Reminders), Some(false));
    let found = f.clinic.search_patients(&f.staff, "teresa cristina", 5).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].patient_id, other.id.to_string());
    // João's CPF on Teresa: refused, nothing stored.
    let before = stored_counts(&f);
    let mut steal = NewPatient::named("Teresa Cristina Almeida");
    steal.cpf = joao.cpf.clone();
    let err = f
        .clinic
        .update_patient(&f.staff, other.id, steal, Vec::new())
        .unwrap_err();
    assert_eq!(err.code(), "patient.duplicate_cpf");
    assert_eq!(stored_counts(&f), before);
    assert_eq!(f.clinic.patient(&f.staff, other.id).unwrap(), updated);
}
