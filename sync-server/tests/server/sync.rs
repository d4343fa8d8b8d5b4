//! Sync over the real WebSocket: validation, attribution, relay, catch-up, conflicts,
//! projections, revocation, hostile frames.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use shared_model::charting::{EntryKind, NewEntry};
use shared_model::documents::{AgendaDoc, ChartDoc, CrdtDocument, RegistryDoc};
use shared_model::ids::{PatientId, ProfessionalId, UserId};
use shared_model::registry::{NewPatient, Patient};
use shared_model::scheduling::Appointment;
use shared_model::sync::{ClientMessage, DocData, ServerMessage};
use shared_model::values::ClinicTimeZone;
use uuid::Uuid;

pub use crate::support::{Device, agenda, device, month, relogin_device};
use crate::support::{Server, SyncClient, TenantFixture, TestDb, appointment_at, token, ws_connect};

pub fn chart_with_signed_note(
    patient: PatientId,
    d: &Device,
    text: &str,
) -> (ChartDoc, shared_model::ids::EntryId) {
    let mut chart = ChartDoc::new(patient, d.id).expect("chart");
    chart.set_author(d.id, d.user);
    let entry = NewEntry {
        kind: EntryKind::Evolution,
        text: text.into(),
        cid10: vec![],
        professional: None,
    };
    let id = chart
        .add_draft(entry, d.user, d.id, Timestamp::now())
        .expect("draft");
    chart.sign(id, d.user, Timestamp::now()).expect("sign");
    (chart, id)
}

pub fn doc_data<D: CrdtDocument>(doc: &mut D) -> Vec<DocData> {
    vec![DocData {
        key: doc.key(),
        data: doc.save(),
    }]
}

pub fn appointment(professional: ProfessionalId, patient: PatientId, start: &str, by: UserId) -> Appointment {
    appointment_at(professional, patient, start.parse().expect("start"), by)
}

/// Gives a tenant a row in every sync table: a patient registry, a signed chart note, an agenda
/// with a double booking (so a conflict), pushed by two receptionists and a doctor.
pub async fn seed(server: &Server, t: &TenantFixture) {
    let doctor = device(server, t, "PROFESSIONAL").await;
    let r1 = device(server, t, "STAFF").await;
    let r2 = relogin_device(server, t, "STAFF").await;
    let patient =
        Patient::new(NewPatient::named("Maria Souza"), jiff::civil::date(2026, 11, 29)).expect("patient");
    let mut registry = RegistryDoc::empty(patient.id, r1.id).expect("registry");
    registry.set_author(r1.id, r1.user);
    registry.update(&patient).expect("update");
    let professional = ProfessionalId::new();
    let mut base = agenda(professional, &r1);
    let mut c1 = SyncClient::connect(server, &r1.token, 0).await;
    let mut docs = doc_data(&mut registry);
    docs.extend(doc_data(&mut base));
    let (_, refused) = c1.push(1, docs).await;
    assert!(refused.is_empty(), "{refused:?}");
    let mut other = AgendaDoc::load(&base.save()).expect("load");
    other.set_author(r2.id, r2.user);
    let heads = base.heads();
    let tz = ClinicTimeZone::default();
    base.book(
        &appointment(professional, patient.id, "2027-03-10T13:00:00Z", r1.user),
        &tz,
    )
    .expect("book");
    other
        .book(
            &appointment(professional, patient.id, "2027-03-10T13:00:00Z", r2.user),
            &tz,
        )
        .expect("book");
    c1.push(
        2,
        vec![DocData {
            key: base.key(),
            data: base.save_after(&heads),
        }],
    )
    .await;
    let mut c2 = SyncClient::connect(server, &r2.token, 0).await;
    c2.push(
        1,
        vec![DocData {
            key: other.key(),
            data: other.save_after(&heads),
        }],
    )
    .await;
    let (mut chart, _) = chart_with_signed_note(patient.id, &doctor, "Consulta de rotina");
    let mut c3 = SyncClient::connect(server, &doctor.token, 0).await;
    let (_, refused) = c3.push(1, doc_data(&mut chart)).await;
    assert!(refused.is_empty(), "{refused:?}");
}

fn keys(docs: &[DocData]) -> Vec<String> {
    docs.iter().map(|d| d.key.to_string()).collect()
}

#[tokio::test]
async fn a_signed_note_reaches_another_doctor_and_never_the_reception() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let doctor = device(&server, &t, "PROFESSIONAL").await;
    let colleague = relogin_device(&server, &t, "PROFESSIONAL").await;
    let reception = device(&server, &t, "STAFF").await;
    let mut a = SyncClient::connect(&server, &doctor.token, 0).await;
    let mut b = SyncClient::connect(&server, &colleague.token, 0).await;
    let mut r = SyncClient::connect(&server, &reception.token, 0).await;
    assert_eq!(a.role, "PROFESSIONAL");

    let patient = PatientId::new();
    let (mut chart, _) = chart_with_signed_note(patient, &doctor, "Paciente estável, retorno em 30 dias");
    let (accepted, refused) = a.push(1, doc_data(&mut chart)).await;
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(accepted, vec![chart.key().to_string()]);

    // Relayed to the colleague, promptly; the colleague's copy equals the doctor's.
    assert!(
        b.wait_for_doc(&chart.key().to_string(), Duration::from_secs(5))
            .await,
        "relay to the colleague"
    );
    let mut copy = ChartDoc::new(patient, colleague.id).expect("chart");
    for d in &b.received {
        copy.load_incremental(&d.data).expect("apply");
    }
    assert_eq!(copy.heads(), chart.heads());
    assert_eq!(
        copy.entries().expect("entries"),
        chart.entries().expect("entries")
    );

    // The reception never receives a chart, live or at catch-up (NGS1.03.01).
    assert!(
        !r.wait_for_doc(&chart.key().to_string(), Duration::from_millis(700))
            .await
    );
    let r2 = SyncClient::connect(&server, &reception.token, 0).await;
    assert!(
        r2.received
            .iter()
            .all(|d| !d.key.to_string().starts_with("chart/")),
        "{:?}",
        keys(&r2.received)
    );
    // ... and cannot write one.
    let (mut staff_chart, _) = chart_with_signed_note(PatientId::new(), &reception, "x");
    let (accepted, refused) = r.push(2, doc_data(&mut staff_chart)).await;
    assert!(accepted.is_empty());
    assert_eq!(refused[0].code, "access.denied");

    // Audited: the download of the chart by the colleague, the refusal of the reception's push.
    let su = db.pool("postgres").await;
    let actions: Vec<(String, Option<Uuid>)> =
        sqlx::query_as("SELECT action, device_id FROM audit_events WHERE tenant_id = $1 ORDER BY seq")
            .bind(t.id)
            .fetch_all(&su)
            .await
            .expect("audit");
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "sync.download" && *d == Some(*colleague.id.as_uuid()))
    );
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "sync.change.accepted" && *d == Some(*doctor.id.as_uuid()))
    );
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "sync.change.refused" && *d == Some(*reception.id.as_uuid()))
    );
    // Stored once, attributed to the doctor's user and device.
    let (user, dev): (Uuid, Uuid) =
        sqlx::query_as("SELECT user_id, device_id FROM document_changes WHERE doc_key = $1")
            .bind(chart.key().to_string())
            .fetch_one(&su)
            .await
            .expect("change row");
    assert_eq!((user, dev), (*doctor.user.as_uuid(), *doctor.id.as_uuid()));
}

#[tokio::test]
async fn editing_a_signed_entry_or_writing_as_someone_else_is_refused_not_stored_not_relayed() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let doctor = device(&server, &t, "PROFESSIONAL").await;
    let colleague = relogin_device(&server, &t, "PROFESSIONAL").await;
    let mut a = SyncClient::connect(&server, &doctor.token, 0).await;
    let mut b = SyncClient::connect(&server, &colleague.token, 0).await;
    let patient = PatientId::new();
    let (mut chart, entry) = chart_with_signed_note(patient, &doctor, "Texto assinado");
    a.push(1, doc_data(&mut chart)).await;
    assert!(
        b.wait_for_doc(&chart.key().to_string(), Duration::from_secs(5))
            .await
    );
    let heads = chart.heads();
    let su = db.pool("postgres").await;
    let rows_before: i64 = sqlx::query_scalar("SELECT count(*) FROM document_changes")
        .fetch_one(&su)
        .await
        .expect("count");

    // Tamper with the signed text below the domain API (as a modified client would).
    let mut tampered = ChartDoc::load(&chart.save()).expect("load");
    tampered.set_author(doctor.id, doctor.user);
    let mut raw = automerge::AutoCommit::load(&tampered.save()).expect("raw");
    raw.set_actor(shared_model::documents::actor_for(doctor.id, doctor.user));
    let entries = match automerge::ReadDoc::get(&raw, automerge::ROOT, "entries").expect("get") {
        Some((_, id)) => id,
        None => panic!("entries"),
    };
    let obj = match automerge::ReadDoc::get(&raw, &entries, entry.to_string()).expect("get") {
        Some((_, id)) => id,
        None => panic!("entry"),
    };
    automerge::transaction::Transactable::put(&mut raw, &obj, "text", "Texto ALTERADO").expect("put");
    raw.commit();
    let data = raw.save_after(&heads);
    let (accepted, refused) = a
        .push(
            2,
            vec![DocData {
                key: chart.key(),
                data,
            }],
        )
        .await;
    assert!(accepted.is_empty());
    assert_eq!(refused[0].code, "chart.signed_entry_immutable", "{refused:?}");
    assert_eq!(refused[0].changes.len(), 1);

    // A change written under the colleague's actor, pushed by the doctor: refused.
    let mut forged = ChartDoc::load(&chart.save()).expect("load");
    forged.set_author(colleague.id, colleague.user);
    let e = NewEntry {
        kind: EntryKind::Evolution,
        text: "nota".into(),
        cid10: vec![],
        professional: None,
    };
    forged
        .add_draft(e, colleague.user, colleague.id, Timestamp::now())
        .expect("draft");
    let data = forged.save_after(&heads);
    let (_, refused) = a
        .push(
            3,
            vec![DocData {
                key: chart.key(),
                data,
            }],
        )
        .await;
    assert_eq!(refused[0].code, "sync.foreign_actor");

    // Truncated automerge data.
    let mut good = ChartDoc::load(&chart.save()).expect("load");
    good.set_author(doctor.id, doctor.user);
    let e = NewEntry {
        kind: EntryKind::Evolution,
        text: "nota 2".into(),
        cid10: vec![],
        professional: None,
    };
    good.add_draft(e, doctor.user, doctor.id, Timestamp::now())
        .expect("draft");
    let mut data = good.save_after(&heads);
    data.truncate(data.len() / 2);
    let (_, refused) = a
        .push(
            4,
            vec![DocData {
                key: chart.key(),
                data,
            }],
        )
        .await;
    assert_eq!(refused[0].code, "sync.malformed_change");

    // Nothing stored, nothing relayed.
    let rows_after: i64 = sqlx::query_scalar("SELECT count(*) FROM document_changes")
        .fetch_one(&su)
        .await
        .expect("count");
    assert_eq!(rows_before, rows_after);
    let seen = b.received.len();
    assert!(
        b.try_recv(Duration::from_millis(700))
            .await
            .is_none_or(|m| !matches!(m, ServerMessage::Docs { .. }))
    );
    assert_eq!(b.received.len(), seen);

    // The doctor's legitimate new draft is accepted; a duplicate push is harmless.
    let data = good.save_after(&heads);
    let (accepted, refused) = a
        .push(
            5,
            vec![DocData {
                key: chart.key(),
                data: data.clone(),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(accepted.len(), 1);
    let (accepted, refused) = a
        .push(
            6,
            vec![DocData {
                key: chart.key(),
                data,
            }],
        )
        .await;
    assert!(refused.is_empty() && accepted.len() == 1);
    let rows_final: i64 = sqlx::query_scalar("SELECT count(*) FROM document_changes")
        .fetch_one(&su)
        .await
        .expect("count");
    assert_eq!(rows_final, rows_before + 1, "the duplicate stored nothing");
}

#[tokio::test]
async fn catch_up_from_a_cursor_and_projections_through_rest() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let reception = device(&server, &t, "STAFF").await;
    let mut r = SyncClient::connect(&server, &reception.token, 0).await;
    let today = jiff::civil::date(2026, 11, 29);
    let patient = Patient::new(NewPatient::named("João da Silva"), today).expect("patient");
    let mut registry = RegistryDoc::new(&patient, reception.id).expect("registry");
    // The registry was created under the device actor; write further as the user.
    registry.set_author(reception.id, reception.user);
    let (accepted, refused) = r.push(1, doc_data(&mut registry)).await;
    assert!(
        refused.iter().any(|x| x.code == "sync.foreign_actor"),
        "device-only actor refused: {refused:?}"
    );
    assert!(accepted.is_empty());

    let mut registry = RegistryDoc::empty(patient.id, reception.id).expect("empty");
    registry.set_author(reception.id, reception.user);
    registry.update(&patient).expect("update");
    let professional = ProfessionalId::new();
    let mut ag = agenda(professional, &reception);
    let appt = appointment(professional, patient.id, "2027-03-10T13:00:00Z", reception.user);
    ag.book(&appt, &ClinicTimeZone::default()).expect("book");
    let mut docs = doc_data(&mut registry);
    docs.extend(doc_data(&mut ag));
    let (accepted, refused) = r.push(2, docs).await;
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(accepted.len(), 2);
    let cursor_after_first = r.cursor;

    // Another device catches up from cursor 0 (whole documents) and from a cursor (log rows).
    let other = relogin_device(&server, &t, "STAFF").await;
    let fresh = SyncClient::connect(&server, &other.token, 0).await;
    let mut got = RegistryDoc::empty(patient.id, other.id).expect("empty");
    for d in fresh.received.iter().filter(|d| d.key == registry.key()) {
        got.load_incremental(&d.data).expect("apply");
    }
    assert_eq!(got.patient().expect("patient"), patient);
    let later = SyncClient::connect(&server, &other.token, fresh.cursor).await;
    assert!(later.received.is_empty(), "nothing new since its cursor");
    assert!(fresh.cursor >= cursor_after_first);

    // Projections, read through REST (ADMIN).
    let admin = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    let (status, patients) = server.get("/v1/patients", Some(token(&admin))).await;
    assert_eq!(status, 200, "{patients}");
    assert_eq!(patients["items"][0]["id"], Value::from(patient.id.to_string()));
    assert_eq!(patients["items"][0]["name"], "João da Silva");
    let (status, appts) = server
        .get(
            "/v1/appointments?from=2027-03-01T00:00:00Z&to=2027-04-01T00:00:00Z",
            Some(token(&admin)),
        )
        .await;
    assert_eq!(status, 200, "{appts}");
    assert_eq!(appts["items"][0]["id"], Value::from(appt.id.to_string()));
    assert_eq!(appts["items"][0]["status"], "booked");
}

#[tokio::test]
async fn double_booking_is_a_conflict_shown_to_every_device_and_resolved_by_a_change() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let r1 = device(&server, &t, "STAFF").await;
    let r2 = relogin_device(&server, &t, "STAFF").await;
    let professional = ProfessionalId::new();
    // Both receptionists start from the same agenda (r1 pushes it first).
    let mut base = agenda(professional, &r1);
    let mut c1 = SyncClient::connect(&server, &r1.token, 0).await;
    c1.push(1, doc_data(&mut base)).await;
    let mut c2 = SyncClient::connect(&server, &r2.token, 0).await;
    let mut a2 = AgendaDoc::new(professional, month(), r2.id).expect("agenda");
    for d in &c2.received {
        a2.load_incremental(&d.data).expect("apply");
    }
    a2.set_author(r2.id, r2.user);
    let heads = base.heads();
    // Offline, each books the same slot for a different patient.
    let tz = ClinicTimeZone::default();
    let first = appointment(professional, PatientId::new(), "2027-03-10T13:00:00Z", r1.user);
    let second = appointment(professional, PatientId::new(), "2027-03-10T13:00:00Z", r2.user);
    base.book(&first, &tz).expect("book 1");
    a2.book(&second, &tz).expect("book 2");
    let (_, refused) = c1
        .push(
            2,
            vec![DocData {
                key: base.key(),
                data: base.save_after(&heads),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    let (_, refused) = c2
        .push(
            2,
            vec![DocData {
                key: a2.key(),
                data: a2.save_after(&heads),
            }],
        )
        .await;
    assert!(refused.is_empty(), "a conflict is not a refusal: {refused:?}");
    // Both devices are told.
    for c in [&mut c1, &mut c2] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while c.conflicts.is_empty() && tokio::time::Instant::now() < deadline {
            c.try_recv(Duration::from_millis(200)).await;
        }
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        assert_eq!(c.conflicts[0].kind, "agenda.double_booking");
        let mut ids = vec![first.id.to_string(), second.id.to_string()];
        ids.sort();
        assert_eq!(c.conflicts[0].subjects, ids);
    }
    // Resolving: r2 cancels its booking (an ordinary change); the conflict clears everywhere.
    for d in &c2.received {
        a2.load_incremental(&d.data).expect("apply");
    }
    let heads2 = a2.heads();
    a2.set_status(
        second.id,
        shared_model::scheduling::AppointmentStatus::Cancelled,
        Timestamp::now(),
    )
    .expect("cancel");
    let (_, refused) = c2
        .push(
            3,
            vec![DocData {
                key: a2.key(),
                data: a2.save_after(&heads2),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !c1.conflicts.is_empty() && tokio::time::Instant::now() < deadline {
        c1.try_recv(Duration::from_millis(200)).await;
    }
    assert!(c1.conflicts.is_empty(), "{:?}", c1.conflicts);
}

#[tokio::test]
async fn revoking_the_device_cuts_its_open_sync_connection() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let doctor = device(&server, &t, "PROFESSIONAL").await;
    let mut c = SyncClient::connect(&server, &doctor.token, 0).await;
    db.admin_ok(&["device", "revoke", &doctor.id.to_string()], None);
    assert_eq!(c.closed_with().await.as_deref(), Some("auth.device_revoked"));
    // A new connection is refused at the upgrade.
    let err = ws_connect(&server, &doctor.token)
        .await
        .expect_err("revoked device connected");
    assert!(err.to_string().contains("403"), "{err}");

    // Disabling the user cuts another open connection.
    let colleague = relogin_device(&server, &t, "PROFESSIONAL").await;
    let mut c = SyncClient::connect(&server, &colleague.token, 0).await;
    db.admin_ok(
        &[
            "user",
            "disable",
            "--tenant",
            &t.slug,
            "--email",
            t.email("PROFESSIONAL"),
        ],
        None,
    );
    assert_eq!(c.closed_with().await.as_deref(), Some("auth.session_ended"));
}

#[tokio::test]
async fn hostile_frames_end_only_their_own_connection() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let doctor = device(&server, &t, "PROFESSIONAL").await;
    let mut bystander = SyncClient::connect(&server, &doctor.token, 0).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage", b"not a frame at all".to_vec(), "sync.malformed_frame"),
        (
            "unknown version",
            b"AB\x63\x02\x00".to_vec(),
            "sync.unsupported_version",
        ),
        (
            "truncated message",
            {
                let mut f = shared_model::sync::encode(
                    2,
                    &ClientMessage::Push {
                        batch: 1,
                        docs: vec![],
                    },
                );
                f.pop();
                f
            },
            "sync.malformed_frame",
        ),
        ("empty", Vec::new(), "sync.malformed_frame"),
        (
            "skipped frame number",
            shared_model::sync::encode(5, &ClientMessage::Ping { nonce: 5 }),
            "sync.frame_gap",
        ),
    ];
    for (name, bytes, code) in cases {
        let mut c = SyncClient::connect(&server, &doctor.token, 0).await;
        c.send_raw(bytes).await;
        assert_eq!(c.closed_with().await.as_deref(), Some(code), "{name}");
    }
    // A duplicated frame (the Hello again, frame 1) is ignored; the next number is answered.
    let mut c = SyncClient::connect(&server, &doctor.token, 0).await;
    assert!(
        c.send_raw(shared_model::sync::encode(1, &ClientMessage::Hello { cursor: 0 }))
            .await
    );
    c.send(&ClientMessage::Ping { nonce: 7 }).await;
    assert_eq!(
        c.until(|m| matches!(m, ServerMessage::Pong { .. })).await,
        ServerMessage::Pong { nonce: 7 },
        "answered, not closed for a repeated Hello"
    );
    // An oversized frame is cut by the server's limit.
    let server_small = Server::start_with(&db, &[("ATENDEBEM_LIMITS__MAX_FRAME_BYTES", "4096")]);
    let mut c = SyncClient::connect(&server_small, &doctor.token, 0).await;
    let big = shared_model::sync::encode(
        2,
        &ClientMessage::Push {
            batch: 1,
            docs: vec![DocData {
                key: shared_model::documents::DocumentKey::Chart(PatientId::new()),
                data: vec![0; 64 * 1024],
            }],
        },
    );
    c.send_raw(big).await;
    c.closed_with().await;
    c.send_raw(shared_model::sync::encode(3, &ClientMessage::Ping { nonce: 1 }))
        .await;
    assert!(
        c.try_recv(Duration::from_secs(2)).await.is_none(),
        "the oversized connection is closed"
    );
    // No token, a bad token: refused before the upgrade.
    let err = ws_connect(&server, "nao-e-um-token")
        .await
        .expect_err("bad token accepted");
    assert!(err.to_string().contains("401"), "{err}");
    // The bystander and the server carry on.
    bystander.send(&ClientMessage::Ping { nonce: 7 }).await;
    assert_eq!(
        bystander.until(|m| matches!(m, ServerMessage::Pong { .. })).await,
        ServerMessage::Pong { nonce: 7 }
    );
    let (status, _) = server.get("/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn concurrent_edits_of_one_draft_are_a_conflict_until_edited_again() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let desk = device(&server, &t, "PROFESSIONAL").await;
    let laptop = relogin_device(&server, &t, "PROFESSIONAL").await;
    let patient = PatientId::new();
    let mut a = ChartDoc::new(patient, desk.id).expect("chart");
    a.set_author(desk.id, desk.user);
    let e = NewEntry {
        kind: EntryKind::Evolution,
        text: "rascunho".into(),
        cid10: vec![],
        professional: None,
    };
    let entry = a
        .add_draft(e, desk.user, desk.id, Timestamp::now())
        .expect("draft");
    let mut c1 = SyncClient::connect(&server, &desk.token, 0).await;
    c1.push(1, doc_data(&mut a)).await;
    let mut c2 = SyncClient::connect(&server, &laptop.token, 0).await;
    let mut b = ChartDoc::new(patient, laptop.id).expect("chart");
    for d in &c2.received {
        b.load_incremental(&d.data).expect("apply");
    }
    b.set_author(laptop.id, laptop.user);
    let heads = a.heads();
    // Offline on both machines, the same doctor edits the same draft.
    a.edit_draft(entry, "versão do consultório", desk.user, Timestamp::now())
        .expect("edit a");
    b.edit_draft(entry, "versão do notebook", laptop.user, Timestamp::now())
        .expect("edit b");
    let (_, refused) = c1
        .push(
            2,
            vec![DocData {
                key: a.key(),
                data: a.save_after(&heads),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    let (_, refused) = c2
        .push(
            2,
            vec![DocData {
                key: b.key(),
                data: b.save_after(&heads),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while c1.conflicts.is_empty() && tokio::time::Instant::now() < deadline {
        c1.try_recv(Duration::from_millis(200)).await;
    }
    assert_eq!(c1.conflicts.len(), 1, "{:?}", c1.conflicts);
    assert_eq!(c1.conflicts[0].kind, "chart.concurrent_draft_edit");
    assert_eq!(c1.conflicts[0].subjects[0], entry.to_string());
    // Resolving is an ordinary edit made after seeing both versions.
    for d in &c1.received {
        a.load_incremental(&d.data).expect("apply");
    }
    let heads = a.heads();
    a.edit_draft(entry, "versão final", desk.user, Timestamp::now())
        .expect("resolve");
    let (_, refused) = c1
        .push(
            3,
            vec![DocData {
                key: a.key(),
                data: a.save_after(&heads),
            }],
        )
        .await;
    assert!(refused.is_empty(), "{refused:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !c2.conflicts.is_empty() && tokio::time::Instant::now() < deadline {
        c2.try_recv(Duration::from_millis(200)).await;
    }
    assert!(c2.conflicts.is_empty(), "{:?}", c2.conflicts);
}

#[tokio::test]
async fn a_silent_peer_is_disconnected_by_the_heartbeat() {
    use futures_util::StreamExt;
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start_with(&db, &[("ATENDEBEM_LIMITS__SYNC_HEARTBEAT_SECONDS", "1")]);
    let d = device(&server, &t, "STAFF").await;
    let mut ws = ws_connect(&server, &d.token).await.expect("connect");
    {
        use futures_util::SinkExt;
        let hello = shared_model::sync::encode(1, &ClientMessage::Hello { cursor: 0 });
        ws.send(tokio_tungstenite::tungstenite::Message::Binary(hello.into()))
            .await
            .expect("hello");
    }
    // Read the greeting and catch-up, then go silent: no reads, so no automatic Pong.
    while let Some(Ok(m)) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Binary(b) = m
            && matches!(
                shared_model::sync::decode::<ServerMessage>(&b),
                Ok((_, ServerMessage::Conflicts { .. }))
            )
        {
            break;
        }
    }
    let gauge = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("atendebem_sync_connections "))
            .map(str::to_string)
    };
    let metrics = || async {
        server
            .http
            .get(server.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    };
    assert_eq!(
        gauge(&metrics().await).as_deref(),
        Some("atendebem_sync_connections 1")
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(
        gauge(&metrics().await).as_deref(),
        Some("atendebem_sync_connections 0"),
        "silent peer still connected"
    );
}

#[tokio::test]
async fn a_password_change_cuts_the_other_sessions_connections_not_its_own() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let first = device(&server, &t, "PROFESSIONAL").await;
    let second_pair = server.relogin(&t, "PROFESSIONAL", Uuid::now_v7()).await;
    let mut c1 = SyncClient::connect(&server, &first.token, 0).await;
    let mut c2 = SyncClient::connect(&server, token(&second_pair), 0).await;
    let (status, changed) = server
        .post(
            "/v1/auth/password",
            Some(token(&second_pair)),
            serde_json::json!({"current_password": crate::support::NEW_PASSWORD, "new_password": "outra-senha-77"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(c1.closed_with().await.as_deref(), Some("auth.session_ended"));
    c2.send(&ClientMessage::Ping { nonce: 9 }).await;
    assert_eq!(
        c2.until(|m| matches!(m, ServerMessage::Pong { .. })).await,
        ServerMessage::Pong { nonce: 9 }
    );
}
