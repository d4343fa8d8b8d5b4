//! Registry and chart documents: round trips, rules through the documents, concurrent merges.

use jiff::Timestamp;

use super::*;
use crate::ErrorCode;
use crate::charting::{ChartError, EntryKind, NewEntry, validate_chart_transition};
use crate::ids::{DeviceId, PatientId, UserId};
use crate::registry::{Address, ConsentPurpose, NewConsent, NewHealthPlanCard, NewPatient, Patient, Sex};
use crate::values::{Cep, Cid10, Cns, Cpf, Email, Phone, Uf};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_796_000_000 + seconds).unwrap()
}

fn full_patient() -> Patient {
    let input = NewPatient {
        name: "Maria Aparecida da Silva".into(),
        social_name: Some("Cida".into()),
        birth_date: Some(jiff::civil::date(1958, 3, 9)),
        sex: Sex::Female,
        cpf: Some(Cpf::parse("529.982.247-25").unwrap()),
        cns: Some(Cns::parse("898 0011 6061 8390").unwrap()),
        mother_name: Some("Josefa da Silva".into()),
        phones: vec![Phone::parse("(92) 99123-4567").unwrap()],
        emails: vec![Email::parse("cida@example.com").unwrap()],
        address: Some(Address {
            street: "Av. Eduardo Ribeiro".into(),
            number: "520".into(),
            complement: Some("apto 12".into()),
            district: "Centro".into(),
            city: "Manaus".into(),
            uf: Uf::parse("AM").unwrap(),
            cep: Cep::parse("69010-001").unwrap(),
        }),
        health_plan_cards: vec![NewHealthPlanCard {
            operator_ans: "326305".into(),
            operator_name: "Unimed".into(),
            card_number: "0 123 4567".into(),
            plan_name: Some("Enfermaria".into()),
            valid_until: Some(jiff::civil::date(2027, 6, 30)),
        }],
    };
    Patient::new(input, jiff::civil::date(2026, 11, 29)).unwrap()
}

#[test]
fn registry_round_trips_and_keeps_consents_append_only() {
    let mut patient = full_patient();
    let clerk = UserId::new();
    patient.record_consent(
        NewConsent::by_patient(ConsentPurpose::Treatment, true),
        clerk,
        at(0),
    );
    let mut doc = RegistryDoc::new(&patient, DeviceId::new()).unwrap();
    assert_eq!(doc.patient().unwrap(), patient);

    let loaded = RegistryDoc::load(&doc.save()).unwrap();
    assert_eq!(loaded.patient().unwrap(), patient);
    assert_eq!(loaded.key(), DocumentKey::Registry(patient.id));
    assert_eq!(
        loaded.header().unwrap(),
        Header {
            schema_version: SCHEMA_VERSION,
            kind: DocumentKind::Registry,
            epoch: 0
        }
    );

    // Reminders: yes, then a change of mind = revoke + new record.
    let yes = doc
        .add_consent(
            NewConsent::by_patient(ConsentPurpose::Reminders, true),
            clerk,
            at(10),
        )
        .unwrap();
    doc.revoke_consent(yes, clerk, at(20)).unwrap();
    doc.add_consent(
        NewConsent::by_patient(ConsentPurpose::Reminders, false),
        clerk,
        at(20),
    )
    .unwrap();
    let stored = doc.patient().unwrap();
    assert_eq!(stored.consents.len(), 3);
    assert_eq!(stored.consent_status(ConsentPurpose::Reminders), Some(false));
    let err = doc.revoke_consent(yes, clerk, at(30)).unwrap_err();
    assert_eq!(err.code(), "consent.already_revoked");

    // `update` cannot touch consents.
    let mut edited = stored.clone();
    edited.consents.clear();
    edited.phones.clear();
    doc.update(&edited).unwrap();
    let after = doc.patient().unwrap();
    assert!(after.phones.is_empty());
    assert_eq!(after.consents, stored.consents);
}

#[test]
fn registry_concurrent_edits_of_different_fields_merge() {
    let patient = full_patient();
    let mut a = RegistryDoc::new(&patient, DeviceId::new()).unwrap();
    let mut b = a.fork(DeviceId::new());
    let mut on_a = patient.clone();
    on_a.sex = Sex::Unknown;
    a.update(&on_a).unwrap();
    let mut on_b = patient.clone();
    on_b.mother_name = None;
    b.update(&on_b).unwrap();
    a.merge(&mut b).unwrap();
    let merged = a.patient().unwrap();
    assert_eq!(merged.sex, Sex::Unknown);
    assert_eq!(merged.mother_name, None);
}

fn note(kind: EntryKind, text: &str) -> NewEntry {
    NewEntry {
        kind,
        text: text.into(),
        cid10: Vec::new(),
        professional: None,
    }
}

#[test]
fn chart_add_sign_amend_and_timeline() {
    let doctor = UserId::new();
    let device = DeviceId::new();
    let mut chart = ChartDoc::new(PatientId::new(), device).unwrap();
    let anamnesis = chart
        .add_draft(
            note(EntryKind::Anamnesis, "Cefaleia há 3 dias"),
            doctor,
            device,
            at(0),
        )
        .unwrap();
    chart
        .edit_draft(anamnesis, "Cefaleia há 3 dias, sem febre", doctor, at(5))
        .unwrap();
    chart.sign(anamnesis, doctor, at(10)).unwrap();
    let diagnosis = chart
        .add_draft(note(EntryKind::Diagnosis, "Enxaqueca"), doctor, device, at(20))
        .unwrap();
    chart
        .set_draft_cid10(diagnosis, vec![Cid10::parse("G43.9").unwrap()], doctor, at(21))
        .unwrap();
    chart.sign(diagnosis, doctor, at(22)).unwrap();

    // A signed entry is immutable.
    let err = chart
        .edit_draft(anamnesis, "outro texto", doctor, at(30))
        .unwrap_err();
    assert_eq!(err, ChartError::SignedEntryImmutable { id: anamnesis });
    // An amendment needs a reason.
    let err = chart
        .amend(anamnesis, "Cefaleia há 5 dias", "", doctor, device, at(31))
        .unwrap_err();
    assert_eq!(err.code(), "chart.amendment_reason_required");
    // NGS1.12.01: only the author corrects a finalised record.
    let colleague = UserId::new();
    let err = chart
        .amend(
            anamnesis,
            "Cefaleia há 5 dias",
            "informação do familiar",
            colleague,
            device,
            at(32),
        )
        .unwrap_err();
    assert_eq!(err.code(), "chart.amendment_not_by_author");

    let before = chart.entries().unwrap();
    let fixed = chart
        .amend(
            anamnesis,
            "Cefaleia há 5 dias, sem febre",
            "duração corrigida",
            doctor,
            device,
            at(40),
        )
        .unwrap();
    let after = chart.entries().unwrap();
    assert_eq!(validate_chart_transition(&before, &after, doctor), Ok(()));
    assert_eq!(after.len(), 3);

    let all = chart.timeline(None).unwrap();
    let lines: Vec<_> = all
        .iter()
        .map(|i| (i.current.kind, i.earlier_versions()))
        .collect();
    assert_eq!(lines, vec![(EntryKind::Diagnosis, 0), (EntryKind::Anamnesis, 1)]);
    let anamneses = chart.timeline(Some(EntryKind::Anamnesis)).unwrap();
    assert_eq!(anamneses.len(), 1);
    assert_eq!(anamneses[0].current.id, fixed);
    assert_eq!(anamneses[0].superseded, vec![anamnesis]);

    // Round trip through bytes.
    let loaded = ChartDoc::load(&chart.save()).unwrap();
    assert_eq!(loaded.entries().unwrap(), after);
}

#[test]
fn validate_chart_transition_rejects_deletion_and_signed_change() {
    let doctor = UserId::new();
    let device = DeviceId::new();
    let mut chart = ChartDoc::new(PatientId::new(), device).unwrap();
    let id = chart
        .add_draft(note(EntryKind::Evolution, "Estável"), doctor, device, at(0))
        .unwrap();
    chart.sign(id, doctor, at(1)).unwrap();
    let before = chart.entries().unwrap();
    assert_eq!(
        validate_chart_transition(&before, &[], doctor),
        Err(ChartError::EntryRemoved { id })
    );
    let mut changed = before.clone();
    changed[0].text = "Instável".into();
    assert_eq!(
        validate_chart_transition(&before, &changed, doctor),
        Err(ChartError::SignedEntryImmutable { id })
    );
}

#[test]
fn concurrent_chart_entries_merge_in_either_order() {
    let patient = PatientId::new();
    let (dev_a, dev_b) = (DeviceId::new(), DeviceId::new());
    let doctor = UserId::new();
    let nurse = UserId::new();
    // Both replicas create the chart offline: the genesis is shared.
    let mut a = ChartDoc::new(patient, dev_a).unwrap();
    let mut b = ChartDoc::new(patient, dev_b).unwrap();
    assert_eq!(a.heads(), b.heads());
    let ea = a
        .add_draft(note(EntryKind::Evolution, "Evolução A"), doctor, dev_a, at(0))
        .unwrap();
    a.sign(ea, doctor, at(1)).unwrap();
    let eb = b
        .add_draft(note(EntryKind::ExamRequest, "Hemograma"), nurse, dev_b, at(0))
        .unwrap();

    let mut ab = a.fork(DeviceId::new());
    ab.merge(&mut b.fork(DeviceId::new())).unwrap();
    let mut ba = b.fork(DeviceId::new());
    ba.merge(&mut a.fork(DeviceId::new())).unwrap();

    let ids: Vec<_> = ab.entries().unwrap().iter().map(|e| e.id).collect();
    assert!(ids.contains(&ea) && ids.contains(&eb) && ids.len() == 2);
    assert_eq!(ab.entries().unwrap(), ba.entries().unwrap());
    let (mut heads_ab, mut heads_ba) = (ab.heads(), ba.heads());
    heads_ab.sort();
    heads_ba.sort();
    assert_eq!(heads_ab, heads_ba);
    let (ab_loaded, ba_loaded) = (
        ChartDoc::load(&ab.save()).unwrap(),
        ChartDoc::load(&ba.save()).unwrap(),
    );
    assert_eq!(ab_loaded.entries().unwrap(), ba_loaded.entries().unwrap());
    assert!(ab.conflicts().unwrap().is_empty());
}

#[test]
fn signing_while_editing_elsewhere_is_reported() {
    let doctor = UserId::new();
    let (dev_a, dev_b) = (DeviceId::new(), DeviceId::new());
    let mut a = ChartDoc::new(PatientId::new(), dev_a).unwrap();
    let id = a
        .add_draft(note(EntryKind::Evolution, "v1"), doctor, dev_a, at(0))
        .unwrap();
    let mut b = a.fork(dev_b);
    a.sign(id, doctor, at(10)).unwrap();
    b.edit_draft(id, "v2", doctor, at(11)).unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = a.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].entry, id);
    assert!(conflicts[0].fields.contains(&"text".to_owned()), "{conflicts:?}");
}

#[test]
fn incremental_saves_carry_changes_between_replicas() {
    let patient = PatientId::new();
    let doctor = UserId::new();
    let (dev_a, dev_b) = (DeviceId::new(), DeviceId::new());
    let mut a = ChartDoc::new(patient, dev_a).unwrap();
    let mut b = ChartDoc::load(&a.save()).unwrap();
    b.set_actor(dev_b);
    a.add_draft(note(EntryKind::Evolution, "x"), doctor, dev_a, at(0))
        .unwrap();
    let applied = b.load_incremental(&a.save_incremental()).unwrap();
    assert!(applied > 0);
    assert_eq!(b.entries().unwrap(), a.entries().unwrap());
    assert!(a.save_incremental().is_empty());
}

#[test]
fn loading_refuses_garbage_wrong_kind_and_newer_schema() {
    let err = ChartDoc::load(b"not an automerge document").unwrap_err();
    assert_eq!(err.code(), "document.corrupt");

    let mut chart = ChartDoc::new(PatientId::new(), DeviceId::new()).unwrap();
    let err = AgendaDoc::load(&chart.save()).unwrap_err();
    assert_eq!(err.code(), "document.wrong_kind");

    use super::common::sealed::Inner;
    use automerge::transaction::Transactable;
    chart
        .am_mut()
        .put(automerge::ROOT, "schema_version", 99_u64)
        .unwrap();
    let err = ChartDoc::load(&chart.save()).unwrap_err();
    assert_eq!(
        err,
        DocumentError::UnsupportedSchema {
            found: 99,
            supported: SCHEMA_VERSION
        }
    );

    let mut other = ChartDoc::new(PatientId::new(), DeviceId::new()).unwrap();
    let mut again = ChartDoc::new(PatientId::new(), DeviceId::new()).unwrap();
    assert_eq!(
        other.merge(&mut again).unwrap_err().code(),
        "document.key_mismatch"
    );
}
