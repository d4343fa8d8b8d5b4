//! The background sync of a connected replica: [`Clinic::sync_watch`] on its own thread, with
//! its own connection to the replica and a single-threaded runtime (its future is not `Send`:
//! it holds the replica's connection across awaits). The window's commands never wait for it;
//! they read its state ([`SyncHandle::live`]) and nudge it after local writes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use atendebem_core::ErrorCode;
use atendebem_core::sync::{LiveSync, SyncState, WatchOptions};
use tokio::sync::{Notify, watch};

use crate::state::{KEYCHAIN, open_clinic};

/// Longest wait between attempts while the server cannot be reached (a desktop on the clinic's
/// network should come back quickly; the loop also retries at once after local work).
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// After the loop stops for something a person must fix (no session left, revoked device), it
/// starts again at the next login, or after this long.
const RESTART_AFTER: Duration = Duration::from_secs(60);

/// The window's handle on the sync thread.
#[derive(Clone)]
pub struct SyncHandle {
    live_tx: Arc<watch::Sender<LiveSync>>,
    nudge: Arc<Notify>,
    restart: Arc<Notify>,
    started: Arc<AtomicBool>,
}

impl Default for SyncHandle {
    fn default() -> Self {
        let (live_tx, _) = watch::channel(LiveSync::default());
        Self {
            live_tx: Arc::new(live_tx),
            nudge: Arc::new(Notify::new()),
            restart: Arc::new(Notify::new()),
            started: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl SyncHandle {
    /// The latest state.
    pub fn live(&self) -> LiveSync {
        self.live_tx.borrow().clone()
    }

    /// Local changes were written: push them now (or retry the server now, when offline).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Someone logged in: a stopped loop starts again, a running one widens to their account.
    pub fn logged_in(&self) {
        self.restart.notify_one();
        self.nudge.notify_one();
    }

    /// Starts the sync thread for the replica in `dir` (once).
    pub fn start(&self, dir: PathBuf) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let handle = self.clone();
        let spawned = std::thread::Builder::new()
            .name("atendebem-sync".to_owned())
            .spawn(move || handle.run(&dir));
        if let Err(error) = spawned {
            tracing::error!(%error, "a sincronização não pôde ser iniciada");
            self.started.store(false, Ordering::SeqCst);
        }
    }

    fn fail(&self, code: &str, message: String) {
        self.live_tx.send_modify(|l| {
            l.state = SyncState::Error {
                code: code.to_owned(),
                message,
            };
        });
    }

    fn run(&self, dir: &std::path::Path) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(error) => {
                tracing::error!(%error, "sem runtime para a sincronização");
                self.fail(
                    "ui.sync_runtime",
                    "A sincronização não pôde ser iniciada.".to_owned(),
                );
                return;
            }
        };
        runtime.block_on(async {
            // Its own connection: the window's commands never wait for a sync frame.
            let mut clinic = match open_clinic(dir) {
                Ok(clinic) => clinic,
                Err(e) => {
                    self.fail(e.code(), e.to_string());
                    return;
                }
            };
            let options = WatchOptions {
                max_backoff: MAX_BACKOFF,
                ..WatchOptions::default()
            };
            loop {
                let outcome = clinic
                    .sync_watch(
                        &KEYCHAIN,
                        &options,
                        &self.live_tx,
                        &self.nudge,
                        std::future::pending::<()>(),
                    )
                    .await;
                if let Err(e) = outcome {
                    tracing::info!(code = e.code(), "sincronização parada até o próximo login");
                    // The loop already published the error for the indicator.
                    if !matches!(self.live().state, SyncState::Error { .. }) {
                        self.fail(e.code(), e.to_string());
                    }
                }
                tokio::select! {
                    () = self.restart.notified() => {}
                    () = tokio::time::sleep(RESTART_AFTER) => {}
                }
            }
        });
    }
}
