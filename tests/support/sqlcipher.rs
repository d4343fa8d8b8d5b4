//! Direct access to the encrypted files, independent of the core: the key derived here from
//! `replica.json`, SQLCipher connections, bytes and hashes.

use std::fmt::Write as _;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The replica key, derived here exactly as `app-desktop/core/src/keys/material.rs` does:
/// Argon2id v0x13 with `replica.json`'s `key_source.kdf` (memory KiB, passes, lanes, hex salt),
/// 32-byte output.
pub fn derive_key(data_dir: &Path, passphrase: &str) -> [u8; 32] {
    let text = std::fs::read_to_string(data_dir.join("replica.json")).expect("ler replica.json");
    let meta: Value = serde_json::from_str(&text).expect("replica.json é JSON");
    let source = &meta["key_source"];
    assert_eq!(
        source["kind"], "passphrase",
        "réplica de teste deveria usar senha: {meta}"
    );
    let kdf = &source["kdf"];
    assert_eq!(kdf["algorithm"], "argon2id");
    let number = |field: &str| u32::try_from(kdf[field].as_u64().expect(field)).expect(field);
    let salt = unhex(kdf["salt"].as_str().expect("salt"));
    let params =
        Params::new(number("m_cost_kib"), number("t_cost"), number("p_cost"), Some(32)).expect("parâmetros");
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .expect("Argon2id");
    key
}

/// Opens an existing SQLCipher database with a raw 256-bit key (`PRAGMA key = "x'…'"`).
pub fn open_encrypted(path: &Path, key: &[u8; 32]) -> Connection {
    open_encrypted_with(path, key, OpenFlags::SQLITE_OPEN_READ_WRITE)
}

/// Like [`open_encrypted`], read-only: closing it never checkpoints or removes the WAL, so the
/// next process finds the files exactly as a crash left them.
pub fn open_encrypted_read_only(path: &Path, key: &[u8; 32]) -> Connection {
    open_encrypted_with(path, key, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

fn open_encrypted_with(path: &Path, key: &[u8; 32], flags: OpenFlags) -> Connection {
    let conn =
        Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).expect("abrir replica.db");
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(key)))
        .expect("PRAGMA key");
    conn
}

/// Rows of a pragma that returns text (e.g. `cipher_integrity_check`).
pub fn pragma_rows(conn: &Connection, pragma: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}")).expect(pragma);
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect(pragma)
        .map(|r| r.expect(pragma))
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "hex de tamanho ímpar: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).expect("ler arquivo")))
}

/// Whether `haystack` contains `needle`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Names of the entries of a directory, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("listar diretório")
        .map(|e| e.expect("entrada").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
