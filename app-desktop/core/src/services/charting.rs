//! Charting services: clinical entries (drafts, signing, amendments) and the timeline.

use shared_model::access::{Action, Area, require};
use shared_model::charting::{ClinicalEntry, EntryKind, NewEntry, TimelineItem};
use shared_model::documents::{ChartDoc, DocumentKey};
use shared_model::ids::{EntryId, PatientId};
use shared_model::values::Cid10;

use super::documents::{self, fresh};
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{charts, patients};

/// Input for [`Clinic::add_note`].
#[derive(Debug, Clone)]
pub struct NoteRequest {
    pub kind: EntryKind,
    pub text: String,
    pub cid10: Vec<Cid10>,
    /// Sign right after writing.
    pub sign: bool,
}

impl Clinic {
    /// Writes a clinical entry as a draft of the session's professional (and signs it if asked).
    pub fn add_note(
        &mut self,
        session: &Session,
        patient: PatientId,
        request: NoteRequest,
    ) -> Result<ClinicalEntry, CoreError> {
        require(session.role, Area::ClinicalChart, Action::Write)?;
        if request.sign {
            require(session.role, Area::ClinicalChart, Action::Sign)?;
        }
        if patients::get(self.replica.conn(), &patient.to_string())?.is_none() {
            return Err(CoreError::PatientNotFound);
        }
        let key = DocumentKey::Chart(patient);
        let now = self.clock.now();
        let device = self.settings.device;
        self.replica.write(|tx| {
            let mut chart = match documents::load::<ChartDoc>(tx, &key, device, session.user)? {
                Some(loaded) => loaded,
                None => fresh(documents::authored(
                    ChartDoc::new(patient, device).map_err(CoreError::domain)?,
                    device,
                    session.user,
                )),
            };
            let input = NewEntry {
                kind: request.kind,
                text: request.text,
                cid10: request.cid10,
                professional: session.professional,
            };
            let id = chart
                .doc
                .add_draft(input, session.user, device, now)
                .map_err(CoreError::domain)?;
            if request.sign {
                chart.doc.sign(id, session.user, now).map_err(CoreError::domain)?;
            }
            let entry = chart.doc.entry(id).map_err(CoreError::domain)?;
            chart.store(tx, now.as_millisecond())?;
            charts::upsert(tx, &patient.to_string(), std::slice::from_ref(&entry))?;
            self.audit(tx, Some(session), "chart.entry.create", Some(&id.to_string()))?;
            if request.sign {
                self.audit(tx, Some(session), "chart.entry.sign", Some(&id.to_string()))?;
            }
            Ok(entry)
        })
    }

    /// Signs (locks) a draft; only its author may.
    pub fn sign_entry(
        &mut self,
        session: &Session,
        patient: PatientId,
        entry: EntryId,
    ) -> Result<ClinicalEntry, CoreError> {
        require(session.role, Area::ClinicalChart, Action::Sign)?;
        self.change_chart(session, patient, "chart.entry.sign", |chart, now, _device| {
            chart.sign(entry, session.user, now).map_err(CoreError::domain)?;
            chart.entry(entry).map_err(CoreError::domain)
        })
    }

    /// Corrects a signed entry with a new version carrying a reason (NGS1.12.01).
    pub fn amend_entry(
        &mut self,
        session: &Session,
        patient: PatientId,
        original: EntryId,
        text: &str,
        reason: &str,
    ) -> Result<ClinicalEntry, CoreError> {
        require(session.role, Area::ClinicalChart, Action::Write)?;
        self.change_chart(session, patient, "chart.entry.amend", |chart, now, device| {
            let id = chart
                .amend(original, text, reason, session.user, device, now)
                .map_err(CoreError::domain)?;
            chart.entry(id).map_err(CoreError::domain)
        })
    }

    /// The chart's timeline, newest first, current versions with their history. Read from the
    /// chart projection (kept in step with the document in every write transaction).
    pub fn timeline(
        &self,
        session: &Session,
        patient: PatientId,
        filter: Option<EntryKind>,
    ) -> Result<Vec<TimelineItem>, CoreError> {
        Ok(shared_model::charting::timeline(
            &self.chart_entries(session, patient)?,
            filter,
        ))
    }

    /// Every entry of a patient's chart, every version (for exports).
    pub fn chart_entries(
        &self,
        session: &Session,
        patient: PatientId,
    ) -> Result<Vec<ClinicalEntry>, CoreError> {
        require(session.role, Area::ClinicalChart, Action::Read)?;
        let conn = self.replica.conn();
        let entries = charts::entries(conn, &patient.to_string())?;
        if entries.is_empty() && patients::get(conn, &patient.to_string())?.is_none() {
            return Err(CoreError::PatientNotFound);
        }
        Ok(entries)
    }

    fn change_chart(
        &mut self,
        session: &Session,
        patient: PatientId,
        action: &str,
        change: impl FnOnce(
            &mut ChartDoc,
            jiff::Timestamp,
            shared_model::ids::DeviceId,
        ) -> Result<ClinicalEntry, CoreError>,
    ) -> Result<ClinicalEntry, CoreError> {
        let key = DocumentKey::Chart(patient);
        let now = self.clock.now();
        let device = self.settings.device;
        self.replica.write(|tx| {
            let mut chart = documents::load::<ChartDoc>(tx, &key, device, session.user)?
                .ok_or(CoreError::PatientNotFound)?;
            let entry = change(&mut chart.doc, now, device)?;
            chart.store(tx, now.as_millisecond())?;
            charts::upsert(tx, &patient.to_string(), std::slice::from_ref(&entry))?;
            self.audit(tx, Some(session), action, Some(&entry.id.to_string()))?;
            Ok(entry)
        })
    }
}
