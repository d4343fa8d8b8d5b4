#!/usr/bin/env bash
# Performance figures of the real window (docs/PERFORMANCE.md, "Desktop window"): release build,
# a standalone replica with 100,000 demo patients and two busy days of 200 appointments, and
# tests/gui/perf.py under Xvfb through tauri-driver. The replica is kept in
# $ATENDEBEM_PERF_DIR (default /var/tmp/atendebem-perf) between runs: generating it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bash scripts/build-ui.sh
cargo build --release --locked -p atendebem-desktop -p atendebem-cli
export ATENDEBEM_DESKTOP_BIN="$CARGO_TARGET_DIR/release/atendebem-desktop"
cli="$CARGO_TARGET_DIR/release/atendebem"
VENV=${ATENDEBEM_VENV:-/var/tmp/atendebem-venv}

export ATENDEBEM_PERF_DIR=${ATENDEBEM_PERF_DIR:-/var/tmp/atendebem-perf}
export ATENDEBEM_PASSPHRASE=desempenho-atendebem-2026
# The first Tuesday after today (and Wednesday) hold the busy days.
day=$(date -d "next tuesday" +%F)
next=$(date -d "$day + 1 day" +%F)
export ATENDEBEM_PERF_DAY=$day
run() { ATENDEBEM_DATA_DIR="$ATENDEBEM_PERF_DIR" "$cli" "$@"; }
if [ ! -f "$ATENDEBEM_PERF_DIR/.completo" ]; then
  rm -rf "$ATENDEBEM_PERF_DIR"
  echo "==> Réplica de desempenho: 100.000 pacientes (alguns minutos)"
  run init --key-source passphrase --clinic-name "Clínica Desempenho" >/dev/null
  run demo --patients 100000 --months 0
  touch "$ATENDEBEM_PERF_DIR/.completo"
fi
for d in "$day" "$next"; do
  echo "==> $d: $(run debug busy-day --day "$d" --appointments 200) agendamentos no dia"
done

export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
echo "==> Medindo (janela real, Xvfb) — $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
timeout 900 xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -c '
  tauri-driver --port 4444 --native-driver /usr/bin/WebKitWebDriver >"$HOME/tauri-driver.log" 2>&1 &
  driver=$!
  status=0
  "'"$VENV"'/bin/python" tests/gui/perf.py || status=$?
  kill "$driver" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then tail -n 40 "$HOME/tauri-driver.log" >&2; fi
  exit "$status"
'
