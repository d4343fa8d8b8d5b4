//! The clinical chart: append-only, versioned entries (the charting area).
//!
//! **Invariant:** nothing in a chart is deleted and nothing signed changes. A draft is edited and
//! signed only by its author; a signed entry is corrected by an *amendment*, a new signed entry
//! by the same author that points at the version it supersedes and says why (NGS1.12.01). The
//! superseded versions stay readable as history (NGS1.12.03). [`validate_chart_transition`] is
//! the same rule seen from the sync server: it compares two states of a chart.

mod amend;
mod entry;
mod error;
mod timeline;
mod transition;

pub use amend::{Amendment, amendment_chain, current_version, new_amendment};
pub use entry::{ClinicalEntry, EntryKind, EntryStatus, NewEntry};
pub use error::ChartError;
pub use timeline::{TimelineItem, timeline};
pub use transition::validate_chart_transition;
