"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

# The shared helpers assert too; register them before anything imports them so their failures show diffs.
pytest.register_assert_rewrite("support")

from support.fakes import MemoryStore  # noqa: E402

from local_only.lambda_context import LocalLambdaContext  # noqa: E402
from local_only.postgres import Connection, LocalPostgres  # noqa: E402

# Debian's chromium (.ci/run installs it), driven by playwright: the browser tests use the distribution's build.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the run; each test opens its own context (cookies, storage, clock)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="clickstream-ingest-test")


@pytest.fixture
def file_store_env(tmp_path: Path) -> Iterator[Path]:
    """The ingest handler's services, installed for the test, writing into a temporary directory."""
    from ingest_lambda.services import build_services, override_services
    from ingest_lambda.settings import IngestSettings

    root = tmp_path / "raw"
    with override_services(build_services(IngestSettings(raw_store_url=root.as_uri(), hash_salt="test-salt"))):
        yield root


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """The ingest handler wired to an in-memory store (fast, and writes can be made to fail)."""
    from ingest_lambda.contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES
    from ingest_lambda.ingest import IngestLimits
    from ingest_lambda.privacy import Pseudonymizer
    from ingest_lambda.services import IngestServices, override_services

    store = MemoryStore()
    limits = IngestLimits(MAX_BODY_BYTES, MAX_BATCH_EVENTS)
    with override_services(IngestServices(store=store, pseudonymizer=Pseudonymizer("test-salt"), limits=limits)):
        yield store


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """A real PostgreSQL 15 server for the whole run: Debian's binaries, 127.0.0.1, a free port.

    Its directory is made outside pytest's tmp (which is private to root) so the unprivileged server user can
    reach it.
    """
    root = Path(tempfile.mkdtemp(prefix="clickstream-pg-"))
    root.chmod(0o755)
    server = LocalPostgres(root, durable=False)
    server.ensure_running("postgres")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def warehouse(postgres_server: LocalPostgres, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """A fresh, empty database for one test, dropped afterwards; DW_PG_* point at it."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    admin = postgres_server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    connection = Connection(admin.host, admin.port, admin.user, admin.password, name)
    saved = {key: os.environ.get(key) for key in connection.env()}
    os.environ.update(connection.env())
    yield connection
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()
