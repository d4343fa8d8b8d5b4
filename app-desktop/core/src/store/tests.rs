use super::*;
use crate::ErrorCode;
use crate::keys::{FixedPassphrase, MemoryKeychain, Passphrase};

fn access<'a>(keychain: &'a MemoryKeychain, pass: &'a FixedPassphrase) -> KeyAccess<'a> {
    KeyAccess {
        keychain,
        passphrases: pass,
    }
}

#[test]
fn creates_opens_and_refuses_to_recreate() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(dir.path(), KeyPreference::Auto, access(&keychain, &none)).unwrap();
    assert!(replica.integrity_check().unwrap().is_empty());
    drop(replica);
    let replica = Replica::open(dir.path(), access(&keychain, &none)).unwrap();
    let version: i64 = replica
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, migrations::LATEST);
    let journal: String = replica
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let err = Replica::create(dir.path(), KeyPreference::Auto, access(&keychain, &none)).unwrap_err();
    assert_eq!(err.code(), "replica.already_initialized");
}

/// NGS1.06.01: the replica is encrypted at rest; plain SQLite cannot read it.
#[test]
fn file_is_not_plain_sqlite_and_holds_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(dir.path(), KeyPreference::Auto, access(&keychain, &none)).unwrap();
    replica
        .write(|tx| people::set_meta(tx, "marker", "Maria-da-Conceicao-Plaintext"))
        .unwrap();
    drop(replica);
    let bytes = std::fs::read(dir.path().join(DB_FILE)).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    let needle = b"Maria-da-Conceicao";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    // Opening without a key, as plain SQLite would, fails.
    let plain = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let err = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase));
}

#[test]
fn wrong_key_damaged_and_newer_files_are_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let good = FixedPassphrase(Some("senha-forte-123"));
    drop(Replica::create(dir.path(), KeyPreference::Passphrase, access(&keychain, &good)).unwrap());
    let db = dir.path().join(DB_FILE);
    let before = std::fs::read(&db).unwrap();

    let bad = FixedPassphrase(Some("senha-errada-456"));
    assert_eq!(
        Replica::open(dir.path(), access(&keychain, &bad))
            .unwrap_err()
            .code(),
        "replica.wrong_key"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // Newer schema: bump user_version with the right key, then reopen.
    {
        let replica = Replica::open(dir.path(), access(&keychain, &good)).unwrap();
        replica
            .conn()
            .pragma_update(None, "user_version", migrations::LATEST + 5)
            .unwrap();
        replica
            .conn()
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
    }
    let newer = std::fs::read(&db).unwrap();
    let err = Replica::open(dir.path(), access(&keychain, &good)).unwrap_err();
    assert_eq!(err.code(), "replica.newer_schema");
    assert_eq!(std::fs::read(&db).unwrap(), newer);

    // Damage: garble the first page.
    let mut damaged = newer.clone();
    for b in &mut damaged[100..400] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &damaged).unwrap();
    let err = Replica::open(dir.path(), access(&keychain, &good)).unwrap_err();
    assert_eq!(err.code(), "replica.damaged");
    assert_eq!(std::fs::read(&db).unwrap(), damaged);
}

#[test]
fn not_initialized_is_clear() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let err = Replica::open(dir.path(), access(&keychain, &none)).unwrap_err();
    assert_eq!(err.code(), "replica.not_initialized");
    assert!(!dir.path().join(DB_FILE).exists());
}

/// NGS1.04.01/03/05: encrypted backup, integrity-checked restore, all-or-nothing.
#[test]
fn backup_restores_and_a_flipped_byte_aborts_the_restore() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(
        &dir.path().join("a"),
        KeyPreference::Auto,
        access(&keychain, &none),
    )
    .unwrap();
    replica
        .write(|tx| people::set_meta(tx, "clinic_name", "Clínica Teste"))
        .unwrap();
    replica
        .write(|tx| people::audit(tx, 1, None, "device", "replica.created", None))
        .unwrap();
    // Back up a reopened replica (opened without the create flag, as every later run is).
    drop(replica);
    let replica = Replica::open(&dir.path().join("a"), access(&keychain, &none)).unwrap();
    let backup_path = dir.path().join("copia.atendebem-backup");
    let pass = Passphrase::new("backup-senha-1".into());
    replica.backup(&backup_path, &pass).unwrap();
    let bytes = std::fs::read(&backup_path).unwrap();
    assert!(bytes.starts_with(BACKUP_MAGIC));
    assert!(!bytes.windows(7).any(|w| w == b"Cl\xc3\xadnica"));

    let restored = Replica::restore(
        &backup_path,
        &pass,
        &dir.path().join("b"),
        KeyPreference::Auto,
        access(&keychain, &none),
    )
    .unwrap();
    assert_eq!(
        people::get_meta(restored.conn(), "clinic_name")
            .unwrap()
            .as_deref(),
        Some("Clínica Teste")
    );
    let audit: i64 = restored
        .conn()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audit, 1);

    let wrong = Passphrase::new("outra-senha-2".into());
    let err = Replica::restore(
        &backup_path,
        &wrong,
        &dir.path().join("c"),
        KeyPreference::Auto,
        access(&keychain, &none),
    )
    .unwrap_err();
    assert_eq!(err.code(), "backup.wrong_passphrase");
    assert!(!dir.path().join("c").join(DB_FILE).exists());

    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 1;
    let flipped_path = dir.path().join("flipped");
    std::fs::write(&flipped_path, &flipped).unwrap();
    let err = Replica::restore(
        &flipped_path,
        &pass,
        &dir.path().join("d"),
        KeyPreference::Auto,
        access(&keychain, &none),
    )
    .unwrap_err();
    assert_eq!(err.code(), "backup.corrupt");
    assert!(!dir.path().join("d").join(DB_FILE).exists());

    std::fs::write(&flipped_path, b"not a backup").unwrap();
    let err = Replica::restore(
        &flipped_path,
        &pass,
        &dir.path().join("e"),
        KeyPreference::Auto,
        access(&keychain, &none),
    )
    .unwrap_err();
    assert_eq!(err.code(), "backup.not_a_backup");
}

#[test]
fn audit_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(dir.path(), KeyPreference::Auto, access(&keychain, &none)).unwrap();
    replica
        .write(|tx| people::audit(tx, 1, None, "d", "x", None))
        .unwrap();
    assert!(replica.conn().execute("DELETE FROM audit_log", []).is_err());
    assert!(
        replica
            .conn()
            .execute("UPDATE audit_log SET action = 'y'", [])
            .is_err()
    );
}

/// Both search strategies (few matches: read and sort; many: walk the name index) return the
/// alphabetically first matches, accents ignored.
#[test]
fn search_orders_alphabetically_with_few_and_many_matches() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let replica = Replica::create(dir.path(), KeyPreference::Auto, access(&keychain, &none)).unwrap();
    const FIRST: [&str; 5] = ["João", "Joana", "Jéssica", "Álvaro", "Zélia"];
    const LAST: [&str; 7] = ["Silva", "Souza", "Araújo", "Lima", "Sá", "Gomes", "Brandão"];
    replica
        .write(|tx| {
            for i in 0..3000 {
                let name = format!("{} {} da Costa {}", FIRST[i % 5], LAST[(i / 5) % 7], i);
                let row = PatientRow {
                    patient_id: format!("p{i:05}"),
                    name,
                    social_name: None,
                    cpf: None,
                    cns: None,
                    birth_date: None,
                };
                patients::upsert(tx, &row, 0)?;
            }
            Ok(())
        })
        .unwrap();
    let conn = replica.conn();
    let check_sorted = |hits: &[SearchHit]| {
        let keys: Vec<String> = hits.iter().map(|h| patients::sort_key(&h.name)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    };
    // "jo" matches 1,200 names (João, Joana): the read-and-sort path.
    let few = patients::search(conn, "jo", 20).unwrap();
    assert_eq!(few.len(), 20);
    assert!(
        few.iter().all(|h| h.name.starts_with("Joana")),
        "{:?}",
        few[0].name
    );
    check_sorted(&few);
    // "da cos" matches all 3,000 names: the name-index walk.
    let many = patients::search(conn, "da cos", 20).unwrap();
    assert_eq!(many.len(), 20);
    assert!(
        many.iter().all(|h| h.name.starts_with("Álvaro Araújo")),
        "{:?}",
        many[0].name
    );
    check_sorted(&many);
    // Accent-insensitive in both directions.
    assert!(!patients::search(conn, "zelia sa", 5).unwrap().is_empty());
    assert!(!patients::search(conn, "JÉSSICA", 5).unwrap().is_empty());
}
