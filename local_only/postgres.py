"""A PostgreSQL server this project owns: Debian's binaries, a data directory of ours, 127.0.0.1, a free port.

Used by the test suite and by ``make demo``. PostgreSQL refuses to run as root, so when we are root the cluster
belongs to the unprivileged ``postgres`` system user (created by Debian's package) and every server command runs
as that user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SUPERUSER = "postgres"


class LocalPostgresError(RuntimeError):
    pass


def find_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` live: ``PG_BINDIR``, the PATH, or Debian's newest versioned directory."""
    configured = os.environ.get("PG_BINDIR")
    if configured:
        return Path(configured)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    raise LocalPostgresError(
        "PostgreSQL server binaries not found: install Debian's postgresql package or set PG_BINDIR"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Connection:
    host: str
    port: int
    user: str
    password: str
    database: str

    def env(self) -> dict[str, str]:
        """The warehouse's connection variables (``DW_PG_*``, as docs/loader.md lists them)."""
        return {
            "DW_PG_HOST": self.host,
            "DW_PG_PORT": str(self.port),
            "DW_PG_USER": self.user,
            "DW_PG_PASSWORD": self.password,
            "DW_PG_DATABASE": self.database,
        }

    def dsn(self, database: str | None = None) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} password={self.password} "
            f"dbname={database or self.database}"
        )


def create_database(connection: Connection, database: str) -> bool:
    """Create `database` on `connection`'s server unless it exists; True when it created it."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(connection.dsn())
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (database,))
            if cursor.fetchone() is not None:
                return False
            cursor.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
            return True
    finally:
        conn.close()


class LocalPostgres:
    """One cluster in `root` (``data/``, ``socket/``, ``server.log``, ``port``, ``superuser-password``).

    Starting an already running cluster is a no-op, so ``make demo`` can be run again and reuse what is there.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root.resolve()
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.durable = durable
        self.bindir = find_bindir()
        self.run_as = DEFAULT_SUPERUSER if os.geteuid() == 0 else None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def ensure_running(self, database: str = "clickstream_dw") -> Connection:
        if not (self.data / "PG_VERSION").exists():
            self._init()
        if not self.is_running():
            self._start()
        connection = self.connection("postgres")
        create_database(connection, database)
        return Connection(connection.host, connection.port, connection.user, connection.password, database)

    def stop(self) -> None:
        if self.is_running():
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def is_running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        result = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"], check=False)
        return result.returncode == 0

    def connection(self, database: str) -> Connection:
        return Connection(
            host="127.0.0.1",
            port=int((self.root / "port").read_text()),
            user=DEFAULT_SUPERUSER,
            password=(self.root / "superuser-password").read_text().strip(),
            database=database,
        )

    # -- steps -----------------------------------------------------------------------------------------------

    def _init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        password_file = self.root / "superuser-password"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(24) + "\n")
        password_file.chmod(0o600)
        self._hand_over(self.root)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                DEFAULT_SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth-local=peer" if self.run_as else "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )

    def _start(self) -> None:
        port = free_port()
        (self.root / "port").write_text(f"{port}\n")
        self._hand_over(self.root / "port")
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={port}",
            f"-c unix_socket_directories={self.socket_dir}",
            "-c max_connections=100",
            "-c shared_buffers=256MB",
        ]
        if not self.durable:
            # Throwaway test clusters: a crash loses the cluster anyway, so skip the flushes.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        result = self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                " ".join(options),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=False,
        )
        if result.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise LocalPostgresError(f"PostgreSQL did not start (pg_ctl exit {result.returncode}):\n{tail}")
        self._wait_for_port(port)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _hand_over(self, path: Path) -> None:
        """Give `path` to the unprivileged user the server runs as (only needed when we are root)."""
        if self.run_as is None:
            return
        owner = pwd.getpwnam(self.run_as)
        targets = [path, *path.rglob("*")] if path.is_dir() else [path]
        for target in targets:
            os.chown(target, owner.pw_uid, owner.pw_gid)

    def _run(self, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if check and result.returncode != 0:
            raise LocalPostgresError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    @staticmethod
    def _wait_for_port(port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return
            time.sleep(0.1)
        raise LocalPostgresError(f"PostgreSQL is not accepting connections on 127.0.0.1:{port}")
