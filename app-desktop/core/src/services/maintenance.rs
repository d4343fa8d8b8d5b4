//! Rebuilding the replica's derived indexes from its documents.

use shared_model::documents::{AgendaDoc, ChartDoc, DocumentKey, RegistryDoc};

use super::documents;
use super::registry::index_row;
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{charts, documents as stored, patients};

/// How many documents a rebuild went through.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct RebuildReport {
    pub registries: u32,
    pub charts: u32,
    pub agendas: u32,
}

impl Clinic {
    /// Rebuilds the patient, appointment and chart indexes from the stored documents, in one
    /// transaction. Used after documents arrive from elsewhere (sync, import) and by support.
    pub fn rebuild_indexes(&self, session: &Session) -> Result<RebuildReport, CoreError> {
        shared_model::access::require(
            session.role,
            shared_model::access::Area::ClinicSettings,
            shared_model::access::Action::Write,
        )?;
        let now = self.clock.now();
        self.replica.write(|tx| {
            let mut report = RebuildReport::default();
            for key in stored::keys_of_kind(tx, "registry")? {
                let key: DocumentKey = key.parse().map_err(CoreError::domain)?;
                if let Some(doc) = documents::read::<RegistryDoc>(tx, &key)? {
                    let patient = doc.patient().map_err(CoreError::domain)?;
                    patients::upsert(tx, &index_row(&patient), now.as_millisecond())?;
                    report.registries += 1;
                }
            }
            for key in stored::keys_of_kind(tx, "chart")? {
                let key: DocumentKey = key.parse().map_err(CoreError::domain)?;
                if let Some(doc) = documents::read::<ChartDoc>(tx, &key)? {
                    let entries = doc.entries().map_err(CoreError::domain)?;
                    charts::replace(tx, &doc.patient_id().to_string(), &entries)?;
                    report.charts += 1;
                }
            }
            for key in stored::keys_of_kind(tx, "agenda")? {
                let key: DocumentKey = key.parse().map_err(CoreError::domain)?;
                if let Some(doc) = documents::read::<AgendaDoc>(tx, &key)? {
                    self.index_agenda(tx, &key, &doc)?;
                    report.agendas += 1;
                }
            }
            self.audit(tx, Some(session), "replica.reindex", None)?;
            Ok(report)
        })
    }
}
