//! What every document shares: the root header, the genesis change, loading and the CRDT
//! operations (save, merge, fork, ...).

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ReadDoc, ScalarValue, Value};

use super::{DocumentError, DocumentKey, DocumentKind};
use crate::ids::{DeviceId, UserId};

/// The newest root layout this build reads and writes. A document with a larger
/// `schema_version` was written by a newer app and is refused ([`DocumentError::UnsupportedSchema`])
/// rather than misread.
pub const SCHEMA_VERSION: u32 = 1;

/// The three header fields at the root of every document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub schema_version: u32,
    pub kind: DocumentKind,
    /// Generation of the document. A document is re-created from its current state (dropping
    /// the change history, e.g. to honour an LGPD deletion or anonymisation request that must
    /// also erase old values from the history) under the same key with `epoch + 1`; replicas
    /// holding an older epoch discard their copy instead of merging it back.
    pub epoch: u32,
}

/// The automerge actor of a replica: the 16 bytes of its device id.
///
/// A device must keep one copy of each document (never two independent forks under the same
/// actor), otherwise merging them fails with duplicate sequence numbers. Tests that need
/// several forks use several device ids.
#[must_use]
pub fn actor_id(device: DeviceId) -> ActorId {
    ActorId::from(device.as_uuid().as_bytes())
}

/// The automerge actor of one user on one device (32 bytes: device id, then user id), used by
/// replicas that sync, so the server can bind every change to the user and device that made it.
/// The server accepts a device's new changes only under the actor of the authenticated session.
#[must_use]
pub fn actor_for(device: DeviceId, user: UserId) -> ActorId {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(device.as_uuid().as_bytes());
    bytes[16..].copy_from_slice(user.as_uuid().as_bytes());
    ActorId::from(bytes)
}

/// Checks that `bytes` are whole automerge chunks (documents or changes) that parse, without
/// applying them. `load_incremental` skips an unparsable tail with only a warning, so data from an
/// untrusted peer is checked first: truncated, corrupted or foreign bytes are refused here.
pub fn check_data(bytes: &[u8]) -> Result<(), DocumentError> {
    data_hashes(bytes).map(drop)
}

/// The changes `bytes` carry (for a saved document, its heads — they imply the rest), parsing
/// every chunk as [`check_data`] does: anything unparsable is refused.
pub fn data_hashes(bytes: &[u8]) -> Result<Vec<ChangeHash>, DocumentError> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let corrupt = |detail: &str| DocumentError::Corrupt {
        detail: detail.to_owned(),
    };
    let mut hashes = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err(corrupt("bad chunk header"));
        }
        let chunk_type = rest[8];
        let (len, len_bytes) = uleb128(&rest[9..]).ok_or_else(|| corrupt("bad chunk length"))?;
        let total = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(9 + len_bytes))
            .filter(|t| *t <= rest.len())
            .ok_or_else(|| corrupt("truncated chunk"))?;
        let chunk = &rest[..total];
        match chunk_type {
            0 => hashes.extend(
                automerge::Automerge::load(chunk)
                    .map_err(|e| corrupt(&e.to_string()))?
                    .get_heads(),
            ),
            1 | 2 => hashes.push(
                automerge::Change::try_from(chunk)
                    .map_err(|e| corrupt(&e.to_string()))?
                    .hash(),
            ),
            3 => {}
            _ => return Err(corrupt("unknown chunk type")),
        }
        rest = &rest[total..];
    }
    Ok(hashes)
}

fn uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The CRDT operations shared by [`RegistryDoc`](super::RegistryDoc),
/// [`ChartDoc`](super::ChartDoc) and [`AgendaDoc`](super::AgendaDoc).
pub trait CrdtDocument: sealed::Inner + Sized {
    /// The kind written in the root of this document type.
    const KIND: DocumentKind;

    /// Which document this is.
    fn key(&self) -> DocumentKey;

    /// Loads a whole document, checking its kind and schema version. The actor is random until
    /// [`set_actor`](Self::set_actor) is called; call it before writing.
    fn load(bytes: &[u8]) -> Result<Self, DocumentError> {
        let doc = AutoCommit::load(bytes).map_err(|err| DocumentError::Corrupt {
            detail: err.to_string(),
        })?;
        check_header(&doc, Self::KIND)?;
        Self::wrap(doc)
    }

    /// The document's header.
    fn header(&self) -> Result<Header, DocumentError> {
        check_header(self.am(), Self::KIND)
    }

    /// The whole document, compacted.
    fn save(&mut self) -> Vec<u8> {
        self.am_mut().save()
    }

    /// The changes made or received since the last `save`/`save_incremental` of *this* value.
    ///
    /// Beware: right after [`load`](Self::load) automerge's save cursor is empty, so the first
    /// call returns the whole history. A store that loads, changes and appends uses
    /// [`save_after`](Self::save_after) with the heads it loaded instead.
    fn save_incremental(&mut self) -> Vec<u8> {
        self.am_mut().save_incremental()
    }

    /// The changes not reachable from `heads` — e.g. those made since the document was loaded
    /// with those heads. Empty when there are none.
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.am_mut().save_after(heads)
    }

    /// Applies changes produced by another replica's `save_incremental` (or `save`); returns
    /// the number of operations applied. The header is checked again afterwards, so changes
    /// from a newer schema are reported.
    fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocumentError> {
        let applied = self
            .am_mut()
            .load_incremental(bytes)
            .map_err(|err| DocumentError::Corrupt {
                detail: err.to_string(),
            })?;
        check_header(self.am(), Self::KIND)?;
        Ok(applied)
    }

    /// Merges `other` (the same document from another replica) into `self`.
    fn merge(&mut self, other: &mut Self) -> Result<(), DocumentError> {
        if self.key() != other.key() {
            return Err(DocumentError::KeyMismatch);
        }
        self.am_mut().merge(other.am_mut())?;
        check_header(self.am(), Self::KIND)?;
        Ok(())
    }

    /// A copy of the document that writes as `device`.
    fn fork(&mut self, device: DeviceId) -> Self {
        let doc = self.am_mut().fork().with_actor(actor_id(device));
        self.rewrap(doc)
    }

    /// The hashes of the latest changes.
    fn heads(&mut self) -> Vec<ChangeHash> {
        self.am_mut().get_heads()
    }

    fn actor(&self) -> &ActorId {
        self.am().get_actor()
    }

    /// Writes from now on as `user` on `device` (see [`actor_for`]).
    fn set_author(&mut self, device: DeviceId, user: UserId) {
        self.am_mut().set_actor(actor_for(device, user));
    }

    /// Hash and actor of every change not reachable from `heads`, in causal order.
    fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<(ChangeHash, ActorId)> {
        self.am_mut()
            .get_changes(heads)
            .into_iter()
            .map(|c| (c.hash(), c.actor_id().clone()))
            .collect()
    }

    /// Dependencies of received changes that this document does not have (changes waiting
    /// for them are not applied yet).
    fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.am_mut().get_missing_deps(&[])
    }

    /// The keys of the root map `map` whose values changed between `before` and the current
    /// heads (added, replaced, or changed inside), so a reader can refresh only those.
    fn changed_keys(&mut self, before: &[ChangeHash], map: &str) -> Vec<String> {
        use automerge::{PatchAction, Prop};
        let after = self.heads();
        let mut keys: Vec<String> = Vec::new();
        for patch in self.am_mut().diff(before, &after) {
            let Some((_, Prop::Map(top))) = patch.path.first() else {
                // A change at the root itself: the map may have been replaced.
                if let PatchAction::PutMap { key, .. } = &patch.action
                    && key == map
                {
                    keys.push(String::from("*"));
                }
                continue;
            };
            if top != map {
                continue;
            }
            let key = match (patch.path.get(1), &patch.action) {
                (Some((_, Prop::Map(k))), _) => k.clone(),
                (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => key.clone(),
                _ => continue,
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Every change not reachable from `heads`, in causal order, with what a sync engine needs
    /// to push, hold back or quarantine it.
    fn raw_changes_after(&mut self, heads: &[ChangeHash]) -> Vec<RawChange> {
        self.am_mut()
            .get_changes(heads)
            .into_iter()
            .map(|mut c| RawChange {
                hash: c.hash(),
                actor: c.actor_id().clone(),
                deps: c.deps().to_vec(),
                bytes: c.bytes().into_owned(),
            })
            .collect()
    }

    /// The document as it was at `heads` (every change reachable from them, nothing else),
    /// writing as the same actor.
    fn fork_at(&mut self, heads: &[ChangeHash]) -> Result<Self, DocumentError> {
        let actor = self.actor().clone();
        let doc = self.am_mut().fork_at(heads)?.with_actor(actor);
        Ok(self.rewrap(doc))
    }

    /// Whether this document holds the change `hash`.
    fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.am_mut().get_change_by_hash(hash).is_some()
    }

    /// The heads of the set of changes reachable from any of `hashes` (those this document
    /// does not hold are ignored): e.g. what the server has after accepting a push, given what
    /// it had and what was pushed.
    fn heads_of(&mut self, hashes: &[ChangeHash]) -> Result<Vec<ChangeHash>, DocumentError> {
        let mut known: Vec<ChangeHash> = hashes.iter().copied().filter(|h| self.has_change(h)).collect();
        known.sort();
        known.dedup();
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let mut heads = self.am_mut().fork_at(&known)?.get_heads();
        heads.sort();
        Ok(heads)
    }

    /// What the changes between `before` and `after` wrote, as readable (path, value) lines —
    /// for showing a person the content of changes the server refused.
    fn describe_between(&mut self, before: &[ChangeHash], after: &[ChangeHash]) -> Vec<(String, String)> {
        use automerge::PatchAction;
        let mut lines = Vec::new();
        for patch in self.am_mut().diff(before, after) {
            let mut path: Vec<String> = patch.path.into_iter().map(|(_, p)| prop_text(p)).collect();
            let value = match patch.action {
                PatchAction::PutMap { key, value, .. } => {
                    path.push(key);
                    render_value(&value.0)
                }
                PatchAction::PutSeq { index, value, .. } => {
                    path.push(index.to_string());
                    render_value(&value.0)
                }
                PatchAction::Insert { index, values, .. } => {
                    path.push(index.to_string());
                    values
                        .iter()
                        .map(|(v, _, _)| render_value(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                PatchAction::SpliceText { index, value, .. } => {
                    path.push(index.to_string());
                    value.make_string()
                }
                PatchAction::Increment { prop, value } => {
                    path.push(prop_text(prop));
                    format!("+{value}")
                }
                PatchAction::DeleteMap { key } => {
                    path.push(key);
                    "(removido)".to_owned()
                }
                PatchAction::DeleteSeq { index, length } => {
                    path.push(index.to_string());
                    format!("(removidos {length})")
                }
                PatchAction::Conflict { prop } => {
                    path.push(prop_text(prop));
                    "(conflito)".to_owned()
                }
                PatchAction::Mark { .. } => continue,
            };
            lines.push((path.join("/"), value));
        }
        lines
    }

    /// The document's header epoch (0 until an LGPD re-creation).
    fn epoch(&self) -> Result<u32, DocumentError> {
        self.header().map(|h| h.epoch)
    }

    /// Writes from now on as `device`.
    fn set_actor(&mut self, device: DeviceId) {
        self.am_mut().set_actor(actor_id(device));
    }
}

/// One automerge change, as a sync engine handles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChange {
    pub hash: ChangeHash,
    pub actor: ActorId,
    pub deps: Vec<ChangeHash>,
    /// The change chunk (compressed), as `load_incremental` accepts it.
    pub bytes: Vec<u8>,
}

fn prop_text(prop: automerge::Prop) -> String {
    match prop {
        automerge::Prop::Map(k) => k,
        automerge::Prop::Seq(i) => i.to_string(),
    }
}

fn render_value(value: &Value<'_>) -> String {
    match value {
        Value::Object(kind) => format!("({kind})"),
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(t) => t.to_string(),
            other => other.to_string(),
        },
    }
}

pub(crate) mod sealed {
    use automerge::AutoCommit;

    use crate::documents::DocumentError;

    /// Access to the wrapped automerge document, kept out of the public API so that every
    /// write goes through the domain rules.
    pub trait Inner {
        fn am(&self) -> &AutoCommit;
        fn am_mut(&mut self) -> &mut AutoCommit;
        /// Wraps a loaded document whose header was checked.
        fn wrap(doc: AutoCommit) -> Result<Self, DocumentError>
        where
            Self: Sized;
        /// Wraps a fork of `self` (same key).
        fn rewrap(&self, doc: AutoCommit) -> Self
        where
            Self: Sized;
    }
}

/// One scalar field of the genesis change.
pub(crate) enum GenesisField {
    Str(&'static str, String),
    Map(&'static str),
    List(&'static [&'static str], &'static str),
}

/// Creates `key`'s genesis: the header plus `fields`, committed by an actor derived from the key
/// with time 0, so every replica creating the document produces the byte-identical change and
/// they all share the root objects. Then switches to `device`'s actor.
pub(crate) fn genesis(
    key: DocumentKey,
    fields: &[GenesisField],
    device: DeviceId,
) -> Result<AutoCommit, DocumentError> {
    let mut actor = b"atendebem:genesis:".to_vec();
    actor.extend_from_slice(key.to_string().as_bytes());
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
    let root = automerge::ROOT;
    doc.put(&root, "schema_version", u64::from(SCHEMA_VERSION))?;
    doc.put(&root, "kind", key.kind().as_str())?;
    doc.put(&root, "epoch", 0_u64)?;
    for field in fields {
        match field {
            GenesisField::Str(name, value) => doc.put(&root, *name, value.as_str())?,
            GenesisField::Map(name) => {
                doc.put_object(&root, *name, ObjType::Map)?;
            }
            GenesisField::List(path, name) => {
                let mut obj = root.clone();
                for step in *path {
                    obj = match doc.get(&obj, *step)? {
                        Some((Value::Object(_), id)) => id,
                        _ => doc.put_object(&obj, *step, ObjType::Map)?,
                    };
                }
                doc.put_object(&obj, *name, ObjType::List)?;
            }
        }
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    doc.set_actor(actor_id(device));
    Ok(doc)
}

/// The object at `prop` of the root (a map created by the genesis).
pub(crate) fn root_map(doc: &AutoCommit, prop: &str) -> Result<automerge::ObjId, DocumentError> {
    match doc.get(automerge::ROOT, prop)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(DocumentError::Malformed {
            detail: format!("missing root map {prop}"),
        }),
    }
}

/// Commits pending operations, stamping the change with `now` (advisory, seconds).
pub(crate) fn commit(doc: &mut AutoCommit, now: Option<jiff::Timestamp>) {
    let options = match now {
        Some(now) => CommitOptions::default().with_time(now.as_second()),
        None => CommitOptions::default(),
    };
    doc.commit_with(options);
}

fn check_header(doc: &AutoCommit, expected: DocumentKind) -> Result<Header, DocumentError> {
    let scalar = |prop: &str| -> Result<ScalarValue, DocumentError> {
        match doc.get(automerge::ROOT, prop) {
            Ok(Some((Value::Scalar(value), _))) => Ok(value.into_owned()),
            _ => Err(DocumentError::Corrupt {
                detail: format!("missing header field {prop}"),
            }),
        }
    };
    let number = |prop: &str| -> Result<u32, DocumentError> {
        match scalar(prop)? {
            ScalarValue::Uint(n) => u32::try_from(n).ok(),
            ScalarValue::Int(n) => u32::try_from(n).ok(),
            _ => None,
        }
        .ok_or_else(|| DocumentError::Corrupt {
            detail: format!("header field {prop} is not a number"),
        })
    };
    let kind = match scalar("kind")? {
        ScalarValue::Str(text) => text.to_string(),
        _ => String::new(),
    };
    if kind != expected.as_str() {
        return Err(DocumentError::WrongKind {
            expected,
            found: kind,
        });
    }
    let schema_version = number("schema_version")?;
    if schema_version > SCHEMA_VERSION {
        return Err(DocumentError::UnsupportedSchema {
            found: schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(Header {
        schema_version,
        kind: expected,
        epoch: number("epoch")?,
    })
}
