"""A `clickstream transform` killed at any moment never wedges the warehouse (docs/metrics.md, "Incremental
strategy"; docs/operations.md, "After a killed build").

One prepared database: generated traffic, every hour before `HOUR` loaded and built, `HOUR` loaded, and a
`--full-refresh` copy of the same raw rows beside it (`schema_prefix: fr_`): what any build of `HOUR` must end
with. For each model of the build, a copy of that database (`create database … template`) gets a real
`clickstream transform` in a subprocess, SIGKILLed as soon as dbt's log says the model committed (threads: 2, so a
sibling model may be half way too); then a second `clickstream transform` must succeed and leave every relation
equal to the full refresh. Once more, the build is killed inside the slowest model, while its main query runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql
from support.transform_kit import CLICKSTREAM, REPO, RoleWarehouse, generate_traffic, migrated
from support.warehouse_copies import FULL_REFRESH_PREFIX, Warehouse, assert_copies_equal, loader_run

from local_only.postgres import Connection, LocalPostgres

pytestmark = pytest.mark.integration

TEMPLATE = "killed_build_template"
COPY = "killed_build"
DAY = date(2025, 3, 7)
# Built before the kill: every hour up to this one (exclusive). The killed build's own hour is this one: the
# evening peak, so its visitors continue sessions the builds before made, and late events arrive.
HOUR = datetime(2025, 3, 7, 19, tzinfo=UTC)
EVENTS_PER_DAY = 3_000
# Every model of the build. test_every_model_of_the_build_is_a_kill_point keeps this list whole.
MODELS = (
    "stg_clickstream__events",
    "stg_clickstream__load_manifest",
    "stg_clickstream__loader_runs",
    "stg_clickstream__rejected_lines",
    "stg_clickstream__ingest_refusals",
    "stg_shop__users",
    "stg_shop__products",
    "stg_shop__orders",
    "stg_shop__order_items",
    "stg_shop__refunds",
    "stg_shop__inventory",
    "int_visitors_stitched",
    "int_visitors_touched",
    "int_events_sessionized",
    "int_orders_deduplicated",
    "int_orders_touched",
    "int_periods_touched",
    "int_users_touched",
    "sessions",
    "clickstream_events",
    "users",
    "orders",
    "visitor_activity_weekly",
    "retention_weekly",
    "funnel_steps_daily",
    "page_transitions_daily",
    "product_performance_daily",
    "sessions_daily",
    "visitors_daily",
    "landing_exit_pages_daily",
    "users_daily",
    "acquisition_visitor_days",
    "pipeline_health_hourly",
    "ingest_refusals_hourly",
    "shop_orders",
    "order_reconciliation",
    "tracking_coverage_daily",
    "product_margin_daily",
    "int_build_completed",
)
# The kill points of the default run: int_events_sessionized's commit moves the watermark every work list of the
# next build is derived from (the case the crash-safety rule was made for); clickstream_events' erases the days
# its events had before the build, which the next build's int_periods_touched reads; sessions' and
# pipeline_health_hourly's commits made the next build fail a data test or differ from a full refresh before the
# rule. Every other model is a kill point in the slow run (CLICKSTREAM_SLOW=1): each costs two builds, half a
# minute to a minute on a busy machine.
DEFAULT_KILL_POINTS = frozenset({"int_events_sessionized", "sessions", "clickstream_events", "pipeline_health_hourly"})
SLOW = (
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("CLICKSTREAM_SLOW") != "1", reason="every kill point: set CLICKSTREAM_SLOW=1"),
)
# Killed inside: sessions, the slowest model of a full build and, after staging, of an hourly one; incremental, so
# its pre-hook delete, insert and post-hook updates share one transaction. Its main query reads the bot_user_agents
# seed, which nothing between its last parent (int_users_touched) and that query reads: a lock on the seed holds
# the model inside its open transaction, the delete done.
INSIDE = "sessions"
INSIDE_READS = "staging.bot_user_agents"
INSIDE_AFTER = "int_users_touched"
# Several killed builds in a row before one completes: each leaves a work list the next carries on.
CHAINED_KILL_POINTS = ("int_events_sessionized", "sessions", "clickstream_events")
KILL_TIMEOUT_SECONDS = 180


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Prepared:
    """The template database, and how to copy it and build in the copy with the real command."""

    server: LocalPostgres
    roles: RoleWarehouse
    target: Path

    def admin(self, database: str = "postgres") -> Connection:
        admin = self.server.connection("postgres")
        return Connection(admin.host, admin.port, admin.user, admin.password, database)

    def restore(self) -> Connection:
        """A fresh copy of the template: the hours before HOUR built, HOUR loaded, and the full refresh."""
        conn = psycopg2.connect(self.admin().dsn())
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(COPY)))
            cursor.execute(
                sql.SQL("create database {} template {}").format(sql.Identifier(COPY), sql.Identifier(TEMPLATE))
            )
            cursor.execute(sql.SQL("grant create on database {} to transformer").format(sql.Identifier(COPY)))
        conn.close()
        return self.admin(COPY)

    def log(self) -> Path:
        return self.target / "logs" / "dbt.log"

    def start(self, *args: str, target: Path | None = None) -> subprocess.Popen[str]:
        """`clickstream transform` in the copy as the transformer role; dbt's log (JSON lines) in the target,
        started afresh, so it holds this build's lines alone."""
        env = self.roles.env("transformer", DW_PG_DATABASE=COPY, DBT_LOG_FORMAT_FILE="json")
        target = target or self.target
        for old in (target / "logs").glob("dbt.log*"):
            old.unlink()
        return subprocess.Popen(
            [CLICKSTREAM, "transform", "--quiet", "--lock-timeout", "60", "--target-path", str(target), *args],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def transform(self, *args: str, target: Path | None = None) -> None:
        process = self.start(*args, target=target)
        output, _ = process.communicate(timeout=KILL_TIMEOUT_SECONDS)
        assert process.returncode == 0, f"clickstream transform {' '.join(args)} exited {process.returncode}:\n{output}"


@pytest.fixture(scope="module")
def prepared(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    work = tmp_path_factory.mktemp("killed_build")
    admin = postgres_server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True

    def execute(statement: str, *names: str) -> None:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL(statement).format(*map(sql.Identifier, names)))

    for name in (COPY, TEMPLATE):
        execute("drop database if exists {} with (force)", name)
    # Prepared under the copies' name, then renamed: every build sees one database name, so dbt's partial parse
    # of the first build serves them all (a changed profile makes dbt parse the whole project again).
    execute("create database {}", COPY)
    roles = migrated(Connection(admin.host, admin.port, admin.user, admin.password, COPY))
    # The full-refresh copy's schemas need CREATE on the database (the only grant beyond the migrations').
    execute("grant create on database {} to transformer", COPY)
    prepared = Prepared(postgres_server, roles, work / "target")

    store_url = generate_traffic(work / "raw", DAY, days=1, events_per_day=EVENTS_PER_DAY) + "?fsync=false"
    loader = roles.settings("loader")
    first = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    loader_run(store_url, loader, {"fromHour": _iso(first), "toHour": _iso(HOUR - timedelta(hours=1))})
    prepared.transform()
    loader_run(store_url, loader, {"targetUtcHour": _iso(HOUR)})
    # In a target of its own: other vars would make the next build's parse start again from scratch.
    full_refresh = ("--full-refresh", "--vars", f"{{schema_prefix: {FULL_REFRESH_PREFIX}}}")
    prepared.transform(*full_refresh, target=work / "full_refresh")
    execute("alter database {} rename to {}", COPY, TEMPLATE)
    yield prepared
    for name in (COPY, TEMPLATE):
        execute("drop database if exists {} with (force)", name)
    conn.close()


def _committed(line: str) -> str | None:
    """The model a line of dbt's JSON log says was built successfully (its transaction committed), if any."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if event.get("info", {}).get("name") != "LogModelResult":
        return None
    node = event.get("data", {}).get("node_info", {})
    if node.get("node_status") != "success" or not str(node.get("unique_id", "")).startswith("model."):
        return None
    return str(node["unique_id"]).rsplit(".", 1)[-1]


def _follow(log: Path, process: subprocess.Popen[str], until: Callable[[str], bool]) -> list[str]:
    """The lines of dbt's log as they are written, until one satisfies `until` (returned with those before).

    dbt rotates its log at 10 MB: once the file read is renamed and read to its end, the new one is followed."""
    lines: list[str] = []
    pending = ""
    handle = None
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            if handle is None and log.exists():
                handle = log.open(encoding="utf-8")
            chunk = handle.read() if handle is not None else ""
            if handle is not None and not chunk and os.stat(log).st_ino != os.fstat(handle.fileno()).st_ino:
                handle.close()
                handle = log.open(encoding="utf-8")
                continue
            *complete, pending = (pending + chunk).split("\n")
            for line in complete:
                lines.append(line)
                if until(line):
                    return lines
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the build ended (exit {process.returncode}) before the kill point:\n{output}")
            if not chunk:
                time.sleep(0.005)
    finally:
        if handle is not None:
            handle.close()
    pytest.fail("the kill point never came")


def _kill(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait(timeout=60)
    assert process.returncode == -9, process.returncode


def _kill_after(prepared: Prepared, model: str) -> list[str]:
    """A build killed as soon as `model` committed; the models it committed, in order."""
    process = prepared.start()
    seen = _follow(prepared.log(), process, lambda line: _committed(line) == model)
    _kill(process)
    return [name for name in map(_committed, seen) if name]


def _recover_and_compare(prepared: Prepared, copy: Connection) -> None:
    """The next build succeeds, and every relation equals the full refresh of the same raw rows."""
    prepared.transform()
    dw = Warehouse(copy)
    try:
        assert_copies_equal(dw)
    finally:
        dw.close()


@pytest.mark.parametrize(
    "model", [pytest.param(model, marks=() if model in DEFAULT_KILL_POINTS else SLOW) for model in MODELS]
)
def test_a_build_killed_after_a_model_commits_is_followed_by_one_equal_to_a_full_refresh(
    prepared: Prepared, model: str
) -> None:
    copy = prepared.restore()
    committed = _kill_after(prepared, model)
    assert committed[-1] == model, committed
    if model != "int_build_completed":
        # Killed before the build completed: the marks of a half-finished build are there.
        assert "int_build_completed" not in committed, committed
    _recover_and_compare(prepared, copy)


def test_a_build_killed_inside_its_slowest_model_is_followed_by_one_equal_to_a_full_refresh(
    prepared: Prepared,
) -> None:
    """Killed while sessions' transaction is open: its pre-hook delete done, its main query waiting on a lock."""
    copy = prepared.restore()
    blocker = psycopg2.connect(copy.dsn())
    watcher = psycopg2.connect(copy.dsn())
    watcher.autocommit = True
    try:
        process = prepared.start()
        _follow(prepared.log(), process, lambda line: _committed(line) == INSIDE_AFTER)
        with blocker.cursor() as cursor:
            cursor.execute(sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(INSIDE_READS)))
        _wait_inside(watcher, INSIDE, process)
        _kill(process)
        # The killed build's session ends once its statement gets the lock and finds the client gone: rolled back.
        blocker.rollback()
    finally:
        blocker.close()
        watcher.close()
    _recover_and_compare(prepared, copy)


def _wait_inside(watcher: Any, model: str, process: subprocess.Popen[str]) -> None:
    """A statement of `model` (dbt's query comment names the node) waiting on a lock, in a transaction that holds
    the lock its pre-hook delete took on the model's table: the delete ran and is not committed."""
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with watcher.cursor() as cursor:
            cursor.execute(
                """
                select activity.query
                from pg_stat_activity as activity
                where activity.datname = current_database() and activity.state = 'active'
                    and activity.wait_event_type = 'Lock' and activity.query like %s
                    and exists (
                        select 1 from pg_locks as locks
                        where locks.pid = activity.pid and locks.granted and locks.mode = 'RowExclusiveLock'
                            and locks.relation = to_regclass(%s)
                    )
                """,
                (f'%"node_id": "model.clickstream_warehouse.{model}"%', f"marts.{model}"),
            )
            found = cursor.fetchall()
            if found:
                return
            cursor.execute(
                "select state, wait_event_type, left(query, 300) from pg_stat_activity"
                " where datname = current_database() and pid <> pg_backend_pid()"
            )
            activity = cursor.fetchall()
        if process.poll() is not None:
            pytest.fail(f"the build ended before it was caught inside {model}; last activity: {activity}")
        time.sleep(0.01)
    pytest.fail(f"{model} never waited inside its transaction; activity: {activity}")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("CLICKSTREAM_SLOW") != "1", reason="three killed builds: set CLICKSTREAM_SLOW=1")
def test_several_builds_killed_in_a_row_are_followed_by_one_equal_to_a_full_refresh(prepared: Prepared) -> None:
    """Each killed build carries the unfinished work lists of the one before it on to the next."""
    copy = prepared.restore()
    for model in CHAINED_KILL_POINTS:
        assert _kill_after(prepared, model)[-1] == model
    _recover_and_compare(prepared, copy)


def test_every_model_of_the_build_is_a_kill_point_and_completes_after_every_work_list(prepared: Prepared) -> None:
    """MODELS names every model the build runs, and int_build_completed comes after every model that applies a
    work list (else a build killed between the two would count as completed)."""
    manifest = json.loads((prepared.target / "manifest.json").read_text(encoding="utf-8"))
    models = {node["unique_id"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {node["name"] for node in models.values()} == set(MODELS)
    work_lists = {uid for uid, node in models.items() if node["name"].endswith("_touched")}
    assert len(work_lists) == 4, work_lists
    appliers = {uid for uid, node in models.items() if work_lists & set(node["depends_on"]["nodes"])} - work_lists
    ancestors: set[str] = set()
    pending = ["model.clickstream_warehouse.int_build_completed"]
    while pending:
        for parent in models.get(pending.pop(), {}).get("depends_on", {}).get("nodes", []):
            if parent not in ancestors:
                ancestors.add(parent)
                pending.append(parent)
    assert appliers and appliers <= ancestors, sorted(appliers - ancestors)
