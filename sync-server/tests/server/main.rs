//! Integration tests of the real `atendebem-server` binary against real PostgreSQL: each test
//! has its own fresh database and its own server process on port 0.

mod support;

mod admin_audit;
mod auth;
mod bad_input;
mod billing;
mod durability;
mod isolation;
mod ops;
mod sync;
