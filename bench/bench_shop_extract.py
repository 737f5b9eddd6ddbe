"""Shop extract benchmark: the shop's database at 1M orders and ~3M order items into the warehouse's raw_shop.

(1) the first run (every row) and (2) hourly runs, each after about 1% of the orders and their items changed
(statuses moved on, a tenth cancelled, a tenth refunded, new orders, price and stock changes: bench/shop_workload.py).
Each is measured for `clickstream extract-shop` (the dlt pipeline, its own process, as the hourly cycle runs it:
wall time, its CPU time, rows landed, peak RSS) and, side by side, for the floor: a plain
``COPY (select ...) TO STDOUT`` of the same tables (the first run) or of the same changed rows, with the same
overlap, into a staging table merged by id (an hourly run), piped into ``COPY ... FROM STDIN`` on the warehouse.

For each, the SHOP database's load: every statement the extract sent it, with its calls, total time, rows and
shared blocks read and hit, from pg_stat_statements (the bench's own PostgreSQL 15 is started with it preloaded
and track_io_timing on). The shop and the warehouse are two databases of that one durable server, as in
docs/shop-database.md's measurement; the warehouse is migrated for real and the extract writes as `transformer`
and reads as `shop_reader`. On a shared machine the wall time is mostly waiting for a core: the CPU time (user +
system of the extract's process; of this process for the floor) is what a run cost its client.

    .venv/bin/python -m bench.bench_shop_extract [--orders 1000000] [--repeat 3] [--hours 3] [--keep DIR]
                                                 [--extract-env KEY=VALUE ...]

``--extract-env`` passes dlt settings to the extract's process (e.g. ``NORMALIZE__WORKERS=2``,
``SOURCES__SQL_DATABASE__BACKEND=pyarrow``) to measure them without changing shop_extract/. With --keep the
filled shop database is reused by the next run with the same --keep and --orders.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg2
from psycopg2 import sql

from bench.peak_rss import run_measured
from bench.shop_workload import ShopSize, change_hour, fill_shop, hours_changed, table_counts
from local_only.postgres import Connection, LocalPostgres
from local_only.roles import RoleWarehouse
from local_only.shop_database.schema import TABLES, apply_schema, grant_reader
from warehouse.migrate import ROLE_NAMES

READER_PASSWORD = "shop-reader-bench-pw"
SHOP_DB = "bench_shop"
LAG_SECONDS = 900
# dlt's table names in raw_shop for the shop's tables (docs/shop-database.md)
RAW_NAMES = {
    "User": "user",
    "Product": "product",
    "Inventory": "inventory",
    "Order": "order",
    "OrderItem": "order_item",
    "Refund": "refund",
}
COPY_SCHEMA = "copy_shop"


@dataclass
class ShopLoad:
    """What one run asked of the shop's database (pg_stat_statements, that database only)."""

    statements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_ms(self) -> float:
        return sum(s["total_ms"] for s in self.statements)

    @property
    def calls(self) -> int:
        return sum(s["calls"] for s in self.statements)

    @property
    def blocks_read(self) -> int:
        return sum(s["blks_read"] for s in self.statements)

    @property
    def blocks_hit(self) -> int:
        return sum(s["blks_hit"] for s in self.statements)

    @property
    def rows(self) -> int:
        return sum(s["rows"] for s in self.statements)


@dataclass
class Measurement:
    way: str  # dlt or copy
    run: str  # first or hourly
    seconds: float
    rows: int
    peak_rss_mb: float | None
    # the client's user + system CPU time: the extract's process, or this process's for the COPY floor
    cpu_seconds: float
    load: ShopLoad
    # the warehouse's side: its statements' execution time (the load's COPY and merge), and dlt's steps in seconds
    warehouse_ms: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "rows": self.rows,
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "shop_calls": self.load.calls,
            "shop_ms": round(self.load.total_ms, 1),
            "shop_rows": self.load.rows,
            "shop_blks_read": self.load.blocks_read,
            "shop_blks_hit": self.load.blocks_hit,
            "warehouse_ms": round(self.warehouse_ms),
            **{f"dlt_{step}_s": round(seconds, 1) for step, seconds in self.steps.items()},
        }


# -- the server and its two databases -------------------------------------------------------------------------


def start_server(root: Path) -> LocalPostgres:
    """A durable PostgreSQL 15 of the bench's own with pg_stat_statements preloaded (ALTER SYSTEM, then a restart:
    local_only/postgres.py's start options stay as the tests and the demo have them)."""
    server = LocalPostgres(root, durable=True)
    server.ensure_running("postgres")
    conn = psycopg2.connect(server.connection("postgres").dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("show shared_preload_libraries")
            row = cursor.fetchone()
            loaded = row is not None and "pg_stat_statements" in row[0]
            if not loaded:
                cursor.execute("alter system set shared_preload_libraries = 'pg_stat_statements'")
                cursor.execute("alter system set track_io_timing = on")
    finally:
        conn.close()
    if not loaded:
        server.stop()
        server.ensure_running("postgres")
    admin_execute(server, "postgres", "create extension if not exists pg_stat_statements")
    return server


def admin_execute(server: LocalPostgres, database: str, statement: sql.Composable | str) -> None:
    conn = psycopg2.connect(server.connection(database).dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def shop_database(server: LocalPostgres, size: ShopSize) -> Connection:
    """The shop's database (Prisma's schema, shop_reader, the filled tables); reused when it already has `size`."""
    admin = server.connection(SHOP_DB)
    conn = psycopg2.connect(server.connection("postgres").dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (SHOP_DB,))
            exists = cursor.fetchone() is not None
    finally:
        conn.close()
    if exists:
        conn = psycopg2.connect(admin.dsn())
        try:
            # at `size`, or grown from it by the hourly changes of an earlier bench
            if size.orders <= table_counts(conn)["Order"] <= size.orders * 1.1:
                print(f"reusing the shop database {SHOP_DB} ({size.orders:,} orders)", flush=True)
                return admin
        finally:
            conn.close()
        admin_execute(server, "postgres", sql.SQL("drop database {} with (force)").format(sql.Identifier(SHOP_DB)))
    admin_execute(server, "postgres", sql.SQL("create database {}").format(sql.Identifier(SHOP_DB)))
    apply_schema(admin.dsn())
    grant_reader(admin.dsn(), READER_PASSWORD)
    started = time.perf_counter()
    counts = fill_shop(admin.dsn(), size)
    print(f"shop filled in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
    return admin


def shop_url(shop: Connection) -> str:
    return f"postgresql://shop_reader:{READER_PASSWORD}@{shop.host}:{shop.port}/{shop.database}"


def fresh_warehouse(server: LocalPostgres, name: str) -> RoleWarehouse:
    """An empty database `name`, migrated for real, each role with a password."""
    admin_execute(server, "postgres", sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    admin_execute(server, "postgres", sql.SQL("create database {}").format(sql.Identifier(name)))
    admin = server.connection(name)
    return RoleWarehouse.migrated(admin, {role: f"{role}-bench-pw" for role in ROLE_NAMES})


# -- the shop's load --------------------------------------------------------------------------------------------


def reset_statements(server: LocalPostgres) -> None:
    admin_execute(server, "postgres", "select pg_stat_statements_reset()")


def shop_statements(server: LocalPostgres, shop: Connection) -> ShopLoad:
    """Every statement run on the shop's database since the last reset, by shop_reader (the extract's role)."""
    conn = psycopg2.connect(server.connection("postgres").dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                """
                select s.query, s.calls, s.total_exec_time, s.rows, s.shared_blks_read, s.shared_blks_hit,
                       s.blk_read_time
                from pg_stat_statements s
                join pg_database d on d.oid = s.dbid
                join pg_roles r on r.oid = s.userid
                where d.datname = %s and r.rolname = 'shop_reader'
                order by s.total_exec_time desc
                """,
                (shop.database,),
            )
            rows = cursor.fetchall()
    finally:
        conn.close()
    return ShopLoad(
        [
            {
                "query": " ".join(query.split()),
                "calls": int(calls),
                "total_ms": float(total),
                "rows": int(count),
                "blks_read": int(read),
                "blks_hit": int(hit),
                "read_ms": float(read_ms),
            }
            for query, calls, total, count, read, hit, read_ms in rows
        ]
    )


def warehouse_ms(server: LocalPostgres, warehouse: RoleWarehouse) -> float:
    """The execution time of every statement run on the warehouse's database since the last reset."""
    conn = psycopg2.connect(server.connection("postgres").dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "select coalesce(sum(s.total_exec_time), 0) from pg_stat_statements s "
                "join pg_database d on d.oid = s.dbid where d.datname = %s",
                (warehouse.admin.database,),
            )
            row = cursor.fetchone()
    finally:
        conn.close()
    return float(row[0]) if row else 0.0


def dlt_steps(workdir: Path) -> dict[str, float]:
    """How long each step of the extract's last dlt run took (extract, normalize, load), from its stored trace."""
    import dlt

    trace = dlt.attach(pipeline_name="shop_extract", pipelines_dir=str(workdir)).last_trace
    steps: dict[str, float] = {}
    for step in trace.steps if trace is not None else ():
        if step.started_at is not None and step.finished_at is not None and step.step != "run":
            steps[step.step] = steps.get(step.step, 0.0) + (step.finished_at - step.started_at).total_seconds()
    return steps


# -- (a) the extract: `clickstream extract-shop` -----------------------------------------------------------------


def run_dlt(
    server: LocalPostgres, shop: Connection, warehouse: RoleWarehouse, workdir: Path, extra_env: dict[str, str]
) -> Measurement:
    """`clickstream extract-shop` in its own process, as the hourly cycle and the EC2 run it, with its peak RSS."""
    env = warehouse.env(
        "transformer",
        SHOP_DATABASE_URL=shop_url(shop),
        SHOP_EXTRACT_LAG_SECONDS=str(LAG_SECONDS),
        SHOP_EXTRACT_WORKDIR=str(workdir),
        RUNTIME__DLTHUB_TELEMETRY="false",
        **extra_env,
    )
    command = [str(Path(sys.executable).with_name("clickstream")), "extract-shop", "--trigger", "bench"]
    first = not (workdir / "shop_extract").exists()
    reset_statements(server)
    run = run_measured(command, env)
    if run.returncode != 0:
        raise RuntimeError(f"extract-shop failed ({run.returncode}):\n{run.stderr[-3000:]}")
    load = shop_statements(server, shop)
    conn = psycopg2.connect(warehouse.admin.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute("select rows_extracted from ops.shop_extract_runs order by started_at desc limit 1")
            row = cursor.fetchone()
    finally:
        conn.close()
    rows = sum(int(v) for v in (row[0] if row else {}).values())
    spent = warehouse_ms(server, warehouse)
    kind = "first" if first else "hourly"
    return Measurement(
        "dlt", kind, run.seconds, rows, run.peak_rss_mb, run.cpu_seconds, load, spent, dlt_steps(workdir)
    )


# -- (b) the floor: COPY out of the shop, COPY into the warehouse -----------------------------------------------


def _pipe_copy(source: Any, out_sql: str, target: Any, in_sql: str) -> int:
    """COPY ... TO STDOUT on `source` streamed into COPY ... FROM STDIN on `target` through an OS pipe."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as sink, source.cursor() as cursor:
                cursor.copy_expert(out_sql, sink)
        except BaseException as exc:  # re-raised below, in the caller's thread
            failure.append(exc)

    producer = threading.Thread(target=produce)
    producer.start()
    with os.fdopen(read_fd, "rb") as pipe, target.cursor() as cursor:
        cursor.copy_expert(in_sql, pipe)
        copied = cursor.rowcount
    producer.join()
    if failure:
        raise failure[0]
    return int(copied)


def copy_columns(shop: Connection, table: str) -> list[tuple[str, str]]:
    """The table's columns and their types, enums as text (as dlt lands them)."""
    conn = psycopg2.connect(shop.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                """
                select a.attname, case when t.typtype = 'e' then 'text' else format_type(a.atttypid, a.atttypmod) end
                from pg_attribute a join pg_type t on t.oid = a.atttypid
                where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum
                """,
                (f'public."{table}"',),
            )
            return [(str(name), str(kind)) for name, kind in cursor.fetchall()]
    finally:
        conn.close()


def prepare_copy_target(shop: Connection, warehouse: RoleWarehouse) -> None:
    """copy_shop.<table> in the warehouse: the shop's columns, primary key id (what the merge needs)."""
    conn = psycopg2.connect(warehouse.admin.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(COPY_SCHEMA)))
            cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(COPY_SCHEMA)))
            for table in TABLES:
                columns = sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                    for name, kind in copy_columns(shop, table)
                )
                cursor.execute(
                    sql.SQL("create table {}.{} ({}, primary key (id))").format(
                        sql.Identifier(COPY_SCHEMA), sql.Identifier(RAW_NAMES[table]), columns
                    )
                )
        conn.commit()
    finally:
        conn.close()


def run_copy(server: LocalPostgres, shop: Connection, warehouse: RoleWarehouse, *, first: bool) -> Measurement:
    """Each table: the first run copies every row; an hourly run copies the rows at or after the newest updatedAt
    already copied less the lag into a temporary table, then merges them by id (insert ... on conflict update),
    all in one warehouse transaction, as a hand-written COPY extract would."""
    columns = {table: [column for column, _ in copy_columns(shop, table)] for table in TABLES}
    reset_statements(server)
    started, cpu_started = time.perf_counter(), time.process_time()
    source = psycopg2.connect(shop_url(shop), options="-c default_transaction_read_only=on")
    target = psycopg2.connect(warehouse.admin.dsn())
    rows = 0
    try:
        with target.cursor() as cursor:
            for table in TABLES:
                name = sql.Identifier(COPY_SCHEMA, RAW_NAMES[table])
                if first:
                    out_sql = f'COPY (select * from public."{table}") TO STDOUT'
                    rows += _pipe_copy(
                        source, out_sql, target, sql.SQL("COPY {} FROM STDIN").format(name).as_string(target)
                    )
                    continue
                cursor.execute(sql.SQL('select max("updatedAt") from {}').format(name))
                newest = cursor.fetchone()
                since = newest[0] if newest else None
                where = ""
                if since is not None:
                    cursor_sql = f"timestamp '{since:%Y-%m-%d %H:%M:%S.%f}' - interval '{LAG_SECONDS} seconds'"
                    where = f' where "updatedAt" >= {cursor_sql}'
                cursor.execute(
                    sql.SQL("create temp table staging on commit drop as select * from {} with no data").format(name)
                )
                out_sql = f'COPY (select * from public."{table}"{where}) TO STDOUT'
                rows += _pipe_copy(source, out_sql, target, "COPY staging FROM STDIN")
                cursor.execute(
                    sql.SQL("insert into {} select * from staging on conflict (id) do update set {}").format(
                        name,
                        sql.SQL(", ").join(
                            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(column)) for column in columns[table]
                        ),
                    )
                )
                cursor.execute("drop table staging")
        target.commit()
        source.commit()
    finally:
        source.close()
        target.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    kind = "first" if first else "hourly"
    load = shop_statements(server, shop)
    return Measurement("copy", kind, seconds, rows, None, cpu, load, warehouse_ms(server, warehouse))


# -- checks and the report --------------------------------------------------------------------------------------


def landed_equals_shop(shop: Connection, warehouse: RoleWarehouse) -> None:
    """raw_shop and copy_shop each hold exactly the shop's rows: every id, once (a bench of a broken extract is
    worth nothing)."""
    conn = psycopg2.connect(shop.dsn())
    try:
        expected = table_counts(conn)
    finally:
        conn.close()
    conn = psycopg2.connect(warehouse.admin.dsn())
    try:
        with conn.cursor() as cursor:
            for table, raw in RAW_NAMES.items():
                for schema in ("raw_shop", COPY_SCHEMA):
                    cursor.execute(
                        sql.SQL("select count(*), count(distinct id) from {}").format(sql.Identifier(schema, raw))
                    )
                    row = cursor.fetchone()
                    assert row is not None
                    assert row[0] == row[1] == expected[table], f"{schema}.{raw}: {row} rows, the shop has {expected}"
    finally:
        conn.close()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_table(measurements: list[Measurement]) -> dict[str, dict[str, Any]]:
    """Per run kind and way: the median of each figure over the repeats."""
    groups: dict[str, list[Measurement]] = {}
    for m in measurements:
        groups.setdefault(f"{m.run}/{m.way}", []).append(m)
    table: dict[str, dict[str, Any]] = {}
    for key, group in groups.items():
        summaries = [m.summary() for m in group]
        figures = {figure: [s[figure] for s in summaries if s.get(figure) is not None] for figure in summaries[0]}
        table[key] = {figure: statistics.median(values) if values else None for figure, values in figures.items()}
        table[key]["runs"] = len(group)
    return table


def run_bench(workdir: Path, size: ShopSize, *, repeat: int, hours: int, extra_env: dict[str, str]) -> dict[str, Any]:
    server = start_server(workdir / "pg")
    measurements: list[Measurement] = []
    loads: list[str] = []
    try:
        shop = shop_database(server, size)
        warehouse = fresh_warehouse(server, "bench_dw")
        for attempt in range(repeat):
            if attempt:
                warehouse = fresh_warehouse(server, "bench_dw")
            dlt_dir = workdir / "dlt"
            shutil.rmtree(dlt_dir, ignore_errors=True)
            measurements.append(run_dlt(server, shop, warehouse, dlt_dir, extra_env))
            prepare_copy_target(shop, warehouse)
            measurements.append(run_copy(server, shop, warehouse, first=True))
            loads.append(load_average())
            print(f"first run {attempt + 1}: {describe(measurements[-2:])}; load {loads[-1]}", flush=True)
        landed_equals_shop(shop, warehouse)
        done = hours_changed(shop.dsn())
        for hour in range(done + 1, done + hours + 1):
            changed = change_hour(shop.dsn(), size, hour)
            measurements.append(run_dlt(server, shop, warehouse, workdir / "dlt", extra_env))
            measurements.append(run_copy(server, shop, warehouse, first=False))
            loads.append(load_average())
            print(f"hour {hour} ({changed}): {describe(measurements[-2:])}; load {loads[-1]}", flush=True)
            landed_equals_shop(shop, warehouse)
    finally:
        server.stop()
    last = {f"{m.run}/{m.way}": m for m in measurements}
    return {
        "orders": size.orders,
        "extra_env": extra_env,
        "medians": median_table(measurements),
        "each_run": [{"run": f"{m.run}/{m.way}", **m.summary()} for m in measurements],
        "load_averages": loads,
        "shop_statements_of_the_last_runs": {key: grouped_statements(m.load) for key, m in last.items()},
    }


def grouped_statements(load: ShopLoad) -> list[dict[str, Any]]:
    """The statements, the same text with its cursor's name counted as one (dlt's FETCH from a named cursor per
    table); the catalogue queries and session set-up under one line."""
    groups: dict[str, dict[str, Any]] = {}
    for statement in load.statements:
        query = re.sub(r'"c_[0-9a-f]+_[0-9]+"', '"c_…"', statement["query"])
        if "pg_catalog" in query or query.lower().startswith(
            ("show ", "select pg_catalog", "begin", "commit", "close")
        ):
            query = "catalogue, session set-up, BEGIN/COMMIT/CLOSE"
        group = groups.setdefault(
            query,
            {"query": query, "calls": 0, "total_ms": 0.0, "rows": 0, "blks_read": 0, "blks_hit": 0, "statements": 0},
        )
        group["statements"] += 1
        for figure in ("calls", "total_ms", "rows", "blks_read", "blks_hit"):
            group[figure] += statement[figure]
    return sorted(groups.values(), key=lambda group: -group["total_ms"])


def describe(measurements: list[Measurement]) -> str:
    return ", ".join(
        f"{m.way} {m.seconds:.1f}s {m.rows:,} rows (shop {m.load.total_ms:.0f} ms, {m.load.calls} calls)"
        for m in measurements
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="first runs, each into a fresh warehouse")
    parser.add_argument("--hours", type=int, default=3, help="hourly runs after the last first run")
    parser.add_argument("--extract-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.extract_env)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="clickstream-bench-shop-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    try:
        result = run_bench(workdir, ShopSize(args.orders), repeat=args.repeat, hours=args.hours, extra_env=extra_env)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
