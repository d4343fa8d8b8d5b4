//! The engine's handling of what the server says, without a network: refusals (quarantine and
//! rebuild) and acknowledgements, on a real SQLCipher replica.

use shared_model::documents::{DocumentKey, YearMonth};
use shared_model::sync::Refusal;

use super::*;
use crate::services::tests::{booking, fixture, joao};

/// The hashes of a document's changes after `heads`, genesis excluded.
fn local_changes(clinic: &Clinic, key: &DocumentKey, heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let Held { mut doc, .. } = load_any(clinic.replica().conn(), &key.to_string())
        .unwrap()
        .unwrap();
    doc.raw_changes_after(heads)
        .into_iter()
        .filter(|c| !is_genesis(&c.actor))
        .map(|c| c.hash)
        .collect()
}

fn state(clinic: &Clinic, key: &DocumentKey) -> DocSyncState {
    syncdb::doc_state(clinic.replica().conn(), &key.to_string())
        .unwrap()
        .unwrap()
}

fn refusal(key: DocumentKey, changes: &[ChangeHash], code: &str) -> Refusal {
    Refusal {
        key,
        changes: changes.iter().map(|h| h.0).collect(),
        code: code.into(),
        message: "Recusado pelo servidor.".into(),
    }
}

/// A registration the server refuses: the patient disappears from search, the document goes
/// back to its bare genesis, and what was typed is in the quarantine, readable and whole.
#[test]
fn refused_registration_goes_to_quarantine_and_leaves_the_index() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let key = DocumentKey::Registry(patient.id);
    assert!(state(&f.clinic, &key).pending, "a local write is pending");
    let refused = local_changes(&f.clinic, &key, &[]);
    assert!(!refused.is_empty());
    f.clinic
        .quarantine_refusal(
            &f.staff.user.to_string(),
            &refusal(key, &refused, "registry.invalid_patient"),
        )
        .unwrap();

    assert!(f.clinic.search_patients(&f.staff, "joao", 10).unwrap().is_empty());
    let s = state(&f.clinic, &key);
    assert!(!s.pending, "nothing of this user is left to send");
    let Held { doc, .. } = load_any(f.clinic.replica().conn(), &key.to_string())
        .unwrap()
        .unwrap();
    let AnyDoc::Registry(doc) = doc else {
        panic!("registry")
    };
    assert!(doc.patient().is_err(), "the document is back to its genesis");

    let items = f.clinic.quarantine().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.code, "registry.invalid_patient");
    assert_eq!(item.user_id.as_deref(), Some(f.staff.user.to_string().as_str()));
    assert!(
        item.content
            .iter()
            .any(|(path, value)| path.ends_with("name") && value == "João da Silva"),
        "{:?}",
        item.content
    );
    // The kept bytes are exactly the refused changes.
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&item.changes_base64)
        .unwrap();
    let mut kept = shared_model::documents::data_hashes(&bytes).unwrap();
    let mut expected = refused.clone();
    kept.sort();
    expected.sort();
    assert_eq!(kept, expected);
    // Append-only.
    let err = f
        .clinic
        .replica()
        .conn()
        .execute("DELETE FROM quarantine", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

/// On a shared terminal, the refused change of one user goes; another user's earlier change
/// that does not depend on it stays and is still pending.
#[test]
fn refusal_keeps_another_users_independent_change() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let first = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    let key = DocumentKey::Agenda {
        professional: f.professional,
        month: YearMonth::new(2026, 12).unwrap(),
    };
    // The server has the agenda with the first appointment.
    let accepted = local_changes(&f.clinic, &key, &[]);
    f.clinic.mark_accepted(&key, &accepted).unwrap();
    assert!(!state(&f.clinic, &key).pending);
    let server_heads = state(&f.clinic, &key).server_heads.unwrap();

    let doctors = f
        .clinic
        .book(&f.doctor, booking(&f, patient.id, "2026-12-01T13:00:00Z"))
        .unwrap();
    let doctor_change = local_changes(&f.clinic, &key, &server_heads);
    let staffs = f
        .clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T14:00:00Z"))
        .unwrap();
    let after_doctor = {
        let mut h = server_heads.clone();
        h.extend(&doctor_change);
        h
    };
    let staff_change = local_changes(&f.clinic, &key, &after_doctor);
    assert_eq!(staff_change.len(), 1);

    f.clinic
        .quarantine_refusal(
            &f.staff.user.to_string(),
            &refusal(key, &staff_change, "agenda.outside_hours"),
        )
        .unwrap();

    let day = jiff::civil::date(2026, 12, 1);
    let ids: Vec<String> = f
        .clinic
        .agenda_day(&f.staff, day, None)
        .unwrap()
        .into_iter()
        .map(|i| i.appointment_id)
        .collect();
    assert!(ids.contains(&first.id.to_string()));
    assert!(
        ids.contains(&doctors.id.to_string()),
        "the doctor's booking stays"
    );
    assert!(
        !ids.contains(&staffs.id.to_string()),
        "the refused booking is taken back"
    );
    let s = state(&f.clinic, &key);
    assert!(s.pending, "the doctor's booking still has to be sent");
    assert_eq!(s.server_heads.as_deref(), Some(server_heads.as_slice()));
    assert_eq!(local_changes(&f.clinic, &key, &server_heads), doctor_change);
    let items = f.clinic.quarantine().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].code.as_str(), "agenda.outside_hours");
    assert_eq!(items[0].doc_key, key.to_string());
}

/// An acknowledgement of everything a document holds clears its pending mark; of only part
/// of it, keeps it.
#[test]
fn acknowledgement_advances_server_heads() {
    let mut f = fixture();
    let patient = joao(&mut f);
    f.clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T12:00:00Z"))
        .unwrap();
    let key = DocumentKey::Agenda {
        professional: f.professional,
        month: YearMonth::new(2026, 12).unwrap(),
    };
    let first = local_changes(&f.clinic, &key, &[]);
    f.clinic.mark_accepted(&key, &first).unwrap();
    let server_heads = state(&f.clinic, &key).server_heads.unwrap();
    f.clinic
        .book(&f.staff, booking(&f, patient.id, "2026-12-01T13:00:00Z"))
        .unwrap();
    assert!(
        state(&f.clinic, &key).pending,
        "a new local write is pending again"
    );
    let second = local_changes(&f.clinic, &key, &server_heads);
    // Acknowledging only what the server already had changes nothing.
    f.clinic.mark_accepted(&key, &first).unwrap();
    assert!(state(&f.clinic, &key).pending);
    f.clinic.mark_accepted(&key, &second).unwrap();
    assert!(!state(&f.clinic, &key).pending);
    // The registry and the directory were never sent: still pending.
    let pending = syncdb::pending_keys(f.clinic.replica().conn()).unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(!pending.contains(&key.to_string()));
    assert_eq!(f.clinic.sync_status().unwrap().pending_documents, 2);
}

/// A user whose computer was de-authorised keeps their unsent work: it moves to the
/// quarantine; other users' unsent work is left alone.
#[test]
fn unsent_work_of_one_user_moves_to_the_quarantine() {
    let mut f = fixture();
    let patient = joao(&mut f);
    let key = DocumentKey::Registry(patient.id);
    // The directory (written by the administrator) and the registry (by reception) are unsent.
    assert_eq!(f.clinic.quarantine_unsent(&f.staff).unwrap(), 1);
    assert!(f.clinic.search_patients(&f.staff, "joao", 10).unwrap().is_empty());
    let items = f.clinic.quarantine().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].code, "sync.unsent_exported");
    assert_eq!(items[0].doc_key, key.to_string());
    assert!(items[0].content.iter().any(|(_, v)| v == "João da Silva"));
    let pending = syncdb::pending_keys(f.clinic.replica().conn()).unwrap();
    assert_eq!(
        pending.len(),
        1,
        "the administrator's directory stays: {pending:?}"
    );
    assert!(pending[0].starts_with("directory/"));
    // Nothing more of reception's.
    assert_eq!(f.clinic.quarantine_unsent(&f.staff).unwrap(), 0);
}
