//! Sync persistence: pushes (validated, committed with their projections, conflicts and audit
//! rows in one transaction), catch-up reads, conflict lists.

use std::collections::BTreeMap;

use shared_model::access::{Action, Area, decide};
use shared_model::documents::{DocumentKey, DocumentKind, actor_for};
use shared_model::ids::{DeviceId, UserId};
use shared_model::sync::{Conflict, DocData, Refusal};
use sqlx::PgPool;
use uuid::Uuid;

use super::doc::{self, Refused, ServerDoc, ServerView, State, validate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::{Principal, event_for};
use crate::db::{self, DbTime, TenantTx};

/// Changes are compacted into the document's snapshot after this many log rows.
const SNAPSHOT_EVERY: i32 = 64;

pub const CHANGES_CHANNEL: &str = "atendebem_changes";

#[derive(Debug, Default)]
pub struct PushOutcome {
    pub accepted: Vec<DocumentKey>,
    pub refused: Vec<Refusal>,
    /// Log sequence numbers written: `(from, to]`; equal when nothing new was stored.
    pub from: i64,
    pub to: i64,
    pub changes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("sessão encerrada")]
    SessionEnded,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The document kinds a role may receive (shared-model `may_sync`).
pub fn readable_kinds(role: shared_model::identity::Role) -> Vec<String> {
    DocumentKind::ALL
        .iter()
        .filter(|k| shared_model::access::may_sync(role, **k))
        .map(|k| k.as_str().to_string())
        .collect()
}

/// A document's open conflicts: (kind, subject ids).
type DocConflicts = Vec<(&'static str, Vec<String>)>;

/// New documents of a push: keys, kinds, epochs, snapshots, sequence numbers.
type NewDocs = (Vec<String>, Vec<&'static str>, Vec<i32>, Vec<Vec<u8>>, Vec<i64>);

/// A document whose new changes passed every check, waiting for its sequence number.
struct Staged {
    key: DocumentKey,
    record: String,
    epoch: u32,
    is_new: bool,
    /// A fresh compacted snapshot, when due.
    snapshot: Option<Vec<u8>>,
    data: Vec<u8>,
    changes: usize,
    conflicts: DocConflicts,
    before: State,
    after: State,
    /// The server's copy after the push, for the cache once committed.
    doc: ServerDoc,
    seq: i64,
}

struct StoredDoc {
    changes_since_snapshot: i32,
}

/// Documents kept in memory between pushes. An entry is used only when its `last_seq` equals the
/// locked row's, so it is never stale, whichever instance wrote last.
pub struct DocCache {
    inner: std::sync::Mutex<std::collections::HashMap<(Uuid, String), Cached>>,
    capacity: usize,
}

struct Cached {
    last_seq: i64,
    doc: ServerDoc,
    state: State,
}

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: std::sync::Mutex::new(std::collections::HashMap::new()),
            capacity,
        }
    }

    fn take(&self, tenant: Uuid, key: &str, last_seq: i64) -> Option<(ServerDoc, State)> {
        let mut map = self.inner.lock().ok()?;
        let hit = map.remove(&(tenant, key.to_string()))?;
        (hit.last_seq == last_seq).then_some((hit.doc, hit.state))
    }

    fn put(&self, tenant: Uuid, key: String, last_seq: i64, doc: ServerDoc, state: State) {
        let Ok(mut map) = self.inner.lock() else { return };
        if map.len() >= self.capacity {
            // Arbitrary eviction keeps this cheap; a miss only costs a reload.
            if let Some(victim) = map.keys().next().cloned() {
                map.remove(&victim);
            }
        }
        if self.capacity > 0 {
            map.insert((tenant, key), Cached { last_seq, doc, state });
        }
    }
}

/// The server's copy of `key`, locked for this transaction (with its state when it came from
/// the cache), or `None` if it has none.
async fn load_locked(
    tx: &mut TenantTx,
    cache: &DocCache,
    tenant: Uuid,
    key: &DocumentKey,
) -> Result<Option<(ServerDoc, Option<State>, StoredDoc)>, LoadError> {
    let record = key.to_string();
    // Serialises pushes of one document even before its row exists (two devices creating the
    // same chart at once); released at commit.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(current_tenant()::text || '|' || $1, 0))")
        .bind(&record)
        .execute(&mut **tx)
        .await?;
    let row: Option<(i64, i64, i32)> = sqlx::query_as(
        "SELECT snapshot_seq, last_seq, changes_since_snapshot FROM documents WHERE doc_key = $1 FOR UPDATE",
    )
    .bind(&record)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((snapshot_seq, last_seq, changes_since_snapshot)) = row else {
        return Ok(None);
    };
    let stored = StoredDoc {
        changes_since_snapshot,
    };
    if let Some((doc, state)) = cache.take(tenant, &record, last_seq) {
        return Ok(Some((doc, Some(state), stored)));
    }
    let doc = load_stored(tx, key, snapshot_seq).await?;
    Ok(Some((doc, None, stored)))
}

/// The stored document: its snapshot plus the changes logged after it.
async fn load_stored(
    tx: &mut TenantTx,
    key: &DocumentKey,
    snapshot_seq: i64,
) -> Result<ServerDoc, LoadError> {
    let record = key.to_string();
    let (snapshot,): (Vec<u8>,) = sqlx::query_as("SELECT snapshot FROM documents WHERE doc_key = $1")
        .bind(&record)
        .fetch_one(&mut **tx)
        .await?;
    let mut doc = ServerDoc::load(key, &snapshot).map_err(|_| LoadError::Corrupt)?;
    let tail: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT data FROM document_changes WHERE doc_key = $1 AND seq > $2 ORDER BY seq")
            .bind(&record)
            .bind(snapshot_seq)
            .fetch_all(&mut **tx)
            .await?;
    if !tail.is_empty() {
        let joined: Vec<u8> = tail.into_iter().flat_map(|(d,)| d).collect();
        doc.apply_trusted(&joined).map_err(|_| LoadError::Corrupt)?;
    }
    Ok(doc)
}

/// The server's copy of `key` for reading (not locked), or `None` if it has none. Billing reads
/// the directory and patients' registries this way.
pub async fn read_doc(tx: &mut TenantTx, key: &DocumentKey) -> Result<Option<ServerDoc>, LoadError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT snapshot_seq FROM documents WHERE doc_key = $1")
        .bind(key.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some((snapshot_seq,)) => Ok(Some(load_stored(tx, key, snapshot_seq).await?)),
        None => Ok(None),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("stored document unreadable")]
    Corrupt,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Validates and stores one batch of pushed documents. Nothing is acknowledged before the
/// commit; a refused document leaves no trace but its audit row.
pub async fn push(
    pool: &PgPool,
    cache: &DocCache,
    who: &Principal,
    docs: Vec<DocData>,
) -> Result<PushOutcome, PushError> {
    // One entry per document, chunks in arrival order.
    let mut grouped: BTreeMap<DocumentKey, Vec<Vec<u8>>> = BTreeMap::new();
    for d in docs {
        grouped.entry(d.key).or_default().push(d.data);
    }
    let mut tx = db::begin_tenant_uuid(pool, who.tenant).await?;
    // NGS1.02.01: the server re-authenticates before storing synced data.
    let status = crate::auth::session_status(&mut tx, who.session, who.user, who.device).await?;
    if !matches!(status, crate::auth::SessionStatus::Active(_)) {
        return Err(PushError::SessionEnded);
    }
    let mut out = PushOutcome::default();
    let mut staged: Vec<Staged> = Vec::new();
    let mut events = Vec::new();
    let user = UserId::from_uuid(who.user);
    let actor = actor_for(DeviceId::from_uuid(who.device), user);
    for (key, chunks) in grouped {
        let kind = key.kind();
        let area = Area::of_document(kind);
        let record = key.to_string();
        let refuse =
            |out: &mut PushOutcome, events: &mut Vec<AuditEvent>, changes: Vec<[u8; 32]>, r: Refused| {
                events.push(
                    event_for(who, "sync.change.refused", Outcome::Denied)
                        .record(kind.as_str(), record.clone())
                        .detail(r.code.clone()),
                );
                out.refused.push(Refusal {
                    key,
                    changes,
                    code: r.code,
                    message: r.message,
                });
            };
        if matches!(key, DocumentKey::Directory(t) if *t.as_uuid() != who.tenant) {
            refuse(
                &mut out,
                &mut events,
                Vec::new(),
                Refused::new("document.wrong_tenant", "Documento de outra clínica."),
            );
            continue;
        }
        if !decide(who.role, area, Action::Write).is_allowed() {
            let e = shared_model::access::require(who.role, area, Action::Write).err();
            let r = e.map_or_else(
                || Refused::new("access.denied", "Acesso negado."),
                |e| Refused::from_error(&e),
            );
            refuse(&mut out, &mut events, Vec::new(), r);
            continue;
        }
        let (doc, cached_state, stored) = match load_locked(&mut tx, cache, who.tenant, &key).await {
            Ok(Some((doc, state, stored))) => (doc, state, Some(stored)),
            Ok(None) => match doc::genesis(&key) {
                Ok(doc) => (doc, None, None),
                Err(_) => {
                    refuse(
                        &mut out,
                        &mut events,
                        Vec::new(),
                        Refused::new("document.invalid_key", "Documento inválido."),
                    );
                    continue;
                }
            },
            Err(LoadError::Db(e)) => return Err(e.into()),
            Err(LoadError::Corrupt) => {
                tracing::error!(doc_kind = kind.as_str(), "stored document unreadable");
                refuse(
                    &mut out,
                    &mut events,
                    Vec::new(),
                    Refused::new("internal", "Documento do servidor ilegível."),
                );
                continue;
            }
        };
        // The CPU-heavy part runs on the blocking pool, so the async workers stay free to drive
        // the transaction that holds the tenant's log head (no priority inversion).
        let is_new = stored.is_none();
        let compact_due = stored
            .as_ref()
            .is_none_or(|s| s.changes_since_snapshot + 1 >= SNAPSHOT_EVERY);
        let input = Check {
            key,
            record: record.clone(),
            doc,
            cached_state,
            chunks,
            actor: actor.clone(),
            user,
            role: who.role,
            is_new,
            compact_due,
        };
        match tokio::task::spawn_blocking(move || check(input)).await {
            Ok(Checked::Staged(st)) => staged.push(*st),
            Ok(Checked::Duplicate(key)) => out.accepted.push(key),
            Ok(Checked::Refused(changes, r)) => refuse(&mut out, &mut events, changes, r),
            Err(_) => refuse(
                &mut out,
                &mut events,
                Vec::new(),
                Refused::new("internal", "Falha ao verificar o documento."),
            ),
        }
    }
    // Phase 2: the tenant's log head is locked only now, so checking documents (the CPU-heavy
    // part) runs in parallel across pushes; sequence numbers follow commit order.
    // One round trip: creates the head on the clinic's first push, locks it, returns it.
    let from: i64 = if staged.is_empty() {
        0
    } else {
        sqlx::query_scalar(
            "INSERT INTO sync_heads (tenant_id, seq) VALUES ($1, 0) \
             ON CONFLICT (tenant_id) DO UPDATE SET seq = sync_heads.seq RETURNING seq",
        )
        .bind(who.tenant)
        .fetch_one(&mut *tx)
        .await?
    };
    out.from = from;
    out.to = from;
    let mut log = LogRows::default();
    let mut projections = super::projection::Rows::default();
    let mut conflicts = Vec::new();
    for st in staged.iter_mut() {
        out.to += 1;
        let seq = out.to;
        st.seq = seq;
        let kind = st.key.kind();
        log.push(st, seq, kind.as_str());
        projections.add(&st.key, &st.before, &st.after, seq);
        conflicts.push((st.record.clone(), std::mem::take(&mut st.conflicts), seq));
        out.changes += st.changes as u64;
        events.push(
            event_for(who, "sync.change.accepted", Outcome::Ok)
                .record(kind.as_str(), st.record.clone())
                .detail(format!("changes={} seq={seq}", st.changes)),
        );
        out.accepted.push(st.key);
    }
    log.write(&mut tx, who).await?;
    projections.write(&mut tx, who.tenant).await?;
    let conflicts_changed = record_conflicts(&mut tx, who.tenant, conflicts).await?;
    if out.to > out.from {
        // The new head and the notification in one statement; NOTIFY is delivered to every
        // instance at commit, in commit order.
        sqlx::query(
            "WITH head AS (UPDATE sync_heads SET seq = $4 WHERE tenant_id = $3) SELECT pg_notify($1, $2)",
        )
        .bind(CHANGES_CHANNEL)
        .bind(format!(
            "{}|{}|{}|{}",
            who.tenant,
            out.from,
            out.to,
            u8::from(conflicts_changed)
        ))
        .bind(who.tenant)
        .bind(out.to)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(&mut tx, who.tenant, &events).await?;
    tx.commit().await?;
    for st in staged {
        cache.put(who.tenant, st.record, st.seq, st.doc, st.after);
    }
    Ok(out)
}

/// What [`check`] needs about one pushed document.
struct Check {
    key: DocumentKey,
    record: String,
    doc: ServerDoc,
    cached_state: Option<State>,
    chunks: Vec<Vec<u8>>,
    actor: automerge::ActorId,
    user: UserId,
    role: shared_model::identity::Role,
    is_new: bool,
    compact_due: bool,
}

enum Checked {
    Staged(Box<Staged>),
    /// Nothing new: everything was already here.
    Duplicate(DocumentKey),
    Refused(Vec<[u8; 32]>, Refused),
}

/// Applies one document's pushed data to the server's copy and runs every check on it.
fn check(input: Check) -> Checked {
    let Check {
        key,
        record,
        mut doc,
        cached_state,
        chunks,
        actor,
        user,
        role,
        is_new,
        compact_due,
    } = input;
    let unreadable = || {
        Checked::Refused(
            Vec::new(),
            Refused::new("internal", "Documento do servidor ilegível."),
        )
    };
    let before_heads = doc.heads();
    let before_epoch = doc.epoch().unwrap_or(0);
    let Ok(before) = cached_state.map_or_else(|| doc.state(), Ok) else {
        return unreadable();
    };
    if chunks.iter().any(|c| doc.apply(c).is_err()) {
        return Checked::Refused(
            Vec::new(),
            Refused::new(
                "sync.malformed_change",
                "Alterações corrompidas ou truncadas foram recusadas.",
            ),
        );
    }
    let new = doc.changes_after(&before_heads);
    let hashes: Vec<[u8; 32]> = new.iter().map(|(h, _)| h.0).collect();
    if !doc.missing_deps().is_empty() {
        return Checked::Refused(
            hashes,
            Refused::new(
                "sync.missing_dependencies",
                "Faltam alterações anteriores; envie o documento completo.",
            ),
        );
    }
    if new.is_empty() {
        return Checked::Duplicate(key);
    }
    if new.iter().any(|(_, a)| *a != actor) {
        return Checked::Refused(
            hashes,
            Refused::new(
                "sync.foreign_actor",
                "Alterações de outro usuário ou dispositivo não podem ser enviadas por esta sessão.",
            ),
        );
    }
    if doc.epoch().unwrap_or(u32::MAX) != before_epoch {
        return Checked::Refused(
            hashes,
            Refused::new("sync.epoch_mismatch", "Versão do documento desatualizada."),
        );
    }
    let after = match doc.state_after(&before, &before_heads) {
        Ok(s) => s,
        Err(e) => return Checked::Refused(hashes, Refused::from_error(&e)),
    };
    // The incremental read must agree with a full one (checked in debug builds and tests).
    debug_assert_eq!(
        doc.state().ok().as_ref(),
        Some(&after),
        "incremental state diverged"
    );
    if let Err(r) = validate(&key, &before, &after, user) {
        return Checked::Refused(hashes, r);
    }
    if newly_signed(&before, &after)
        && !decide(role, Area::of_document(key.kind()), Action::Sign).is_allowed()
    {
        return Checked::Refused(
            hashes,
            Refused::new("access.denied", "Seu perfil não pode assinar registros clínicos."),
        );
    }
    // Accepted. Stored once every document of the batch is checked (the whole history for a
    // new document, so a device that lacks it gets the genesis too).
    let data = if is_new {
        doc.save_after(&[])
    } else {
        doc.save_after(&before_heads)
    };
    Checked::Staged(Box::new(Staged {
        key,
        record,
        epoch: before_epoch,
        is_new,
        snapshot: compact_due.then(|| doc.save()),
        data,
        changes: new.len(),
        conflicts: doc.conflicts(&after).unwrap_or_default(),
        before,
        after,
        doc,
        seq: 0,
    }))
}

fn newly_signed(before: &State, after: &State) -> bool {
    let (State::Chart(old), State::Chart(new)) = (before, after) else {
        return false;
    };
    new.iter()
        .any(|e| e.is_signed() && !old.iter().any(|o| o.id == e.id && o.is_signed()))
}

/// Brings the conflict table in line with the documents' current conflicts; true if it changed.
async fn record_conflicts(
    tx: &mut TenantTx,
    tenant: Uuid,
    docs: Vec<(String, DocConflicts, i64)>,
) -> Result<bool, sqlx::Error> {
    let keys: Vec<&str> = docs.iter().map(|(k, _, _)| k.as_str()).collect();
    let open: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT id, doc_key, kind, subjects FROM sync_conflicts WHERE doc_key = ANY($1) AND resolved_at IS NULL",
    )
    .bind(&keys)
    .fetch_all(&mut **tx)
    .await?;
    let (mut resolved, mut resolved_seq) = (Vec::new(), Vec::new());
    let (mut new_ids, mut new_keys, mut new_kinds, mut new_subjects, mut new_seqs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (key, found, seq) in docs {
        let current: Vec<(String, String)> = found
            .into_iter()
            .map(|(kind, mut subjects)| {
                subjects.sort();
                (kind.to_string(), subjects.join("|"))
            })
            .collect();
        for (id, _, kind, subjects) in open.iter().filter(|o| o.1 == key) {
            if !current.iter().any(|(k, s)| k == kind && s == subjects) {
                resolved.push(*id);
                resolved_seq.push(seq);
            }
        }
        for (kind, subjects) in current {
            if !open
                .iter()
                .any(|(_, k, kd, s)| *k == key && *kd == kind && *s == subjects)
            {
                new_ids.push(Uuid::now_v7());
                new_keys.push(key.clone());
                new_kinds.push(kind);
                new_subjects.push(subjects);
                new_seqs.push(seq);
            }
        }
    }
    let changed = !resolved.is_empty() || !new_ids.is_empty();
    if !resolved.is_empty() {
        sqlx::query(
            "UPDATE sync_conflicts c SET resolved_at = now(), resolved_seq = u.seq \
             FROM UNNEST($1::uuid[], $2::int8[]) AS u(id, seq) WHERE c.id = u.id",
        )
        .bind(resolved)
        .bind(resolved_seq)
        .execute(&mut **tx)
        .await?;
    }
    if !new_ids.is_empty() {
        sqlx::query(
            "INSERT INTO sync_conflicts (tenant_id, id, doc_key, kind, subjects, detected_seq) \
             SELECT $1, u.* FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int8[]) AS u",
        )
        .bind(tenant)
        .bind(new_ids)
        .bind(new_keys)
        .bind(new_kinds)
        .bind(new_subjects)
        .bind(new_seqs)
        .execute(&mut **tx)
        .await?;
    }
    Ok(changed)
}

/// The log rows and document updates of one push, written with one statement each.
#[derive(Default)]
struct LogRows {
    seq: Vec<i64>,
    key: Vec<String>,
    kind: Vec<&'static str>,
    data: Vec<Vec<u8>>,
    count: Vec<i32>,
    new_docs: NewDocs,
    compacted: (Vec<String>, Vec<Vec<u8>>, Vec<i64>),
    appended: (Vec<String>, Vec<i64>),
}

impl LogRows {
    fn push(&mut self, st: &mut Staged, seq: i64, kind: &'static str) {
        self.seq.push(seq);
        self.key.push(st.record.clone());
        self.kind.push(kind);
        self.data.push(std::mem::take(&mut st.data));
        self.count.push(st.changes as i32);
        match (st.is_new, st.snapshot.take()) {
            (true, snapshot) => {
                let d = &mut self.new_docs;
                d.0.push(st.record.clone());
                d.1.push(kind);
                d.2.push(st.epoch as i32);
                d.3.push(snapshot.unwrap_or_default());
                d.4.push(seq);
            }
            (false, Some(snapshot)) => {
                let d = &mut self.compacted;
                d.0.push(st.record.clone());
                d.1.push(snapshot);
                d.2.push(seq);
            }
            (false, None) => {
                self.appended.0.push(st.record.clone());
                self.appended.1.push(seq);
            }
        }
    }

    async fn write(self, tx: &mut TenantTx, who: &Principal) -> Result<(), sqlx::Error> {
        if self.seq.is_empty() {
            return Ok(());
        }
        let (keys, kinds, epochs, snapshots, seqs) = self.new_docs;
        if !keys.is_empty() {
            sqlx::query(
                "INSERT INTO documents (tenant_id, doc_key, kind, epoch, snapshot, snapshot_seq, last_seq) \
                 SELECT $1, u.key, u.kind, u.epoch, u.snapshot, u.seq, u.seq \
                 FROM UNNEST($2::text[], $3::text[], $4::int4[], $5::bytea[], $6::int8[]) AS u(key, kind, epoch, snapshot, seq)",
            )
            .bind(who.tenant)
            .bind(keys)
            .bind(kinds)
            .bind(epochs)
            .bind(snapshots)
            .bind(seqs)
            .execute(&mut **tx)
            .await?;
        }
        let (keys, snapshots, seqs) = self.compacted;
        if !keys.is_empty() {
            sqlx::query(
                "UPDATE documents d SET snapshot = u.snapshot, snapshot_seq = u.seq, last_seq = u.seq, \
                 changes_since_snapshot = 0, updated_at = now() \
                 FROM UNNEST($1::text[], $2::bytea[], $3::int8[]) AS u(key, snapshot, seq) WHERE d.doc_key = u.key",
            )
            .bind(keys)
            .bind(snapshots)
            .bind(seqs)
            .execute(&mut **tx)
            .await?;
        }
        let (keys, seqs) = self.appended;
        if !keys.is_empty() {
            sqlx::query(
                "UPDATE documents d SET last_seq = u.seq, changes_since_snapshot = d.changes_since_snapshot + 1, \
                 updated_at = now() FROM UNNEST($1::text[], $2::int8[]) AS u(key, seq) WHERE d.doc_key = u.key",
            )
            .bind(keys)
            .bind(seqs)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO document_changes (tenant_id, seq, doc_key, kind, data, change_count, user_id, device_id) \
             SELECT $1, u.seq, u.key, u.kind, u.data, u.count, $7, $8 \
             FROM UNNEST($2::int8[], $3::text[], $4::text[], $5::bytea[], $6::int4[]) AS u(seq, key, kind, data, count)",
        )
        .bind(who.tenant)
        .bind(self.seq)
        .bind(self.key)
        .bind(self.kind)
        .bind(self.data)
        .bind(self.count)
        .bind(who.user)
        .bind(who.device)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Every open conflict in documents of the given kinds.
pub async fn open_conflicts(
    pool: &PgPool,
    tenant: Uuid,
    kinds: &[String],
) -> Result<Vec<Conflict>, sqlx::Error> {
    let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
    let rows: Vec<(Uuid, String, String, String, DbTime)> = sqlx::query_as(
        "SELECT c.id, c.doc_key, c.kind, c.subjects, c.detected_at FROM sync_conflicts c \
         JOIN documents d ON d.tenant_id = c.tenant_id AND d.doc_key = c.doc_key \
         WHERE c.resolved_at IS NULL AND d.kind = ANY($1) ORDER BY c.detected_at, c.id",
    )
    .bind(kinds)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, key, kind, subjects, at)| {
            Some(Conflict {
                id,
                key: key.parse().ok()?,
                kind,
                subjects: subjects.split('|').map(str::to_string).collect(),
                detected_at: at.as_micros() / 1000,
            })
        })
        .collect())
}

/// The tenant's log head.
pub async fn head(pool: &PgPool, tenant: Uuid) -> Result<i64, sqlx::Error> {
    let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
    let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM sync_heads WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(seq.unwrap_or(0))
}

/// About what a catch-up after `cursor` will send: (DocData entries, data bytes). A full
/// download (`cursor` 0) counts each document's snapshot and its tail of later changes.
pub async fn catch_up_size(
    pool: &PgPool,
    tenant: Uuid,
    kinds: &[String],
    cursor: i64,
    head: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
    let (documents, bytes): (i64, i64) = if cursor <= 0 {
        sqlx::query_as(
            "SELECT count(*) + count(t.bytes), coalesce(sum(octet_length(d.snapshot) + coalesce(t.bytes, 0)), 0)::bigint \
             FROM documents d LEFT JOIN LATERAL (SELECT sum(octet_length(c.data)) AS bytes FROM document_changes c \
               WHERE c.tenant_id = d.tenant_id AND c.doc_key = d.doc_key AND c.seq > d.snapshot_seq) t ON true \
             WHERE d.kind = ANY($1)",
        )
        .bind(kinds)
        .fetch_one(&mut *tx)
        .await?
    } else {
        sqlx::query_as(
            "SELECT count(*), coalesce(sum(octet_length(data)), 0)::bigint FROM document_changes \
             WHERE seq > $1 AND seq <= $2 AND kind = ANY($3)",
        )
        .bind(cursor)
        .bind(head)
        .bind(kinds)
        .fetch_one(&mut *tx)
        .await?
    };
    tx.commit().await?;
    Ok((documents.max(0) as u64, bytes.max(0) as u64))
}

/// One page of a full download: documents after `after_key` (by key), each as its snapshot
/// plus the log rows after it. Returns the docs and the last key.
pub async fn full_page(
    pool: &PgPool,
    tenant: Uuid,
    kinds: &[String],
    after_key: Option<&str>,
    max_bytes: usize,
) -> Result<(Vec<DocData>, Option<String>), sqlx::Error> {
    let mut tx = db::begin_tenant_snapshot(pool, tenant).await?;
    let rows: Vec<(String, Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT d.doc_key, d.snapshot, (SELECT string_agg(c.data, ''::bytea ORDER BY c.seq) FROM document_changes c \
           WHERE c.tenant_id = d.tenant_id AND c.doc_key = d.doc_key AND c.seq > d.snapshot_seq) \
         FROM documents d WHERE d.kind = ANY($1) AND ($2::text IS NULL OR d.doc_key > $2) ORDER BY d.doc_key LIMIT 512",
    )
    .bind(kinds)
    .bind(after_key)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut docs = Vec::new();
    let mut bytes = 0usize;
    let mut last = None;
    for (key, snapshot, tail) in rows {
        let Ok(parsed) = key.parse::<DocumentKey>() else {
            continue;
        };
        bytes += snapshot.len() + tail.as_ref().map_or(0, Vec::len);
        docs.push(DocData {
            key: parsed,
            data: snapshot,
        });
        if let Some(tail) = tail {
            docs.push(DocData {
                key: parsed,
                data: tail,
            });
        }
        last = Some(key);
        if bytes >= max_bytes {
            break;
        }
    }
    Ok((docs, last))
}

/// One page of the log after `cursor` (up to `head`), for the given kinds. Returns the docs
/// and the last sequence number read.
pub async fn log_page(
    pool: &PgPool,
    tenant: Uuid,
    kinds: &[String],
    cursor: i64,
    head: i64,
    max_bytes: usize,
) -> Result<(Vec<DocData>, i64), sqlx::Error> {
    let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "SELECT seq, doc_key, data FROM document_changes WHERE seq > $1 AND seq <= $2 AND kind = ANY($3) \
         ORDER BY seq LIMIT 2000",
    )
    .bind(cursor)
    .bind(head)
    .bind(kinds)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut docs = Vec::new();
    let mut bytes = 0;
    let mut last = if rows.is_empty() { head } else { cursor };
    let full = rows.len() == 2000;
    for (seq, key, data) in rows {
        let Ok(parsed) = key.parse::<DocumentKey>() else {
            continue;
        };
        bytes += data.len();
        docs.push(DocData { key: parsed, data });
        last = seq;
        if bytes >= max_bytes {
            return Ok((docs, last));
        }
    }
    if !full {
        last = head;
    }
    Ok((docs, last))
}
