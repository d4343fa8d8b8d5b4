//! The audit trail: append-only, hash-chained per tenant (NGS1.07.01/02).
//!
//! Each row's hash is SHA-256 over the previous row's hash and a length-prefixed encoding of
//! every column, so changing, inserting or removing any row breaks the chain at that row; the
//! `audit_heads` row holds the last sequence number and hash, so cutting the tail is found too.
//! Rows hold ids and codes only — never patient data (NGS1.07.06).

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db::{self, DbTime};

/// What happened, as a stable dotted code (`auth.login`, `sync.change.refused`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip: Option<String>,
    pub action: &'static str,
    pub outcome: Outcome,
    pub record_kind: Option<&'static str>,
    pub record_id: Option<String>,
    /// A stable code or count, never free text from a client.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

impl AuditEvent {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Self {
            user_id: None,
            device_id: None,
            ip: None,
            action,
            outcome,
            record_kind: None,
            record_id: None,
            detail: None,
        }
    }

    pub fn user(mut self, user: Option<Uuid>) -> Self {
        self.user_id = user;
        self
    }

    pub fn device(mut self, device: Option<Uuid>) -> Self {
        self.device_id = device;
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    pub fn record(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.record_kind = Some(kind);
        self.record_id = Some(id.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One stored row, as read back for verification and the API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub event_id: Uuid,
    pub at: DbTime,
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub ip: Option<String>,
    pub action: String,
    pub outcome: String,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

pub const GENESIS: [u8; 32] = [0; 32];

struct Fields<'a> {
    tenant_id: Uuid,
    seq: i64,
    event_id: Uuid,
    at: DbTime,
    user_id: Option<Uuid>,
    device_id: Option<Uuid>,
    ip: Option<&'a str>,
    action: &'a str,
    outcome: &'a str,
    record_kind: Option<&'a str>,
    record_id: Option<&'a str>,
    detail: Option<&'a str>,
}

fn chain_hash(prev: &[u8], f: &Fields<'_>) -> [u8; 32] {
    fn put(h: &mut Sha256, bytes: Option<&[u8]>) {
        match bytes {
            None => h.update([0u8]),
            Some(b) => {
                h.update([1u8]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"atendebem-audit-v1");
    put(&mut h, Some(prev));
    put(&mut h, Some(f.tenant_id.as_bytes()));
    put(&mut h, Some(&f.seq.to_be_bytes()));
    put(&mut h, Some(f.event_id.as_bytes()));
    put(&mut h, Some(&f.at.as_micros().to_be_bytes()));
    put(&mut h, f.user_id.as_ref().map(|u| u.as_bytes().as_slice()));
    put(&mut h, f.device_id.as_ref().map(|u| u.as_bytes().as_slice()));
    put(&mut h, f.ip.map(str::as_bytes));
    put(&mut h, Some(f.action.as_bytes()));
    put(&mut h, Some(f.outcome.as_bytes()));
    put(&mut h, f.record_kind.map(str::as_bytes));
    put(&mut h, f.record_id.map(str::as_bytes));
    put(&mut h, f.detail.map(str::as_bytes));
    h.finalize().into()
}

/// Appends events to the tenant's chain inside the caller's transaction (which must be bound
/// to that tenant): the action and its audit rows commit or roll back together.
pub async fn append(conn: &mut PgConnection, tenant: Uuid, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    // Row lock on the head serialises appends per tenant.
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 FOR UPDATE")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    let (mut seq, mut prev) = match head {
        Some(h) => h,
        None => {
            sqlx::query("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)")
                .bind(tenant)
                .bind(GENESIS.as_slice())
                .execute(&mut *conn)
                .await?;
            (0, GENESIS.to_vec())
        }
    };
    let at = DbTime::now();
    let n = events.len();
    let (mut seqs, mut ids, mut users, mut devices, mut ips) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut actions, mut outcomes, mut kinds, mut records, mut details, mut prevs, mut hashes) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in events {
        seq += 1;
        let event_id = Uuid::now_v7();
        let fields = Fields {
            tenant_id: tenant,
            seq,
            event_id,
            at,
            user_id: e.user_id,
            device_id: e.device_id,
            ip: e.ip.as_deref(),
            action: e.action,
            outcome: e.outcome.as_str(),
            record_kind: e.record_kind,
            record_id: e.record_id.as_deref(),
            detail: e.detail.as_deref(),
        };
        let hash = chain_hash(&prev, &fields);
        seqs.push(seq);
        ids.push(event_id);
        users.push(e.user_id);
        devices.push(e.device_id);
        ips.push(e.ip.clone());
        actions.push(e.action);
        outcomes.push(e.outcome.as_str());
        kinds.push(e.record_kind);
        records.push(e.record_id.clone());
        details.push(e.detail.clone());
        prevs.push(std::mem::replace(&mut prev, hash.to_vec()));
        hashes.push(hash.to_vec());
    }
    // One statement for the whole batch.
    // The rows and the new head in one statement.
    sqlx::query(
        "WITH rows AS (INSERT INTO audit_events (tenant_id, seq, event_id, at, user_id, device_id, ip, action, outcome, \
         record_kind, record_id, detail, prev_hash, hash) \
         SELECT $1, u.seq, u.id, $2, u.user_id, u.device_id, u.ip, u.action, u.outcome, u.kind, u.record, u.detail, \
         u.prev, u.hash FROM UNNEST($3::int8[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[], \
         $10::text[], $11::text[], $12::text[], $13::bytea[], $14::bytea[]) \
         AS u(seq, id, user_id, device_id, ip, action, outcome, kind, record, detail, prev, hash)) \
         UPDATE audit_heads SET seq = $15, hash = $16 WHERE tenant_id = $1",
    )
    .bind(tenant)
    .bind(at)
    .bind(seqs)
    .bind(ids)
    .bind(users)
    .bind(devices)
    .bind(ips)
    .bind(actions)
    .bind(outcomes)
    .bind(kinds)
    .bind(records)
    .bind(details)
    .bind(prevs)
    .bind(hashes)
    .bind(seq)
    .bind(prev.as_slice())
    .execute(&mut *conn)
    .await?;

    Ok(())
}

/// Appends in a transaction of its own (for events whose action did not commit, e.g. refusals).
pub async fn append_now(pool: &PgPool, tenant: Uuid, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
    let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
    append(&mut tx, tenant, events).await?;
    tx.commit().await
}

/// The outcome of checking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub rows: u64,
    /// The first sequence number where the chain breaks, and why.
    pub first_broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Broken {
    pub seq: i64,
    /// `hash_mismatch`, `prev_mismatch`, `gap`, `head_mismatch`.
    pub reason: &'static str,
}

/// Recomputes the whole chain of one tenant, in pages, inside one repeatable-read snapshot.
pub async fn verify(conn: &mut PgConnection, tenant: Uuid) -> Result<Verification, sqlx::Error> {
    const PAGE: i64 = 5_000;
    let mut prev = GENESIS.to_vec();
    let mut expected_seq = 1i64;
    let mut rows = 0u64;
    loop {
        let page: Vec<AuditRow> = sqlx::query_as(
            "SELECT tenant_id, seq, event_id, at, user_id, device_id, ip, action, outcome, record_kind, \
             record_id, detail, prev_hash, hash FROM audit_events WHERE tenant_id = $1 AND seq >= $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(tenant)
        .bind(expected_seq)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            rows += 1;
            if row.seq != expected_seq {
                return Ok(Verification {
                    rows,
                    first_broken: Some(Broken {
                        seq: expected_seq,
                        reason: "gap",
                    }),
                });
            }
            if row.prev_hash != prev {
                return Ok(Verification {
                    rows,
                    first_broken: Some(Broken {
                        seq: row.seq,
                        reason: "prev_mismatch",
                    }),
                });
            }
            let fields = Fields {
                tenant_id: row.tenant_id,
                seq: row.seq,
                event_id: row.event_id,
                at: row.at,
                user_id: row.user_id,
                device_id: row.device_id,
                ip: row.ip.as_deref(),
                action: &row.action,
                outcome: &row.outcome,
                record_kind: row.record_kind.as_deref(),
                record_id: row.record_id.as_deref(),
                detail: row.detail.as_deref(),
            };
            if chain_hash(&prev, &fields).as_slice() != row.hash.as_slice() {
                return Ok(Verification {
                    rows,
                    first_broken: Some(Broken {
                        seq: row.seq,
                        reason: "hash_mismatch",
                    }),
                });
            }
            prev = row.hash.clone();
            expected_seq += 1;
        }
    }
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    let last = expected_seq - 1;
    let head_ok = match head {
        Some((seq, hash)) => seq == last && hash == prev,
        None => last == 0,
    };
    if !head_ok {
        return Ok(Verification {
            rows,
            first_broken: Some(Broken {
                seq: last + 1,
                reason: "head_mismatch",
            }),
        });
    }
    Ok(Verification {
        rows,
        first_broken: None,
    })
}
