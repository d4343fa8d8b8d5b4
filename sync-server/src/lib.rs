//! AtendeBem sync server. See `docs/ARCHITECTURE.md` (section `sync-server/`).

pub mod admin;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod sync;
