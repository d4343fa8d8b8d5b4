//! The automerge CRDT documents: patient registry, clinical chart, agenda, the clinic's
//! directory of professionals.
//!
//! **Invariant:** every document root carries `schema_version`, `kind` and `epoch`, and is
//! created by a deterministic *genesis* change, so two replicas that create the same document
//! offline (same [`DocumentKey`]) share its root objects and merge cleanly. Domain writes go
//! through the typed wrappers ([`RegistryDoc`], [`ChartDoc`], [`AgendaDoc`]), which run the
//! area's rules before touching the document.
//!
//! **Boundary:** no IO. Callers persist [`CrdtDocument::save`] /
//! [`CrdtDocument::save_incremental`] bytes and pass `now` in. Encodings are described in
//! [`codec`].

mod agenda_doc;
mod any_doc;
mod chart_doc;
mod chart_read;
pub mod codec;
mod common;
mod directory_doc;
mod error;
mod key;
mod registry_doc;

#[cfg(test)]
mod agenda_tests;
#[cfg(test)]
mod convergence_tests;
#[cfg(test)]
mod merge_tests;
#[cfg(test)]
mod sync_support_tests;

pub use agenda_doc::{AgendaConflict, AgendaDoc};
pub use any_doc::AnyDoc;
pub use chart_doc::{ChartDoc, EntryConflict};
pub use common::{
    CrdtDocument, Header, RawChange, SCHEMA_VERSION, actor_for, actor_id, check_data, data_hashes,
};
pub use directory_doc::{DirectoryDoc, ProfessionalRecord};
pub use error::DocumentError;
pub use key::{DocumentKey, DocumentKind, YearMonth};
pub use registry_doc::RegistryDoc;
