//! Sync benchmarks of issue 4 (figures in docs/PERFORMANCE.md):
//!
//! 1. **Initial sync** of the demo clinic (10,000 patients by default: registry, charts, a year
//!    of agendas) to a fresh device over loopback — the real `atendebem` binary, timed, its peak
//!    resident memory sampled from `/proc`; bytes on the wire against the automerge compressed
//!    size of the documents it ends up holding.
//! 2. **Edit latency**: one registration on device A until device B holds it, both running the
//!    background loop (`Clinic::sync_watch`) in this process; p50/p95/p99 over many edits.
//!
//! The server is the real `atendebem-server` (release build, like this bench) on a fresh
//! PostgreSQL database. The clinic is first generated on a seed device — registry and agendas
//! by the administrator, each chart by its professional — and pushed through the sync protocol
//! like any device's work; that upload is reported too.
//!
//! `cargo bench -p atendebem-e2e --bench sync` (`ATENDEBEM_BENCH_PATIENTS`,
//! `ATENDEBEM_BENCH_EDITS` to change the sizes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use atendebem_core::demo::{self, DemoOptions};
use atendebem_core::keys::{FixedPassphrase, KeyPreference, MemoryKeychain};
use atendebem_core::sync::{LiveSync, LoginRequest, WatchOptions, connect_replica};
use atendebem_core::{Clinic, KeyAccess, Replica, Session, SystemClock};
use atendebem_e2e::{INITIAL_PASSWORD, PASSPHRASE, SyncServer, TENANT, USER_PASSWORD, binary, json};
use shared_model::identity::Role;
use shared_model::ids::UserId;
use shared_model::registry::NewPatient;

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn login_request(server: &SyncServer, email: &str, first: bool) -> LoginRequest {
    LoginRequest {
        server: Some(server.url.clone()),
        tenant: Some(TENANT.to_owned()),
        email: email.to_owned(),
        password: if first { INITIAL_PASSWORD } else { USER_PASSWORD }.to_owned(),
        new_password: first.then(|| USER_PASSWORD.to_owned()),
    }
}

fn open(dir: &Path, keychain: &MemoryKeychain, passphrase: Option<&'static str>) -> Clinic {
    let access = KeyAccess {
        keychain,
        passphrases: &FixedPassphrase(passphrase),
    };
    Clinic::open(
        Replica::open(dir, access).expect("replica"),
        Box::new(SystemClock),
    )
    .expect("clinic")
}

/// A memory figure (kB) of a running process from `/proc`: `VmHWM` (peak) or `VmRSS` (now).
fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let patients = env_or("ATENDEBEM_BENCH_PATIENTS", 10_000);
    let edits = env_or("ATENDEBEM_BENCH_EDITS", 300) as usize;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dirs = tempfile::tempdir().expect("tempdir");
    let keychain = MemoryKeychain::default();

    // --- the clinic, generated on a seed device and pushed ------------------------------------
    let server = SyncServer::start();
    server.user("admin@bench.example", "Administração", "ADMIN");
    let professionals: Vec<(String, UserId)> = demo::PROFESSIONALS
        .iter()
        .enumerate()
        .map(|(i, (name, ..))| {
            let email = format!("prof{i}@bench.example");
            let id = server.user(&email, name, "PROFESSIONAL");
            (email, id.parse().expect("user id"))
        })
        .collect();
    let seed_dir = dirs.path().join("seed");
    let (mut seed, admin) = rt
        .block_on(connect_replica(
            &seed_dir,
            KeyPreference::Keychain,
            KeyAccess {
                keychain: &keychain,
                passphrases: &FixedPassphrase(None),
            },
            &login_request(&server, "admin@bench.example", true),
            Box::new(SystemClock),
        ))
        .expect("admin login");
    let mut sessions: Vec<Session> = Vec::new();
    for (email, _) in &professionals {
        let outcome = rt
            .block_on(seed.login(&login_request(&server, email, true), &keychain))
            .expect("professional login");
        sessions.push(outcome.session);
    }
    let authors: Vec<UserId> = professionals.iter().map(|(_, id)| *id).collect();
    let generated = demo::generate_for(
        &mut seed,
        &admin.session,
        DemoOptions {
            patients,
            seed: 7,
            months: 12,
        },
        &authors,
    )
    .expect("demo");
    let started = Instant::now();
    let pushed = rt
        .block_on(seed.sync_once(&keychain, &mut |_| {}))
        .expect("upload");
    let upload = started.elapsed();
    assert_eq!(pushed.documents_refused, 0, "the server refused demo data");
    println!(
        "clinic: {} patients, {} appointments, {} chart entries, {} professionals",
        generated.patients, generated.appointments, generated.chart_entries, generated.professionals
    );
    println!(
        "upload from the seed device: {} documents in {:.1} s",
        pushed.documents_pushed,
        upload.as_secs_f64()
    );

    // --- initial sync of a fresh device: the real binary --------------------------------------
    let fresh_dir = dirs.path().join("fresh");
    let reader_email = &professionals.last().expect("professional").0;
    let login = std::process::Command::new(binary())
        .env("ATENDEBEM_PASSPHRASE", PASSPHRASE)
        .args(["--data-dir"])
        .arg(&fresh_dir)
        .args([
            "login",
            "--server",
            &server.url,
            "--tenant",
            TENANT,
            "--email",
            reader_email,
            "--password-stdin",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{USER_PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("login");
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let started = Instant::now();
    let mut child = std::process::Command::new(binary())
        .env("ATENDEBEM_PASSPHRASE", PASSPHRASE)
        .arg("--data-dir")
        .arg(&fresh_dir)
        .args(["sync", "--once", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync");
    // Opening the replica derives its key with Argon2id (a 64 MiB block, freed at once): the
    // peak includes it; the resident size sampled after the first second is the sync's own.
    let (mut peak_kb, mut syncing_kb) = (0, 0);
    while child.try_wait().expect("wait").is_none() {
        if let Some(kb) = proc_kb(child.id(), "VmHWM:") {
            peak_kb = peak_kb.max(kb);
        }
        if started.elapsed() > Duration::from_secs(1)
            && let Some(kb) = proc_kb(child.id(), "VmRSS:")
        {
            syncing_kb = syncing_kb.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("sync output");
    let initial = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let fresh = open(&fresh_dir, &keychain, Some(PASSPHRASE));
    let compressed = fresh.compressed_size().expect("sizes");
    let wire = report["bytes_received"].as_u64().expect("bytes");
    println!(
        "initial sync (fresh device, atendebem sync --once): {} documents, {:.1} s, {:.1} MiB on the wire, \
         {:.1} MiB automerge compressed ({:.2}x), peak RSS {:.0} MiB (opening included), \
         highest RSS while syncing {:.0} MiB",
        report["documents_received"],
        initial.as_secs_f64(),
        wire as f64 / 1_048_576.0,
        compressed as f64 / 1_048_576.0,
        wire as f64 / compressed as f64,
        peak_kb as f64 / 1024.0,
        syncing_kb as f64 / 1024.0,
    );

    // --- edit latency: A (seed) → server → B (fresh), both in the background loop --------------
    let writer_session = sessions.last().expect("session").clone();
    let mut a_sync = open(&seed_dir, &keychain, None);
    let mut b_sync = open(&fresh_dir, &keychain, Some(PASSPHRASE));
    let b_reader = open(&fresh_dir, &keychain, Some(PASSPHRASE));
    let b_session = Session {
        role: Role::Professional,
        ..writer_session.clone()
    };
    let (a_live, _a_changes) = tokio::sync::watch::channel(LiveSync::default());
    let (b_live, mut b_changes) = tokio::sync::watch::channel(LiveSync::default());
    let a_nudge = tokio::sync::Notify::new();
    let b_nudge = tokio::sync::Notify::new();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let options = WatchOptions::default();
    let mut latencies: Vec<Duration> = Vec::with_capacity(edits);
    rt.block_on(async {
        let a_loop = a_sync.sync_watch(&keychain, &options, &a_live, &a_nudge, stopped(stop_rx.clone()));
        let b_loop = b_sync.sync_watch(&keychain, &options, &b_live, &b_nudge, stopped(stop_rx.clone()));
        let driver = async {
            let mut a_changes = a_live.subscribe();
            let _ = b_changes.wait_for(|l| l.listening).await;
            let _ = a_changes.wait_for(|l| l.listening).await;
            for i in 0..edits + 20 {
                let t0 = Instant::now();
                let patient = seed
                    .add_patient(&writer_session, NewPatient::named(&format!("Latência {i}")))
                    .expect("registration")
                    .id;
                a_nudge.notify_one();
                loop {
                    let _ = b_changes.changed().await;
                    if b_reader.patient(&b_session, patient).is_ok() {
                        break;
                    }
                }
                // The first edits warm the connections up.
                if i >= 20 {
                    latencies.push(t0.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = stop_tx.send(true);
        };
        let (a, b, ()) = tokio::join!(a_loop, b_loop, driver);
        a.expect("A loop");
        b.expect("B loop");
    });
    latencies.sort();
    println!(
        "edit on A visible on B through the server ({} edits): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().expect("latencies").as_secs_f64() * 1e3,
    );
}
