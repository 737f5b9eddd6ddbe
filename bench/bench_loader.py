"""Loader benchmark: 1,000,000 events landed in raw.raw_events, three ways, side by side in one run.

(a) the loader (`clickstream load`, a separate process: its wall time and peak RSS),
(b) PostgreSQL's own COPY of the same rows from one file (the limit),
(c) row inserts: INSERT in batches of 200 rows, one transaction per batch.

Both layouts of the issue: 10,000 objects of 100 lines and 100,000 objects of 10 lines, in the local store.
A durable PostgreSQL 15 (fsync on) started for the run; each measurement starts from an empty table.

    .venv/bin/python -m bench.bench_loader [--events 1000000] [--repeat 3] [--layouts 100,10]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg2
from psycopg2.extras import execute_values

from bench.ingest_workload import USER_AGENTS, event_payload
from bench.peak_rss import run_measured
from loader_lambda.lines import parse_object
from local_only.postgres import Connection, LocalPostgres
from raw_store import open_store
from warehouse.migrate import migrate
from warehouse.rows import one_row

FIRST_HOUR = datetime(2025, 12, 1, 0, tzinfo=UTC)
HOURS = 10


def enriched_line(rng: random.Random, i: int, received: datetime) -> bytes:
    """A line as the ingest writes it (about 1 KB)."""
    event = event_payload(rng, i)
    event.update(
        receivedAt=received.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        requestId=f"req-{i // 10}",
        userAgent=USER_AGENTS[i % len(USER_AGENTS)],
        device={"type": "desktop", "browser": "Chrome", "browserVersion": "124.0", "os": "Windows", "osVersion": "10"},
        ipHash=f"{rng.getrandbits(128):032x}",
        schemaVersion="1.0",
    )
    return orjson.dumps(event) + b"\n"


def write_store(root: Path, events: int, lines_per_object: int) -> None:
    store = open_store(root.as_uri() + "?fsync=false")
    rng = random.Random(lines_per_object)
    objects = events // lines_per_object
    per_hour = objects // HOURS
    for n in range(objects):
        hour = FIRST_HOUR + timedelta(hours=n // per_hour)
        received = hour + timedelta(seconds=(n % per_hour) * 3600 // per_hour)
        body = b"".join(enriched_line(rng, n * lines_per_object + j, received) for j in range(lines_per_object))
        store.put(f"events/{hour:%Y/%m/%d/%H}/event-{n:08d}.json", body)


def fresh_database(server: LocalPostgres, name: str) -> Connection:
    admin = server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}" with (force)')
        cursor.execute(f'create database "{name}"')
    conn.close()
    target = Connection(admin.host, admin.port, admin.user, admin.password, name)
    conn = psycopg2.connect(target.dsn())
    try:
        migrate(conn)
        with conn.cursor() as cursor:
            for day in range(1, 3):
                cursor.execute("select raw.ensure_day_partition(%s::date)", (f"2025-12-{day:02d}",))
        conn.commit()
    finally:
        conn.close()
    return target


def run_loader(root: Path, target: Connection) -> tuple[float, float]:
    """The loader as the scheduler runs it: `clickstream load` in its own process, with its peak RSS."""
    env = {**os.environ, **target.env(), "RAW_STORE_URL": root.as_uri(), "COMPACT": "false"}
    last = FIRST_HOUR + timedelta(hours=HOURS - 1)
    loader = [
        str(Path(sys.executable).with_name("clickstream")),
        "load",
        "--from-hour",
        FIRST_HOUR.isoformat(),
        "--to-hour",
        last.isoformat(),
        "--quiet",
    ]
    run = run_measured(loader, env)
    if run.returncode != 0:
        raise SystemExit(f"the loader failed ({run.returncode}): {run.stdout}{run.stderr}")
    return run.seconds, run.peak_rss_mb


def copy_file(root: Path, workdir: Path) -> Path:
    """The same rows as the loader lands, in COPY's text format, in one file the server can read."""
    path = workdir / "rows.copy"
    store = open_store(root.as_uri())
    with path.open("wb") as out:
        for hour in range(HOURS):
            moment = FIRST_HOUR + timedelta(hours=hour)
            for info in store.list(f"events/{moment:%Y/%m/%d/%H}/"):
                parsed = parse_object(info.key, info.etag, store.get(info.key), moment)
                out.write(b"\n".join([*parsed.copy_rows, b""]))
    path.chmod(0o644)
    return path


def run_copy(path: Path, target: Connection) -> float:
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(f"copy raw.raw_events (payload, s3_key, line_no, received_at) from '{path}'")
        conn.commit()
        return time.perf_counter() - start


def run_inserts(path: Path, target: Connection) -> float:
    """Row-by-row ETL: rows read, then INSERT ... VALUES in batches of 200, each batch committed."""
    rows: list[tuple[str, str, int, str]] = []
    for line in path.read_bytes().splitlines():
        payload, key, number, received = line.split(b"\t")
        text = payload.replace(b"\\t", b"\t").replace(b"\\r", b"\r").replace(b"\\\\", b"\\")
        rows.append((text.decode(), key.decode(), int(number), received.decode()))
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        start = time.perf_counter()
        for offset in range(0, len(rows), 200):
            execute_values(
                cursor,
                "insert into raw.raw_events (payload, s3_key, line_no, received_at) values %s",
                rows[offset : offset + 200],
                page_size=200,
            )
            conn.commit()
        return time.perf_counter() - start


def count_rows(target: Connection) -> int:
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute("select count(*) from raw.raw_events")
        return int(one_row(cursor)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layouts", default="100,10", help="lines per object, comma-separated")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="clickstream-bench-loader-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    server = LocalPostgres(workdir / "pg", durable=True)
    server.ensure_running("postgres")
    results: dict[str, Any] = {}
    try:
        for lines_per_object in (int(x) for x in args.layouts.split(",")):
            root = workdir / f"raw-{lines_per_object}"
            if not root.exists():
                write_store(root, args.events, lines_per_object)
            rows_file = copy_file(root, workdir)
            layout = f"{args.events // lines_per_object} objects x {lines_per_object} lines"
            timings: dict[str, list[float]] = {"loader": [], "copy": [], "insert200": []}
            peaks: list[float] = []
            for attempt in range(args.repeat):
                target = fresh_database(server, f"bench_loader_{attempt}")
                seconds, peak = run_loader(root, target)
                assert count_rows(target) == args.events, "the loader did not land every row"
                timings["loader"].append(seconds)
                peaks.append(peak)
                target = fresh_database(server, f"bench_copy_{attempt}")
                timings["copy"].append(run_copy(rows_file, target))
                target = fresh_database(server, f"bench_insert_{attempt}")
                timings["insert200"].append(run_inserts(rows_file, target))
                print(f"{layout} run {attempt + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in timings.items()))
            medians = {name: statistics.median(values) for name, values in timings.items()}
            rates = {name: args.events / seconds for name, seconds in medians.items()}
            results[layout] = {
                "seconds_median": medians,
                "rows_per_s": rates,
                "loader_vs_copy": rates["loader"] / rates["copy"],
                "loader_vs_insert200": rates["loader"] / rates["insert200"],
                "loader_peak_rss_mb_max": max(peaks),
                "runs": args.repeat,
            }
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{args.events:,} events, {args.repeat} runs each, medians; targets: loader >= 0.6x COPY, >= 2x INSERT200,")
    print("peak RSS < 300 MB")
    header = ("layout", "loader r/s", "COPY r/s", "INSERT200 r/s", "x COPY", "x INSERT", "RSS MB")
    print(
        f"{header[0]:<28} {header[1]:>11} {header[2]:>10} {header[3]:>14} {header[4]:>7} {header[5]:>9} {header[6]:>7}"
    )
    for layout, r in results.items():
        rate = r["rows_per_s"]
        print(
            f"{layout:<28} {rate['loader']:>11,.0f} {rate['copy']:>10,.0f} {rate['insert200']:>14,.0f} "
            f"{r['loader_vs_copy']:>7.2f} {r['loader_vs_insert200']:>9.2f} {r['loader_peak_rss_mb_max']:>7.0f}"
        )
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
