//! The network side of the sync engine: the server's REST auth endpoints and the `/v1/sync`
//! WebSocket, speaking `shared_model::sync`. No replica access here.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use shared_model::sync::{ClientMessage, Sequencer, ServerMessage, WireError};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use super::SyncError;

/// How long one HTTP request or WebSocket read may take before the link counts as down.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(20);

/// A token pair from `/v1/auth/login`, `/refresh` or `/password`.
#[derive(Clone, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub password_change_required: bool,
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub role: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `/v1/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub role: String,
    pub name: String,
    pub email: String,
    pub professional_id: Option<Uuid>,
    pub clinic_name: String,
    pub time_zone: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// The server's REST API.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(server_url: &str) -> Result<Self, SyncError> {
        let base = normalize_url(server_url)?;
        let http = reqwest::Client::builder()
            .timeout(NETWORK_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("atendebem-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| SyncError::Unreachable)?;
        Ok(Self { base, http })
    }

    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: serde_json::Value,
    ) -> Result<T, SyncError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        read(req.send().await).await
    }

    pub async fn login(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
        device: Uuid,
    ) -> Result<TokenPair, SyncError> {
        self.post(
            "/v1/auth/login",
            None,
            serde_json::json!({"tenant": tenant, "email": email, "password": password, "device_id": device}),
        )
        .await
    }

    pub async fn change_password(
        &self,
        access: &str,
        current: &str,
        new: &str,
    ) -> Result<TokenPair, SyncError> {
        self.post(
            "/v1/auth/password",
            Some(access),
            serde_json::json!({"current_password": current, "new_password": new}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, SyncError> {
        self.post(
            "/v1/auth/refresh",
            None,
            serde_json::json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    pub async fn me(&self, access: &str) -> Result<Me, SyncError> {
        let req = self.http.get(format!("{}/v1/me", self.base)).bearer_auth(access);
        read(req.send().await).await
    }

    /// Opens the sync WebSocket with `access`, says `Hello` with `cursor` (without waiting for
    /// the greeting: a lost frame either way then shows up at once as a gap), reads `Welcome`
    /// and returns the connection.
    pub async fn connect(&self, access: &str, cursor: u64) -> Result<SyncSocket, SyncError> {
        let url = format!(
            "{}/v1/sync",
            self.base
                .replacen("http://", "ws://", 1)
                .replacen("https://", "wss://", 1)
        );
        let mut request = url.into_client_request().map_err(|_| SyncError::BadServerUrl)?;
        let value = format!("Bearer {access}")
            .parse()
            .map_err(|_| SyncError::Protocol("token"))?;
        request.headers_mut().insert("authorization", value);
        // Frames are small and often answered at once: no Nagle delay (see the server).
        let connect = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (ws, _) = match tokio::time::timeout(NETWORK_TIMEOUT, connect).await {
            Err(_) => return Err(SyncError::Unreachable),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let body = response
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<ErrorBody>(b).ok());
                return Err(match body {
                    Some(b) => SyncError::Server {
                        status,
                        code: b.code,
                        message: b.message,
                    },
                    None => SyncError::Server {
                        status,
                        code: "http".into(),
                        message: format!("o servidor respondeu {status}"),
                    },
                });
            }
            Ok(Err(_)) => return Err(SyncError::Unreachable),
            Ok(Ok(pair)) => pair,
        };
        let mut socket = SyncSocket {
            ws,
            seq: Sequencer::default(),
            pings: 0,
        };
        socket.send(&ClientMessage::Hello { cursor }).await?;
        match socket.recv(NETWORK_TIMEOUT).await? {
            ServerMessage::Welcome { .. } => Ok(socket),
            ServerMessage::Error { code, message } => Err(SyncError::Server {
                status: 0,
                code,
                message,
            }),
            _ => Err(SyncError::Protocol("welcome")),
        }
    }
}

async fn read<T: for<'de> Deserialize<'de>>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, SyncError> {
    let response = response.map_err(|_| SyncError::Unreachable)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|_| SyncError::Unreachable)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|_| SyncError::Protocol("json"));
    }
    Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => SyncError::Server {
            status: status.as_u16(),
            code: b.code,
            message: b.message,
        },
        Err(_) => SyncError::Server {
            status: status.as_u16(),
            code: "http".into(),
            message: format!("o servidor respondeu {}", status.as_u16()),
        },
    })
}

/// `http(s)://host[:port]` without a trailing slash; anything else is refused.
pub fn normalize_url(input: &str) -> Result<String, SyncError> {
    let trimmed = input.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|_| SyncError::BadServerUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(SyncError::BadServerUrl);
    }
    Ok(trimmed.to_owned())
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long the line may stay quiet while we wait for an answer before we send a `Ping`: the
/// `Pong` (or the gap before it) tells a busy server from a lost frame.
const PROBE_AFTER: Duration = Duration::from_secs(1);

/// An open sync connection.
pub struct SyncSocket {
    ws: Ws,
    seq: Sequencer,
    pings: u64,
}

impl std::fmt::Debug for SyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncSocket")
    }
}

impl SyncSocket {
    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), SyncError> {
        let frame = self.seq.frame(message);
        match tokio::time::timeout(NETWORK_TIMEOUT, self.ws.send(Message::Binary(frame.into()))).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(SyncError::ConnectionLost),
        }
    }

    /// The next server message, waiting at most `wait`. Pings are answered by tungstenite.
    pub async fn recv(&mut self, wait: Duration) -> Result<ServerMessage, SyncError> {
        self.recv_sized(wait).await.map(|(m, _)| m)
    }

    /// Like [`recv`](Self::recv), with the frame's size in bytes. While the line is quiet it
    /// sends a `Ping` every [`PROBE_AFTER`]; a frame that skips a number (one was lost or
    /// re-ordered) ends the connection with [`SyncError::FrameLost`], a repeated one is skipped.
    pub async fn recv_sized(&mut self, wait: Duration) -> Result<(ServerMessage, usize), SyncError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(SyncError::Timeout);
            }
            let slice = PROBE_AFTER.min(deadline - now);
            let next = match tokio::time::timeout(slice, self.ws.next()).await {
                Err(_) => {
                    self.pings += 1;
                    let nonce = self.pings;
                    self.send(&ClientMessage::Ping { nonce }).await?;
                    continue;
                }
                Ok(None) | Ok(Some(Err(_))) => return Err(SyncError::ConnectionLost),
                Ok(Some(Ok(m))) => m,
            };
            if let Some(message) = self.accept(next)? {
                return Ok(message);
            }
        }
    }

    /// The next message as it comes, without probing (cancel-safe: for `select!` while the
    /// connection idles). `None` for a control frame or a duplicate.
    pub async fn next_message(&mut self) -> Result<Option<(ServerMessage, usize)>, SyncError> {
        match self.ws.next().await {
            None | Some(Err(_)) => Err(SyncError::ConnectionLost),
            Some(Ok(m)) => self.accept(m),
        }
    }

    fn accept(&mut self, message: Message) -> Result<Option<(ServerMessage, usize)>, SyncError> {
        match message {
            Message::Binary(bytes) => match self.seq.accept::<ServerMessage>(&bytes) {
                Ok(Some(message)) => Ok(Some((message, bytes.len()))),
                Ok(None) => Ok(None),
                Err(WireError::FrameGap { .. }) => Err(SyncError::FrameLost),
                Err(_) => Err(SyncError::Protocol("frame")),
            },
            Message::Close(_) => Err(SyncError::ConnectionLost),
            _ => Ok(None),
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}
