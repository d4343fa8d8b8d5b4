#!/usr/bin/env bash
# Installs every system package AtendeBem needs to build, run and test, idempotently.
# Safe to run repeatedly; runs as root (CI) or through sudo.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config file curl ca-certificates xdg-utils
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev libdbus-1-dev
  xvfb xauth dbus gnome-keyring libsecret-tools keyutils webkit2gtk-driver python3-venv
  sqlite3 postgresql libxml2-utils
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> Instalando pacotes do sistema: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "==> Pacotes do sistema já instalados"
fi
