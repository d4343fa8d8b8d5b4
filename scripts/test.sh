#!/usr/bin/env bash
# Sets everything up and runs every check and test of AtendeBem:
#   formatting, clippy (warnings are errors), shared-model for wasm32, cargo-deny
#   (bans, licenses, sources) and the whole test suite (unit, property and end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { echo; echo "==> $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

# The desktop shell embeds the built interface (app-ui/dist): build it before anything compiles
# the shell.
step "interface (app-ui → wasm32)"
bash scripts/build-ui.sh

step "cargo clippy (todo o workspace, -D warnings)"
cargo clippy --workspace --exclude atendebem-ui --all-targets --locked -- -D warnings
cargo clippy -p atendebem-ui --target wasm32-unknown-unknown --locked -- -D warnings

step "shared-model para wasm32-unknown-unknown"
cargo check -p shared-model --target wasm32-unknown-unknown --locked

step "cargo deny check bans licenses sources"
cargo deny check bans licenses sources

step "testes"
# The end-to-end tests drive the real `atendebem` binary: build it first.
cargo build -p atendebem-cli -p atendebem-server --locked
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --exclude atendebem-ui --locked --no-fail-fast
  # nextest does not run doctests
  cargo test --workspace --exclude atendebem-ui --doc --locked
else
  cargo test --workspace --exclude atendebem-ui --locked --no-fail-fast
fi

step "testes de interface (janela real, WebDriver, Xvfb)"
bash scripts/test-gui.sh

step "pacote .deb (gerado, instalado com dpkg -i, conferido e removido)"
deb=$(bash installers/build-deb.sh | tail -n1)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO dpkg -i "$deb"
package=$(dpkg-deb -f "$deb" Package)
dpkg -L "$package" | grep -qx /usr/bin/atendebem-desktop
dpkg -L "$package" | grep -q '\.desktop$'
echo "    $package $(dpkg-deb -f "$deb" Version) instalado: $(dpkg -L "$package" | grep -c .) arquivos"
$SUDO dpkg -r "$package" >/dev/null

echo
echo "Tudo certo: todas as verificações e testes passaram."
