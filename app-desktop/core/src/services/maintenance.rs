//! Rebuilding the replica's derived indexes from its documents.

use shared_model::documents::{AgendaDoc, AnyDoc, ChartDoc, DirectoryDoc, DocumentKey, RegistryDoc};

use super::documents;
use super::registry::index_row;
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{charts, documents as stored, patients, people};

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
            for key in stored::keys_of_kind(tx, "directory")? {
                let key: DocumentKey = key.parse().map_err(CoreError::domain)?;
                if let Some(doc) = documents::read::<DirectoryDoc>(tx, &key)? {
                    index_directory(tx, &doc)?;
                }
            }
            self.audit(tx, Some(session), "replica.reindex", None)?;
            Ok(report)
        })
    }
}

impl Clinic {
    /// Refreshes the local indexes derived from one document (after it arrived from the server
    /// or was rebuilt after a refusal).
    pub(crate) fn index_document(&self, tx: &rusqlite::Connection, doc: &AnyDoc) -> Result<(), CoreError> {
        let now = self.clock.now().as_millisecond();
        match doc {
            AnyDoc::Registry(d) => match d.patient() {
                Ok(patient) => patients::upsert(tx, &index_row(&patient), now)?,
                // A bare registry (nothing written yet, or a refused registration taken back)
                // has nothing to find.
                Err(_) => patients::remove(tx, &d.patient_id().to_string())?,
            },
            AnyDoc::Chart(d) => {
                let entries = d.entries().map_err(CoreError::domain)?;
                charts::replace(tx, &d.patient_id().to_string(), &entries)?;
            }
            AnyDoc::Agenda(d) => self.index_agenda(tx, &doc.key(), d)?,
            AnyDoc::Directory(d) => index_directory(tx, d)?,
        }
        Ok(())
    }
}

fn index_directory(tx: &rusqlite::Connection, doc: &DirectoryDoc) -> Result<(), CoreError> {
    for record in doc.professionals().map_err(CoreError::domain)? {
        let json = serde_json::to_string(&record).map_err(|_| CoreError::Damaged)?;
        people::upsert_professional(
            tx,
            &record.professional.id.to_string(),
            &record.professional.name.to_string(),
            &json,
        )?;
    }
    Ok(())
}
