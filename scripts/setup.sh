#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine to build, run and test AtendeBem. Idempotent.
#   - system packages (scripts/setup-system.sh)
#   - the Rust toolchain's wasm32 target
#   - cargo tools the checks need (cargo-deny), built from the crate registry
#   - PostgreSQL running on 127.0.0.1 (used by the sync server)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

if ! command -v cargo >/dev/null 2>&1; then
  echo "erro: cargo não encontrado; instale o Rust 1.95.0 com rustup" >&2
  exit 1
fi

# The toolchain pinned in rust-toolchain.toml, with the wasm target for shared-model's check.
if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  echo "==> Instalando o alvo wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

CARGO_DENY_VERSION=0.20.2
if ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  echo "==> Instalando cargo-deny $CARGO_DENY_VERSION (compilado do crates.io)"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi

# The desktop interface: the wasm-bindgen CLI of the exact version in Cargo.lock (it must match
# the library), built from the crate registry (its installer would download a binary).
WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"/\1/p}' Cargo.lock | head -n1)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  echo "==> Instalando wasm-bindgen-cli $WASM_BINDGEN_VERSION (compilado do crates.io)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# GUI tests: tauri-driver (WebDriver for Tauri windows) and Python's selenium client.
TAURI_DRIVER_VERSION=2.1.0
if ! tauri-driver --version 2>/dev/null | grep -q "$TAURI_DRIVER_VERSION"; then
  echo "==> Instalando tauri-driver $TAURI_DRIVER_VERSION (compilado do crates.io)"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi
# The Debian package: the Tauri bundler (tauri-cli 2; builds offline).
TAURI_CLI_VERSION=2.12.4
if ! cargo tauri --version 2>/dev/null | grep -q "$TAURI_CLI_VERSION"; then
  echo "==> Instalando tauri-cli $TAURI_CLI_VERSION (compilado do crates.io)"
  cargo install tauri-cli --version "$TAURI_CLI_VERSION" --locked
fi
VENV=${ATENDEBEM_VENV:-/var/tmp/atendebem-venv}
SELENIUM_VERSION=4.38.0
if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  echo "==> Ambiente Python dos testes de interface ($VENV, selenium $SELENIUM_VERSION)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "selenium==$SELENIUM_VERSION"
fi

# PostgreSQL: start the local cluster if it is installed and not running.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -n "$version" ] && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
    echo "==> Iniciando o PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 2>/dev/null && break; sleep 0.2; done
  fi
  # The development setup (run.sh and the server's tests) connects over 127.0.0.1 as `postgres`
  # (to create roles and test databases) and as the `atendebem_*` roles, without passwords. A
  # stock Debian cluster asks for passwords there: allow exactly those local connections.
  if [ -n "$version" ] && ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if [ -w "$hba" ] && ! grep -q '# atendebem-dev' "$hba"; then
      echo "==> PostgreSQL: permitindo conexões locais (127.0.0.1) sem senha para postgres e atendebem_* ($hba)"
      tmp=$(mktemp)
      {
        echo "host all postgres 127.0.0.1/32 trust # atendebem-dev"
        echo "host all atendebem_owner 127.0.0.1/32 trust # atendebem-dev"
        echo "host all atendebem_app 127.0.0.1/32 trust # atendebem-dev"
        cat "$hba"
      } > "$tmp"
      cat "$tmp" > "$hba" && rm -f "$tmp"
      pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    fi
  fi
fi
