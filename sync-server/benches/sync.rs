//! Sync server figures for docs/PERFORMANCE.md, against the real binary and a fresh local
//! PostgreSQL database (loopback only):
//!
//! - login latency with the configured Argon2id parameters;
//! - accepted changes per second, durably committed, batched (several devices at once);
//! - edit on one device → received by every other connected device, with N connections;
//! - server resident memory with N idle connections.
//!
//! `cargo bench -p atendebem-server --bench sync` (N = 1000); `-- --quick` for a smoke run.
//! Prints one line per figure.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::needless_range_loop,
    dead_code
)]

#[path = "../tests/server/support.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use jiff::Timestamp;
use jiff::civil::Weekday;
use shared_model::documents::{AgendaDoc, CrdtDocument};
use shared_model::ids::{PatientId, ProfessionalId, UserId};
use shared_model::sync::{self as wire, ClientMessage, DocData, ServerMessage};
use shared_model::values::ClinicTimeZone;
use support::{Device, Server, SyncClient, TenantFixture, TestDb, agenda, appointment_at};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

async fn device(server: &Server, t: &TenantFixture, role: &str, first: bool) -> Device {
    if first {
        support::device(server, t, role).await
    } else {
        support::relogin_device(server, t, role).await
    }
}

/// The `n`-th free half-hour slot of March 2027 (weekdays, 10:00–18:00 UTC = 07:00–15:00 BRT).
fn slot(n: usize) -> Timestamp {
    let mut day = jiff::civil::date(2027, 3, 1);
    let mut left = n;
    loop {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            if left < 16 {
                let start = day
                    .at(10, 0, 0, 0)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp();
                return start
                    .checked_add(jiff::SignedDuration::from_mins(30 * left as i64))
                    .unwrap();
            }
            left -= 16;
        }
        day = day.tomorrow().unwrap();
    }
}

fn book(agenda: &mut AgendaDoc, professional: ProfessionalId, n: usize, by: UserId) {
    let a = appointment_at(professional, PatientId::new(), slot(n), by);
    agenda.book(&a, &ClinicTimeZone::default()).unwrap();
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only login|throughput|latency` runs one part (e.g. under `perf record -p PID`).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let connections: usize = if quick { 50 } else { 1000 };
    let db = TestDb::new().await;
    let t = db.tenant("bench");
    let env = [
        ("ATENDEBEM_AUTH__LOGIN_PER_IP_PER_MINUTE", "100000"),
        ("ATENDEBEM_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE", "100000"),
        ("ATENDEBEM_DATABASE_MAX_CONNECTIONS", "16"),
    ];
    let mut server = Server::start_with(&db, &env);
    println!(
        "machine: {} cores; connections for latency/memory: {connections}; server pid {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server.child.id()
    );

    // 1. Login latency.
    // The first login changes the initial password; the measured ones use the new one.
    let _first = device(&server, &t, "STAFF", true).await;
    let mut samples = Vec::new();
    for _ in 0..if !run("login") {
        0
    } else if quick {
        5
    } else {
        30
    } {
        let started = Instant::now();
        let (status, _) = server
            .login_raw(&t.slug, t.email("STAFF"), support::NEW_PASSWORD, Uuid::now_v7())
            .await;
        assert_eq!(status, 200);
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    if run("login") {
        println!(
            "login (Argon2id m=19456 KiB t=2 p=1): p50 {:.1} ms, p99 {:.1} ms over {} logins",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            samples.len()
        );
    }

    // 2. Throughput: D devices, each with its own P agendas, pushing R rounds of K bookings
    //    per agenda (one automerge change each), batched P agendas per Push.
    let (devices, agendas_per_device, rounds, per_round) = if !run("throughput") {
        (1, 1, 1, 1)
    } else if quick {
        (2, 5, 3, 5)
    } else {
        (8, 25, 4, 10)
    };
    // Two layouts: every device in one clinic (they share the clinic's ordered log and receive
    // each other's changes) and one clinic per device (the server's capacity across clinics).
    let clinics: Vec<TenantFixture> = if run("throughput") {
        (0..devices)
            .map(|i| db.tenant(&format!("bench-clinica-{i}")))
            .collect()
    } else {
        Vec::new()
    };
    for layout in ["one clinic", "one clinic per device"] {
        if !run("throughput") {
            break;
        }
        let mut workers = Vec::new();
        for i in 0..devices {
            let d = if layout == "one clinic" {
                device(&server, &t, "STAFF", false).await
            } else {
                device(&server, &clinics[i], "STAFF", true).await
            };
            let mut client = SyncClient::connect(&server, &d.token, 0).await;
            let mut docs: Vec<(ProfessionalId, AgendaDoc)> = (0..agendas_per_device)
                .map(|_| {
                    let p = ProfessionalId::new();
                    (p, agenda(p, &d))
                })
                .collect();
            let initial: Vec<DocData> = docs
                .iter_mut()
                .map(|(_, a)| DocData {
                    key: a.key(),
                    data: a.save(),
                })
                .collect();
            let (_, refused) = client.push(0, initial).await;
            assert!(refused.is_empty(), "{refused:?}");
            // Prepare every round's data up front: the figure is the server's, not the client's.
            let mut prepared = Vec::new();
            for r in 0..rounds {
                let mut batch = Vec::new();
                for (p, a) in docs.iter_mut() {
                    let heads = a.heads();
                    for k in 0..per_round {
                        book(a, *p, r * per_round + k, d.user);
                    }
                    batch.push(DocData {
                        key: a.key(),
                        data: a.save_after(&heads),
                    });
                }
                prepared.push(batch);
            }
            workers.push((i, client, prepared));
        }
        let total_changes = devices * agendas_per_device * rounds * per_round;
        eprintln!("pushing");
        let started = Instant::now();
        let mut handles = Vec::new();
        for (_, mut client, prepared) in workers {
            handles.push(tokio::spawn(async move {
                for (r, batch) in prepared.into_iter().enumerate() {
                    let (accepted, refused) = client.push(r as u64 + 1, batch).await;
                    assert!(refused.is_empty(), "{refused:?}");
                    assert!(!accepted.is_empty());
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "throughput ({layout}): {total_changes} changes ({devices} devices x {agendas_per_device} agendas x {rounds} pushes x {per_round} bookings) committed in {elapsed:.2} s = {:.0} changes/s ({:.0} pushes/s)",
            total_changes as f64 / elapsed,
            (devices * rounds) as f64 / elapsed
        );
    }

    if !run("latency") {
        return;
    }
    if run("throughput") {
        println!(
            "server RSS after the throughput runs: {:.1} MiB (document cache: at most 256 documents)",
            rss_mib(server.child.id())
        );
    }
    // 3 and 4. On a fresh server process: N idle connections (one receiving device's token,
    //    shared: logging in N times would measure Argon2, not sync), then edits from another
    //    device.
    server.kill();
    let server = Server::start_with(&db, &env);
    let pid = server.child.id();
    let base_rss = rss_mib(pid);
    let receiver = device(&server, &t, "STAFF", false).await;
    let pusher = device(&server, &t, "STAFF", false).await;
    let professional = ProfessionalId::new();
    let mut lat_agenda = agenda(professional, &pusher);
    let mut push_client = SyncClient::connect(&server, &pusher.token, 0).await;
    push_client
        .push(
            0,
            vec![DocData {
                key: lat_agenda.key(),
                data: lat_agenda.save(),
            }],
        )
        .await;
    let cursor = push_client.cursor;

    let (arrivals_tx, mut arrivals_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = Arc::new(tokio::sync::Barrier::new(connections + 1));
    let mut receivers = Vec::new();
    for i in 0..connections {
        let ws = support::ws_connect(&server, &receiver.token)
            .await
            .expect("connect");
        let tx = arrivals_tx.clone();
        let ready = ready.clone();
        receivers.push(tokio::spawn(async move {
            let (mut sink, mut stream) = ws.split();
            let mut seq = wire::Sequencer::default();
            sink.send(Message::Binary(
                seq.frame(&ClientMessage::Hello { cursor }).into(),
            ))
            .await
            .unwrap();
            let mut caught_up = false;
            while let Some(Ok(Message::Binary(b))) = stream.next().await {
                match seq.accept::<ServerMessage>(&b).unwrap().unwrap() {
                    ServerMessage::CaughtUp { .. } if !caught_up => {
                        caught_up = true;
                        ready.wait().await;
                    }
                    ServerMessage::Docs { docs, .. } if caught_up => {
                        let now = Instant::now();
                        for _ in docs {
                            let _ = tx.send((i, now));
                        }
                    }
                    _ => {}
                }
            }
        }));
    }
    ready.wait().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_mib(pid);
    println!(
        "memory: server RSS {base_rss:.1} MiB before, {idle_rss:.1} MiB with {connections} idle sync connections ({:.1} KiB per connection)",
        (idle_rss - base_rss) * 1024.0 / connections as f64
    );

    let edits = if quick { 5 } else { 40 };
    let mut latencies = Vec::new();
    for e in 0..edits {
        let heads = lat_agenda.heads();
        book(&mut lat_agenda, professional, e, pusher.user);
        let data = lat_agenda.save_after(&heads);
        let sent = Instant::now();
        push_client
            .send(&ClientMessage::Push {
                batch: e as u64 + 1,
                docs: vec![DocData {
                    key: lat_agenda.key(),
                    data,
                }],
            })
            .await;
        let mut got = 0;
        let deadline = sent + Duration::from_secs(10);
        while got < connections {
            match tokio::time::timeout_at(deadline.into(), arrivals_rx.recv()).await {
                Ok(Some((_, at))) => {
                    latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                    got += 1;
                }
                _ => break,
            }
        }
        assert_eq!(
            got, connections,
            "edit {e}: only {got} of {connections} devices received it"
        );
        // Drain the pusher's Ack.
        push_client
            .until(|m| matches!(m, ServerMessage::Ack { .. }))
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "edit -> received by {connections} other devices: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} deliveries ({edits} edits); server RSS then {:.1} MiB",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len(),
        rss_mib(pid)
    );
    for r in receivers {
        r.abort();
    }
}
