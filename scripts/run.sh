#!/usr/bin/env bash
# Sets everything up, creates the demo clinic on first start and opens AtendeBem.
#   - the replica lives in $ATENDEBEM_DATA_DIR (default ~/.local/share/atendebem-demo)
#   - without an OS keychain the replica key comes from ATENDEBEM_PASSPHRASE; for the demo a
#     default passphrase is used if none is set (never do that with real patient data)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
echo "==> Compilando o AtendeBem"
cargo build --release --locked -p atendebem-cli -p atendebem-desktop
bin="$CARGO_TARGET_DIR/release"

export ATENDEBEM_DATA_DIR=${ATENDEBEM_DATA_DIR:-$HOME/.local/share/atendebem-demo}
export ATENDEBEM_PASSPHRASE=${ATENDEBEM_PASSPHRASE:-demo-atendebem-2026}

if [ ! -f "$ATENDEBEM_DATA_DIR/replica.db" ]; then
  echo "==> Primeira execução: criando a clínica de demonstração em $ATENDEBEM_DATA_DIR"
  "$bin/atendebem" init --clinic-name "Clínica Demonstração AtendeBem" --key-source passphrase
  "$bin/atendebem" demo --patients 500
fi

# Today's agenda, or the next working day's on a weekend.
case $(date +%u) in
  6) day=$(date -d "+2 days" +%F) ;;
  7) day=$(date -d "+1 day" +%F) ;;
  *) day=$(date +%F) ;;
esac
echo
echo "==> Agenda de $day"
"$bin/atendebem" agenda list --day "$day"
echo
echo "==> Busca de pacientes por \"joao\""
"$bin/atendebem" patient search joao --limit 5
echo
"$bin/atendebem" status

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo
  echo "==> Abrindo a janela do AtendeBem"
  exec "$bin/atendebem-desktop"
else
  echo
  echo "Sem display gráfico: a janela não foi aberta. Use '$bin/atendebem --help' para a linha de comando."
fi
