//! Sync persistence: pushes (validated, committed with their projections, conflicts and audit
//! rows in one transaction), catch-up reads, conflict lists.

use std::collections::BTreeMap;

use shared_model::access::{Action, Area, decide};
use shared_model::documents::{DocumentKey, DocumentKind, actor_for};
use shared_model::ids::{DeviceId, UserId};
use shared_model::sync::{Conflict, DocData, Refusal};
use sqlx::PgPool;
use uuid::Uuid;

use super::doc::{Refused, ServerDoc, State, validate};
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

pub fn kind_str(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Registry => "registry",
        DocumentKind::Chart => "chart",
        DocumentKind::Agenda => "agenda",
    }
}

/// The document kinds a role may receive (shared-model `may_sync`).
pub fn readable_kinds(role: shared_model::identity::Role) -> Vec<String> {
    [DocumentKind::Registry, DocumentKind::Chart, DocumentKind::Agenda]
        .into_iter()
        .filter(|k| shared_model::access::may_sync(role, *k))
        .map(|k| kind_str(k).to_string())
        .collect()
}

struct StoredDoc {
    snapshot: Vec<u8>,
    snapshot_seq: i64,
    changes_since_snapshot: i32,
}

/// The server's copy of `key`, locked for this transaction, or `None` if it has none.
async fn load_locked(
    tx: &mut TenantTx,
    key: &DocumentKey,
) -> Result<Option<(ServerDoc, StoredDoc)>, LoadError> {
    let row: Option<(Vec<u8>, i64, i32)> = sqlx::query_as(
        "SELECT snapshot, snapshot_seq, changes_since_snapshot FROM documents WHERE doc_key = $1 FOR UPDATE",
    )
    .bind(key.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some((snapshot, snapshot_seq, changes_since_snapshot)) = row else {
        return Ok(None);
    };
    let mut doc = ServerDoc::load(key, &snapshot).map_err(|_| LoadError::Corrupt)?;
    let tail: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT data FROM document_changes WHERE doc_key = $1 AND seq > $2 ORDER BY seq")
            .bind(key.to_string())
            .bind(snapshot_seq)
            .fetch_all(&mut **tx)
            .await?;
    for (data,) in tail {
        doc.apply_trusted(&data).map_err(|_| LoadError::Corrupt)?;
    }
    Ok(Some((
        doc,
        StoredDoc {
            snapshot,
            snapshot_seq,
            changes_since_snapshot,
        },
    )))
}

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("stored document unreadable")]
    Corrupt,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Re-checks, inside the push transaction, that the session may still write (NGS1.02.01: the
/// server re-authenticates before storing synced data).
async fn session_still_good(tx: &mut TenantTx, who: &Principal) -> Result<bool, sqlx::Error> {
    let ok: Option<bool> = sqlx::query_scalar(
        "SELECT s.revoked_at IS NULL AND u.status = 'active' AND d.revoked_at IS NULL AND t.status = 'active' \
         FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
         JOIN devices d ON d.tenant_id = s.tenant_id AND d.id = s.device_id JOIN tenants t ON t.id = s.tenant_id \
         WHERE s.id = $1",
    )
    .bind(who.session)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(ok == Some(true))
}

/// Validates and stores one batch of pushed documents. Nothing is acknowledged before the
/// commit; a refused document leaves no trace but its audit row.
pub async fn push(pool: &PgPool, who: &Principal, docs: Vec<DocData>) -> Result<PushOutcome, PushError> {
    // One entry per document, chunks in arrival order.
    let mut grouped: BTreeMap<DocumentKey, Vec<Vec<u8>>> = BTreeMap::new();
    for d in docs {
        grouped.entry(d.key).or_default().push(d.data);
    }
    let mut tx = db::begin_tenant_uuid(pool, who.tenant).await?;
    if !session_still_good(&mut tx, who).await? {
        return Err(PushError::SessionEnded);
    }
    sqlx::query("INSERT INTO sync_heads (tenant_id, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(who.tenant)
        .execute(&mut *tx)
        .await?;
    let from: i64 = sqlx::query_scalar("SELECT seq FROM sync_heads WHERE tenant_id = $1 FOR UPDATE")
        .bind(who.tenant)
        .fetch_one(&mut *tx)
        .await?;
    let mut out = PushOutcome {
        from,
        to: from,
        ..Default::default()
    };
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
                        .record(kind_str(kind), record.clone())
                        .detail(r.code.clone()),
                );
                out.refused.push(Refusal {
                    key,
                    changes,
                    code: r.code,
                    message: r.message,
                });
            };
        if !decide(who.role, area, Action::Write).is_allowed() {
            let e = shared_model::access::require(who.role, area, Action::Write).err();
            let r = e.map_or_else(
                || Refused::new("access.denied", "Acesso negado."),
                |e| Refused::from_error(&e),
            );
            refuse(&mut out, &mut events, Vec::new(), r);
            continue;
        }
        let (mut doc, stored) = match load_locked(&mut tx, &key).await {
            Ok(Some((doc, stored))) => (doc, Some(stored)),
            Ok(None) => match ServerDoc::genesis(&key) {
                Ok(doc) => (doc, None),
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
                tracing::error!(doc_kind = kind_str(kind), "stored document unreadable");
                refuse(
                    &mut out,
                    &mut events,
                    Vec::new(),
                    Refused::new("internal", "Documento do servidor ilegível."),
                );
                continue;
            }
        };
        let before_heads = doc.heads();
        let before_epoch = doc.epoch().unwrap_or(0);
        let before = match doc.state() {
            Ok(s) => s,
            Err(_) => {
                refuse(
                    &mut out,
                    &mut events,
                    Vec::new(),
                    Refused::new("internal", "Documento do servidor ilegível."),
                );
                continue;
            }
        };
        if chunks.iter().any(|c| doc.apply(c).is_err()) {
            refuse(
                &mut out,
                &mut events,
                Vec::new(),
                Refused::new(
                    "sync.malformed_change",
                    "Alterações corrompidas ou truncadas foram recusadas.",
                ),
            );
            continue;
        }
        let new = doc.changes_after(&before_heads);
        let hashes: Vec<[u8; 32]> = new.iter().map(|(h, _)| h.0).collect();
        if !doc.missing_deps().is_empty() {
            refuse(
                &mut out,
                &mut events,
                hashes,
                Refused::new(
                    "sync.missing_dependencies",
                    "Faltam alterações anteriores; envie o documento completo.",
                ),
            );
            continue;
        }
        if new.is_empty() {
            // Everything was already here: a duplicate, harmless.
            out.accepted.push(key);
            continue;
        }
        if new.iter().any(|(_, a)| *a != actor) {
            refuse(
                &mut out,
                &mut events,
                hashes,
                Refused::new(
                    "sync.foreign_actor",
                    "Alterações de outro usuário ou dispositivo não podem ser enviadas por esta sessão.",
                ),
            );
            continue;
        }
        if doc.epoch().unwrap_or(u32::MAX) != before_epoch {
            refuse(
                &mut out,
                &mut events,
                hashes,
                Refused::new("sync.epoch_mismatch", "Versão do documento desatualizada."),
            );
            continue;
        }
        let after = match doc.state() {
            Ok(s) => s,
            Err(e) => {
                refuse(&mut out, &mut events, hashes, Refused::from_error(&e));
                continue;
            }
        };
        if let Err(r) = validate(&key, &before, &after, user) {
            refuse(&mut out, &mut events, hashes, r);
            continue;
        }
        if newly_signed(&before, &after) && !decide(who.role, area, Action::Sign).is_allowed() {
            refuse(
                &mut out,
                &mut events,
                hashes,
                Refused::new("access.denied", "Seu perfil não pode assinar registros clínicos."),
            );
            continue;
        }
        // Accepted: store the new changes (the whole history for a new document, so a device
        // that lacks it gets the genesis too).
        out.to += 1;
        let seq = out.to;
        let data = if stored.is_some() {
            doc.save_after(&before_heads)
        } else {
            doc.save_after(&[])
        };
        match stored {
            None => {
                sqlx::query(
                    "INSERT INTO documents (tenant_id, doc_key, kind, epoch, snapshot, snapshot_seq, last_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(who.tenant)
                .bind(&record)
                .bind(kind_str(kind))
                .bind(before_epoch as i32)
                .bind(doc.save())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            }
            Some(stored) if stored.changes_since_snapshot + 1 >= SNAPSHOT_EVERY => {
                sqlx::query(
                    "UPDATE documents SET snapshot = $2, snapshot_seq = $3, last_seq = $3, changes_since_snapshot = 0, \
                     updated_at = now() WHERE doc_key = $1",
                )
                .bind(&record)
                .bind(doc.save())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                let _ = (stored.snapshot, stored.snapshot_seq);
            }
            Some(_) => {
                sqlx::query(
                    "UPDATE documents SET last_seq = $2, changes_since_snapshot = changes_since_snapshot + 1, \
                     updated_at = now() WHERE doc_key = $1",
                )
                .bind(&record)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO document_changes (tenant_id, seq, doc_key, kind, data, change_count, user_id, device_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(who.tenant)
        .bind(seq)
        .bind(&record)
        .bind(kind_str(kind))
        .bind(data)
        .bind(new.len() as i32)
        .bind(who.user)
        .bind(who.device)
        .execute(&mut *tx)
        .await?;
        super::projection::update(&mut tx, who.tenant, &key, &before, &after, seq).await?;
        let conflicts = doc.conflicts().unwrap_or_default();
        record_conflicts(&mut tx, who.tenant, &record, conflicts, seq).await?;
        out.changes += new.len() as u64;
        events.push(
            event_for(who, "sync.change.accepted", Outcome::Ok)
                .record(kind_str(kind), record.clone())
                .detail(format!("changes={} seq={seq}", new.len())),
        );
        out.accepted.push(key);
    }
    if out.to > out.from {
        sqlx::query("UPDATE sync_heads SET seq = $2 WHERE tenant_id = $1")
            .bind(who.tenant)
            .bind(out.to)
            .execute(&mut *tx)
            .await?;
        // Delivered to every instance at commit, in commit order.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(format!("{}|{}|{}", who.tenant, out.from, out.to))
            .execute(&mut *tx)
            .await?;
    }
    audit::append(&mut tx, who.tenant, &events).await?;
    tx.commit().await?;
    Ok(out)
}

fn newly_signed(before: &State, after: &State) -> bool {
    let (State::Chart(old), State::Chart(new)) = (before, after) else {
        return false;
    };
    new.iter()
        .any(|e| e.is_signed() && !old.iter().any(|o| o.id == e.id && o.is_signed()))
}

/// Brings the conflict table in line with the document's current conflicts.
async fn record_conflicts(
    tx: &mut TenantTx,
    tenant: Uuid,
    key: &str,
    conflicts: Vec<(&'static str, Vec<String>)>,
    seq: i64,
) -> Result<(), sqlx::Error> {
    let current: Vec<(String, String)> = conflicts
        .into_iter()
        .map(|(kind, mut subjects)| {
            subjects.sort();
            (kind.to_string(), subjects.join("|"))
        })
        .collect();
    let open: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, kind, subjects FROM sync_conflicts WHERE doc_key = $1 AND resolved_at IS NULL",
    )
    .bind(key)
    .fetch_all(&mut **tx)
    .await?;
    for (id, kind, subjects) in &open {
        if !current.iter().any(|(k, s)| k == kind && s == subjects) {
            sqlx::query("UPDATE sync_conflicts SET resolved_at = now(), resolved_seq = $2 WHERE id = $1")
                .bind(id)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
        }
    }
    for (kind, subjects) in current {
        if !open.iter().any(|(_, k, s)| *k == kind && *s == subjects) {
            sqlx::query(
                "INSERT INTO sync_conflicts (tenant_id, id, doc_key, kind, subjects, detected_seq) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant)
            .bind(Uuid::now_v7())
            .bind(key)
            .bind(kind)
            .bind(subjects)
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
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
