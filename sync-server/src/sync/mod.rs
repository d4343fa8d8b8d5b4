//! The sync endpoint (`GET /v1/sync`, WebSocket). See `shared_model::sync` for the protocol.
//!
//! A connection is authenticated once at the upgrade (Bearer token) and stays bound to that
//! session: revoking the session, user, device or tenant cuts it at once (through the bus), and
//! it ends when the access token expires unless the device sends `Reauth` with a fresh one.

pub mod doc;
pub mod projection;
pub mod relay;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use shared_model::ErrorCode;
use shared_model::documents::DocumentKey;
use shared_model::sync::{ClientMessage, DocData, Sequencer, ServerMessage};
use tokio::sync::broadcast::error::RecvError;

use crate::audit::{self, Outcome};
use crate::auth::{Principal, event_for};
use crate::http::AppState;
use crate::http::extract::{ClientIp, bearer};
use crate::metrics::OutcomeLabels;
use crate::notify::{BusEvent, Revoked};
use relay::RelayBatch;

/// The sync WebSocket: authenticate with `Authorization: Bearer`, then exchange binary frames
/// (`shared_model::sync`).
#[utoipa::path(get, path = "/v1/sync", tag = "sync", security(("bearer" = [])),
    responses((status = 101, description = "WebSocket (protocolo binário de sincronização, versão 2)"),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn upgrade(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    parts: Parts,
    ws: WebSocketUpgrade,
) -> Response {
    let token = match bearer(&parts) {
        Ok(t) => t.to_string(),
        Err(e) => return e.into_response(),
    };
    let (who, claims) = match state
        .auth
        .authenticate_with_claims(&state.pool, &token, ip, false)
        .await
    {
        Ok(verified) => verified,
        Err(e) => return e.into_response(),
    };
    let max = state.settings.limits.max_frame_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| async move {
            state.metrics.sync_connections.inc();
            let mut conn = Connection {
                state: state.clone(),
                who,
                expires_at: claims.exp,
                cursor: 0,
            };
            if let Err(e) = conn.run(socket).await {
                tracing::info!(code = e.code, "sync connection ended");
            }
            state.metrics.sync_connections.dec();
        })
}

/// Why a connection ended (logged with its code, never with data).
#[derive(Debug)]
struct End {
    code: &'static str,
}

impl From<sqlx::Error> for End {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error in sync");
        End { code: "internal" }
    }
}

impl From<axum::Error> for End {
    fn from(_: axum::Error) -> Self {
        End {
            code: "sync.connection_lost",
        }
    }
}

struct Connection {
    state: AppState,
    who: Principal,
    expires_at: i64,
    cursor: i64,
}

/// The sending half of a connection and its frame numbering (both directions).
struct Sink {
    ws: futures_util::stream::SplitSink<WebSocket, Message>,
    seq: Sequencer,
}

async fn send(sink: &mut Sink, message: &ServerMessage) -> Result<(), End> {
    let frame = sink.seq.frame(message);
    sink.ws
        .send(Message::Binary(frame.into()))
        .await
        .map_err(End::from)
}

async fn fail(sink: &mut Sink, code: &'static str, message: &str) -> End {
    let _ = send(
        sink,
        &ServerMessage::Error {
            code: code.to_string(),
            message: message.to_string(),
        },
    )
    .await;
    let _ = sink
        .ws
        .send(Message::Close(Some(CloseFrame {
            code: close_code::POLICY,
            reason: code.into(),
        })))
        .await;
    End { code }
}

impl Connection {
    fn kinds(&self) -> Vec<String> {
        store::readable_kinds(self.who.role)
    }

    async fn run(&mut self, socket: WebSocket) -> Result<(), End> {
        let (ws, mut stream) = socket.split();
        let mut sink = Sink {
            ws,
            seq: Sequencer::default(),
        };
        let mut bus = self.state.bus.subscribe();
        let mut relay = self.state.relay.subscribe();
        send(
            &mut sink,
            &ServerMessage::Welcome {
                server_time: jiff::Timestamp::now().as_millisecond(),
                role: self.who.role.as_str().into(),
            },
        )
        .await?;
        // The device says where it stands.
        let hello = tokio::time::timeout(Duration::from_secs(30), stream.next()).await;
        let cursor = match hello {
            Ok(Some(Ok(Message::Binary(b)))) => match sink.seq.accept::<ClientMessage>(&b) {
                Ok(Some(ClientMessage::Hello { cursor })) => cursor,
                Ok(_) => return Err(fail(&mut sink, "sync.protocol", "Esperava Hello.").await),
                Err(e) => return Err(fail(&mut sink, e.code(), &e.to_string()).await),
            },
            Ok(Some(Ok(_))) => {
                return Err(fail(&mut sink, "sync.malformed_frame", "Quadros devem ser binários.").await);
            }
            _ => {
                return Err(End {
                    code: "sync.no_hello",
                });
            }
        };
        self.catch_up(&mut sink, i64::try_from(cursor).unwrap_or(0))
            .await?;
        self.send_conflicts(&mut sink).await?;
        // Heartbeat: a peer that answers nothing (not even the automatic Pong) for two beats is
        // gone (a dead link behind a NAT); its connection is closed and its resources freed.
        let beat = Duration::from_secs(self.state.settings.limits.sync_heartbeat_seconds);
        let mut heartbeat = tokio::time::interval(beat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let mut last_heard = tokio::time::Instant::now();
        loop {
            let left = self.expires_at - jiff::Timestamp::now().as_second();
            let expiry = tokio::time::sleep(Duration::from_secs(left.max(0) as u64));
            tokio::select! {
                () = expiry => {
                    return Err(fail(&mut sink, "auth.token_expired", "Sessão expirada: renove o acesso.").await);
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > beat * 2 {
                        return Err(End { code: "sync.peer_silent" });
                    }
                    sink.ws.send(Message::Ping(Vec::new().into())).await?;
                }
                incoming = stream.next() => {
                    let Some(Ok(message)) = incoming else { return Err(End { code: "sync.closed" }) };
                    last_heard = tokio::time::Instant::now();
                    match message {
                        Message::Binary(b) => self.handle(&mut sink, &b).await?,
                        Message::Close(_) => return Ok(()),
                        Message::Ping(_) | Message::Pong(_) => {}
                        Message::Text(_) => return Err(fail(&mut sink, "sync.malformed_frame", "Quadros devem ser binários.").await),
                    }
                }
                event = bus.recv() => match event {
                    Ok(BusEvent::Revoked { tenant, what }) if tenant == self.who.tenant && self.affects(what) => {
                        let (code, message) = if matches!(what, Revoked::Device(_)) {
                            ("auth.device_revoked", "Este computador foi desautorizado pelo administrador da clínica.")
                        } else {
                            ("auth.session_ended", "Sua sessão foi encerrada.")
                        };
                        return Err(fail(&mut sink, code, message).await);
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return Err(End { code: "shutdown" }),
                },
                batch = relay.recv() => match batch {
                    Ok(batch) if batch.tenant == self.who.tenant => self.forward(&mut sink, &batch).await?,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => { let c = self.cursor; self.catch_up(&mut sink, c).await?; }
                    Err(RecvError::Closed) => return Err(End { code: "shutdown" }),
                },
            }
        }
    }

    fn affects(&self, what: Revoked) -> bool {
        match what {
            Revoked::Session(s) => s == self.who.session,
            Revoked::User(u) => u == self.who.user,
            Revoked::Device(d) => d == self.who.device,
            Revoked::Tenant => true,
        }
    }

    async fn handle(&mut self, sink: &mut Sink, frame: &[u8]) -> Result<(), End> {
        let message = match sink.seq.accept::<ClientMessage>(frame) {
            Ok(Some(m)) => m,
            // Already received (a duplicated frame).
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::info!(code = e.code(), "bad sync frame");
                return Err(fail(sink, e.code(), &e.to_string()).await);
            }
        };
        match message {
            ClientMessage::Ping { nonce } => send(sink, &ServerMessage::Pong { nonce }).await,
            ClientMessage::Hello { .. } => Err(fail(sink, "sync.protocol", "Hello repetido.").await),
            ClientMessage::Reauth { access_token } => match self.state.auth.keys.verify(&access_token) {
                Ok(c) if c.sid == self.who.session && c.tid == self.who.tenant && !c.pwd_change => {
                    self.expires_at = c.exp;
                    Ok(())
                }
                _ => Err(fail(sink, "auth.token_invalid", "Token de renovação inválido.").await),
            },
            ClientMessage::Push { batch, docs } => self.push(sink, batch, docs).await,
        }
    }

    async fn push(&mut self, sink: &mut Sink, batch: u64, docs: Vec<DocData>) -> Result<(), End> {
        match store::push(&self.state.pool, &self.state.doc_cache, &self.who, docs).await {
            Ok(out) => {
                let m = &self.state.metrics;
                m.changes
                    .get_or_create(&OutcomeLabels { outcome: "accepted" })
                    .inc_by(out.changes);
                m.changes
                    .get_or_create(&OutcomeLabels { outcome: "refused" })
                    .inc_by(out.refused.len() as u64);
                let cursor = out.to.max(0) as u64;
                send(
                    sink,
                    &ServerMessage::Ack {
                        batch,
                        accepted: out.accepted,
                        refused: out.refused,
                        cursor,
                    },
                )
                .await
            }
            Err(store::PushError::SessionEnded) => {
                Err(fail(sink, "auth.session_ended", "Sua sessão foi encerrada.").await)
            }
            Err(store::PushError::Db(e)) => Err(End::from(e)),
        }
    }

    /// Sends everything after `cursor` that this device may see, in pages.
    async fn catch_up(&mut self, sink: &mut Sink, cursor: i64) -> Result<(), End> {
        let pool = &self.state.pool;
        let tenant = self.who.tenant;
        let kinds = self.kinds();
        let page = self.state.settings.limits.sync_page_bytes;
        let head = store::head(pool, tenant).await?;
        let from = if cursor > head { 0 } else { cursor };
        if from < head {
            let (documents, bytes) = store::catch_up_size(pool, tenant, &kinds, from, head).await?;
            if documents > 0 {
                send(sink, &ServerMessage::CatchingUp { documents, bytes }).await?;
            }
        }
        if from <= 0 {
            // New device (or one from another database): whole documents.
            let mut after: Option<String> = None;
            loop {
                let (docs, last) = store::full_page(pool, tenant, &kinds, after.as_deref(), page).await?;
                if docs.is_empty() {
                    break;
                }
                self.audit_chart_downloads(&docs).await?;
                send(sink, &ServerMessage::Docs { docs, cursor: 0 }).await?;
                after = last;
            }
        } else {
            let mut at = cursor;
            while at < head {
                let (docs, last) = store::log_page(pool, tenant, &kinds, at, head, page).await?;
                if !docs.is_empty() {
                    self.audit_chart_downloads(&docs).await?;
                    send(
                        sink,
                        &ServerMessage::Docs {
                            docs,
                            cursor: last as u64,
                        },
                    )
                    .await?;
                }
                at = last;
            }
        }
        self.cursor = head;
        send(sink, &ServerMessage::CaughtUp { cursor: head as u64 }).await
    }

    /// Relays another device's accepted changes (or catches up if some were missed).
    async fn forward(&mut self, sink: &mut Sink, batch: &Arc<RelayBatch>) -> Result<(), End> {
        if batch.to <= self.cursor {
            return Ok(());
        }
        if batch.from > self.cursor {
            let c = self.cursor;
            return self.catch_up(sink, c).await;
        }
        let kinds = self.kinds();
        let docs: Vec<DocData> = batch
            .rows
            .iter()
            .filter(|r| r.seq > self.cursor && r.device != self.who.device && kinds.contains(&r.kind))
            .filter_map(|r| {
                Some(DocData {
                    key: r.key.parse::<DocumentKey>().ok()?,
                    data: r.data.clone(),
                })
            })
            .collect();
        self.cursor = batch.to;
        if !docs.is_empty() {
            self.audit_chart_downloads(&docs).await?;
            send(
                sink,
                &ServerMessage::Docs {
                    docs,
                    cursor: batch.to as u64,
                },
            )
            .await?;
        }
        if let Some(all) = &batch.conflicts {
            let open = all
                .iter()
                .filter(|c| kinds.iter().any(|k| k == c.key.kind().as_str()))
                .cloned()
                .collect();
            send(sink, &ServerMessage::Conflicts { open }).await?;
        }
        Ok(())
    }

    async fn send_conflicts(&mut self, sink: &mut Sink) -> Result<(), End> {
        let open = store::open_conflicts(&self.state.pool, self.who.tenant, &self.kinds()).await?;
        send(sink, &ServerMessage::Conflicts { open }).await
    }

    /// NGS1.07.03: clinical documents sent to a device are audited (ids only).
    async fn audit_chart_downloads(&self, docs: &[DocData]) -> Result<(), End> {
        let mut keys: Vec<String> = docs
            .iter()
            .filter(|d| matches!(d.key, DocumentKey::Chart(_)))
            .map(|d| d.key.to_string())
            .collect();
        keys.dedup();
        if keys.is_empty() {
            return Ok(());
        }
        let events: Vec<_> = keys
            .into_iter()
            .map(|k| event_for(&self.who, "sync.download", Outcome::Ok).record("chart", k))
            .collect();
        audit::append_now(&self.state.pool, self.who.tenant, &events).await?;
        Ok(())
    }
}

/// Keeps the relay fed from PostgreSQL notifications (one reader per instance).
pub async fn run_relay(state: AppState) {
    use sqlx::postgres::PgListener;
    loop {
        let result: Result<(), sqlx::Error> = async {
            let mut listener = PgListener::connect_with(&state.pool).await?;
            listener.listen(store::CHANGES_CHANNEL).await?;
            loop {
                let note = listener.recv().await?;
                if let Some((tenant, from, to, conflicts)) = relay::parse_notification(note.payload()) {
                    state
                        .relay
                        .deliver(&state.pool, tenant, from, to, conflicts)
                        .await?;
                }
            }
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "change relay interrupted; reconnecting");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
