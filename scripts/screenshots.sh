#!/usr/bin/env bash
# Regenerates the screenshots of the main screens into docs/screenshots/ (shown in the README):
# the GUI tests (scripts/test-gui.sh) save one picture per screen as they go through them —
# first start, login, agenda (day and week), patient search, chart and the sync indicator
# offline. Needs what the GUI tests need (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
out="$PWD/docs/screenshots"
mkdir -p "$out"
bash scripts/build-ui.sh
ATENDEBEM_SCREENSHOTS="$out" bash scripts/test-gui.sh
echo "Capturas em $out:"
ls -1 "$out"
