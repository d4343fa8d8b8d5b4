//! A document of any kind, chosen by its key: what sync engines and servers handle when they
//! move documents without caring which domain they belong to.

use automerge::{ActorId, ChangeHash};

use super::{
    AgendaDoc, ChartDoc, CrdtDocument, DirectoryDoc, DocumentError, DocumentKey, RawChange, RegistryDoc,
};
use crate::ids::{DeviceId, UserId};

/// One document of any kind.
#[derive(Debug)]
pub enum AnyDoc {
    Registry(RegistryDoc),
    Chart(ChartDoc),
    Agenda(AgendaDoc),
    Directory(DirectoryDoc),
}

macro_rules! each {
    ($self:expr, $d:ident => $body:expr) => {
        match $self {
            AnyDoc::Registry($d) => $body,
            AnyDoc::Chart($d) => $body,
            AnyDoc::Agenda($d) => $body,
            AnyDoc::Directory($d) => $body,
        }
    };
}

impl AnyDoc {
    /// The genesis every replica shares for `key` (no content yet), written as `device`.
    pub fn genesis(key: &DocumentKey, device: DeviceId) -> Result<Self, DocumentError> {
        Ok(match *key {
            DocumentKey::Registry(p) => AnyDoc::Registry(RegistryDoc::empty(p, device)?),
            DocumentKey::Chart(p) => AnyDoc::Chart(ChartDoc::new(p, device)?),
            DocumentKey::Agenda { professional, month } => {
                AnyDoc::Agenda(AgendaDoc::new(professional, month, device)?)
            }
            DocumentKey::Directory(t) => AnyDoc::Directory(DirectoryDoc::new(t, device)?),
        })
    }

    /// Loads stored bytes, checking that they are the document `key` names.
    pub fn load(key: &DocumentKey, bytes: &[u8]) -> Result<Self, DocumentError> {
        let doc = match key {
            DocumentKey::Registry(_) => AnyDoc::Registry(RegistryDoc::load(bytes)?),
            DocumentKey::Chart(_) => AnyDoc::Chart(ChartDoc::load(bytes)?),
            DocumentKey::Agenda { .. } => AnyDoc::Agenda(AgendaDoc::load(bytes)?),
            DocumentKey::Directory(_) => AnyDoc::Directory(DirectoryDoc::load(bytes)?),
        };
        if doc.key() != *key {
            return Err(DocumentError::KeyMismatch);
        }
        Ok(doc)
    }

    #[must_use]
    pub fn key(&self) -> DocumentKey {
        each!(self, d => d.key())
    }

    /// Applies data from a peer (whole documents or runs of changes); it must parse completely
    /// first, and the result must still be the document `key` names.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<usize, DocumentError> {
        super::check_data(bytes)?;
        let key = self.key();
        let applied = each!(self, d => d.load_incremental(bytes))?;
        if self.key() != key {
            return Err(DocumentError::KeyMismatch);
        }
        Ok(applied)
    }

    /// Applies data the caller stored itself (already checked when it arrived).
    pub fn apply_trusted(&mut self, bytes: &[u8]) -> Result<usize, DocumentError> {
        each!(self, d => d.load_incremental(bytes))
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        each!(self, d => d.heads())
    }

    pub fn save(&mut self) -> Vec<u8> {
        each!(self, d => d.save())
    }

    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        each!(self, d => d.save_after(heads))
    }

    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<(ChangeHash, ActorId)> {
        each!(self, d => d.changes_after(heads))
    }

    pub fn raw_changes_after(&mut self, heads: &[ChangeHash]) -> Vec<RawChange> {
        each!(self, d => d.raw_changes_after(heads))
    }

    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        each!(self, d => d.missing_deps())
    }

    pub fn heads_of(&mut self, hashes: &[ChangeHash]) -> Result<Vec<ChangeHash>, DocumentError> {
        each!(self, d => d.heads_of(hashes))
    }

    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        each!(self, d => d.has_change(hash))
    }

    pub fn fork_at(&mut self, heads: &[ChangeHash]) -> Result<Self, DocumentError> {
        Ok(match self {
            AnyDoc::Registry(d) => AnyDoc::Registry(d.fork_at(heads)?),
            AnyDoc::Chart(d) => AnyDoc::Chart(d.fork_at(heads)?),
            AnyDoc::Agenda(d) => AnyDoc::Agenda(d.fork_at(heads)?),
            AnyDoc::Directory(d) => AnyDoc::Directory(d.fork_at(heads)?),
        })
    }

    pub fn describe_between(&mut self, before: &[ChangeHash], after: &[ChangeHash]) -> Vec<(String, String)> {
        each!(self, d => d.describe_between(before, after))
    }

    pub fn set_author(&mut self, device: DeviceId, user: UserId) {
        each!(self, d => d.set_author(device, user));
    }

    pub fn epoch(&self) -> Result<u32, DocumentError> {
        each!(self, d => d.epoch())
    }
}
