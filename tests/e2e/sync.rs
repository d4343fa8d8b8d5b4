//! Sync scenarios (issue 4): real `atendebem-server` on a fresh PostgreSQL database, real
//! SQLCipher replicas driven through the `atendebem` binary.

use atendebem_e2e::{
    Fault, FaultProxy, Faults, INITIAL_PASSWORD, Proxy, Replica, SyncServer, TENANT, USER_PASSWORD,
    contains_bytes, json, local_rfc3339, next, stderr, stdout,
};
use jiff::civil::Weekday;
use serde_json::Value;

/// A device: a replica logged in (online) as `email`, first login's password change included.
fn device(server: &SyncServer, email: &str) -> Replica {
    device_for(server, email, true)
}

/// A new device for a user; `first`: their first login anywhere.
fn device_for(server: &SyncServer, email: &str, first: bool) -> Replica {
    device_at(&server.url, email, first)
}

/// A new device reaching the server at `url` (e.g. through a proxy).
fn device_at(url: &str, email: &str, first: bool) -> Replica {
    let replica = Replica::uninitialized();
    let input = if first {
        format!("{INITIAL_PASSWORD}\n{USER_PASSWORD}\n")
    } else {
        format!("{USER_PASSWORD}\n")
    };
    let out = replica.run_stdin(
        &[
            "login",
            "--server",
            url,
            "--tenant",
            TENANT,
            "--email",
            email,
            "--password-stdin",
            "--json",
        ],
        &input,
    );
    assert!(out.status.success(), "login {email}: {}", stderr(&out));
    replica
}

/// Another login on an existing device: `first` when the user never logged in anywhere (the
/// first login's password change included).
fn login(replica: &Replica, email: &str, first: bool) -> Value {
    let input = if first {
        format!("{INITIAL_PASSWORD}\n{USER_PASSWORD}\n")
    } else {
        format!("{USER_PASSWORD}\n")
    };
    let out = replica.run_stdin(&["login", "--email", email, "--password-stdin", "--json"], &input);
    assert!(out.status.success(), "login {email}: {}", stderr(&out));
    json(&out)
}

fn sync(replica: &Replica) -> Value {
    replica.json(&["sync", "--once", "--json"])
}

fn heads(replica: &Replica) -> Value {
    replica.json(&["debug", "heads", "--json"])
}

/// Kinds of the documents a replica holds, read straight from its SQLCipher file.
fn stored_kinds(replica: &Replica) -> Vec<String> {
    let conn = replica.open_direct(&replica.derive_key());
    let mut stmt = conn
        .prepare("SELECT DISTINCT kind FROM documents ORDER BY kind")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A heads map without the chart documents (what a reception device holds).
fn without_charts(v: Value) -> Value {
    Value::Object(
        v.as_object()
            .expect("heads map")
            .iter()
            .filter(|(k, _)| !k.starts_with("chart/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

struct Clinic {
    server: SyncServer,
    professional: String,
    patient: String,
    admin: Replica,
}

/// A clinic with users (admin, two doctors, two receptionists), one professional in the
/// directory and one patient, registered from the admin's device and synced.
fn clinic() -> Clinic {
    clinic_on(SyncServer::start())
}

fn clinic_on(server: SyncServer) -> Clinic {
    server.user("admin@teste.example", "Administração", "ADMIN");
    server.user("ana@teste.example", "Dra. Ana Souza", "PROFESSIONAL");
    server.user("bruno@teste.example", "Dr. Bruno Lima", "PROFESSIONAL");
    server.user("carla@teste.example", "Carla Recepção", "STAFF");
    server.user("davi@teste.example", "Davi Recepção", "STAFF");
    let admin = device(&server, "admin@teste.example");
    let (professional, _) = admin.add_professional("Dra. Ana Souza", "CRM/SP 123456");
    let patient = admin.add_patient("João da Silva", Some("52998224725"));
    let report = sync(&admin);
    assert_eq!(report["documents_pushed"], 2, "{report}");
    Clinic {
        server,
        professional,
        patient,
        admin,
    }
}

/// A clinical note in the patient's chart, written on `replica`.
fn note(replica: &Replica, patient: &str, text: &str) {
    replica.ok(&["note", "add", "--patient", patient, "--text", text]);
}

fn book(replica: &Replica, c: &Clinic, hour: i8) -> String {
    let start = local_rfc3339(next(Weekday::Tuesday), hour, 0);
    let a = replica.json(&[
        "agenda",
        "book",
        "--professional",
        &c.professional,
        "--patient",
        &c.patient,
        "--start",
        &start,
        "--minutes",
        "30",
        "--json",
    ]);
    a["id"].as_str().expect("appointment id").to_owned()
}

/// (a) + (e): two doctors and a receptionist work offline on the same patient's chart and
/// agenda; after reconnecting every replica holds identical documents, equal to what a new
/// device downloads from the server — and the reception device never holds a chart.
#[test]
fn offline_edits_converge_and_reception_never_holds_a_chart() {
    let mut c = clinic();
    let ana = device(&c.server, "ana@teste.example");
    let bruno = device(&c.server, "bruno@teste.example");
    let carla = device(&c.server, "carla@teste.example");
    for d in [&ana, &bruno, &carla] {
        sync(d);
    }
    c.server.kill();
    note(&ana, &c.patient, "Cefaleia há três dias.");
    note(&bruno, &c.patient, "Pressão 12x8, sem febre.");
    book(&carla, &c, 10);
    let offline = carla.run(&["sync", "--once", "--json"]);
    assert_eq!(
        offline.status.code(),
        Some(1),
        "sem servidor a sincronização falha"
    );
    assert!(
        stderr(&offline).contains("sync.unreachable"),
        "{}",
        stderr(&offline)
    );
    assert_eq!(carla.status()["sync"]["pending_documents"], 1);
    c.server.restart();
    for d in [&ana, &bruno, &carla, &ana, &bruno, &carla, &c.admin] {
        sync(d);
    }
    for d in [&ana, &bruno, &carla] {
        assert_eq!(d.status()["sync"]["pending_documents"], 0);
    }
    let timeline = ana.json(&["chart", "--patient", &c.patient, "--json"]);
    assert_eq!(
        timeline.as_array().map(Vec::len),
        Some(2),
        "{timeline} {} {}",
        bruno.json(&["quarantine", "--json"]),
        ana.json(&["quarantine", "--json"])
    );
    assert_eq!(heads(&ana), heads(&bruno), "os dois médicos convergem");
    // A new device downloads the server's copy: identical to the doctors'.
    let fresh = device_for(&c.server, "ana@teste.example", false);
    sync(&fresh);
    assert_eq!(heads(&fresh), heads(&ana), "réplicas e servidor idênticos");
    // Reception and admin: the same registry, agenda and directory; never a chart.
    assert_eq!(heads(&carla), without_charts(heads(&ana)));
    assert_eq!(heads(&c.admin), heads(&carla));
    assert!(
        !stored_kinds(&carla).contains(&"chart".to_owned()),
        "{:?}",
        stored_kinds(&carla)
    );
    assert!(stored_kinds(&ana).contains(&"chart".to_owned()));
    let denied = carla.fail(&["chart", "--patient", &c.patient]);
    assert_eq!(denied.code, "access.denied", "{denied:?}");
}

/// (b): two receptionists book the same slot offline; after sync both see one conflict, and
/// cancelling one appointment on one device clears it everywhere.
#[test]
fn double_booking_shows_one_conflict_and_resolving_clears_it() {
    let mut c = clinic();
    let carla = device(&c.server, "carla@teste.example");
    let davi = device(&c.server, "davi@teste.example");
    sync(&carla);
    sync(&davi);
    c.server.kill();
    let first = book(&carla, &c, 9);
    book(&davi, &c, 9);
    c.server.restart();
    for d in [&carla, &davi, &carla] {
        sync(d);
    }
    let on_carla = carla.json(&["conflicts", "--json"]);
    let on_davi = davi.json(&["conflicts", "--json"]);
    assert_eq!(on_carla.as_array().map(Vec::len), Some(1), "{on_carla}");
    assert_eq!(on_carla, on_davi, "o mesmo conflito nos dois computadores");
    assert_eq!(on_carla[0]["kind"], "agenda.double_booking");
    carla.ok(&[
        "agenda",
        "status",
        "--appointment",
        &first,
        "--status",
        "cancelled",
    ]);
    sync(&carla);
    sync(&davi);
    assert_eq!(carla.json(&["conflicts", "--json"]), Value::Array(vec![]));
    assert_eq!(davi.json(&["conflicts", "--json"]), Value::Array(vec![]));
    assert_eq!(heads(&carla), heads(&davi));
}

/// Shared terminal: offline login only for users known on this device, lock, switch user.
#[test]
fn offline_login_lock_and_switch_user() {
    let mut c = clinic();
    let front = device(&c.server, "carla@teste.example");
    // A second receptionist logs in online on the same computer.
    let davi = login(&front, "davi@teste.example", true);
    assert_eq!(davi["online"], true);
    c.server.kill();
    // Offline: Carla's password is checked locally; a user never seen here cannot enter.
    let carla = login(&front, "carla@teste.example", false);
    assert_eq!(carla["online"], false);
    let out = front.run_stdin(
        &[
            "login",
            "--email",
            "bruno@teste.example",
            "--password-stdin",
            "--json",
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    assert!(
        stderr(&out).contains("auth.offline_unknown_user"),
        "{}",
        stderr(&out)
    );
    let out = front.run_stdin(
        &[
            "switch-user",
            "--email",
            "davi@teste.example",
            "--password-stdin",
            "--json",
        ],
        "errada-123\n",
    );
    assert!(
        stderr(&out).contains("auth.invalid_credentials"),
        "{}",
        stderr(&out)
    );
    front.ok(&["lock"]);
    let locked = front.fail(&["patient", "search", "joao"]);
    assert_eq!(locked.code, "terminal.locked");
    let out = front.run_stdin(
        &[
            "switch-user",
            "--email",
            "davi@teste.example",
            "--password-stdin",
            "--json",
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["name"], "Davi Recepção");
    // Inactivity locks the terminal (0 minutes: at once).
    let idle = front.run_env(
        &["patient", "search", "joao", "--json"],
        &[("ATENDEBEM_LOCK_AFTER_MINUTES", "0")],
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    let idle2 = front.run_env(
        &["patient", "search", "joao", "--json"],
        &[("ATENDEBEM_LOCK_AFTER_MINUTES", "0")],
    );
    assert!(
        stderr(&idle).contains("terminal.locked") || stderr(&idle2).contains("terminal.locked"),
        "{} / {}",
        stderr(&idle),
        stderr(&idle2)
    );
    // Davi's offline work goes to the server under Davi's own session once it is back.
    let out = front.run_stdin(
        &["switch-user", "--email", "davi@teste.example", "--password-stdin"],
        &format!("{USER_PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    front.add_patient("Maria Oliveira", None);
    c.server.restart();
    let report = sync(&front);
    assert_eq!(report["documents_pushed"], 1, "{report}");
    assert_eq!(front.status()["sync"]["pending_documents"], 0);
}

/// (f): a computer the administrator revoked is refused at once; its replica stays encrypted;
/// its user can still move their unsent work to the quarantine, where it stays readable.
#[test]
fn revoked_device_is_refused_and_its_user_keeps_unsent_work() {
    let c = clinic();
    let carla = device(&c.server, "carla@teste.example");
    sync(&carla);
    let device_id = carla.status()["device_id"]
        .as_str()
        .expect("device_id")
        .to_owned();
    c.server
        .admin(&["device", "revoke", &device_id, "--tenant", TENANT], None);
    carla.add_patient("Maria Oliveira", None);

    let out = carla.run(&["sync", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("auth.device_revoked"), "{}", stderr(&out));
    let status = carla.status();
    let account = &status["sync"]["accounts"][0];
    assert_eq!(account["has_session"], false, "{status}");
    assert_eq!(account["ended_code"], "auth.device_revoked");
    assert_eq!(status["sync"]["pending_documents"], 1);
    assert_eq!(carla.fail(&["sync", "--once"]).code, "sync.no_session");
    let out = carla.run_stdin(
        &[
            "login",
            "--email",
            "carla@teste.example",
            "--password-stdin",
            "--json",
        ],
        &format!("{USER_PASSWORD}\n"),
    );
    assert!(stderr(&out).contains("auth.device_revoked"), "{}", stderr(&out));

    // Encrypted at rest: neither the file nor its WAL shows the new patient's name.
    for file in ["replica.db", "replica.db-wal"] {
        let path = carla.data_dir().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(!bytes.starts_with(b"SQLite format 3"), "{file}");
            assert!(!contains_bytes(&bytes, "Maria Oliveira".as_bytes()), "{file}");
        }
    }

    // The user is still at the keyboard (offline session) and keeps their work.
    let items = carla.json(&["quarantine", "--export-unsent", "--json"]);
    let items = items.as_array().expect("lista");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["code"], "sync.unsent_exported");
    assert!(
        items[0]["content"]
            .as_array()
            .expect("content")
            .iter()
            .any(|line| line[1] == "Maria Oliveira"),
        "{items:?}"
    );
    assert_eq!(carla.status()["sync"]["pending_documents"], 0);
}

/// (c): the server is killed (SIGKILL) in the middle of a new device's initial sync and
/// restarted; the device finishes, with nothing lost and nothing duplicated.
#[test]
fn server_killed_during_initial_sync_device_finishes() {
    // Small catch-up frames, so the download is many frames long.
    let mut server = SyncServer::start_with(&[("ATENDEBEM_LIMITS__SYNC_PAGE_BYTES", "4096")]);
    server.user("carla@teste.example", "Carla Recepção", "STAFF");
    server.user("davi@teste.example", "Davi Recepção", "STAFF");
    let carla = device(&server, "carla@teste.example");
    let written = carla.ok(&["debug", "write-loop", "--count", "80"]);
    assert_eq!(stdout(&written).lines().count(), 80);
    assert_eq!(sync(&carla)["documents_pushed"], 80);

    let proxy = Proxy::start(&server.url);
    let davi = device_at(&proxy.url, "davi@teste.example", true);
    proxy.trip_after(24 * 1024);
    let download = davi
        .command(&["sync", "--once", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sync");
    assert!(
        proxy.wait_tripped(std::time::Duration::from_secs(120)),
        "the download never reached the cut"
    );
    server.kill();
    let out = download.wait_with_output().expect("sync output");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let partial = davi.patient_count();
    assert!(partial > 0 && partial < 80, "cut in the middle: {partial} of 80");

    server.restart();
    let report = sync(&davi);
    assert_eq!(report["pending_documents"], 0, "{report}");
    assert_eq!(davi.patient_count(), 80);
    assert_eq!(davi.status()["documents"], 80, "no document twice");
    assert_eq!(heads(&davi), heads(&carla), "identical documents");
    let mut expected: Vec<String> = stdout(&written).lines().map(str::to_owned).collect();
    let hits = davi.json(&["patient", "search", "paciente teste", "--limit", "200", "--json"]);
    let mut found: Vec<String> = hits
        .as_array()
        .expect("lista")
        .iter()
        .map(|h| h["patient_id"].as_str().expect("patient_id").to_owned())
        .collect();
    let listed = found.len();
    expected.sort();
    found.sort();
    found.dedup();
    assert_eq!(found.len(), listed, "no patient listed twice");
    assert_eq!(found, expected);
}

/// Why a sync through the fault proxy may fail: the link, never the data.
const LINK_FAILURES: &[&str] = &[
    "sync.frame_lost",
    "sync.frame_gap",
    "sync.connection_lost",
    "sync.unreachable",
    "sync.timeout",
];

/// (d): a proxy between the devices and the server drops, duplicates, delays and re-orders
/// sync frames and cuts connections — during the first download and while offline work is
/// sent. Every device keeps syncing until it succeeds; all converge to the server's documents.
#[test]
fn faulty_link_drops_duplicates_reorders_and_cuts_yet_all_converge() {
    // Small catch-up frames: the first download is many frames long.
    let c = clinic_on(SyncServer::start_with(&[(
        "ATENDEBEM_LIMITS__SYNC_PAGE_BYTES",
        "4096",
    )]));
    let written = c.admin.ok(&["debug", "write-loop", "--count", "30"]);
    assert_eq!(stdout(&written).lines().count(), 30);
    sync(&c.admin);
    let seed: u64 = std::env::var("ATENDEBEM_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("fault proxy seed: {seed} (ATENDEBEM_FAULT_SEED to replay)");
    // Each kind of fault surely happens early on (first downloads); then at random.
    let faults = Faults {
        script: vec![
            (3, Fault::Drop),
            (7, Fault::Duplicate),
            (11, Fault::Reorder),
            (15, Fault::Delay),
            (19, Fault::Cut),
        ],
        drop: 0.02,
        duplicate: 0.03,
        reorder: 0.02,
        delay: 0.05,
        max_delay_ms: 40,
        cut: 0.01,
    };
    let proxy = FaultProxy::start(&c.server.url, faults, seed);
    let ana = device_at(&proxy.url, "ana@teste.example", true);
    let bruno = device_at(&proxy.url, "bruno@teste.example", true);
    let carla = device_at(&proxy.url, "carla@teste.example", true);
    let devices = [&ana, &bruno, &carla];
    // Keeps syncing every device until one whole pass succeeds with nothing left to send.
    let settle = |what: &str| {
        for pass in 0..40 {
            let mut clean = true;
            for d in devices {
                let out = d.run(&["sync", "--once", "--json"]);
                if out.status.success() {
                    clean &= json(&out)["pending_documents"] == 0;
                } else {
                    clean = false;
                    let err = stderr(&out);
                    assert!(
                        LINK_FAILURES.iter().any(|code| err.contains(code)),
                        "{what}, pass {pass}: a failure that is not the link's: {err}"
                    );
                }
            }
            if clean {
                return;
            }
        }
        panic!("{what}: no clean pass in 40 (seed {seed}, {:?})", proxy.counts());
    };
    settle("first download");
    for d in devices {
        assert!(d.patient_count() >= 31, "every registration arrived");
    }
    // Offline work on every device, then sent through the faulty link.
    note(&ana, &c.patient, "Tosse seca há uma semana.");
    note(&bruno, &c.patient, "Ausculta limpa.");
    book(&carla, &c, 11);
    carla.ok(&["debug", "write-loop", "--count", "10"]);
    settle("offline work");
    // One more clean pass brings everyone the others' last changes.
    settle("closing pass");
    let counts = proxy.counts();
    eprintln!("faults injected: {counts:?}");
    assert!(
        counts.dropped > 0
            && counts.duplicated > 0
            && counts.reordered > 0
            && counts.delayed > 0
            && counts.cut > 0,
        "every kind of fault happened: {counts:?}"
    );

    assert_eq!(heads(&ana), heads(&bruno), "os dois médicos convergem");
    let fresh = device_for(&c.server, "ana@teste.example", false);
    sync(&fresh);
    assert_eq!(heads(&fresh), heads(&ana), "réplicas idênticas ao servidor");
    let timeline = ana.json(&["chart", "--patient", &c.patient, "--json"]);
    assert_eq!(timeline.as_array().map(Vec::len), Some(2), "{timeline}");
    assert_eq!(heads(&carla), without_charts(heads(&ana)), "a recepção converge");
    assert_eq!(carla.patient_count(), 41);
    for d in devices {
        assert_eq!(
            d.json(&["quarantine", "--json"]),
            Value::Array(vec![]),
            "nothing refused"
        );
    }
}

/// `sync --watch` stays connected: a change sent by another device arrives without a new
/// round, and a change written on this device by another process goes out at once.
#[test]
fn watch_receives_relayed_changes_and_sends_local_ones() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let c = clinic();
    let carla = device(&c.server, "carla@teste.example");
    let davi = device(&c.server, "davi@teste.example");
    sync(&carla);
    sync(&davi);
    let mut watch = carla
        .command(&["sync", "--watch", "--for-seconds", "60", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sync --watch");
    let (lines_tx, lines) = std::sync::mpsc::channel::<Value>();
    let stdout = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = lines_tx.send(v);
            }
        }
    });
    let until = |what: &str, pred: &dyn Fn(&Value) -> bool| -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("{what}: never reported");
    };
    let t0 = Instant::now();
    let listening = until("listening", &|v| v["listening"] == true);
    assert_eq!(listening["state"], "up_to_date", "{listening}");
    assert!(listening["last_sync_ms"].as_i64().is_some(), "{listening}");

    // Another device registers a patient: it arrives on the watching device by relay.
    let before = carla.patient_count();
    let sent = Instant::now();
    let patient = davi.add_patient("Maria Relé", None);
    sync(&davi);
    let arrived = wait_for(|| carla.patient_count() == before + 1);
    assert!(arrived, "the relayed registration never arrived");
    eprintln!("relay seen after {:?} (includes process starts)", sent.elapsed());
    let found = carla.json(&["patient", "search", "maria rele", "--json"]);
    assert_eq!(found[0]["patient_id"], patient.as_str(), "{found}");

    // A registration typed on the watching device (another process) goes out by itself.
    let local = carla.add_patient("Paulo Local", None);
    until("a push of the local change", &|v| {
        v["pending_documents"] == 0 && v["state"] == "up_to_date"
    });
    assert!(
        wait_for(|| {
            sync(&davi);
            davi.json(&["patient", "search", "paulo local", "--json"])[0]["patient_id"] == local.as_str()
        }),
        "the local registration never reached the other device"
    );
    // Ctrl+C ends it cleanly.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let out = watch.wait_with_output().expect("watch exits");
    assert!(
        t0.elapsed() < Duration::from_secs(50),
        "stopped by the interrupt, not the limit"
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Polls `check` for up to 20 s.
fn wait_for(mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}
