//! NGS1.06.01: the replica is encrypted at rest (SQLCipher 4 defaults), its files hold no
//! patient data in clear, and their names reveal nothing. The key is derived here independently
//! of the core, from `replica.json` and the passphrase.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use atendebem_e2e::{PASSPHRASE, Replica, contains_bytes, dir_names, hex, open_encrypted, pragma_rows};
use rusqlite::{Connection, ErrorCode, OpenFlags};

const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";
const ALLOWED_FILES: [&str; 4] = ["replica.db", "replica.db-shm", "replica.db-wal", "replica.json"];

#[test]
fn replica_file_is_sqlcipher_4_and_holds_no_plaintext() {
    let replica = Replica::init();
    let patient = replica.json(&[
        "patient",
        "add",
        "--name",
        "Maria Plaintextson",
        "--cpf",
        "111.444.777-35",
        "--mother-name",
        "Joana Plaintextson",
        "--phone",
        "(11) 98765-4321",
    ]);
    let id = patient["id"].as_str().expect("id").to_owned();
    let db = replica.db_path();

    // No plaintext header, no name, CPF or phone in any file of the data directory.
    let bytes = std::fs::read(&db).expect("ler replica.db");
    assert!(
        !bytes.starts_with(SQLITE_HEADER),
        "replica.db começa com o cabeçalho do SQLite em claro"
    );
    assert!(
        bytes.len() >= 4096 && bytes.len().is_multiple_of(4096),
        "páginas de 4096 bytes: {}",
        bytes.len()
    );
    assert_no_plaintext(
        replica.data_dir(),
        &["Plaintextson", "11144477735", "987654321", "CREATE TABLE"],
    );

    // Plain SQLite (rusqlite without a key) cannot read it.
    let plain = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("abrir sem chave");
    let error = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase),
        "{error}"
    );
    drop(plain);

    // Neither can the sqlite3 command-line tool.
    sqlite3_cli_refuses(&db);

    // The right key opens it; a wrong one does not.
    let key = replica.derive_key();
    let mut wrong = key;
    wrong[0] ^= 0x01;
    let conn = open_encrypted(&db, &wrong);
    conn.pragma_update(None, "cipher_log_level", "NONE")
        .expect("cipher_log_level");
    let error = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase),
        "{error}"
    );
    drop(conn);

    let conn = replica.open_direct(&key);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM patient_index", [], |r| r.get(0))
        .expect("patient_index");
    assert_eq!(count, 1);
    let (stored_id, name): (String, String) = conn
        .query_row("SELECT patient_id, name FROM patient_index", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("linha do paciente");
    assert_eq!(
        (stored_id.as_str(), name.as_str()),
        (id.as_str(), "Maria Plaintextson")
    );

    // SQLCipher 4 with its defaults untouched: the settings in use are the library defaults,
    // and those are SQLCipher 4's (AES-256-CBC, HMAC-SHA512 per page, 4096-byte pages, PBKDF2
    // 256 000 iterations — unused with a raw key, but a changed value would mean a changed format).
    let pragma = |name: &str| -> String { pragma_rows(&conn, name).into_iter().next().unwrap_or_default() };
    let version = pragma("cipher_version");
    assert!(version.starts_with("4."), "cipher_version {version:?}");
    assert_eq!(pragma("cipher"), "AES-256-CBC");
    assert_eq!(pragma("cipher_hmac_algorithm"), "HMAC_SHA512");
    assert_eq!(pragma("cipher_use_hmac"), "1");
    assert_eq!(pragma("cipher_kdf_algorithm"), "PBKDF2_HMAC_SHA512");
    assert_eq!(pragma("kdf_iter"), "256000");
    assert_eq!(pragma("cipher_page_size"), "4096");
    assert_eq!(pragma("cipher_plaintext_header_size"), "0");
    let defaults: Vec<String> = pragma_rows(&conn, "cipher_default_settings")
        .iter()
        .map(|s| s.replace("cipher_default_", "cipher_"))
        .collect();
    let in_use: Vec<String> = pragma_rows(&conn, "cipher_settings")
        .iter()
        .map(|s| s.replace("kdf_iter", "cipher_kdf_iter"))
        .collect();
    assert_eq!(in_use, defaults, "a réplica usa os padrões do SQLCipher");
    // The file starts with the random salt SQLCipher keeps in clear.
    assert_eq!(hex(&bytes[..16]), pragma("cipher_salt"));
    assert!(pragma_rows(&conn, "cipher_integrity_check").is_empty());
    assert_eq!(pragma_rows(&conn, "integrity_check"), ["ok"]);
    assert_eq!(pragma("journal_mode"), "wal");
    drop(conn);

    // `cipher_compatibility` cannot be read back: open with it set. 4 reads the file, 3 does not.
    for (compatibility, readable) in [(4, true), (3, false)] {
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("abrir");
        conn.execute_batch(&format!(
            "PRAGMA cipher_log_level = NONE; PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = {compatibility};",
            hex(&key)
        ))
        .expect("PRAGMA key");
        let result = conn.query_row("SELECT count(*) FROM patient_index", [], |r| r.get::<_, i64>(0));
        match (readable, result) {
            (true, Ok(count)) => assert_eq!(count, 1),
            (false, Err(error)) => assert_eq!(
                error.sqlite_error_code(),
                Some(ErrorCode::NotADatabase),
                "{error}"
            ),
            (_, other) => panic!("cipher_compatibility = {compatibility}: {other:?}"),
        }
    }

    // replica.json is public: no passphrase, no key.
    let meta = std::fs::read_to_string(replica.data_dir().join("replica.json")).expect("replica.json");
    assert!(!meta.contains(PASSPHRASE), "a senha não é gravada");
    assert!(!meta.contains(&hex(&key)), "a chave não é gravada");
}

/// While a writer is running (and after it is killed) the WAL holds committed pages: they are
/// encrypted too.
#[test]
fn wal_and_shared_memory_files_hold_no_plaintext() {
    let replica = Replica::init();
    replica.add_patient("Maria Plaintextson", None);
    let mut child = replica
        .command(&["debug", "write-loop", "--count", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("write-loop");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for _ in 0..20 {
        lines.next().expect("uma linha").expect("id");
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");

    let wal = replica.data_dir().join("replica.db-wal");
    assert!(
        wal.exists(),
        "depois do SIGKILL o WAL ainda existe: {:?}",
        dir_names(replica.data_dir())
    );
    let wal_bytes = std::fs::read(&wal).expect("ler WAL");
    assert!(wal_bytes.len() > 32, "o WAL tem quadros gravados");
    assert_no_plaintext(replica.data_dir(), &["Plaintextson", "Paciente Teste"]);
    // The key still opens it and sees at least the 20 patients printed.
    let conn = replica.open_direct(&replica.derive_key());
    let count: i64 = conn
        .query_row("SELECT count(*) FROM patient_index", [], |r| r.get(0))
        .expect("count");
    assert!(count >= 21, "{count} pacientes");
}

fn assert_no_plaintext(dir: &Path, needles: &[&str]) {
    for name in dir_names(dir) {
        assert!(
            ALLOWED_FILES.contains(&name.as_str()),
            "arquivo inesperado (nome revela algo?): {name}"
        );
        let bytes = std::fs::read(dir.join(&name)).expect("ler arquivo");
        for needle in needles {
            assert!(
                !contains_bytes(&bytes, needle.as_bytes()),
                "{name} contém {needle:?} em claro"
            );
        }
    }
}

fn sqlite3_cli_refuses(db: &Path) {
    let sqlite3 = Path::new("/usr/bin/sqlite3");
    if !sqlite3.exists() {
        eprintln!("AVISO: /usr/bin/sqlite3 ausente; verificação com a ferramenta sqlite3 pulada");
        return;
    }
    let out = std::process::Command::new(sqlite3)
        .arg("-readonly")
        .arg(db)
        .arg("SELECT count(*) FROM sqlite_master;")
        .stdin(Stdio::null())
        .output()
        .expect("executar sqlite3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "sqlite3 leu a réplica: {text}");
    assert!(text.contains("file is not a database"), "sqlite3: {text}");
}
