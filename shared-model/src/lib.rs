//! AtendeBem's shared domain model.
//!
//! Everything here is pure: no IO, no clocks read implicitly, no randomness except UUIDv7
//! generation. The desktop core, the sync server and the wasm UI all depend on this crate, so it
//! must keep building for `wasm32-unknown-unknown` (CI checks it).
//!
//! Areas carry the same name in every crate: `registry` (patients and professionals),
//! `charting` (the clinical chart), `scheduling` (agendas), `identity` (tenants, users, roles),
//! `access` (the one access-policy function), `documents` (the automerge CRDT documents).

pub mod access;
pub mod billing;
pub mod charting;
pub mod documents;
pub mod error;
pub mod identity;
pub mod ids;
pub mod registry;
pub mod scheduling;
pub mod sync;
pub mod values;

pub use error::ErrorCode;
