//! AtendeBem's offline core: the encrypted replica, key management and the services the desktop
//! shell, the `atendebem` CLI and (later) the sync engine call. No Tauri dependency: everything
//! here builds and tests without WebKit.
//!
//! Data flows one way: caller → [`services`] (checks the session against
//! `shared_model::access`, applies `shared_model` rules to the CRDT document) → [`store`] (document
//! + indexes + audit in one durable transaction).

pub mod clock;
pub mod demo;
pub mod error;
mod fsutil;
pub mod keys;
pub mod services;
pub mod store;
pub mod sync;

pub use clock::{Clock, SystemClock};
pub use error::CoreError;
pub use services::{Clinic, Session};
pub use shared_model::ErrorCode;
pub use store::{KeyAccess, Replica};
