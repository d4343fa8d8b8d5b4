#!/usr/bin/env bash
# Sets everything up, creates the demo clinic on first start and opens AtendeBem:
#   - the sync server on the local PostgreSQL (database `atendebem`, http://127.0.0.1:8080),
#     with the demo clinic `clinica-demo` and its users on first start;
#   - the replica lives in $ATENDEBEM_DATA_DIR (default ~/.local/share/atendebem-demo)
#   - without an OS keychain the replica key comes from ATENDEBEM_PASSPHRASE; for the demo a
#     default passphrase is used if none is set (never do that with real patient data)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
bash scripts/build-ui.sh
echo "==> Compilando o AtendeBem"
cargo build --release --locked -p atendebem-cli -p atendebem-desktop -p atendebem-server
bin="$CARGO_TARGET_DIR/release"

# --- server -------------------------------------------------------------------------------------
export ATENDEBEM_DATABASE_URL=${ATENDEBEM_DATABASE_URL:-postgres://atendebem_app@127.0.0.1:5432/atendebem}
export ATENDEBEM_OWNER_DATABASE_URL=${ATENDEBEM_OWNER_DATABASE_URL:-postgres://atendebem_owner@127.0.0.1:5432/atendebem}
export ATENDEBEM_LISTEN=${ATENDEBEM_LISTEN:-127.0.0.1:8080}
demo_password=${ATENDEBEM_DEMO_PASSWORD:-demo-atendebem-2026}
echo "==> Servidor: banco de dados e migrações"
"$bin/atendebem-server" db init --superuser-url "${ATENDEBEM_SUPERUSER_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
"$bin/atendebem-server" migrate
if ! "$bin/atendebem-server" admin tenant list | grep -q '^clinica-demo '; then
  echo "==> Primeira execução do servidor: clínica de demonstração 'clinica-demo'"
  "$bin/atendebem-server" admin tenant create --slug clinica-demo --name "Clínica Demonstração AtendeBem" --plan professional
  for u in "admin ADMIN Administração" "medica PROFESSIONAL Dra. Demonstração" "recepcao STAFF Recepção"; do
    set -- $u
    echo "$demo_password" | "$bin/atendebem-server" admin user create --tenant clinica-demo \
      --email "$1@clinica-demo.com.br" --name "$3${4:+ $4}" --role "$2" --password-stdin
  done
fi
if curl -fsS "http://$ATENDEBEM_LISTEN/healthz" >/dev/null 2>&1; then
  echo "==> Servidor já em execução em http://$ATENDEBEM_LISTEN"
else
  log_dir=${XDG_STATE_HOME:-$HOME/.local/state}/atendebem
  mkdir -p "$log_dir"
  nohup "$bin/atendebem-server" serve >"$log_dir/server.out" 2>"$log_dir/server.log" &
  for _ in $(seq 50); do curl -fsS "http://$ATENDEBEM_LISTEN/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  echo "==> Servidor em http://$ATENDEBEM_LISTEN (PID $!, log em $log_dir/server.log; pare com: kill $!)"
fi
echo "    Acesso: clínica 'clinica-demo', e-mails admin@ / medica@ / recepcao@clinica-demo.com.br,"
echo "    senha inicial '$demo_password' (troca obrigatória no primeiro acesso)."

# --- desktop replica ----------------------------------------------------------------------------

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
