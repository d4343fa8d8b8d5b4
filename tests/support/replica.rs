//! A test replica: a data directory in its own temporary directory, and the commands run on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;
use serde_json::Value;
use tempfile::TempDir;

use crate::{Failure, PASSPHRASE, command, derive_key, failure, json, open_encrypted, stderr, stdout};

/// A data directory inside its own temporary directory (removed on drop). Sibling paths in the
/// same temporary directory are available through [`Replica::scratch`].
#[derive(Debug)]
pub struct Replica {
    tmp: TempDir,
    dir: PathBuf,
}

impl Replica {
    /// A fresh, initialised replica (`atendebem --data-dir DIR init`).
    pub fn init() -> Self {
        let replica = Self::uninitialized();
        let out = replica.ok(&["init"]);
        assert!(
            stdout(&out).contains("Réplica criptografada criada"),
            "saída do init: {}",
            stdout(&out)
        );
        replica
    }

    /// A temporary data directory with no replica (the directory itself does not exist yet).
    pub fn uninitialized() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("atendebem-e2e-")
            .tempdir()
            .expect("diretório temporário");
        let dir = tmp.path().join("dados");
        Self { tmp, dir }
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// `replica.db`.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("replica.db")
    }

    /// A path next to the data directory, for backups and other replicas.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `atendebem --data-dir DIR <args>`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command();
        cmd.arg("--data-dir").arg(&self.dir).args(args);
        cmd
    }

    /// Runs `atendebem --data-dir DIR <args>`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("executar atendebem")
    }

    /// Runs with `input` on standard input.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("executar atendebem");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("escrever na entrada");
        child.wait_with_output().expect("saída do atendebem")
    }

    /// Runs with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.output().expect("executar atendebem")
    }

    /// Runs and asserts success (exit 0).
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_success(&out, args);
        out
    }

    /// Runs, asserts success and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        json(&self.ok(args))
    }

    /// Runs with `--json` appended, asserts it failed with exit 1 and returns the error.
    pub fn fail(&self, args: &[&str]) -> Failure {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let failure = failure(&self.run(&with_json));
        assert_eq!(failure.exit, 1, "código de saída de {args:?}: {failure:?}");
        assert!(
            failure.stdout.is_empty(),
            "um comando recusado não imprime resultado: {failure:?}"
        );
        failure
    }

    /// `patient add --name NAME [--cpf CPF]`; returns the new patient's id.
    pub fn add_patient(&self, name: &str, cpf: Option<&str>) -> String {
        let mut args = vec!["patient", "add", "--name", name];
        if let Some(cpf) = cpf {
            args.extend(["--cpf", cpf]);
        }
        let patient = self.json(&args);
        assert_eq!(patient["name"], name);
        patient["id"].as_str().expect("paciente com id").to_owned()
    }

    /// `professional add` with the default hours; returns `(professional_id, user_id)`.
    pub fn add_professional(&self, name: &str, council: &str) -> (String, String) {
        let record = self.json(&[
            "professional",
            "add",
            "--name",
            name,
            "--council",
            council,
            "--cbo",
            "225125",
        ]);
        let professional = &record["professional"];
        (
            professional["id"].as_str().expect("professional.id").to_owned(),
            professional["user_id"]
                .as_str()
                .expect("professional.user_id")
                .to_owned(),
        )
    }

    /// `user add --name NAME --role ROLE --json`; returns the user id.
    pub fn add_user(&self, name: &str, role: &str) -> String {
        let user = self.json(&["user", "add", "--name", name, "--role", role, "--json"]);
        assert_eq!(user["role"], role);
        user["user_id"].as_str().expect("user_id").to_owned()
    }

    /// `patient search QUERY --json`.
    pub fn search(&self, query: &str) -> Vec<Value> {
        match self.json(&["patient", "search", query, "--json"]) {
            Value::Array(hits) => hits,
            other => panic!("a busca deveria devolver uma lista: {other}"),
        }
    }

    /// Ids of `patient search QUERY --json`.
    pub fn search_ids(&self, query: &str) -> Vec<String> {
        self.search(query)
            .iter()
            .map(|h| h["patient_id"].as_str().expect("patient_id").to_owned())
            .collect()
    }

    /// `status --json`.
    pub fn status(&self) -> Value {
        self.json(&["status", "--json"])
    }

    /// `status --json` → `patients`.
    pub fn patient_count(&self) -> i64 {
        self.status()["patients"].as_i64().expect("status.patients")
    }

    /// Derives the replica key from `replica.json` and [`PASSPHRASE`] (see [`derive_key`]).
    pub fn derive_key(&self) -> [u8; 32] {
        derive_key(&self.dir, PASSPHRASE)
    }

    /// Opens `replica.db` directly with SQLCipher and `key`.
    pub fn open_direct(&self, key: &[u8; 32]) -> Connection {
        open_encrypted(&self.db_path(), key)
    }
}

fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "atendebem {args:?} falhou ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(out),
        stderr(out)
    );
}
