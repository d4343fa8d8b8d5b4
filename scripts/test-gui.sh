#!/usr/bin/env bash
# GUI tests: the real AtendeBem window (Tauri + WebKitGTK) driven over WebDriver (tauri-driver in
# front of Debian's WebKitWebDriver), under a virtual X server and a private D-Bus session.
# Expects scripts/setup.sh to have run (tools, Python venv) and the UI to be built.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

cargo build -p atendebem-desktop -p atendebem-cli -p atendebem-server --locked
export ATENDEBEM_DESKTOP_BIN="$CARGO_TARGET_DIR/debug/atendebem-desktop"
export ATENDEBEM_CLI_BIN="$CARGO_TARGET_DIR/debug/atendebem"
export ATENDEBEM_SERVER_BIN="$CARGO_TARGET_DIR/debug/atendebem-server"
cli=$ATENDEBEM_CLI_BIN
export ATENDEBEM_VERSION
ATENDEBEM_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
VENV=${ATENDEBEM_VENV:-/var/tmp/atendebem-venv}

# GTK, WebKit and the keyring write under $HOME: a throwaway one (cargo and rustup keep theirs).
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
HOME=$(mktemp -d)
export HOME
# On failure the scenario leaves a screenshot in $HOME: keep it beside the build.
trap 'cp "$HOME/falha.png" "$CARGO_TARGET_DIR/gui-falha.png" 2>/dev/null || true; rm -rf "$HOME"' EXIT

# A standalone clinic with a few patients, made with the command line (window.py). The
# connected scenario (scenario.py) starts its own server and opens the app on an empty folder.
export ATENDEBEM_STANDALONE_DIR="$HOME/replica" ATENDEBEM_PASSPHRASE=interface-teste-2026
unset ATENDEBEM_DATA_DIR
standalone() { ATENDEBEM_DATA_DIR="$ATENDEBEM_STANDALONE_DIR" "$cli" "$@" >/dev/null; }
standalone init --key-source passphrase --clinic-name "Clínica Teste da Interface"
standalone patient add --name "João da Silva" --cpf 529.982.247-25 --birth 1980-05-17
standalone patient add --name "Maria Joana Souza"
standalone patient add --name "Pedro Álvares Cabral"

timeout 900 xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -c '
  tauri-driver --port 4444 --native-driver /usr/bin/WebKitWebDriver >"$HOME/tauri-driver.log" 2>&1 &
  driver=$!
  status=0
  "'"$VENV"'/bin/python" tests/gui/window.py || status=$?
  if [ "$status" -eq 0 ]; then "'"$VENV"'/bin/python" tests/gui/scenario.py || status=$?; fi
  kill "$driver" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then tail -n 40 "$HOME/tauri-driver.log" >&2; fi
  exit "$status"
'
