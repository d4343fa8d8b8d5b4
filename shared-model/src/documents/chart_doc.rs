//! The chart document: one patient's clinical entries.
//!
//! Root: `{schema_version, kind: "chart", epoch, patient, entries: {<entry id>: {...}}}`.
//! Entries live in a map keyed by entry id, not a list: concurrent appends on two replicas are
//! two new keys, and no operation of this type ever deletes a key.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, Value};
use jiff::Timestamp;

use super::common::{GenesisField, commit, genesis, root_map, sealed};
use super::{CrdtDocument, DocumentError, DocumentKey, DocumentKind};
use crate::charting::{
    Amendment, ChartError, ClinicalEntry, EntryKind, NewEntry, TimelineItem, new_amendment, timeline,
};
use crate::ids::{DeviceId, EntryId, PatientId, UserId};
use crate::values::Cid10;

/// One patient's clinical chart as a CRDT document.
#[derive(Debug)]
pub struct ChartDoc {
    doc: AutoCommit,
    patient: PatientId,
}

/// An entry whose fields received concurrent, different writes (e.g. a draft edited on one
/// replica while signed on another). The merged value is automerge's deterministic pick; the
/// author must review it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryConflict {
    pub entry: EntryId,
    /// The conflicting field names, sorted.
    pub fields: Vec<String>,
}

impl ChartDoc {
    /// An empty chart for `patient`, written as `device`. Every replica that creates the chart
    /// of the same patient creates the same genesis change.
    pub fn new(patient: PatientId, device: DeviceId) -> Result<Self, DocumentError> {
        let fields = [
            GenesisField::Str("patient", patient.to_string()),
            GenesisField::Map("entries"),
        ];
        let doc = genesis(DocumentKey::Chart(patient), &fields, device)?;
        Ok(Self { doc, patient })
    }

    #[must_use]
    pub fn patient_id(&self) -> PatientId {
        self.patient
    }

    /// Every entry (every version), oldest first.
    pub fn entries(&self) -> Result<Vec<ClinicalEntry>, DocumentError> {
        let mut entries = super::chart_read::read_entries(&self.doc, &root_map(&self.doc, "entries")?)?;
        entries.sort_by_key(|e| (e.created_at, e.id));
        Ok(entries)
    }

    /// The automerge document, for tests that compare readers.
    #[cfg(test)]
    pub(crate) fn am_for_tests(&self) -> &AutoCommit {
        &self.doc
    }

    /// One entry read straight from the document by its key (see
    /// [`changed_keys`](CrdtDocument::changed_keys)); `None` if there is none.
    pub fn read_entry(&self, key: &str) -> Result<Option<ClinicalEntry>, DocumentError> {
        let entries = root_map(&self.doc, "entries")?;
        match self.doc.get(&entries, key)? {
            None => Ok(None),
            Some(_) => Ok(Some(autosurgeon::hydrate_prop(&self.doc, &entries, key)?)),
        }
    }

    /// One entry.
    pub fn entry(&self, id: EntryId) -> Result<ClinicalEntry, ChartError> {
        let entries = root_map(&self.doc, "entries")?;
        match self
            .doc
            .get(&entries, id.to_string())
            .map_err(DocumentError::from)?
        {
            Some(_) => Ok(
                autosurgeon::hydrate_prop(&self.doc, &entries, id.to_string().as_str())
                    .map_err(DocumentError::from)?,
            ),
            None => Err(ChartError::EntryNotFound { id }),
        }
    }

    /// Starts a draft by `author`.
    pub fn add_draft(
        &mut self,
        input: NewEntry,
        author: UserId,
        device: DeviceId,
        now: Timestamp,
    ) -> Result<EntryId, ChartError> {
        let entry = ClinicalEntry::draft(input, author, device, now);
        self.put(&entry, now)?;
        Ok(entry.id)
    }

    /// Replaces a draft's text (its author only).
    pub fn edit_draft(
        &mut self,
        id: EntryId,
        text: &str,
        by: UserId,
        now: Timestamp,
    ) -> Result<(), ChartError> {
        let mut entry = self.entry(id)?;
        entry.edit_draft(text, by, now)?;
        self.put(&entry, now)
    }

    /// Replaces a draft's CID-10 codes (its author only).
    pub fn set_draft_cid10(
        &mut self,
        id: EntryId,
        cid10: Vec<Cid10>,
        by: UserId,
        now: Timestamp,
    ) -> Result<(), ChartError> {
        let mut entry = self.entry(id)?;
        entry.set_draft_cid10(cid10, by, now)?;
        self.put(&entry, now)
    }

    /// Signs a draft (its author only). The signed text is written again, so a concurrent edit
    /// of the same draft on another replica shows up in [`conflicts`](Self::conflicts) instead
    /// of silently changing what was signed.
    pub fn sign(&mut self, id: EntryId, by: UserId, now: Timestamp) -> Result<(), ChartError> {
        let mut entry = self.entry(id)?;
        entry.sign(by, now)?;
        self.reconcile_entry(&entry)?;
        // Automerge skips a put of the value already there, so clear and rewrite: the final
        // put then supersedes only our own ops and stays concurrent with any remote edit. One
        // commit for the whole signature keeps the history (and every later load) smaller.
        let obj = self.entry_obj(id)?;
        self.doc.put(&obj, "text", "").map_err(DocumentError::from)?;
        self.doc
            .put(&obj, "text", entry.text.as_str())
            .map_err(DocumentError::from)?;
        commit(&mut self.doc, Some(now));
        Ok(())
    }

    /// Corrects the signed entry `original` with a new signed version (see
    /// [`new_amendment`] for the rules) and returns its id.
    pub fn amend(
        &mut self,
        original: EntryId,
        text: &str,
        reason: &str,
        by: UserId,
        device: DeviceId,
        now: Timestamp,
    ) -> Result<EntryId, ChartError> {
        let amendment = Amendment {
            original,
            text: text.to_owned(),
            reason: reason.to_owned(),
            cid10: None,
        };
        let entry = new_amendment(&self.entries()?, amendment, by, device, now)?;
        self.put(&entry, now)?;
        Ok(entry.id)
    }

    /// The chart's records, newest first, each at its current version (see [`timeline`]).
    pub fn timeline(&self, filter: Option<EntryKind>) -> Result<Vec<TimelineItem>, DocumentError> {
        Ok(timeline(&self.entries()?, filter))
    }

    /// Entries with concurrently written, differing fields.
    pub fn conflicts(&self) -> Result<Vec<EntryConflict>, DocumentError> {
        let entries = root_map(&self.doc, "entries")?;
        let mut conflicts = Vec::new();
        for key in self.doc.keys(&entries) {
            let Some((Value::Object(ObjType::Map), obj)) = self.doc.get(&entries, key.as_str())? else {
                continue;
            };
            let mut fields = Vec::new();
            for field in self.doc.keys(&obj) {
                if self.doc.get_all(&obj, field.as_str())?.len() > 1 {
                    fields.push(field);
                }
            }
            if !fields.is_empty() {
                let entry = key.parse().map_err(|_| DocumentError::Malformed {
                    detail: "entry key is not an id".into(),
                })?;
                fields.sort();
                conflicts.push(EntryConflict { entry, fields });
            }
        }
        Ok(conflicts)
    }

    fn entry_obj(&self, id: EntryId) -> Result<automerge::ObjId, DocumentError> {
        let entries = root_map(&self.doc, "entries")?;
        match self.doc.get(&entries, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(DocumentError::Malformed {
                detail: "entry is not a map".into(),
            }),
        }
    }

    fn put(&mut self, entry: &ClinicalEntry, now: Timestamp) -> Result<(), ChartError> {
        self.reconcile_entry(entry)?;
        commit(&mut self.doc, Some(now));
        Ok(())
    }

    /// Writes `entry` into the document without committing.
    fn reconcile_entry(&mut self, entry: &ClinicalEntry) -> Result<(), ChartError> {
        let entries = root_map(&self.doc, "entries")?;
        autosurgeon::reconcile_prop(&mut self.doc, &entries, entry.id.to_string().as_str(), entry)
            .map_err(DocumentError::from)?;
        Ok(())
    }
}

impl sealed::Inner for ChartDoc {
    fn am(&self) -> &AutoCommit {
        &self.doc
    }
    fn am_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
    fn wrap(doc: AutoCommit) -> Result<Self, DocumentError> {
        let patient = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "patient")?;
        Ok(Self { doc, patient })
    }
    fn rewrap(&self, doc: AutoCommit) -> Self {
        Self {
            doc,
            patient: self.patient,
        }
    }
}

impl CrdtDocument for ChartDoc {
    const KIND: DocumentKind = DocumentKind::Chart;
    fn key(&self) -> DocumentKey {
        DocumentKey::Chart(self.patient)
    }
}
