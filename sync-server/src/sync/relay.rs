//! Fan-out: every instance hears `atendebem_changes` (tenant, from, to) on PostgreSQL, reads
//! those log rows once, and hands them to its connected devices.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db;

#[derive(Debug)]
pub struct RelayRow {
    pub seq: i64,
    pub key: String,
    pub kind: String,
    pub data: Vec<u8>,
    pub device: Uuid,
}

/// Log rows `(from, to]` of one tenant.
#[derive(Debug)]
pub struct RelayBatch {
    pub tenant: Uuid,
    pub from: i64,
    pub to: i64,
    pub rows: Vec<RelayRow>,
    /// Every open conflict of the tenant (all kinds), when this batch changed them.
    pub conflicts: Option<Vec<shared_model::sync::Conflict>>,
}

#[derive(Debug, Clone)]
pub struct Relay {
    tx: broadcast::Sender<Arc<RelayBatch>>,
}

impl Default for Relay {
    fn default() -> Self {
        Self::new()
    }
}

impl Relay {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RelayBatch>> {
        self.tx.subscribe()
    }

    /// Reads the rows a notification names and broadcasts them.
    pub async fn deliver(
        &self,
        pool: &PgPool,
        tenant: Uuid,
        from: i64,
        to: i64,
        conflicts_changed: bool,
    ) -> Result<(), sqlx::Error> {
        if self.tx.receiver_count() == 0 {
            return Ok(());
        }
        let mut tx = db::begin_tenant_uuid(pool, tenant).await?;
        let rows: Vec<(i64, String, String, Vec<u8>, Uuid)> = sqlx::query_as(
            "SELECT seq, doc_key, kind, data, device_id FROM document_changes WHERE seq > $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let rows = rows
            .into_iter()
            .map(|(seq, key, kind, data, device)| RelayRow {
                seq,
                key,
                kind,
                data,
                device,
            })
            .collect();
        let conflicts = if conflicts_changed {
            let all: Vec<String> = shared_model::documents::DocumentKind::ALL
                .iter()
                .map(|k| k.as_str().to_string())
                .collect();
            Some(super::store::open_conflicts(pool, tenant, &all).await?)
        } else {
            None
        };
        let _ = self.tx.send(Arc::new(RelayBatch {
            tenant,
            from,
            to,
            rows,
            conflicts,
        }));
        Ok(())
    }
}

/// `tenant|from|to|conflicts_changed(0/1)`.
pub fn parse_notification(payload: &str) -> Option<(Uuid, i64, i64, bool)> {
    let mut parts = payload.split('|');
    let tenant = parts.next()?.parse().ok()?;
    let from = parts.next()?.parse().ok()?;
    let to = parts.next()?.parse().ok()?;
    let conflicts = parts.next() == Some("1");
    Some((tenant, from, to, conflicts))
}
