//! Durability: a patient whose id was printed (after its commit) survives a SIGKILL at any moment,
//! and the replica is never left half-written or unreadable. Every kill is followed by both
//! SQLCipher checks (`cipher_integrity_check`: HMAC of every page; `integrity_check`) on the
//! same, growing replica.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use atendebem_e2e::{Replica, open_encrypted_read_only, pragma_rows};
use rand::Rng;
use rusqlite::Connection;

const ITERATIONS: usize = 100;
/// Longest wait for the first committed id (opening costs an Argon2id derivation).
const FIRST_LINE_TIMEOUT: Duration = Duration::from_secs(30);

/// When to kill the writer.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// A random time after spawning, whatever was printed (often while opening the replica).
    SpawnPlus(Duration),
    /// A random time after the first committed id.
    FirstIdPlus(Duration),
    /// Right after reading this many ids.
    IdCount(usize),
}

#[derive(Debug, Default)]
struct Totals {
    ids: usize,
    killed_before_first_id: usize,
    cli_checks: usize,
    spent_in_writers: Duration,
    spent_in_checks: Duration,
}

#[test]
fn committed_patients_survive_sigkill() {
    let started = Instant::now();
    let replica = Replica::init();
    let key = replica.derive_key();
    let mut rng = rand::rng();
    let mut printed: Vec<String> = Vec::new();
    let mut totals = Totals::default();

    for iteration in 0..ITERATIONS {
        let kill_at = match rng.random_range(0..10) {
            0 | 1 => KillAt::SpawnPlus(Duration::from_millis(rng.random_range(0..400))),
            2..=5 => KillAt::FirstIdPlus(Duration::from_millis(rng.random_range(20..=200))),
            _ => KillAt::IdCount(rng.random_range(1..=30)),
        };
        let writer_started = Instant::now();
        let ids = write_until_killed(&replica, kill_at, iteration);
        totals.spent_in_writers += writer_started.elapsed();
        if ids.is_empty() {
            totals.killed_before_first_id += 1;
        }
        totals.ids += ids.len();
        printed.extend(ids.iter().cloned());

        let check_started = Instant::now();
        let conn = open_encrypted_read_only(&replica.db_path(), &key);
        verify(&conn, &printed, &ids, iteration, kill_at);
        drop(conn);
        if iteration % 10 == 9 {
            replica.ok(&["check"]);
            totals.cli_checks += 1;
        }
        totals.spent_in_checks += check_started.elapsed();
    }

    let unique: HashSet<&String> = printed.iter().collect();
    assert_eq!(unique.len(), printed.len(), "ids repetidos");
    assert!(
        totals.ids >= ITERATIONS,
        "poucos ids gravados para um teste significativo: {totals:?}"
    );
    let final_count = replica.patient_count();
    eprintln!(
        "[sigkill] {ITERATIONS} SIGKILLs, {} ids impressos e verificados ({} réplicas mortas antes do primeiro id), \
         {final_count} pacientes na réplica, {} `atendebem check`; escritores {:.1} s, verificações {:.1} s, total {:.1} s",
        totals.ids,
        totals.killed_before_first_id,
        totals.cli_checks,
        totals.spent_in_writers.as_secs_f64(),
        totals.spent_in_checks.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
}

/// Spawns `debug write-loop`, kills it with SIGKILL as `kill_at` says and returns every id it
/// printed (including those still in the pipe when it died).
fn write_until_killed(replica: &Replica, kill_at: KillAt, iteration: usize) -> Vec<String> {
    let spawned = Instant::now();
    let mut child = replica
        .command(&["debug", "write-loop", "--count", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("iniciar write-loop");
    let (lines, reader) = read_lines(&mut child);
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut ids = Vec::new();
    match kill_at {
        KillAt::SpawnPlus(delay) => thread::sleep(delay),
        KillAt::FirstIdPlus(delay) => {
            ids.push(first_line(&lines, &mut child, iteration));
            thread::sleep(delay);
        }
        KillAt::IdCount(n) => {
            ids.push(first_line(&lines, &mut child, iteration));
            while ids.len() < n {
                ids.push(lines.recv_timeout(FIRST_LINE_TIMEOUT).expect("próximo id"));
            }
        }
    }
    let still_running = child.try_wait().expect("try_wait").is_none();
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    reader.join().expect("leitor de stdout");
    ids.extend(lines.try_iter());
    let errors = stderr_reader.join().expect("leitor de stderr");
    assert!(
        still_running,
        "iteração {iteration}: write-loop terminou sozinho ({status}) antes do SIGKILL ({:?} após o início): {errors}",
        spawned.elapsed()
    );
    assert!(
        errors.trim().is_empty(),
        "iteração {iteration}: write-loop escreveu em stderr: {errors}"
    );
    for id in &ids {
        uuid::Uuid::parse_str(id)
            .unwrap_or_else(|e| panic!("iteração {iteration}: linha não é um id ({e}): {id:?}"));
    }
    ids
}

/// Complete lines of the child's stdout, sent as they arrive. A line cut short by the kill (no
/// newline) is not an id that was printed, so it is dropped.
fn read_lines(child: &mut Child) -> (Receiver<String>, JoinHandle<()>) {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with('\n') => {
                    if tx.send(line.trim_end().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => break,
            }
        }
    });
    (rx, handle)
}

fn first_line(lines: &Receiver<String>, child: &mut Child, iteration: usize) -> String {
    match lines.recv_timeout(FIRST_LINE_TIMEOUT) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
            let _ = child.kill();
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            panic!("iteração {iteration}: write-loop não imprimiu nenhum id ({status})");
        }
    }
}

/// Both integrity checks, every id ever printed present in the index, the documents and the FTS
/// table, and the three (plus the audit trail) always the same set: no transaction half applied.
fn verify(conn: &Connection, printed: &[String], this_run: &[String], iteration: usize, kill_at: KillAt) {
    let context = format!("iteração {iteration} ({kill_at:?})");
    let cipher = pragma_rows(conn, "cipher_integrity_check");
    assert!(cipher.is_empty(), "{context}: cipher_integrity_check: {cipher:?}");
    assert_eq!(pragma_rows(conn, "integrity_check"), ["ok"], "{context}");

    let set = |sql: &str| -> HashSet<String> {
        let mut stmt = conn.prepare(sql).expect(sql);
        stmt.query_map([], |r| r.get::<_, String>(0))
            .expect(sql)
            .map(|r| r.expect(sql))
            .collect()
    };
    let index = set("SELECT patient_id FROM patient_index");
    let documents = set("SELECT substr(doc_key, 10) FROM documents WHERE doc_key LIKE 'registry/%'");
    let fts = set("SELECT p.patient_id FROM patient_search s JOIN patient_index p ON p.rowid = s.rowid");
    let audited = set("SELECT record FROM audit_log WHERE action = 'patient.create'");
    for id in printed {
        assert!(
            index.contains(id),
            "{context}: {id} impresso mas ausente de patient_index"
        );
        assert!(
            documents.contains(id),
            "{context}: {id} impresso mas sem documento registry/"
        );
        assert!(
            fts.contains(id),
            "{context}: {id} impresso mas ausente de patient_search"
        );
    }
    assert_eq!(documents, index, "{context}: documentos e índice divergem");
    assert_eq!(fts, index, "{context}: FTS e índice divergem");
    assert_eq!(audited, index, "{context}: trilha de auditoria e índice divergem");

    // The exact per-id queries for this run's ids, and the FTS index (not only its content table).
    for id in this_run {
        let doc: i64 = conn
            .query_row(
                "SELECT count(*) FROM documents WHERE doc_key = ?1",
                [format!("registry/{id}")],
                |r| r.get(0),
            )
            .expect("documents");
        assert_eq!(doc, 1, "{context}: registry/{id}");
        let row: i64 = conn
            .query_row(
                "SELECT count(*) FROM patient_search s JOIN patient_index p ON p.rowid = s.rowid \
                 WHERE p.patient_id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("patient_search");
        assert_eq!(row, 1, "{context}: FTS de {id}");
    }
    let matched: i64 = conn
        .query_row(
            "SELECT count(*) FROM patient_search WHERE patient_search MATCH 'paciente'",
            [],
            |r| r.get(0),
        )
        .expect("MATCH");
    assert_eq!(
        usize::try_from(matched).ok(),
        Some(index.len()),
        "{context}: a busca textual encontra todos os pacientes"
    );
}
