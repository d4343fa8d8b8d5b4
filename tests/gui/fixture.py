"""A real AtendeBem sync server for the GUI scenario, on the local PostgreSQL.

Python counterpart of ``tests/support/server.rs`` (``SyncServer``) and of ``clinic_on`` /
``device_at`` in ``tests/e2e/sync.rs``: a fresh database per run (``db init`` + ``migrate``
through the server binary), a clinic with three users made with the admin console, every
user's first-login password change already done through the command line, and a directory
(one professional, two patients) registered from the admin's own device and synced.

The server can be killed (SIGKILL) and restarted on the same address, so a desktop replica keeps
its URL. ``close()`` (also run by the context manager and at exit) kills the server, drops the
database and removes the temporary directories.

Binaries come from the environment: ``ATENDEBEM_SERVER_BIN`` (atendebem-server) and
``ATENDEBEM_CLI_BIN`` (atendebem). PostgreSQL is the one ``scripts/setup.sh`` prepares: trust
authentication on 127.0.0.1 for ``postgres``, ``atendebem_app`` and ``atendebem_owner``.

Run it by hand to get a server to play with: ``python3 tests/gui/fixture.py``.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass

#: The local PostgreSQL superuser (trust authentication on 127.0.0.1).
SUPERUSER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
#: The clinic's short name (what the first-start screen asks as "clínica").
TENANT = "clinica-gui"
CLINIC_NAME = "Clínica Teste da Interface"
#: Password the console gives every user; changed at the first login to ``PASSWORD``.
INITIAL_PASSWORD = "senha-inicial-1"
#: Every user's password after the first login (what the window types).
PASSWORD = "nova-senha-22"
#: Passphrase of the fixture's own command-line replicas (never the window's).
CLI_PASSPHRASE = "fixture-gui-2026"

PROFESSIONAL_NAME = "Dra. Ana Souza"
PROFESSIONAL_COUNCIL = "CRM/SP 123456"
PROFESSIONAL_CBO = "225125"
JOAO = {"name": "João da Silva", "cpf": "529.982.247-25", "birth": "1980-05-17"}
MARIA = {"name": "Maria Joana Souza"}


@dataclass(frozen=True)
class User:
    """A user of the test clinic, as created with the admin console."""

    key: str
    email: str
    name: str
    role: str


USERS = (
    User("admin", "admin@gui.example", "Administração", "ADMIN"),
    User("carla", "carla@gui.example", "Carla Recepção", "STAFF"),
    User("ana", "ana@gui.example", "Dra. Ana Souza", "PROFESSIONAL"),
)


class FixtureError(RuntimeError):
    """A step of the fixture failed (the message says which, with the command's output)."""


def _binary(var: str) -> str:
    path = os.environ.get(var)
    if not path:
        raise FixtureError(f"defina {var} com o caminho do binário")
    if not os.access(path, os.X_OK):
        raise FixtureError(f"{var}={path}: binário não encontrado ou não executável")
    return path


def _clean_env() -> dict[str, str]:
    """The environment without any ``ATENDEBEM_*`` variable (each command sets its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ATENDEBEM_")}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _describe(args: list[str], out: subprocess.CompletedProcess) -> str:
    return (
        f"{' '.join(args)} (código {out.returncode}):\n"
        f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}"
    )


class SyncFixture:
    """A clinic on a real ``atendebem-server``, ready for the desktop window to connect to.

    Attributes once started:
      ``url``            server address, e.g. ``http://127.0.0.1:41234``
      ``tenant``         ``clinica-gui``
      ``clinic_name``    the clinic's display name
      ``emails``         ``{"admin": ..., "carla": ..., "ana": ...}``
      ``names``          the users' display names, same keys
      ``passwords``      every user's current password (already changed), same keys
      ``password``       that same password (all users share it)
      ``initial_password`` the console's initial password (no longer valid)
      ``professional_id`` Dra. Ana Souza's id in the clinic's directory
      ``patient_id``     João da Silva's id; ``maria_id`` Maria Joana Souza's
    """

    def __init__(self) -> None:
        self.server_bin = _binary("ATENDEBEM_SERVER_BIN")
        self.cli_bin = _binary("ATENDEBEM_CLI_BIN")
        self.db = f"atb_gui_{secrets.token_hex(8)}"
        self.tmp = tempfile.mkdtemp(prefix="atendebem-gui-fixture-")
        self.tenant = TENANT
        self.clinic_name = CLINIC_NAME
        self.emails = {u.key: u.email for u in USERS}
        self.names = {u.key: u.name for u in USERS}
        self.passwords = {u.key: PASSWORD for u in USERS}
        self.password = PASSWORD
        self.initial_password = INITIAL_PASSWORD
        self.port: int | None = None
        self.url: str | None = None
        self.professional_id: str | None = None
        self.patient_id: str | None = None
        self.maria_id: str | None = None
        self._child: subprocess.Popen | None = None
        self._log: deque[str] = deque(maxlen=200)
        self._db_created = False
        self._closed = False
        self.admin_dir = os.path.join(self.tmp, "admin", "dados")
        atexit.register(self.close)

    # ----------------------------------------------------------------------------- lifecycle

    def __enter__(self) -> "SyncFixture":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> "SyncFixture":
        """Database, clinic, users, server, passwords changed, directory synced."""
        try:
            self._server_ok(["db", "init", "--superuser-url", SUPERUSER_URL, "--database", self.db])
            self._db_created = True
            self._server_ok(["migrate"])
            self.admin(["tenant", "create", "--slug", TENANT, "--name", CLINIC_NAME])
            for user in USERS:
                self.admin(
                    [
                        "user", "create", "--tenant", TENANT, "--email", user.email,
                        "--name", user.name, "--role", user.role, "--password-stdin",
                    ],
                    stdin=INITIAL_PASSWORD,
                )
            self.port = _free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.restart()
            # The admin's device changes the admin's password; the others change theirs on a
            # throwaway device, so the window logs in with the new password directly.
            self._login(self.admin_dir, "admin", first=True)
            for user in USERS:
                if user.key != "admin":
                    throwaway = os.path.join(self.tmp, f"primeiro-acesso-{user.key}", "dados")
                    self._login(throwaway, user.key, first=True)
            self._register_directory()
        except BaseException:
            self.close()
            raise
        return self

    def kill(self) -> None:
        """Stops the server at once (SIGKILL) and waits for it."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
        if child is not None:
            child.wait()

    def restart(self, timeout: float = 30.0) -> None:
        """(Re)starts the server on its port; retries while the port is not free yet."""
        self.kill()
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            child, address, last = self._spawn_serve()
            if child is not None:
                break
            if time.monotonic() > deadline:
                raise FixtureError(f"o servidor não voltou a escutar em {self.url}: {last}")
            time.sleep(0.5)
        if address != self.url:
            child.kill()
            child.wait()
            raise FixtureError(f"o servidor escuta em {address}, esperado {self.url}")
        self._child = child
        self._wait_ready(deadline=time.monotonic() + 30)

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def close(self) -> None:
        """Kills the server, drops the database, removes the temporary directories (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.kill()
        finally:
            if self._db_created:
                subprocess.run(
                    [
                        "psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",
                        f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)',
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=_clean_env(),
                    timeout=60,
                    check=False,
                )
            shutil.rmtree(self.tmp, ignore_errors=True)

    def server_output(self) -> str:
        """The server's last lines of standard output (for failure reports)."""
        return "\n".join(self._log)

    # ------------------------------------------------------------------------- server binary

    def _server_env(self, listen: str = "127.0.0.1:0") -> dict[str, str]:
        env = _clean_env()
        env.update(
            ATENDEBEM_DATABASE_URL=f"postgres://atendebem_app@127.0.0.1:5432/{self.db}",
            ATENDEBEM_OWNER_DATABASE_URL=f"postgres://atendebem_owner@127.0.0.1:5432/{self.db}",
            ATENDEBEM_LISTEN=listen,
            ATENDEBEM_LOG="warn",
        )
        return env

    def _server_ok(self, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
        full = [self.server_bin, *args]
        out = subprocess.run(
            full,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self._server_env(),
            timeout=120,
            check=False,
        )
        if out.returncode != 0:
            raise FixtureError("atendebem-server " + _describe(args, out))
        return out

    def admin(self, args: list[str], stdin: str | None = None):
        """Runs an admin console command (``--json admin ...``); returns its JSON (or None)."""
        out = self._server_ok(["--json", "admin", *args], stdin=stdin if stdin is not None else "")
        try:
            return json.loads(out.stdout) if out.stdout.strip() else None
        except json.JSONDecodeError:
            return None

    def _spawn_serve(self):
        """Starts ``serve``; returns (child, address, "") once it listens, or (None, None, why)."""
        child = subprocess.Popen(
            [self.server_bin, "serve"],
            env=self._server_env(listen=f"127.0.0.1:{self.port}"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None,  # inherited, as the Rust tests do (ATENDEBEM_LOG=warn keeps it quiet)
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        listening: queue.Queue[str | None] = queue.Queue()
        log = self._log

        def drain() -> None:
            # Keeps reading for the server's whole life so its stdout never fills up.
            for line in child.stdout:
                line = line.rstrip("\n")
                log.append(line)
                if line.startswith("listening on "):
                    listening.put(line[len("listening on "):].strip())
            listening.put(None)

        threading.Thread(target=drain, name="atendebem-server-stdout", daemon=True).start()
        try:
            address = listening.get(timeout=60)
        except queue.Empty:
            child.kill()
            child.wait()
            return None, None, "não escutou em 60 s"
        if address is None:
            code = child.wait()
            return None, None, f"terminou antes de escutar (código {code}): {self.server_output()}"
        return child, address, ""

    def _wait_ready(self, deadline: float) -> None:
        last = ""
        while time.monotonic() < deadline:
            if not self.running:
                raise FixtureError(f"o servidor terminou: {self.server_output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as r:
                    if r.status == 200:
                        return
                    last = f"HTTP {r.status}"
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        raise FixtureError(f"{self.url}/readyz não respondeu 200: {last}")

    # ---------------------------------------------------------------------------- CLI devices

    def _cli(self, data_dir: str, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
        env = _clean_env()
        env.update(
            ATENDEBEM_DATA_DIR=data_dir,
            ATENDEBEM_PASSPHRASE=CLI_PASSPHRASE,
            # The admin device must not lock itself in the middle of a long GUI run.
            ATENDEBEM_LOCK_AFTER_MINUTES="600",
        )
        full = [self.cli_bin, "--data-dir", data_dir, *args]
        return subprocess.run(
            full,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )

    def _cli_json(self, data_dir: str, args: list[str], stdin: str | None = None):
        out = self._cli(data_dir, args, stdin)
        if out.returncode != 0:
            raise FixtureError("atendebem " + _describe(args, out))
        try:
            return json.loads(out.stdout)
        except json.JSONDecodeError as e:
            raise FixtureError(f"atendebem {' '.join(args)}: saída não é JSON ({e}): {out.stdout}")

    def _login(self, data_dir: str, key: str, first: bool) -> dict:
        """``atendebem login`` online (a new replica on ``data_dir`` the first time)."""
        stdin = f"{INITIAL_PASSWORD}\n{PASSWORD}\n" if first else f"{PASSWORD}\n"
        return self._cli_json(
            data_dir,
            [
                "login", "--server", self.url, "--tenant", TENANT, "--email", self.emails[key],
                "--password-stdin", "--key-source", "passphrase", "--json",
            ],
            stdin=stdin,
        )

    def admin_cli(self, args: list[str]):
        """Runs a command on the admin's device (``--json`` appended); returns its JSON."""
        return self._cli_json(self.admin_dir, [*args, "--json"])

    def admin_sync(self) -> dict:
        """One sync round of the admin's device; fails if anything was refused or is pending."""
        report = self.admin_cli(["sync", "--once"])
        if report.get("documents_refused", 0) or report.get("pending_documents", 0):
            raise FixtureError(f"sincronização do administrador incompleta: {report}")
        return report

    def server_agenda(self, day_iso: str) -> list[dict]:
        """The agenda of ``day_iso`` (AAAA-MM-DD) as the server has it, seen from the admin's
        device after a sync round (fields of ``agenda list --json``)."""
        self.admin_sync()
        return self.admin_cli(["agenda", "list", "--day", day_iso])

    def _register_directory(self) -> None:
        record = self.admin_cli(
            [
                "professional", "add", "--name", PROFESSIONAL_NAME,
                "--council", PROFESSIONAL_COUNCIL, "--cbo", PROFESSIONAL_CBO,
            ]
        )
        self.professional_id = record["professional"]["id"]
        joao = self.admin_cli(
            ["patient", "add", "--name", JOAO["name"], "--cpf", JOAO["cpf"], "--birth", JOAO["birth"]]
        )
        self.patient_id = joao["id"]
        maria = self.admin_cli(["patient", "add", "--name", MARIA["name"]])
        self.maria_id = maria["id"]
        report = self.admin_sync()
        if report.get("documents_pushed", 0) < 1:
            raise FixtureError(f"o diretório da clínica não foi enviado: {report}")


def start() -> SyncFixture:
    """A started fixture (call ``close()`` or use ``with SyncFixture() as f``)."""
    return SyncFixture().start()


if __name__ == "__main__":
    with SyncFixture() as fixture:
        print(f"servidor: {fixture.url}  clínica: {fixture.tenant}  senha: {fixture.password}")
        for k in fixture.emails:
            print(f"  {k}: {fixture.emails[k]} ({fixture.names[k]})")
        print(f"profissional: {fixture.professional_id}  João: {fixture.patient_id}")
        print("Enter encerra.", flush=True)
        try:
            sys.stdin.readline()
        except KeyboardInterrupt:
            pass
