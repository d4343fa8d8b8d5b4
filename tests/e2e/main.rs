//! End-to-end tests: the real `atendebem` binary against real SQLCipher replicas in temporary
//! directories. One binary (it links once), one module per flow. The convergence property
//! (`convergence`) alone drives the core in process, against the real server binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod backup_restore;
mod bad_input;
mod cli_forms;
mod convergence;
mod encryption;
mod keychain;
mod sigkill;
mod sync;
mod tiss;
