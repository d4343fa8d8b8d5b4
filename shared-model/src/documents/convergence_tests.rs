//! Property: whatever the replicas do concurrently, once every replica has merged every other,
//! they hold the same state.

use jiff::Timestamp;
use proptest::prelude::*;

use super::agenda_tests::{agenda, monday, sao_paulo, slot};
use super::*;
use crate::charting::{EntryKind, NewEntry};
use crate::ids::{DeviceId, PatientId, ProfessionalId, UserId};
use crate::scheduling::AppointmentStatus;

#[derive(Debug, Clone)]
enum ChartOp {
    Add { kind: usize, text: String },
    Edit { pick: usize, text: String },
    Sign { pick: usize },
    Amend { pick: usize, text: String },
    Sync { from: usize },
}

#[derive(Debug, Clone)]
enum AgendaOp {
    Book { slot: i8, minutes: i64 },
    Status { pick: usize, status: usize },
    Reschedule { pick: usize, slot: i8 },
    Sync { from: usize },
}

fn chart_op() -> impl Strategy<Value = ChartOp> {
    prop_oneof![
        (0..EntryKind::ALL.len(), "[a-z ]{0,12}").prop_map(|(kind, text)| ChartOp::Add { kind, text }),
        (any::<usize>(), "[a-z ]{1,12}").prop_map(|(pick, text)| ChartOp::Edit { pick, text }),
        any::<usize>().prop_map(|pick| ChartOp::Sign { pick }),
        (any::<usize>(), "[a-z]{1,12}").prop_map(|(pick, text)| ChartOp::Amend { pick, text }),
        (0..3_usize).prop_map(|from| ChartOp::Sync { from }),
    ]
}

fn agenda_op() -> impl Strategy<Value = AgendaOp> {
    prop_oneof![
        (0..8_i8, prop_oneof![Just(15_i64), Just(30), Just(60)])
            .prop_map(|(slot, minutes)| AgendaOp::Book { slot, minutes }),
        (any::<usize>(), 0..AppointmentStatus::ALL.len())
            .prop_map(|(pick, status)| AgendaOp::Status { pick, status }),
        (any::<usize>(), 0..8_i8).prop_map(|(pick, slot)| AgendaOp::Reschedule { pick, slot }),
        (0..3_usize).prop_map(|from| AgendaOp::Sync { from }),
    ]
}

fn now(step: usize) -> Timestamp {
    Timestamp::from_second(1_796_000_000 + i64::try_from(step).unwrap_or(0)).unwrap()
}

/// Every replica merges every other one.
fn merge_all<D: CrdtDocument>(docs: &mut [D]) {
    for i in 0..docs.len() {
        for j in 0..docs.len() {
            if i != j {
                let mut other = docs[j].fork(DeviceId::new());
                docs[i].merge(&mut other).unwrap();
            }
        }
    }
}

fn sync_from<D: CrdtDocument>(docs: &mut [D], from: usize, to: usize) {
    let from = from % docs.len();
    if from != to {
        let mut other = docs[from].fork(DeviceId::new());
        docs[to].merge(&mut other).unwrap();
    }
}

fn sorted_heads<D: CrdtDocument>(doc: &mut D) -> Vec<automerge::ChangeHash> {
    let mut heads = doc.heads();
    heads.sort();
    heads
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn charts_converge(
        replicas in 2..=3_usize,
        ops in prop::collection::vec((0..3_usize, chart_op()), 1..24),
    ) {
        let patient = PatientId::new();
        let doctor = UserId::new();
        let devices: Vec<DeviceId> = (0..replicas).map(|_| DeviceId::new()).collect();
        let mut docs: Vec<ChartDoc> =
            devices.iter().map(|d| ChartDoc::new(patient, *d).unwrap()).collect();
        for (step, (replica, op)) in ops.into_iter().enumerate() {
            let r = replica % replicas;
            let device = devices[r];
            let entries = docs[r].entries().unwrap();
            let picked = |pick: usize| (!entries.is_empty()).then(|| entries[pick % entries.len()].id);
            // Refusals by the rules are expected; only the document must stay consistent.
            match op {
                ChartOp::Add { kind, text } => {
                    let input = NewEntry { kind: EntryKind::ALL[kind], text, cid10: vec![], professional: None };
                    docs[r].add_draft(input, doctor, device, now(step)).unwrap();
                }
                ChartOp::Edit { pick, text } => if let Some(id) = picked(pick) {
                    let _ = docs[r].edit_draft(id, &text, doctor, now(step));
                },
                ChartOp::Sign { pick } => if let Some(id) = picked(pick) {
                    let _ = docs[r].sign(id, doctor, now(step));
                },
                ChartOp::Amend { pick, text } => if let Some(id) = picked(pick) {
                    let _ = docs[r].amend(id, &text, "correção", doctor, device, now(step));
                },
                ChartOp::Sync { from } => sync_from(&mut docs, from, r),
            }
        }
        merge_all(&mut docs);
        let first = docs[0].entries().unwrap();
        let first_timeline = docs[0].timeline(None).unwrap();
        let first_heads = sorted_heads(&mut docs[0]);
        for doc in &mut docs[1..] {
            prop_assert_eq!(&doc.entries().unwrap(), &first);
            prop_assert_eq!(&doc.timeline(None).unwrap(), &first_timeline);
            prop_assert_eq!(&sorted_heads(doc), &first_heads);
        }
        let reloaded = ChartDoc::load(&docs[0].save()).unwrap();
        prop_assert_eq!(reloaded.entries().unwrap(), first);
    }

    #[test]
    fn agendas_converge(
        replicas in 2..=3_usize,
        ops in prop::collection::vec((0..3_usize, agenda_op()), 1..20),
    ) {
        let professional = ProfessionalId::new();
        let tz = sao_paulo();
        let mut docs: Vec<AgendaDoc> = Vec::new();
        let base = agenda(professional, DeviceId::new());
        let mut base = base;
        for _ in 0..replicas {
            docs.push(base.fork(DeviceId::new()));
        }
        let start_of = |slot: i8| monday(8 + slot / 2, (slot % 2) * 30);
        for (step, (replica, op)) in ops.into_iter().enumerate() {
            let r = replica % replicas;
            let appointments = docs[r].appointments().unwrap();
            let picked = |pick: usize| {
                (!appointments.is_empty()).then(|| appointments[pick % appointments.len()].clone())
            };
            match op {
                AgendaOp::Book { slot: s, minutes } => {
                    let _ = docs[r].book(&slot(professional, start_of(s), minutes), &tz);
                }
                AgendaOp::Status { pick, status } => if let Some(a) = picked(pick) {
                    let next = AppointmentStatus::ALL[status];
                    let _ = docs[r].set_status(a.id, next, a.start.max(now(step)));
                },
                AgendaOp::Reschedule { pick, slot: s } => if let Some(a) = picked(pick) {
                    let start = start_of(s);
                    let end = start.checked_add(a.end.duration_since(a.start)).unwrap();
                    let _ = docs[r].reschedule(a.id, start, end, &tz, now(step));
                },
                AgendaOp::Sync { from } => sync_from(&mut docs, from, r),
            }
        }
        merge_all(&mut docs);
        let first = docs[0].appointments().unwrap();
        let conflicts = docs[0].conflicts().unwrap();
        let first_heads = sorted_heads(&mut docs[0]);
        for doc in &mut docs[1..] {
            prop_assert_eq!(&doc.appointments().unwrap(), &first);
            prop_assert_eq!(&doc.conflicts().unwrap(), &conflicts);
            prop_assert_eq!(&sorted_heads(doc), &first_heads);
        }
    }
}
