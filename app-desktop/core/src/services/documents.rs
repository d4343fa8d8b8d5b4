//! Loading and storing CRDT documents inside a service transaction.

use automerge::ChangeHash;
use rusqlite::Connection;
use shared_model::documents::{CrdtDocument, DocumentKey};
use shared_model::ids::{DeviceId, UserId};

use crate::error::CoreError;
use crate::store::documents as stored;

/// A document loaded for writing, with what is needed to store its changes.
pub(crate) struct Loaded<D> {
    pub doc: D,
    key: String,
    change_count: i64,
    is_new: bool,
    /// The heads already stored: what `store` appends is the changes after them.
    stored_heads: Vec<ChangeHash>,
}

/// A document just created, switched to write as `user` on `device` (the actor the sync server
/// accepts from that user's session) before anything else is written to it.
pub(crate) fn authored<D: CrdtDocument>(mut doc: D, device: DeviceId, user: UserId) -> D {
    doc.set_author(device, user);
    doc
}

/// Loads `key` (writing as `user` on `device`), or `None` if the replica doesn't hold it.
pub(crate) fn load<D: CrdtDocument>(
    conn: &Connection,
    key: &DocumentKey,
    device: DeviceId,
    user: UserId,
) -> Result<Option<Loaded<D>>, CoreError> {
    let key_text = key.to_string();
    let Some(stored) = stored::load(conn, &key_text)? else {
        return Ok(None);
    };
    let mut doc = D::load(&stored.bytes).map_err(CoreError::domain)?;
    doc.set_author(device, user);
    let stored_heads = doc.heads();
    Ok(Some(Loaded {
        doc,
        key: key_text,
        change_count: stored.change_count,
        is_new: false,
        stored_heads,
    }))
}

/// Wraps a document just created in memory.
pub(crate) fn fresh<D: CrdtDocument>(doc: D) -> Loaded<D> {
    Loaded {
        key: doc.key().to_string(),
        doc,
        change_count: 0,
        is_new: true,
        stored_heads: Vec::new(),
    }
}

impl<D: CrdtDocument> Loaded<D> {
    /// Stores what changed: the first snapshot, an incremental change, or — past the compaction
    /// threshold — a new snapshot replacing the accumulated changes.
    pub fn store(&mut self, conn: &Connection, now_ms: i64) -> Result<(), CoreError> {
        let stored_heads = &self.stored_heads;
        let doc = &mut self.doc;
        self.change_count = stored::store_state(
            conn,
            &self.key,
            D::KIND.as_str(),
            (!self.is_new).then_some(self.change_count),
            now_ms,
            &mut |whole| {
                if whole {
                    doc.save()
                } else {
                    doc.save_after(stored_heads)
                }
            },
        )?;
        self.is_new = false;
        self.stored_heads = self.doc.heads();
        crate::store::sync::mark_pending(conn, &self.key)?;
        Ok(())
    }
}

/// Loads a document for reading only.
pub(crate) fn read<D: CrdtDocument>(conn: &Connection, key: &DocumentKey) -> Result<Option<D>, CoreError> {
    match stored::load(conn, &key.to_string())? {
        Some(stored) => Ok(Some(D::load(&stored.bytes).map_err(CoreError::domain)?)),
        None => Ok(None),
    }
}
