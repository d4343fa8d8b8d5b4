//! Helpers for the end-to-end tests: find (or build) the real `atendebem` binary, run it against a
//! fresh data directory with a passphrase-protected replica, parse what it prints, and open a
//! replica file directly with SQLCipher using a key derived here, independently of the core.
//!
//! **Invariant:** every command runs with `ATENDEBEM_PASSPHRASE` set, no terminal on stdin and an
//! explicit `--data-dir` inside a temporary directory, so no test touches a real replica or the
//! OS keychain.
//!
//! **Boundary:** this crate does not link the core: it sees the product only as a person or a
//! script does (the binary, its output, the files it leaves), plus SQLCipher itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod brazil;
mod fault_proxy;
mod output;
mod proxy;
mod replica;
mod server;
mod sqlcipher;

pub use binary::{binary, command, server_binary};
pub use brazil::{cpf_from_base, format_cpf, local_rfc3339, next, today};
pub use fault_proxy::{Fault, FaultCounts, FaultProxy, Faults};
pub use output::{Failure, assert_portuguese, exit_code, failure, json, stderr, stdout, strs};
pub use proxy::Proxy;
pub use replica::Replica;
pub use server::{INITIAL_PASSWORD, SUPERUSER_URL, SyncServer, TENANT, USER_PASSWORD};
pub use sqlcipher::{
    contains_bytes, derive_key, dir_names, hex, open_encrypted, open_encrypted_read_only, pragma_rows,
    sha256_file, unhex,
};

/// Passphrase of every test replica (≥ 8 characters, letters and digits).
pub const PASSPHRASE: &str = "senha-de-teste-1";
/// Passphrase of the test backups.
pub const BACKUP_PASSPHRASE: &str = "copia-de-seguranca-7";
/// The clinic's zone (the `init` default).
pub const CLINIC_ZONE: &str = "America/Sao_Paulo";
