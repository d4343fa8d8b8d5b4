//! The real OS keychain (Secret Service through D-Bus, served by gnome-keyring), as on a clinic
//! desktop: the replica key is random, lives only in the keychain, and without it the replica
//! cannot be opened (NGS1.06.01; no plaintext key file).

use std::path::Path;
use std::process::{Command, Output};

use atendebem_e2e::{binary, failure};

/// Runs a shell script inside a private D-Bus session with an unlocked gnome-keyring, or returns
/// `None` (with a note on stderr) when this machine lacks them. `scripts/setup-system.sh`
/// installs both, so in CI this always runs.
fn in_keyring_session(home: &Path, script: &str) -> Option<Output> {
    let available = ["dbus-run-session", "gnome-keyring-daemon"].iter().all(|tool| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !available {
        eprintln!("dbus-run-session/gnome-keyring ausentes: teste do chaveiro real não executado");
        return None;
    }
    let full = format!(
        "echo -n senha-do-chaveiro | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; {script}"
    );
    let output = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &full])
        .env("HOME", home)
        .env("B", binary())
        .env_remove("ATENDEBEM_PASSPHRASE")
        .env_remove("ATENDEBEM_DATA_DIR")
        .env_remove("ATENDEBEM_USER")
        .output()
        .expect("dbus-run-session");
    Some(output)
}

#[test]
fn replica_key_lives_in_the_os_keychain_only() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("replica");
    let d = data.to_str().unwrap();
    let script = format!(
        "set -e; \"$B\" --data-dir '{d}' init --key-source keychain --json; \
         \"$B\" --data-dir '{d}' patient add --name 'Paciente do Chaveiro' >/dev/null; \
         \"$B\" --data-dir '{d}' patient search chaveiro --json"
    );
    let Some(output) = in_keyring_session(home.path(), &script) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("\"kind\": \"keychain\""), "{stdout}");
    assert!(stdout.contains("Paciente do Chaveiro"), "{stdout}");

    // Nothing beside the database but the public metadata: no key file.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("replica.json")).unwrap()).unwrap();
    assert_eq!(meta["key_source"]["kind"], "keychain");
    let object = meta.as_object().unwrap();
    assert!(
        object
            .keys()
            .all(|k| ["format", "replica_id", "key_source", "key_check"].contains(&k.as_str()))
    );
    for entry in std::fs::read_dir(&data).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "replica.json" || name.starts_with("replica.db"),
            "arquivo inesperado: {name}"
        );
    }

    // Outside the keyring session the key cannot be reached: a clear error, the file untouched.
    let before = std::fs::read(data.join("replica.db")).unwrap();
    let out = Command::new(binary())
        .args(["--data-dir", d, "status", "--json"])
        .env("HOME", home.path())
        .env_remove("ATENDEBEM_PASSPHRASE")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let code = failure(&out).code;
    assert!(
        matches!(code.as_str(), "key.keychain_unavailable" | "key.missing"),
        "{code}"
    );
    assert_eq!(std::fs::read(data.join("replica.db")).unwrap(), before);
}
