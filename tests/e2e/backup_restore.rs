//! Encrypted backup and integrity-checked, all-or-nothing restore (NGS1.04.01/03/05).

use atendebem_e2e::{
    BACKUP_PASSPHRASE, Replica, assert_portuguese, contains_bytes, dir_names, failure, stdout,
};

const BACKUP_MAGIC: &[u8] = b"ATENDEBEM-BACKUP";

#[test]
fn backup_restores_into_a_new_directory_and_a_flipped_byte_aborts() {
    let source = Replica::init();
    let joao = source.add_patient("João da Silva Backupson", Some("529.982.247-25"));
    let maria = source.add_patient("Maria Backupson", Some("111.444.777-35"));
    let (_, professional) = source.add_professional("Dra. Olga Ramos", "CRM/SP 121212");
    source.json(&[
        "--as",
        &professional,
        "note",
        "add",
        "--patient",
        &joao,
        "--text",
        "Nota antes do backup.",
    ]);
    let backup_env = [("ATENDEBEM_BACKUP_PASSPHRASE", BACKUP_PASSPHRASE)];

    // backup --out FILE.
    let file = source.scratch("clinica.atendebem-backup");
    let file_arg = file.to_str().expect("caminho UTF-8");
    let out = source.run_env(&["backup", "--out", file_arg], &backup_env);
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("Backup criptografado gravado"),
        "{}",
        stdout(&out)
    );
    let bytes = std::fs::read(&file).expect("ler backup");
    assert!(bytes.starts_with(BACKUP_MAGIC));
    // NGS1.04.03: confidential — no patient data in clear, and no plain SQLite inside.
    for needle in [
        "Backupson",
        "52998224725",
        "Nota antes do backup",
        "SQLite format 3",
    ] {
        assert!(
            !contains_bytes(&bytes, needle.as_bytes()),
            "o backup contém {needle:?} em claro"
        );
    }
    // Backups need their own passphrase.
    assert_eq!(
        source.fail(&["backup", "--out", file_arg]).code,
        "backup.passphrase_required"
    );

    // restore --from FILE into a new --data-dir: same patients, same chart, same users.
    let target = Replica::uninitialized();
    let out = target.run_env(&["restore", "--from", file_arg, "--json"], &backup_env);
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let source_status = source.status();
    let target_status = target.status();
    for field in [
        "patients",
        "documents",
        "users",
        "appointments",
        "clinic_name",
        "time_zone",
        "schema_version",
    ] {
        assert_eq!(
            target_status[field], source_status[field],
            "{field} depois do restore"
        );
    }
    assert_eq!(target.search_ids("backupson").len(), 2);
    assert_eq!(target.search_ids("joao"), [joao.as_str()]);
    assert_eq!(target.search_ids("111.444.777-35"), [maria]);
    let export = target.json(&["--as", &professional, "export", "--patient", &joao]);
    assert_eq!(export["chart"][0]["text"], "Nota antes do backup.");
    target.ok(&["check"]);
    // The restored replica has a key of its own (new salt), opened with ATENDEBEM_PASSPHRASE.
    let salt = |r: &Replica| r.status()["key_source"]["kdf"]["salt"].clone();
    assert_ne!(salt(&target), salt(&source));
    // A restore never overwrites a replica.
    let again = target.run_env(&["restore", "--from", file_arg, "--json"], &backup_env);
    assert_eq!(failure(&again).code, "replica.already_initialized");

    // NGS1.04.05: one flipped byte → backup.corrupt, nothing restored. Also in the header's KDF
    // salt: the checksum covers the KDF parameters, so that is corruption, not a wrong passphrase.
    let salt_at = bytes
        .windows(8)
        .position(|w| w == b"\"salt\":\"")
        .expect("salt no cabeçalho")
        + 8;
    for position in [bytes.len() / 2, bytes.len() - 10, BACKUP_MAGIC.len() + 8, salt_at] {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x01;
        let flipped_file = source.scratch(&format!("virado-{position}.atendebem-backup"));
        std::fs::write(&flipped_file, &flipped).expect("gravar backup alterado");
        let broken = Replica::uninitialized();
        let out = broken.run_env(
            &[
                "restore",
                "--from",
                flipped_file.to_str().expect("UTF-8"),
                "--json",
            ],
            &backup_env,
        );
        let failure = failure(&out);
        assert_eq!(failure.exit, 1);
        assert_eq!(failure.code, "backup.corrupt", "byte {position}: {failure:?}");
        assert!(
            failure.message.contains("nada foi restaurado"),
            "{}",
            failure.message
        );
        assert_portuguese(&failure.message);
        assert!(
            !broken.db_path().exists(),
            "byte {position}: replica.db criado por um restore abortado"
        );
        if broken.data_dir().exists() {
            let left = dir_names(broken.data_dir());
            assert!(
                !left.iter().any(|n| n.ends_with(".db")),
                "byte {position}: sobras {left:?}"
            );
        }
    }

    // Wrong backup passphrase and a file that is not a backup.
    let wrong = Replica::uninitialized();
    let out = wrong.run_env(
        &["restore", "--from", file_arg, "--json"],
        &[("ATENDEBEM_BACKUP_PASSPHRASE", "outra-senha-de-backup-2")],
    );
    assert_eq!(failure(&out).code, "backup.wrong_passphrase");
    assert!(!wrong.db_path().exists());
    let not_backup = source.scratch("nao-e-backup.txt");
    std::fs::write(&not_backup, b"apenas texto").expect("gravar");
    let out = wrong.run_env(
        &["restore", "--from", not_backup.to_str().expect("UTF-8"), "--json"],
        &backup_env,
    );
    assert_eq!(failure(&out).code, "backup.not_a_backup");
    assert!(!wrong.db_path().exists());
}
