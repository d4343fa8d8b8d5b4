//! A real `atendebem-server` for the sync scenarios: a fresh PostgreSQL database per test
//! (`db init` + `migrate` through the binary), a clinic with users, the server on port 0.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::binary::server_binary;

/// The local PostgreSQL superuser (trust authentication on 127.0.0.1, as set up by setup.sh).
pub const SUPERUSER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Password the console gives every test user; changed at first login to [`USER_PASSWORD`].
pub const INITIAL_PASSWORD: &str = "senha-inicial-1";
pub const USER_PASSWORD: &str = "nova-senha-22";
/// The test clinic's short name.
pub const TENANT: &str = "clinica-teste";

/// A server process with its own database; both go away on drop.
#[derive(Debug)]
pub struct SyncServer {
    db: String,
    child: Option<Child>,
    pub url: String,
    env: Vec<(String, String)>,
}

impl SyncServer {
    /// Creates the database, migrates, creates the clinic and starts serving.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`start`](Self::start) with extra server settings (`ATENDEBEM_*` variables).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let db = format!("atb_e2e_{}", uuid_like());
        let mut server = Self {
            db,
            child: None,
            url: String::new(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let out = server
            .command(&[
                "db",
                "init",
                "--superuser-url",
                SUPERUSER_URL,
                "--database",
                &server.db.clone(),
            ])
            .output()
            .expect("db init");
        assert!(
            out.status.success(),
            "db init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = server.command(&["migrate"]).output().expect("migrate");
        assert!(
            out.status.success(),
            "migrate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.admin(
            &["tenant", "create", "--slug", TENANT, "--name", "Clínica Teste"],
            None,
        );
        server.restart();
        server
    }

    /// The binary with this database in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(server_binary());
        c.args(args)
            .env(
                "ATENDEBEM_DATABASE_URL",
                format!("postgres://atendebem_app@127.0.0.1:5432/{}", self.db),
            )
            .env(
                "ATENDEBEM_OWNER_DATABASE_URL",
                format!("postgres://atendebem_owner@127.0.0.1:5432/{}", self.db),
            )
            .env("ATENDEBEM_LISTEN", "127.0.0.1:0")
            .env("ATENDEBEM_LOG", "warn")
            .env_remove("ATENDEBEM_CONFIG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        c
    }

    /// Runs an admin console command (`--json`), feeding `stdin`.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> Value {
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
                .expect("stdin");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("admin");
        assert!(
            out.status.success(),
            "admin {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// Creates a user of the test clinic (initial password [`INITIAL_PASSWORD`]); returns its id.
    pub fn user(&self, email: &str, name: &str, role: &str) -> String {
        let u = self.admin(
            &[
                "user",
                "create",
                "--tenant",
                TENANT,
                "--email",
                email,
                "--name",
                name,
                "--role",
                role,
                "--password-stdin",
            ],
            Some(INITIAL_PASSWORD),
        );
        u["id"].as_str().expect("user id").to_owned()
    }

    /// Stops the server at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts the server, on the address it had before (devices keep its URL).
    pub fn restart(&mut self) {
        self.kill();
        let listen = self
            .url
            .strip_prefix("http://")
            .map_or_else(|| "127.0.0.1:0".to_owned(), str::to_owned);
        let mut child = self
            .command(&["serve"])
            .env("ATENDEBEM_LISTEN", &listen)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        break addr.trim().to_owned();
                    }
                }
                _ => panic!("o servidor terminou antes de escutar"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        self.url = url;
        self.child = Some(child);
    }
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        self.kill();
        let _ = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-q", "-c"])
            .arg(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.db))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn uuid_like() -> String {
    use std::hash::{BuildHasher, RandomState};
    let a = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{a:016x}{:08x}", std::process::id())
}
