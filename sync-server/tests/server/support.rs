//! Test harness: a fresh database per test, the real `atendebem-server` binary started on
//! port 0, and small HTTP helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

pub const SUPERUSER: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const PASSWORD: &str = "senha-inicial-1";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_atendebem-server")
}

/// A database of its own, dropped at the end of the test.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let name = format!("atb_test_{}", Uuid::now_v7().simple());
        atendebem_server::cli::db_init(&atendebem_server::config::Secret::new(SUPERUSER), &name)
            .await
            .expect("db init");
        let db = Self { name };
        let out = db.command(&["migrate"]).output().expect("run migrate");
        assert!(
            out.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        db
    }

    pub fn url(&self, role: &str) -> String {
        format!("postgres://{role}@127.0.0.1:5432/{}", self.name)
    }

    /// The binary with this database's URLs in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("ATENDEBEM_DATABASE_URL", self.url("atendebem_app"))
            .env("ATENDEBEM_OWNER_DATABASE_URL", self.url("atendebem_owner"))
            .env("ATENDEBEM_LISTEN", "127.0.0.1:0")
            .env("ATENDEBEM_LOG", "warn")
            .env_remove("ATENDEBEM_CONFIG");
        c
    }

    /// Runs an admin command, feeding `stdin`; returns (status ok, stdout).
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        use std::io::Write;
        let mut full = vec!["--json", "admin"];
        full.extend_from_slice(args);
        let mut child = self
            .command(&full)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn admin");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("admin output");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn admin_ok(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let (ok, out, err) = self.admin(args, stdin);
        assert!(ok, "admin {args:?} failed: {out} {err}");
        serde_json::from_str(&out).unwrap_or(Value::Null)
    }

    pub async fn pool(&self, role: &str) -> PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.url(role))
            .await
            .expect("connect")
    }

    /// A tenant with an ADMIN, a PROFESSIONAL and a STAFF user, passwords already changed.
    pub fn tenant(&self, slug: &str) -> TenantFixture {
        let t = self.admin_ok(
            &[
                "tenant",
                "create",
                "--slug",
                slug,
                "--name",
                &format!("Clínica {slug}"),
            ],
            None,
        );
        let id: Uuid = t["id"].as_str().expect("id").parse().expect("uuid");
        let mut users = Vec::new();
        for role in ["ADMIN", "PROFESSIONAL", "STAFF"] {
            let email = format!("{}@{slug}.example", role.to_lowercase());
            let u = self.admin_ok(
                &[
                    "user",
                    "create",
                    "--tenant",
                    slug,
                    "--email",
                    &email,
                    "--name",
                    "Pessoa Teste",
                    "--role",
                    role,
                    "--password-stdin",
                ],
                Some(PASSWORD),
            );
            users.push((
                role.to_string(),
                email,
                u["id"].as_str().expect("id").parse().expect("uuid"),
            ));
        }
        TenantFixture {
            slug: slug.into(),
            id,
            users,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-q", "-c"])
            .arg(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

pub struct TenantFixture {
    pub slug: String,
    pub id: Uuid,
    /// (role, e-mail, id)
    pub users: Vec<(String, String, Uuid)>,
}

impl TenantFixture {
    pub fn email(&self, role: &str) -> &str {
        &self.users.iter().find(|u| u.0 == role).expect("role").1
    }

    pub fn user_id(&self, role: &str) -> Uuid {
        self.users.iter().find(|u| u.0 == role).expect("role").2
    }
}

/// A running server process.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
}

impl Server {
    pub fn start(db: &TestDb) -> Self {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let mut cmd = db.command(&["serve"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        break addr.trim().to_string();
                    }
                }
                _ => panic!("server exited before listening"),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self { child, base, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http://", "ws://", 1))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn login_raw(&self, tenant: &str, email: &str, password: &str, device: Uuid) -> (u16, Value) {
        self.post(
            "/v1/auth/login",
            None,
            json!({"tenant": tenant, "email": email, "password": password, "device_id": device}),
        )
        .await
    }

    /// Logs in and completes the mandatory first password change; returns the token pair.
    pub async fn login(&self, tenant: &TenantFixture, role: &str, device: Uuid) -> Value {
        let (status, body) = self
            .login_raw(&tenant.slug, tenant.email(role), PASSWORD, device)
            .await;
        assert_eq!(status, 200, "{body}");
        if body["password_change_required"] == json!(true) {
            let (status, changed) = self
                .post(
                    "/v1/auth/password",
                    body["access_token"].as_str(),
                    json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
                )
                .await;
            assert_eq!(status, 200, "{changed}");
            return changed;
        }
        body
    }

    /// Logs in again with the changed password.
    pub async fn relogin(&self, tenant: &TenantFixture, role: &str, device: Uuid) -> Value {
        let (status, body) = self
            .login_raw(&tenant.slug, tenant.email(role), NEW_PASSWORD, device)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const NEW_PASSWORD: &str = "nova-senha-22";

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn token(v: &Value) -> &str {
    v["access_token"].as_str().expect("access_token")
}

// --- sync client ---------------------------------------------------------------------------------

use shared_model::sync::{ClientMessage, DocData, Sequencer, ServerMessage};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A device's sync connection, speaking the real wire protocol.
pub struct SyncClient {
    ws: Ws,
    /// Frame numbering, both directions.
    pub seq: Sequencer,
    /// Docs received so far (catch-up and relayed).
    pub received: Vec<DocData>,
    pub conflicts: Vec<shared_model::sync::Conflict>,
    pub cursor: u64,
    pub role: String,
}

pub async fn ws_connect(server: &Server, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = server.ws_url("/v1/sync").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

impl SyncClient {
    /// Connects, says Hello with `cursor` and reads until CaughtUp.
    pub async fn connect(server: &Server, token: &str, cursor: u64) -> Self {
        let ws = ws_connect(server, token).await.expect("connect sync");
        let mut c = Self {
            ws,
            seq: Sequencer::default(),
            received: Vec::new(),
            conflicts: Vec::new(),
            cursor,
            role: String::new(),
        };
        match c.recv().await {
            ServerMessage::Welcome { role, .. } => c.role = role,
            other => panic!("expected Welcome, got {other:?}"),
        }
        c.send(&ClientMessage::Hello { cursor }).await;
        c.until(|m| matches!(m, ServerMessage::CaughtUp { .. })).await;
        c
    }

    pub async fn send(&mut self, m: &ClientMessage) {
        use futures_util::SinkExt;
        self.ws
            .send(Message::Binary(self.seq.frame(m).into()))
            .await
            .expect("send frame");
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> bool {
        use futures_util::SinkExt;
        self.ws.send(Message::Binary(bytes.into())).await.is_ok()
    }

    /// The next server message (10 s at most); records Docs, Conflicts and cursors.
    pub async fn recv(&mut self) -> ServerMessage {
        self.try_recv(Duration::from_secs(10))
            .await
            .expect("server message in time")
    }

    pub async fn try_recv(&mut self, wait: Duration) -> Option<ServerMessage> {
        use futures_util::StreamExt;
        loop {
            let next = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match next {
                Ok(Message::Binary(b)) => {
                    let Some(m) = self
                        .seq
                        .accept::<ServerMessage>(&b)
                        .expect("decodable server frame in sequence")
                    else {
                        continue;
                    };
                    match &m {
                        ServerMessage::Docs { docs, cursor } => {
                            self.received.extend(docs.iter().cloned());
                            if *cursor > 0 {
                                self.cursor = *cursor;
                            }
                        }
                        ServerMessage::CaughtUp { cursor } => self.cursor = *cursor,
                        ServerMessage::Conflicts { open } => self.conflicts = open.clone(),
                        _ => {}
                    }
                    return Some(m);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads until a message matching `stop` (returned).
    pub async fn until(&mut self, stop: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
        loop {
            let m = self.recv().await;
            if let ServerMessage::Error { code, message } = &m {
                panic!("server error {code}: {message}");
            }
            if stop(&m) {
                return m;
            }
        }
    }

    /// Pushes and waits for the Ack of this batch: (accepted, refused).
    pub async fn push(
        &mut self,
        batch: u64,
        docs: Vec<DocData>,
    ) -> (Vec<String>, Vec<shared_model::sync::Refusal>) {
        self.send(&ClientMessage::Push { batch, docs }).await;
        match self
            .until(|m| matches!(m, ServerMessage::Ack { batch: b, .. } if *b == batch))
            .await
        {
            ServerMessage::Ack {
                accepted, refused, ..
            } => (accepted.iter().map(|k| k.to_string()).collect(), refused),
            _ => unreachable!(),
        }
    }

    /// Waits until docs for `key` arrive (or `wait` passes); true if they did.
    pub async fn wait_for_doc(&mut self, key: &str, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if self.received.iter().any(|d| d.key.to_string() == key) {
                return true;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || self.try_recv(left).await.is_none() {
                return self.received.iter().any(|d| d.key.to_string() == key);
            }
        }
    }

    /// Reads until the server closes; returns the Error it sent, if any.
    pub async fn closed_with(&mut self) -> Option<String> {
        let mut code = None;
        while let Some(m) = self.try_recv(Duration::from_secs(10)).await {
            if let ServerMessage::Error { code: c, .. } = m {
                code = Some(c);
            }
        }
        code
    }
}

// --- devices and documents shared by the tests and the benchmark --------------------------------

use jiff::Timestamp;
use jiff::civil::{Time, Weekday};
use shared_model::documents::{AgendaDoc, CrdtDocument, YearMonth};
use shared_model::ids::{DeviceId, PatientId, ProfessionalId, UserId};
use shared_model::scheduling::{
    Appointment, AppointmentKind, NewAppointment, Payer, WeeklyRule, WorkingHours,
};

/// A device with a logged-in user.
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
    pub token: String,
}

fn device_from(t: &TenantFixture, role: &str, id: Uuid, pair: &Value) -> Device {
    Device {
        id: DeviceId::from_uuid(id),
        user: UserId::from_uuid(t.user_id(role)),
        token: token(pair).to_string(),
    }
}

/// A new device with the user's first login (initial password changed).
pub async fn device(server: &Server, t: &TenantFixture, role: &str) -> Device {
    let id = Uuid::now_v7();
    let pair = server.login(t, role, id).await;
    device_from(t, role, id, &pair)
}

/// A new device of a user who already changed the initial password.
pub async fn relogin_device(server: &Server, t: &TenantFixture, role: &str) -> Device {
    let id = Uuid::now_v7();
    let pair = server.relogin(t, role, id).await;
    device_from(t, role, id, &pair)
}

pub fn month() -> YearMonth {
    YearMonth::new(2027, 3).expect("month")
}

/// March 2027 of `professional`, weekdays 07:00–19:00, written as `d`.
pub fn agenda(professional: ProfessionalId, d: &Device) -> AgendaDoc {
    let mut agenda = AgendaDoc::new(professional, month(), d.id).expect("agenda");
    agenda.set_author(d.id, d.user);
    let weekly = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
    .into_iter()
    .map(|weekday| WeeklyRule {
        weekday,
        start: Time::constant(7, 0, 0, 0),
        end: Time::constant(19, 0, 0, 0),
        room: None,
    })
    .collect();
    agenda
        .set_working_hours(&WorkingHours {
            weekly,
            exceptions: vec![],
        })
        .expect("hours");
    agenda
}

/// A 30-minute private follow-up booked by `by`.
pub fn appointment_at(
    professional: ProfessionalId,
    patient: PatientId,
    start: Timestamp,
    by: UserId,
) -> Appointment {
    let end = start
        .checked_add(jiff::SignedDuration::from_mins(30))
        .expect("end");
    Appointment::new(
        NewAppointment {
            professional,
            patient,
            start,
            end,
            kind: AppointmentKind::FollowUp,
            payer: Payer::Private,
            price: None,
            room: None,
            notes: None,
        },
        by,
        Timestamp::now(),
    )
}
