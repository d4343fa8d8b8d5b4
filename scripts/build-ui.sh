#!/usr/bin/env bash
# Builds the desktop interface (app-ui, Leptos → wasm32) into app-ui/dist, which the Tauri shell
# embeds (tauri.conf.json `frontendDist`). Offline: cargo + the wasm-bindgen CLI of the exact
# version in Cargo.lock (installed by scripts/setup.sh); no trunk, no wasm-opt download.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

echo "==> Interface (app-ui) para wasm32"
cargo build -p atendebem-ui --target wasm32-unknown-unknown --release --locked
rm -rf app-ui/dist.tmp
mkdir -p app-ui/dist.tmp
wasm-bindgen --target web --no-typescript --out-dir app-ui/dist.tmp \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/atendebem-ui.wasm"
cp app-ui/static/index.html app-ui/static/boot.js app-ui/static/estilo.css app-ui/dist.tmp/
rm -rf app-ui/dist
mv app-ui/dist.tmp app-ui/dist
echo "    app-ui/dist: $(du -sh app-ui/dist | cut -f1)"
