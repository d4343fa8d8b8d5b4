//! Coordination between server instances through PostgreSQL `LISTEN/NOTIFY` — the only shared
//! state is the database, so any number of instances can run behind a load balancer.
//!
//! Payloads carry ids only (never patient data): `<tenant>|<kind>|<id>`.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use uuid::Uuid;

pub const REVOKED_CHANNEL: &str = "atendebem_revoked";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Session(Uuid),
    User(Uuid),
    Device(Uuid),
    Tenant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusEvent {
    Revoked { tenant: Uuid, what: Revoked },
}

/// In-process fan-out of what every instance hears on PostgreSQL.
#[derive(Debug, Clone)]
pub struct Bus {
    tx: broadcast::Sender<BusEvent>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.tx.subscribe()
    }

    pub fn publish(&self, event: BusEvent) {
        let _ = self.tx.send(event);
    }

    /// Listens on PostgreSQL until the pool closes; reconnects on its own (PgListener does).
    pub async fn run(self, pool: PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen_all([REVOKED_CHANNEL]).await?;
        loop {
            let note = listener.recv().await?;
            if let Some(event) = parse(note.channel(), note.payload()) {
                self.publish(event);
            }
        }
    }
}

fn parse(channel: &str, payload: &str) -> Option<BusEvent> {
    let mut parts = payload.split('|');
    let tenant = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let id = parts.next().and_then(|s| s.parse::<Uuid>().ok());
    match channel {
        REVOKED_CHANNEL => {
            let what = match (kind, id) {
                ("session", Some(id)) => Revoked::Session(id),
                ("user", Some(id)) => Revoked::User(id),
                ("device", Some(id)) => Revoked::Device(id),
                ("tenant", _) => Revoked::Tenant,
                _ => return None,
            };
            Some(BusEvent::Revoked { tenant, what })
        }
        _ => None,
    }
}

fn revoked_payload(tenant: Uuid, what: Revoked) -> String {
    match what {
        Revoked::Session(id) => format!("{tenant}|session|{id}"),
        Revoked::User(id) => format!("{tenant}|user|{id}"),
        Revoked::Device(id) => format!("{tenant}|device|{id}"),
        Revoked::Tenant => format!("{tenant}|tenant|"),
    }
}

/// Tells every instance (this one included) that something was revoked, so open sync
/// connections are cut at once. Best effort: the per-request check is the guarantee.
pub async fn revoked(pool: &PgPool, tenant: Uuid, what: Revoked) {
    let result = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(REVOKED_CHANNEL)
        .bind(revoked_payload(tenant, what))
        .execute(pool)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not notify revocation");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        let t = Uuid::now_v7();
        let id = Uuid::now_v7();
        for what in [
            Revoked::Session(id),
            Revoked::User(id),
            Revoked::Device(id),
            Revoked::Tenant,
        ] {
            let p = revoked_payload(t, what);
            assert_eq!(
                parse(REVOKED_CHANNEL, &p),
                Some(BusEvent::Revoked { tenant: t, what })
            );
        }
        assert_eq!(parse(REVOKED_CHANNEL, "garbage"), None);
        assert_eq!(parse("other", &revoked_payload(t, Revoked::Tenant)), None);
    }
}
