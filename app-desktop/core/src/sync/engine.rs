//! One sync round: for each account with a session on this device, connect, catch up from the
//! stored cursor, push that user's pending changes, handle acknowledgements, refusals and
//! conflicts. The background loop (`--watch`, the desktop) is in `watch.rs`.

use std::collections::HashSet;
use std::fs::File;
use std::time::Duration;

use automerge::{ActorId, ChangeHash};
use serde::Serialize;
use shared_model::documents::{AnyDoc, DocumentKey, RawChange, actor_for};
use shared_model::identity::Role;
use shared_model::ids::UserId;
use shared_model::sync::{ClientMessage, Conflict, DocData, Refusal, ServerMessage};

use super::client::{Api, SyncSocket};
use super::{SyncError, meta};
use crate::error::CoreError;
use crate::keys::Keychain;
use crate::services::Clinic;
use crate::store::documents as stored;
use crate::store::people;
use crate::store::sync::{self as syncdb, AccountRow, ConflictRow, DocSyncState, QuarantineRow, TokenStore};

/// Largest push frame (the server accepts 16 MiB by default).
const PUSH_FRAME_BYTES: usize = 1 << 20;
/// Push passes per round (a shared terminal's users building on each other's changes).
const MAX_PASSES: usize = 3;
/// How long a catch-up may stay silent between frames.
const FRAME_WAIT: Duration = Duration::from_secs(60);

/// Where the engine stands, for the UI and `status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// The server cannot be reached; local work continues.
    Offline,
    Connecting,
    /// Receiving documents: done so far, of about how many (when the server said).
    Syncing {
        documents_done: u64,
        bytes_done: u64,
        documents_total: Option<u64>,
        bytes_total: Option<u64>,
    },
    UpToDate,
    Error {
        code: String,
        message: String,
    },
}

/// What one round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub documents_received: u64,
    pub bytes_received: u64,
    /// What the server announced for its catch-ups (progress display).
    pub documents_expected: u64,
    pub bytes_expected: u64,
    pub documents_pushed: u64,
    pub documents_refused: u64,
    pub conflicts_open: u64,
    pub cursor: u64,
    /// Accounts whose session the server ended (they must log in online again).
    pub sessions_ended: Vec<String>,
    /// Documents still holding changes that could not be sent (author without a session).
    pub pending_documents: u64,
}

impl SyncReport {
    /// Receiving progress, as the UI shows it.
    pub fn progress(&self) -> SyncState {
        let announced = self.documents_expected > 0;
        SyncState::Syncing {
            documents_done: self.documents_received,
            bytes_done: self.bytes_received,
            documents_total: announced.then_some(self.documents_expected.max(self.documents_received)),
            bytes_total: announced.then_some(self.bytes_expected.max(self.bytes_received)),
        }
    }
}

/// The replica's sync status, read from the replica.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub connected: bool,
    pub server_url: Option<String>,
    pub cursor: u64,
    pub pending_documents: u64,
    pub last_sync_ms: Option<i64>,
    pub last_error: Option<String>,
    pub conflicts: u64,
    pub quarantined: u64,
    pub accounts: Vec<AccountStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountStatus {
    pub user_id: String,
    pub name: String,
    pub role: String,
    /// `true` while the device holds a session the server may accept.
    pub has_session: bool,
    pub token_store: TokenStore,
    pub ended_code: Option<String>,
    pub server_auth_ms: Option<i64>,
}

/// Counters read from the replica: documents with unsent changes, open conflicts, last
/// successful exchange (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SyncCounts {
    pub pending_documents: u64,
    pub conflicts: u64,
    pub last_sync_ms: Option<i64>,
}

/// The single number a `SELECT count(*)` returns.
fn count(conn: &rusqlite::Connection, sql: &str) -> Result<u64, CoreError> {
    Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
}

/// A quarantined change set, as shown to people.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineItem {
    pub id: String,
    pub doc_key: String,
    pub user_id: Option<String>,
    pub code: String,
    pub message: String,
    /// What the refused changes wrote: (path in the document, value).
    pub content: Vec<(String, String)>,
    /// The refused automerge changes, base64 — enough to replay them elsewhere.
    pub changes_base64: String,
    pub at_ms: i64,
}

/// Holds the replica's sync lock for the duration of a round (one engine per replica).
pub(super) struct SyncLock(#[allow(dead_code)] File);

pub(super) fn take_lock(clinic: &Clinic) -> Result<SyncLock, CoreError> {
    let path = clinic.replica().dir().join("sync.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| CoreError::io("abrir o arquivo de trava da sincronização", e))?;
    match file.try_lock() {
        Ok(()) => Ok(SyncLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(CoreError::Domain {
            code: "sync.busy",
            message: "outra sincronização desta réplica está em andamento".to_owned(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(CoreError::io("travar a réplica para sincronizar", e)),
    }
}

fn is_genesis(actor: &ActorId) -> bool {
    actor.to_bytes().starts_with(b"atendebem:genesis:")
}

fn kinds_of(role: Role) -> Vec<&'static str> {
    shared_model::documents::DocumentKind::ALL
        .iter()
        .filter(|k| shared_model::access::may_sync(role, **k))
        .map(|k| k.as_str())
        .collect()
}

fn role_of(account: &AccountRow) -> Role {
    account.role.parse().unwrap_or(Role::Viewer)
}

impl Clinic {
    /// The replica's sync status.
    pub fn sync_status(&self) -> Result<SyncStatus, CoreError> {
        let conn = self.replica().conn();
        let get = |k: &str| people::get_meta(conn, k);
        let counts = self.sync_counts()?;
        let accounts = syncdb::accounts(conn)?
            .into_iter()
            .map(|a| AccountStatus {
                has_session: a.token_store != TokenStore::None,
                user_id: a.user_id,
                name: a.name,
                role: a.role,
                token_store: a.token_store,
                ended_code: a.ended_code,
                server_auth_ms: a.server_auth_ms,
            })
            .collect();
        let server_url = get(meta::SERVER_URL)?;
        Ok(SyncStatus {
            connected: server_url.is_some(),
            server_url,
            cursor: self.cursor()?,
            pending_documents: counts.pending_documents,
            last_sync_ms: counts.last_sync_ms,
            last_error: get(meta::LAST_ERROR)?,
            conflicts: counts.conflicts,
            quarantined: count(conn, "SELECT count(*) FROM quarantine")?,
            accounts,
        })
    }

    /// The counters the UI shows at a glance.
    pub(super) fn sync_counts(&self) -> Result<SyncCounts, CoreError> {
        let conn = self.replica().conn();
        Ok(SyncCounts {
            pending_documents: count(conn, "SELECT count(*) FROM documents WHERE pending = 1")?,
            conflicts: count(conn, "SELECT count(*) FROM conflicts")?,
            last_sync_ms: people::get_meta(conn, meta::LAST_SYNC_MS)?.and_then(|c| c.parse().ok()),
        })
    }

    /// The server's open conflicts in documents this replica holds.
    pub fn open_conflicts(&self) -> Result<Vec<ConflictRow>, CoreError> {
        syncdb::conflicts(self.replica().conn())
    }

    /// Changes the server refused, with what they wrote.
    pub fn quarantine(&self) -> Result<Vec<QuarantineItem>, CoreError> {
        use base64::Engine;
        syncdb::quarantine(self.replica().conn())?
            .into_iter()
            .map(|q| {
                Ok(QuarantineItem {
                    content: serde_json::from_str(&q.content).map_err(|_| CoreError::Damaged)?,
                    changes_base64: base64::engine::general_purpose::STANDARD.encode(&q.changes),
                    id: q.id,
                    doc_key: q.doc_key,
                    user_id: q.user_id,
                    code: q.code,
                    message: q.message,
                    at_ms: q.at_ms,
                })
            })
            .collect()
    }

    /// Moves `session`'s changes that never reached the server into the quarantine (a revoked
    /// computer, a user who can no longer log in online): they stay there, readable and
    /// copyable, and the documents go back to what the server has. Returns the number of
    /// documents concerned.
    pub fn quarantine_unsent(&self, session: &crate::Session) -> Result<u64, CoreError> {
        let user_id = session.user.to_string();
        let mut moved = 0;
        for key_text in syncdb::pending_keys(self.replica().conn())? {
            let Held { mut doc, state, .. } =
                load_any(self.replica().conn(), &key_text)?.ok_or(CoreError::Damaged)?;
            if self
                .pushable(&user_id, &mut doc, &state.server_heads.unwrap_or_default())
                .is_empty()
            {
                continue;
            }
            let refusal = Refusal {
                key: doc.key(),
                changes: Vec::new(),
                code: "sync.unsent_exported".to_owned(),
                message: "Alterações que não chegaram ao servidor, guardadas na quarentena.".to_owned(),
            };
            self.quarantine_refusal(&user_id, &refusal)?;
            moved += 1;
        }
        Ok(moved)
    }

    /// Every stored document's heads (hex, sorted): two replicas holding the same documents
    /// print the same map. For tests and support.
    pub fn document_heads(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>, CoreError> {
        self.heads_of_documents(&stored::all_keys(self.replica().conn())?)
    }

    /// The automerge compressed size (`save()`) of every stored document, summed: what the
    /// documents weigh on their own, to compare the sync's bytes on the wire against.
    pub fn compressed_size(&self) -> Result<u64, CoreError> {
        let conn = self.replica().conn();
        let mut total = 0u64;
        for key in stored::all_keys(conn)? {
            let Held { mut doc, .. } = load_any(conn, &key)?.ok_or(CoreError::Damaged)?;
            total += doc.save().len() as u64;
        }
        Ok(total)
    }

    /// Like [`document_heads`](Self::document_heads), for the named documents this replica
    /// holds (the others are left out).
    pub fn heads_of_documents(
        &self,
        keys: &[String],
    ) -> Result<std::collections::BTreeMap<String, Vec<String>>, CoreError> {
        let conn = self.replica().conn();
        let mut out = std::collections::BTreeMap::new();
        for key in keys {
            let Some(Held { mut doc, .. }) = load_any(conn, key)? else {
                continue;
            };
            let mut heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
            heads.sort();
            out.insert(key.clone(), heads);
        }
        Ok(out)
    }

    pub(super) fn cursor(&self) -> Result<u64, CoreError> {
        Ok(people::get_meta(self.replica().conn(), meta::CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Records a successful exchange with the server.
    pub(super) fn mark_synced(&self) -> Result<(), CoreError> {
        let now = self.now().as_millisecond();
        self.replica().write(|tx| {
            people::set_meta(tx, meta::LAST_SYNC_MS, &now.to_string())?;
            tx.execute("DELETE FROM meta WHERE key = ?1", [meta::LAST_ERROR])?;
            Ok(())
        })
    }

    /// The server this replica syncs with.
    pub(super) fn api(&self) -> Result<Api, CoreError> {
        let server = people::get_meta(self.replica().conn(), meta::SERVER_URL)?.ok_or(CoreError::Domain {
            code: "sync.standalone_replica",
            message: "esta réplica não está ligada a um servidor (foi criada com 'atendebem init')"
                .to_owned(),
        })?;
        Ok(Api::new(&server)?)
    }

    /// The accounts with a session on this device, the reader first: the one that sees the
    /// most document kinds (ties: the latest login).
    pub(super) fn sync_accounts(&self) -> Result<Vec<AccountRow>, CoreError> {
        let mut accounts: Vec<AccountRow> = syncdb::accounts(self.replica().conn())?
            .into_iter()
            .filter(|a| a.token_store != TokenStore::None)
            .collect();
        if accounts.is_empty() {
            return Err(CoreError::Domain {
                code: "sync.no_session",
                message: "nenhum usuário com sessão neste computador; faça login online".to_owned(),
            });
        }
        accounts.sort_by_key(|a| std::cmp::Reverse((kinds_of(role_of(a)).len(), a.logged_in_at_ms)));
        Ok(accounts)
    }

    /// One sync round with every account that has a session on this device.
    pub async fn sync_once(
        &mut self,
        keychain: &dyn Keychain,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<SyncReport, CoreError> {
        let _lock = take_lock(self)?;
        self.recorded_round(keychain, on_state).await
    }

    /// A round under the sync lock the caller holds, its outcome recorded in the replica.
    pub(super) async fn recorded_round(
        &mut self,
        keychain: &dyn Keychain,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<SyncReport, CoreError> {
        let result = self.sync_round(keychain, on_state).await;
        match &result {
            Ok(_) => {
                self.mark_synced()?;
                on_state(&SyncState::UpToDate);
            }
            Err(e) => {
                use shared_model::ErrorCode;
                let code = e.code().to_owned();
                self.replica()
                    .write(|tx| people::set_meta(tx, meta::LAST_ERROR, &code))?;
                if super::is_offline(&code) {
                    on_state(&SyncState::Offline);
                } else {
                    on_state(&SyncState::Error {
                        code,
                        message: e.to_string(),
                    });
                }
            }
        }
        result
    }

    async fn sync_round(
        &mut self,
        keychain: &dyn Keychain,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<SyncReport, CoreError> {
        let api = self.api()?;
        let mut report = SyncReport::default();
        let accounts = self.sync_accounts()?;
        // A cursor reached with fewer kinds restarts at 0 so the newly visible documents arrive.
        let scope = kinds_of(role_of(&accounts[0])).join(",");
        if people::get_meta(self.replica().conn(), meta::SCOPE)?.as_deref() != Some(scope.as_str()) {
            self.replica().write(|tx| {
                people::set_meta(tx, meta::SCOPE, &scope)?;
                people::set_meta(tx, meta::CURSOR, "0")
            })?;
        }
        on_state(&SyncState::Connecting);
        // The first pass connects the reader and every user with changes to send; a user's
        // change that builds on another user's (same document, shared terminal) goes in a later
        // pass. After any push, a closing reader round brings the conflicts the pushes caused.
        let mut pushed_total = 0u64;
        for pass in 0..MAX_PASSES {
            let mut pushed = 0u64;
            for (i, account) in accounts.iter().enumerate() {
                if (pass > 0 || i > 0) && !self.has_pushable(&account.user_id)? {
                    continue;
                }
                pushed += self
                    .account_round(&api, account, keychain, &mut report, on_state)
                    .await?;
            }
            pushed_total += pushed;
            if pushed == 0 {
                break;
            }
        }
        if pushed_total > 0 {
            self.account_round(&api, &accounts[0], keychain, &mut report, on_state)
                .await?;
        }
        report.cursor = self.cursor()?;
        report.pending_documents = syncdb::pending_keys(self.replica().conn())?.len() as u64;
        report.conflicts_open = syncdb::conflicts(self.replica().conn())?.len() as u64;
        Ok(report)
    }

    /// [`round_for`](Self::round_for), recording a session the server ended (the user must log
    /// in online again; the round goes on with the other users, unless the device itself was
    /// revoked). Returns the number of documents pushed.
    async fn account_round(
        &mut self,
        api: &Api,
        account: &AccountRow,
        keychain: &dyn Keychain,
        report: &mut SyncReport,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<u64, CoreError> {
        use shared_model::ErrorCode;
        match self.round_for(api, account, keychain, report, on_state).await {
            Err(e) if e.code() == "auth.device_revoked" => {
                // The whole computer was de-authorised: no session of it is valid any more.
                let all = syncdb::accounts(self.replica().conn())?;
                self.replica().write(|tx| {
                    all.iter()
                        .try_for_each(|a| syncdb::end_session(tx, &a.user_id, e.code()))
                })?;
                report.sessions_ended.extend(all.into_iter().map(|a| a.user_id));
                Err(e)
            }
            Err(e) if super::ends_session(e.code()) => {
                self.replica()
                    .write(|tx| syncdb::end_session(tx, &account.user_id, e.code()))?;
                report.sessions_ended.push(account.user_id.clone());
                Ok(0)
            }
            other => other,
        }
    }

    /// Refreshes the account's session, connects, catches up and pushes its changes.
    /// Returns the number of documents pushed.
    async fn round_for(
        &mut self,
        api: &Api,
        account: &AccountRow,
        keychain: &dyn Keychain,
        report: &mut SyncReport,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<u64, CoreError> {
        let (mut socket, _) = self.connect_as(api, account, keychain).await?;
        self.catch_up(&mut socket, report, on_state).await?;
        let pushed = self.push_for(&mut socket, account, report).await?;
        socket.close().await;
        Ok(pushed)
    }

    /// Refreshes `account`'s session and opens a sync connection from the stored cursor.
    /// Returns it with the access token's lifetime.
    pub(super) async fn connect_as(
        &self,
        api: &Api,
        account: &AccountRow,
        keychain: &dyn Keychain,
    ) -> Result<(SyncSocket, Duration), CoreError> {
        let pair = self.refresh_session(api, account, keychain).await?;
        let socket = api.connect(&pair.access_token, self.cursor()?).await?;
        Ok((socket, Duration::from_secs(pair.expires_in)))
    }

    /// A fresh access token for `account` (the refresh token rotates and is stored at once).
    pub(super) async fn refresh_session(
        &self,
        api: &Api,
        account: &AccountRow,
        keychain: &dyn Keychain,
    ) -> Result<super::client::TokenPair, CoreError> {
        // The row read at the start of the round may hold a token rotated since: read it again
        // (presenting a rotated token twice ends the session: reuse detection).
        let account =
            &syncdb::account(self.replica().conn(), &account.user_id)?.ok_or(CoreError::UserNotFound)?;
        let token = self
            .refresh_token_of(account, keychain)?
            .ok_or(SyncError::Server {
                status: 401,
                code: "auth.refresh_invalid".into(),
                message: "sessão ausente deste computador".into(),
            })?;
        let pair = api.refresh(&token).await?;
        self.store_rotated_token(account, &pair.refresh_token, keychain)?;
        Ok(pair)
    }

    /// Reads the catch-up through the open conflicts that follow it.
    pub(super) async fn catch_up(
        &mut self,
        socket: &mut SyncSocket,
        report: &mut SyncReport,
        on_state: &mut dyn FnMut(&SyncState),
    ) -> Result<(), CoreError> {
        loop {
            let (message, size) = socket.recv_sized(FRAME_WAIT).await?;
            report.bytes_received += size as u64;
            if let ServerMessage::CaughtUp { cursor } = message {
                self.replica()
                    .write(|tx| people::set_meta(tx, meta::CURSOR, &cursor.to_string()))?;
                continue;
            }
            // The open conflicts follow the catch-up: the view is complete with them.
            let done = matches!(message, ServerMessage::Conflicts { .. });
            self.handle(message, report)?;
            if done {
                return Ok(());
            }
            on_state(&report.progress());
        }
    }

    /// Applies a server message that is not an answer to something we sent.
    pub(super) fn handle(
        &mut self,
        message: ServerMessage,
        report: &mut SyncReport,
    ) -> Result<(), CoreError> {
        match message {
            ServerMessage::CatchingUp { documents, bytes } => {
                report.documents_expected = report.documents_received + documents;
                report.bytes_expected = report.bytes_received + bytes;
                Ok(())
            }
            ServerMessage::Docs { docs, cursor } => {
                report.documents_received += docs.len() as u64;
                self.apply_frame(&docs, cursor)
            }
            ServerMessage::Conflicts { open } => self.store_conflicts(&open),
            ServerMessage::Error { code, message } => Err(SyncError::Server {
                status: 0,
                code,
                message,
            }
            .into()),
            _ => Ok(()),
        }
    }

    fn store_conflicts(&self, open: &[Conflict]) -> Result<(), CoreError> {
        let rows: Vec<ConflictRow> = open
            .iter()
            .map(|c| ConflictRow {
                id: c.id.to_string(),
                doc_key: c.key.to_string(),
                kind: c.kind.clone(),
                subjects: c.subjects.clone(),
                detected_at_ms: c.detected_at,
            })
            .collect();
        self.replica().write(|tx| syncdb::replace_conflicts(tx, &rows))
    }

    /// Stores one `Docs` frame in one transaction; the cursor advances with it unless a
    /// document is missing changes it depends on (a lost frame: the round restarts from the
    /// stored cursor).
    fn apply_frame(&mut self, docs: &[DocData], cursor: u64) -> Result<(), CoreError> {
        let device = self.settings().device;
        let now = self.now().as_millisecond();
        let gap = self.replica().write(|tx| {
            let mut gap = false;
            for data in docs {
                let key_text = data.key.to_string();
                let existing = load_any(tx, &key_text)?;
                let is_new = existing.is_none();
                let (mut doc, state, stored_changes) = match existing {
                    Some(held) => (held.doc, held.state, Some(held.change_count)),
                    None => (
                        AnyDoc::genesis(&data.key, device).map_err(CoreError::domain)?,
                        DocSyncState::default(),
                        None,
                    ),
                };
                let before = doc.heads();
                if let Err(e) = doc.apply(&data.data) {
                    tracing::warn!(
                        code = shared_model::ErrorCode::code(&e),
                        "unusable document data from the server"
                    );
                    return Err(CoreError::domain(e));
                }
                if !doc.missing_deps().is_empty() {
                    gap = true;
                }
                let after = doc.heads();
                let server_heads = if !state.pending {
                    after.clone()
                } else {
                    // Local changes are pending: the server has what it had plus this data.
                    let mut hashes = state.server_heads.clone().unwrap_or_default();
                    hashes
                        .extend(shared_model::documents::data_hashes(&data.data).map_err(CoreError::domain)?);
                    doc.heads_of(&hashes).map_err(CoreError::domain)?
                };
                if is_new || before != after {
                    // A new document that arrived whole (one saved-document chunk, already
                    // checked by `apply`) is stored as received, not saved again.
                    let as_received = is_new && !gap && data.data.get(8) == Some(&0);
                    stored::store_state(
                        tx,
                        &key_text,
                        data.key.kind().as_str(),
                        stored_changes,
                        now,
                        &mut |whole| match (whole, as_received) {
                            (true, true) => data.data.clone(),
                            (true, false) => doc.save(),
                            (false, _) => doc.save_after(&before),
                        },
                    )?;
                }
                let pending = state.pending && !same_heads(doc.heads(), &server_heads);
                syncdb::set_doc_state(
                    tx,
                    &key_text,
                    &DocSyncState {
                        server_heads: Some(server_heads),
                        pending,
                    },
                )?;
                if before != after {
                    self.index_document(tx, &doc)?;
                }
            }
            if !gap && cursor > 0 {
                people::set_meta(tx, meta::CURSOR, &cursor.to_string())?;
            }
            Ok(gap)
        })?;
        if gap {
            return Err(SyncError::Protocol("gap").into());
        }
        Ok(())
    }

    /// The changes of `doc` after `server_heads` that `account` may push now: theirs, in causal
    /// order, not depending on a change that cannot go yet.
    fn pushable(&self, user_id: &str, doc: &mut AnyDoc, server_heads: &[ChangeHash]) -> Vec<RawChange> {
        let Ok(user) = user_id.parse::<UserId>() else {
            return Vec::new();
        };
        let actor = actor_for(self.settings().device, user);
        let mut blocked: HashSet<ChangeHash> = HashSet::new();
        let mut out = Vec::new();
        for change in doc.raw_changes_after(server_heads) {
            if is_genesis(&change.actor) {
                continue;
            }
            if change.actor == actor && !change.deps.iter().any(|d| blocked.contains(d)) {
                out.push(change);
            } else {
                blocked.insert(change.hash);
            }
        }
        out
    }

    pub(super) fn has_pushable(&self, user_id: &str) -> Result<bool, CoreError> {
        let conn = self.replica().conn();
        for key in syncdb::pending_keys(conn)? {
            let Held { mut doc, state, .. } = load_any(conn, &key)?.ok_or(CoreError::Damaged)?;
            if !self
                .pushable(user_id, &mut doc, &state.server_heads.unwrap_or_default())
                .is_empty()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Pushes `account`'s pending changes in frames of about [`PUSH_FRAME_BYTES`], handling
    /// each Ack (and whatever the server sends meanwhile).
    pub(super) async fn push_for(
        &mut self,
        socket: &mut SyncSocket,
        account: &AccountRow,
        report: &mut SyncReport,
    ) -> Result<u64, CoreError> {
        let mut batch_docs: Vec<DocData> = Vec::new();
        let mut batch_hashes: Vec<(DocumentKey, Vec<ChangeHash>)> = Vec::new();
        let mut size = 0usize;
        let mut batch_no = 0u64;
        let mut pushed = 0u64;
        for key_text in syncdb::pending_keys(self.replica().conn())? {
            let Held { mut doc, state, .. } =
                load_any(self.replica().conn(), &key_text)?.ok_or(CoreError::Damaged)?;
            let changes = self.pushable(
                &account.user_id,
                &mut doc,
                &state.server_heads.unwrap_or_default(),
            );
            if changes.is_empty() {
                continue;
            }
            let key = doc.key();
            let mut data = Vec::new();
            for c in &changes {
                data.extend_from_slice(&c.bytes);
            }
            size += data.len();
            batch_hashes.push((key, changes.iter().map(|c| c.hash).collect()));
            batch_docs.push(DocData { key, data });
            if size >= PUSH_FRAME_BYTES {
                batch_no += 1;
                pushed += batch_docs.len() as u64;
                self.push_batch(
                    socket,
                    account,
                    batch_no,
                    std::mem::take(&mut batch_docs),
                    std::mem::take(&mut batch_hashes),
                    report,
                )
                .await?;
                size = 0;
            }
        }
        if !batch_docs.is_empty() {
            batch_no += 1;
            pushed += batch_docs.len() as u64;
            self.push_batch(socket, account, batch_no, batch_docs, batch_hashes, report)
                .await?;
        }
        report.documents_pushed += pushed;
        Ok(pushed)
    }

    async fn push_batch(
        &mut self,
        socket: &mut SyncSocket,
        account: &AccountRow,
        batch: u64,
        docs: Vec<DocData>,
        hashes: Vec<(DocumentKey, Vec<ChangeHash>)>,
        report: &mut SyncReport,
    ) -> Result<(), CoreError> {
        socket.send(&ClientMessage::Push { batch, docs }).await?;
        loop {
            match socket.recv(FRAME_WAIT).await? {
                ServerMessage::Ack {
                    batch: b,
                    accepted,
                    refused,
                    ..
                } if b == batch => {
                    for key in accepted {
                        if let Some((_, pushed)) = hashes.iter().find(|(k, _)| *k == key) {
                            self.mark_accepted(&key, pushed)?;
                        }
                    }
                    for refusal in refused {
                        report.documents_refused += 1;
                        self.quarantine_refusal(&account.user_id, &refusal)?;
                    }
                    return Ok(());
                }
                other => self.handle(other, report)?,
            }
        }
    }

    /// The server stored `pushed` for `key`: its heads now cover them.
    fn mark_accepted(&self, key: &DocumentKey, pushed: &[ChangeHash]) -> Result<(), CoreError> {
        let key_text = key.to_string();
        self.replica().write(|tx| {
            let Held { mut doc, state, .. } = load_any(tx, &key_text)?.ok_or(CoreError::Damaged)?;
            let mut hashes = state.server_heads.unwrap_or_default();
            hashes.extend_from_slice(pushed);
            let server_heads = doc.heads_of(&hashes).map_err(CoreError::domain)?;
            let pending = !same_heads(doc.heads(), &server_heads);
            syncdb::set_doc_state(
                tx,
                &key_text,
                &DocSyncState {
                    server_heads: Some(server_heads),
                    pending,
                },
            )
        })
    }

    /// Moves refused changes (and the local changes built on them) to the quarantine and
    /// rebuilds the document from the server-accepted state plus the other local changes.
    fn quarantine_refusal(&self, user_id: &str, refusal: &Refusal) -> Result<(), CoreError> {
        let key = refusal.key;
        let key_text = key.to_string();
        let device = self.settings().device;
        let now = self.now().as_millisecond();
        let refused: HashSet<ChangeHash> = refusal.changes.iter().map(|h| ChangeHash(*h)).collect();
        self.replica().write(|tx| {
            let Some(Held { mut doc, state, .. }) = load_any(tx, &key_text)? else {
                return Ok(());
            };
            let server_heads = state.server_heads.clone().unwrap_or_default();
            let local = doc.raw_changes_after(&server_heads);
            // A change is refused if the server named it or it depends on one that was.
            // Without hashes (a refusal of the whole document), every local change of this
            // account goes.
            let user = user_id.parse::<UserId>().map_err(|_| CoreError::Damaged)?;
            let actor = actor_for(device, user);
            let mut bad: HashSet<ChangeHash> = HashSet::new();
            for c in &local {
                if is_genesis(&c.actor) {
                    continue;
                }
                let named = if refused.is_empty() {
                    c.actor == actor
                } else {
                    refused.contains(&c.hash)
                };
                if named || c.deps.iter().any(|d| bad.contains(d)) {
                    bad.insert(c.hash);
                }
            }
            if bad.is_empty() {
                return Ok(());
            }
            let mut with_bad: Vec<ChangeHash> = server_heads.clone();
            with_bad.extend(bad.iter().copied());
            let bad_heads = doc.heads_of(&with_bad).map_err(CoreError::domain)?;
            let content = doc.describe_between(&server_heads, &bad_heads);
            let mut bytes = Vec::new();
            for c in local.iter().filter(|c| bad.contains(&c.hash)) {
                bytes.extend_from_slice(&c.bytes);
            }
            let mut rebuilt = if server_heads.is_empty() {
                AnyDoc::genesis(&key, device).map_err(CoreError::domain)?
            } else {
                doc.fork_at(&server_heads).map_err(CoreError::domain)?
            };
            let mut kept = false;
            for c in local
                .iter()
                .filter(|c| !bad.contains(&c.hash) && !is_genesis(&c.actor))
            {
                rebuilt.apply(&c.bytes).map_err(CoreError::domain)?;
                kept = true;
            }
            stored::compact(tx, &key_text, &rebuilt.save(), now)?;
            syncdb::set_doc_state(
                tx,
                &key_text,
                &DocSyncState {
                    server_heads: state.server_heads.clone(),
                    pending: kept,
                },
            )?;
            self.index_document(tx, &rebuilt)?;
            let id = uuid::Uuid::now_v7().to_string();
            syncdb::insert_quarantine(
                tx,
                &QuarantineRow {
                    id: id.clone(),
                    doc_key: key_text.clone(),
                    user_id: Some(user_id.to_owned()),
                    code: refusal.code.clone(),
                    message: refusal.message.clone(),
                    changes: bytes,
                    content: serde_json::to_string(&content).map_err(|_| CoreError::Damaged)?,
                    at_ms: now,
                },
            )?;
            people::audit(
                tx,
                now,
                Some(user_id),
                &device.to_string(),
                "sync.quarantine",
                Some(&id),
            )
        })
    }
}

/// A document as the replica holds it.
struct Held {
    doc: AnyDoc,
    state: DocSyncState,
    /// Incremental changes stored after its snapshot.
    change_count: i64,
}

/// A stored document and its sync state, or `None` if the replica does not hold it.
fn load_any(conn: &rusqlite::Connection, key_text: &str) -> Result<Option<Held>, CoreError> {
    let Some(stored) = stored::load(conn, key_text)? else {
        return Ok(None);
    };
    let key: DocumentKey = key_text.parse().map_err(CoreError::domain)?;
    Ok(Some(Held {
        doc: AnyDoc::load(&key, &stored.bytes).map_err(CoreError::domain)?,
        state: syncdb::doc_state(conn, key_text)?.unwrap_or_default(),
        change_count: stored.change_count,
    }))
}

/// Whether a document's heads are `sorted` (heads as `heads_of` returns them, sorted).
fn same_heads(mut heads: Vec<ChangeHash>, sorted: &[ChangeHash]) -> bool {
    heads.sort();
    heads == sorted
}

#[cfg(test)]
mod tests;
