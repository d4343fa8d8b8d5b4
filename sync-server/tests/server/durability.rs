//! Durability and scale-out: SIGKILL during a sync loses no acknowledged change; two server
//! processes on one database relay to each other's devices.

use std::time::Duration;

use shared_model::documents::{CrdtDocument, RegistryDoc};
use shared_model::registry::{NewPatient, Patient};
use shared_model::sync::{ClientMessage, DocData, ServerMessage};

use crate::support::{Server, SyncClient, TestDb};
use crate::sync::{chart_with_signed_note, device, doc_data, relogin_device};

#[tokio::test]
async fn sigkill_during_a_sync_loses_no_acknowledged_change() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let mut server = Server::start(&db);
    let reception = device(&server, &t, "STAFF").await;
    let today = jiff::civil::date(2026, 11, 29);
    let patients: Vec<Patient> = (0..300)
        .map(|i| Patient::new(NewPatient::named(&format!("Paciente Número {i}")), today).expect("patient"))
        .collect();
    let batches: Vec<Vec<DocData>> = patients
        .iter()
        .map(|p| {
            let mut doc = RegistryDoc::empty(p.id, reception.id).expect("empty");
            doc.set_author(reception.id, reception.user);
            doc.update(p).expect("update");
            doc_data(&mut doc)
        })
        .collect();

    // Pipeline every push, read acknowledgements as they come, kill the server mid-way.
    let mut c = SyncClient::connect(&server, &reception.token, 0).await;
    for (i, docs) in batches.iter().enumerate() {
        c.send(&ClientMessage::Push {
            batch: i as u64,
            docs: docs.clone(),
        })
        .await;
    }
    let mut acked = Vec::new();
    while acked.len() < 40 {
        match c.recv().await {
            ServerMessage::Ack { batch, refused, .. } => {
                assert!(refused.is_empty(), "{refused:?}");
                acked.push(batch as usize);
            }
            ServerMessage::Error { code, .. } => panic!("{code}"),
            _ => {}
        }
    }
    server.kill();
    // Acks already in flight when the process died still count: drain them.
    while let Some(m) = c.try_recv(Duration::from_secs(2)).await {
        if let ServerMessage::Ack { batch, .. } = m {
            acked.push(batch as usize);
        }
    }
    assert!(
        acked.len() < batches.len(),
        "the kill came before the end ({} acks)",
        acked.len()
    );

    let server = Server::start(&db);
    let reader = relogin_device(&server, &t, "STAFF").await;
    let fresh = SyncClient::connect(&server, &reader.token, 0).await;
    for i in &acked {
        let p = &patients[*i];
        let mut doc = RegistryDoc::empty(p.id, reader.id).expect("empty");
        let data: Vec<&DocData> = fresh.received.iter().filter(|d| d.key == doc.key()).collect();
        assert!(!data.is_empty(), "acknowledged batch {i} lost");
        for d in data {
            doc.load_incremental(&d.data).expect("apply");
        }
        assert_eq!(doc.patient().expect("patient"), *p);
    }

    // The device resends everything (it cannot know what got through unacknowledged):
    // duplicates are harmless and nothing is stored twice.
    let mut again = SyncClient::connect(&server, &reception.token, fresh.cursor).await;
    for (i, docs) in batches.iter().enumerate() {
        let (accepted, refused) = again.push(1000 + i as u64, docs.clone()).await;
        assert!(refused.is_empty() && accepted.len() == 1, "{refused:?}");
    }
    let su = db.pool("postgres").await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM document_changes")
        .fetch_one(&su)
        .await
        .expect("count");
    assert_eq!(
        rows,
        batches.len() as i64,
        "one log row per patient, no duplicates"
    );
    let verify = db.admin_ok(&["audit", "verify", "--tenant", &t.slug], None);
    assert_eq!(verify["first_broken"], serde_json::Value::Null);
}

#[tokio::test]
async fn two_server_processes_relay_to_each_others_devices() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let one = Server::start(&db);
    let two = Server::start(&db);
    let doctor = device(&one, &t, "PROFESSIONAL").await;
    let colleague = relogin_device(&two, &t, "PROFESSIONAL").await;
    let mut a = SyncClient::connect(&one, &doctor.token, 0).await;
    let mut b = SyncClient::connect(&two, &colleague.token, 0).await;
    let (mut chart, _) =
        chart_with_signed_note(shared_model::ids::PatientId::new(), &doctor, "Nota relayada");
    let (_, refused) = a.push(1, doc_data(&mut chart)).await;
    assert!(refused.is_empty());
    assert!(
        b.wait_for_doc(&chart.key().to_string(), Duration::from_secs(5))
            .await,
        "instance two relayed instance one's change"
    );
    // And back.
    let (mut other, _) =
        chart_with_signed_note(shared_model::ids::PatientId::new(), &colleague, "Outra nota");
    b.push(1, doc_data(&mut other)).await;
    assert!(
        a.wait_for_doc(&other.key().to_string(), Duration::from_secs(5))
            .await
    );
    // Alternate writes to one chart through both instances: each instance's document cache must
    // notice the other's commits (a stale copy would refuse or lose a change).
    let key = chart.key();
    let mut theirs = shared_model::documents::ChartDoc::new(
        *match &key {
            shared_model::documents::DocumentKey::Chart(p) => p,
            _ => unreachable!(),
        },
        colleague.id,
    )
    .expect("chart");
    for d in b.received.iter().filter(|d| d.key == key) {
        theirs.load_incremental(&d.data).expect("apply");
    }
    theirs.set_author(colleague.id, colleague.user);
    for round in 0..3 {
        let note = |text: String| shared_model::charting::NewEntry {
            kind: shared_model::charting::EntryKind::Evolution,
            text,
            cid10: vec![],
            professional: None,
        };
        let heads = chart.heads();
        chart
            .add_draft(
                note(format!("A{round}")),
                doctor.user,
                doctor.id,
                jiff::Timestamp::now(),
            )
            .expect("draft");
        let (_, refused) = a
            .push(
                10 + round,
                vec![DocData {
                    key,
                    data: chart.save_after(&heads),
                }],
            )
            .await;
        assert!(refused.is_empty(), "{refused:?}");
        theirs.load_incremental(&chart.save()).expect("merge");
        let heads = theirs.heads();
        theirs
            .add_draft(
                note(format!("B{round}")),
                colleague.user,
                colleague.id,
                jiff::Timestamp::now(),
            )
            .expect("draft");
        let (_, refused) = b
            .push(
                10 + round,
                vec![DocData {
                    key,
                    data: theirs.save_after(&heads),
                }],
            )
            .await;
        assert!(refused.is_empty(), "{refused:?}");
        chart.load_incremental(&theirs.save()).expect("merge");
    }
    let reader = relogin_device(&one, &t, "PROFESSIONAL").await;
    let fresh = SyncClient::connect(&one, &reader.token, 0).await;
    let mut server_copy = shared_model::documents::ChartDoc::new(
        *match &key {
            shared_model::documents::DocumentKey::Chart(p) => p,
            _ => unreachable!(),
        },
        reader.id,
    )
    .expect("chart");
    for d in fresh.received.iter().filter(|d| d.key == key) {
        server_copy.load_incremental(&d.data).expect("apply");
    }
    assert_eq!(server_copy.entries().expect("entries").len(), 7);
    assert_eq!(server_copy.heads(), chart.heads());

    // A revocation issued anywhere cuts a connection on either instance.
    db.admin_ok(&["device", "revoke", &colleague.id.to_string()], None);
    assert_eq!(b.closed_with().await.as_deref(), Some("auth.device_revoked"));
}
