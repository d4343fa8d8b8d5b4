//! The demo clinic: realistic synthetic data (Brazilian names with accents, valid CPF and CNS,
//! professionals of several councils, a year of agendas, charts with entries of every kind). It
//! feeds the Quick start and the benchmarks. Same seed, same clinic (apart from generated ids).
//!
//! Everything goes through the shared-model constructors and rules (a generated patient is a
//! valid patient, a generated booking passed `check_can_book`), but is stored in large batches
//! instead of one transaction per item.

mod generate;
mod names;

pub use generate::{DemoOptions, DemoReport, generate, generate_for};
pub use names::PROFESSIONALS;
