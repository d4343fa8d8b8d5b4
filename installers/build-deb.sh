#!/usr/bin/env bash
# Builds the Debian package of the desktop app (atendebem-desktop) with the Tauri bundler, offline:
# the interface first (scripts/build-ui.sh), then `cargo tauri build --bundles deb` (tauri-cli,
# installed from the crate registry by scripts/setup.sh). Prints the package's path last.
# AppImage is not built: its bundler downloads linuxdeploy at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

bash scripts/build-ui.sh
echo "==> Pacote .deb (tauri build --bundles deb)"
(cd app-desktop/src-tauri && cargo tauri build --bundles deb --ci)
deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n1)
echo "$deb"
