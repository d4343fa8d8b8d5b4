//! The background sync loop (`sync --watch`, the desktop app).
//!
//! A full round ([`Clinic::sync_once`]) first; then one connection stays open as the reader
//! account, receiving other devices' changes as the server relays them. Local changes — a
//! nudge from the caller, or another process writing the replica (SQLite's `data_version`) —
//! are pushed on that connection at once when they are the reader's, or through a new full round
//! when another user of this terminal made them. The access token is renewed on the open
//! connection (`Reauth`) before it expires. When the server cannot be reached the loop waits
//! with exponential back-off and jitter, and local work goes on regardless: nothing here blocks
//! a local action.
//!
//! Observers read a [`LiveSync`] through a `tokio::sync::watch` channel.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use shared_model::ErrorCode;
use shared_model::sync::ClientMessage;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::engine::{SyncReport, SyncState};
use crate::error::CoreError;
use crate::keys::Keychain;
use crate::services::Clinic;

/// What the UI shows about sync, kept current by [`Clinic::sync_watch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveSync {
    #[serde(flatten)]
    pub state: SyncState,
    /// Documents with local changes the server does not have yet.
    pub pending_documents: u64,
    pub conflicts: u64,
    /// Unix milliseconds of the last successful exchange.
    pub last_sync_ms: Option<i64>,
    /// Whether a connection is open and receiving relayed changes.
    pub listening: bool,
    /// Documents' data received since the loop started (it moves with every frame applied:
    /// a view may refresh when it does).
    pub documents_received: u64,
}

impl Default for LiveSync {
    fn default() -> Self {
        Self {
            state: SyncState::Connecting,
            pending_documents: 0,
            conflicts: 0,
            last_sync_ms: None,
            listening: false,
            documents_received: 0,
        }
    }
}

/// Tuning of the background loop.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How often the replica is checked for changes written by another process.
    pub poll: Duration,
    /// A full round at least this often even while connected (sessions of other users, a
    /// wider scope after a new login).
    pub full_round_every: Duration,
    /// First and longest wait between attempts while the server cannot be reached.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Silence after which an open connection counts as lost (the server pings every 30 s).
    pub silence: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(200),
            full_round_every: Duration::from_secs(600),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            silence: Duration::from_secs(75),
        }
    }
}

/// Why listening stopped.
enum Listened {
    Stop,
    /// A full round is due (another account's changes, or the periodic round).
    Round,
}

/// Codes after which retrying cannot help until a person acts (log in online again, connect
/// the replica to a server).
fn is_final(code: &str) -> bool {
    matches!(
        code,
        "auth.device_revoked" | "sync.no_session" | "sync.standalone_replica" | "sync.bad_server_url"
    )
}

/// A random share of `of` (up to a half), so devices that lost the server together do not
/// come back at the same instant.
fn jitter(of: Duration) -> Duration {
    let half = of.as_millis() as u64 / 2 + 1;
    Duration::from_millis(rand::random::<u64>() % half)
}

impl Clinic {
    /// Keeps this replica in sync until `stop` completes (or an error that needs a person:
    /// a revoked device, no session left). `nudge` says "local changes were just written".
    pub async fn sync_watch(
        &mut self,
        keychain: &dyn Keychain,
        options: &WatchOptions,
        live: &watch::Sender<LiveSync>,
        nudge: &Notify,
        stop: impl Future<Output = ()>,
    ) -> Result<(), CoreError> {
        // One engine per replica for as long as this runs (a `sync --once` meanwhile is told
        // another sync is running).
        let _lock = super::engine::take_lock(self)?;
        tokio::pin!(stop);
        let mut backoff = options.min_backoff;
        loop {
            // Stopping mid-round is safe: every frame is stored in one transaction, with its
            // cursor, as when the process is killed.
            let mut publish = |s: &SyncState| live.send_modify(|l| l.state = s.clone());
            let round = tokio::select! {
                () = &mut stop => return Ok(()),
                round = self.recorded_round(keychain, &mut publish) => round,
            };
            self.publish_counts(live)?;
            if let Ok(report) = &round
                && report.documents_received > 0
            {
                live.send_modify(|l| l.documents_received += report.documents_received);
            }
            let failure = match round {
                Ok(_) => {
                    // The server answered: a later failure starts the back-off afresh.
                    backoff = options.min_backoff;
                    match self.listen(keychain, options, live, nudge, &mut stop).await {
                        Ok(Listened::Stop) => return Ok(()),
                        Ok(Listened::Round) => continue,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            live.send_modify(|l| l.listening = false);
            let code = failure.code();
            if is_final(code) {
                live.send_modify(|l| {
                    l.state = SyncState::Error {
                        code: code.to_owned(),
                        message: failure.to_string(),
                    }
                });
                return Err(failure);
            }
            if super::is_offline(code) {
                live.send_modify(|l| l.state = SyncState::Offline);
            }
            let wait = backoff + jitter(backoff);
            backoff = (backoff * 2).min(options.max_backoff);
            tracing::debug!(
                code,
                wait_ms = wait.as_millis() as u64,
                "sync waits before retrying"
            );
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(wait) => {}
                // Local work while offline: try again now (the back-off still grows).
                () = nudge.notified() => {}
            }
        }
    }

    /// Publishes the counters read from the replica.
    fn publish_counts(&self, live: &watch::Sender<LiveSync>) -> Result<(), CoreError> {
        let counts = self.sync_counts()?;
        live.send_if_modified(|l| {
            let before = (l.pending_documents, l.conflicts, l.last_sync_ms);
            l.pending_documents = counts.pending_documents;
            l.conflicts = counts.conflicts;
            l.last_sync_ms = counts.last_sync_ms;
            before != (l.pending_documents, l.conflicts, l.last_sync_ms)
        });
        Ok(())
    }

    /// SQLite's counter of commits by other connections to this replica.
    fn data_version(&self) -> Result<i64, CoreError> {
        Ok(self
            .replica()
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Holds one connection open as the reader account: applies relayed changes, pushes the
    /// reader's local changes as they appear, renews the token.
    async fn listen(
        &mut self,
        keychain: &dyn Keychain,
        options: &WatchOptions,
        live: &watch::Sender<LiveSync>,
        nudge: &Notify,
        stop: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<Listened, CoreError> {
        let api = self.api()?;
        let accounts = self.sync_accounts()?;
        let reader = accounts[0].clone();
        let others: Vec<String> = accounts[1..].iter().map(|a| a.user_id.clone()).collect();
        let (mut socket, lifetime) = self.connect_as(&api, &reader, keychain).await?;
        let mut report = SyncReport::default();
        self.catch_up(&mut socket, &mut report, &mut |s| {
            live.send_modify(|l| l.state = s.clone());
        })
        .await?;
        self.mark_synced()?;
        live.send_modify(|l| {
            l.state = SyncState::UpToDate;
            l.listening = true;
            l.documents_received += report.documents_received;
        });
        self.publish_counts(live)?;
        let started = Instant::now();
        let round_at = started + options.full_round_every;
        // Renew at four fifths of the token's life.
        let mut reauth_at = started + lifetime.mul_f64(0.8);
        let mut version = self.data_version()?;
        let mut last_heard = Instant::now();
        let mut tick = tokio::time::interval(options.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut local = false;
            tokio::select! {
                () = &mut *stop => {
                    socket.close().await;
                    return Ok(Listened::Stop);
                }
                frame = socket.next_message() => {
                    last_heard = Instant::now();
                    if let Some((message, size)) = frame? {
                        report.bytes_received += size as u64;
                        let before = report.documents_received;
                        self.handle(message, &mut report)?;
                        self.mark_synced()?;
                        let arrived = report.documents_received - before;
                        if arrived > 0 {
                            live.send_modify(|l| l.documents_received += arrived);
                        }
                        self.publish_counts(live)?;
                    }
                }
                () = nudge.notified() => local = true,
                _ = tick.tick() => {
                    let now = Instant::now();
                    if now.duration_since(last_heard) > options.silence {
                        return Err(super::SyncError::ConnectionLost.into());
                    }
                    if now >= round_at {
                        socket.close().await;
                        return Ok(Listened::Round);
                    }
                    if now >= reauth_at {
                        let pair = self.refresh_session(&api, &reader, keychain).await?;
                        socket
                            .send(&ClientMessage::Reauth { access_token: pair.access_token })
                            .await?;
                        reauth_at = now + Duration::from_secs(pair.expires_in).mul_f64(0.8);
                    }
                    let v = self.data_version()?;
                    if v != version {
                        version = v;
                        local = true;
                    }
                }
            }
            if !local {
                continue;
            }
            if self.sync_accounts()?.len() != accounts.len() {
                // Someone logged in or out on this terminal.
                socket.close().await;
                return Ok(Listened::Round);
            }
            if self.has_pushable(&reader.user_id)? {
                live.send_modify(|l| l.state = report.progress());
                self.push_for(&mut socket, &reader, &mut report).await?;
                self.mark_synced()?;
                live.send_modify(|l| l.state = SyncState::UpToDate);
            }
            self.publish_counts(live)?;
            for user in &others {
                if self.has_pushable(user)? {
                    socket.close().await;
                    return Ok(Listened::Round);
                }
            }
        }
    }
}
