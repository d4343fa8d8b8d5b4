//! Finding — and when needed building — the `atendebem` binary, and the command environment.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::SystemTime;

use crate::PASSPHRASE;

/// The `atendebem` binary of this workspace, built (once per test run) with
/// `cargo build -p atendebem-cli` when it is missing or older than the sources it is built from.
///
/// `ATENDEBEM_E2E_BIN` overrides the path; `ATENDEBEM_E2E_REBUILD=1` forces the build.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| locate_binary("ATENDEBEM_E2E_BIN", "atendebem-cli", "atendebem", CLI_CRATES))
}

/// The `atendebem-server` binary of this workspace, built like [`binary`]
/// (`ATENDEBEM_E2E_SERVER_BIN` overrides the path).
pub fn server_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        locate_binary(
            "ATENDEBEM_E2E_SERVER_BIN",
            "atendebem-server",
            "atendebem-server",
            SERVER_CRATES,
        )
    })
}

const CLI_CRATES: &[&str] = &["shared-model", "app-desktop/core", "app-desktop/cli"];
const SERVER_CRATES: &[&str] = &["shared-model", "sync-server", "migrations"];

fn locate_binary(env: &str, package: &str, name: &str, crates: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    let profile_dir = profile_dir();
    let bin = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let forced = std::env::var_os("ATENDEBEM_E2E_REBUILD").is_some_and(|v| v == "1");
    if forced || !is_fresh(&bin, crates) {
        build_bin(&profile_dir, package, name);
    }
    assert!(
        bin.is_file(),
        "binário {} não encontrado após o build",
        bin.display()
    );
    bin
}

/// `<target>/<profile>`: the test executable lives in `<target>/<profile>/deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("caminho do executável de teste");
    let parent = exe.parent().expect("diretório do executável de teste");
    if parent.file_name() == Some(OsStr::new("deps")) {
        parent.parent().expect("diretório do perfil").to_owned()
    } else {
        parent.to_owned()
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("raiz do workspace")
        .to_owned()
}

/// The binary exists and is newer than every source file of the crates it is built from.
fn is_fresh(bin: &Path, crates: &[&str]) -> bool {
    let Some(built) = modified(bin) else {
        return false;
    };
    let root = workspace_root();
    let mut newest = [root.join("Cargo.toml"), root.join("Cargo.lock")]
        .iter()
        .filter_map(|p| modified(p))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    for krate in crates {
        let dir = root.join(krate);
        if let Some(t) = modified(&dir.join("Cargo.toml")) {
            newest = newest.max(t);
        }
        let src = dir.join("src");
        newest = newest.max(newest_in(if src.is_dir() { &src } else { &dir }));
    }
    built >= newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn newest_in(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return newest;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_in(&path)
        } else {
            modified(&path).unwrap_or(newest)
        };
        newest = newest.max(time);
    }
    newest
}

fn build_bin(profile_dir: &Path, package: &str, name: &str) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = profile_dir.parent().expect("diretório de build (target)");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", package, "--bin", name, "--manifest-path"])
        .arg(workspace_root().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir);
    if profile_dir.file_name() == Some(OsStr::new("release")) {
        cmd.arg("--release");
    }
    eprintln!("[e2e] compilando o binário {name}: {cmd:?}");
    let status = cmd.status().expect("executar cargo build");
    assert!(status.success(), "cargo build -p {package} falhou: {status}");
}

/// A command for the binary with the test environment: the replica passphrase set, no other
/// `ATENDEBEM_*` variable inherited, stdin closed (never a passphrase prompt).
pub fn command() -> Command {
    let mut cmd = Command::new(binary());
    cmd.env("ATENDEBEM_PASSPHRASE", PASSPHRASE)
        .env_remove("ATENDEBEM_DATA_DIR")
        .env_remove("ATENDEBEM_USER")
        .env_remove("ATENDEBEM_BACKUP_PASSPHRASE")
        .env_remove("ATENDEBEM_LOG")
        .stdin(Stdio::null());
    cmd
}
