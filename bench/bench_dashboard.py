"""How long each dashboard page's data takes: every query a page issues for the default filters, cache off.

    # an existing warehouse (any role that reads the marts; the dashboard role is what production uses)
    .venv/bin/python -m bench.bench_dashboard \
        --dsn "host=127.0.0.1 port=5432 dbname=clickstream_dw user=dashboard password=..."
    # or build one first (generate -> load -> dbt build, `clickstream demo --no-dashboard`) in a data folder
    .venv/bin/python -m bench.bench_dashboard --build 1m --data-dir /tmp/dash-1m
    # ~5M events over 96 days (a "last 90 days" with data), the default week and 90 days each in turn
    .venv/bin/python -m bench.bench_dashboard --build 5m --history-days 96 --events-per-day 53000 \
        --data-dir .data/bench-5m-96d --days 7 90
    # one page of a warehouse already built (its password in the data folder's warehouse.env)
    .venv/bin/python -m bench.bench_dashboard --dsn "..." --pages acquisition --days 90 --repeat 9

Each page's loader (dashboard.data.loaders.PAGE_LOADERS) runs `--repeat` times after one warm-up (the warm-up
reads the tables into the buffer cache, as a dashboard in use has them); the median and p95 of those runs are
printed per page and range, plus the filtered variants (one device type, one channel). The targets (issue 16):
every page under 0.5 s median for the default range and under 1 s for 90 days, at 5M events.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from psycopg2.extensions import parse_dsn

from dashboard.data.loaders import PAGE_LOADERS
from dashboard.data.status import last_days_with_data, status
from dashboard.filters import Filters
from dashboard.settings import DashboardSettings
from dashboard.warehouse import Warehouse
from warehouse.connection import WarehouseSettings

REPO = Path(__file__).resolve().parents[1]


def build(
    size: str, data_dir: Path, history_days: int | None = None, events_per_day: int | None = None
) -> WarehouseSettings:
    """`clickstream demo --no-dashboard --size SIZE` into `data_dir` (reused when already built there); its days
    and events a day overridden by `history_days` and `events_per_day` (a long history at the same total)."""
    env = {**os.environ, "CLICKSTREAM_DATA_DIR": str(data_dir)}
    for name in [name for name in env if name.startswith("DW_PG_")]:
        del env[name]
    command = [str(Path(sys.executable).parent / "clickstream"), "demo", "--no-dashboard", "--size", size]
    if history_days is not None:
        command += ["--days", str(history_days)]
    if events_per_day is not None:
        command += ["--events-per-day", str(events_per_day)]
    subprocess.run([*command, "--replay-hours", "0"], env=env, check=True, cwd=REPO)
    return from_env_file(data_dir / "warehouse.env")


def from_env_file(path: Path) -> WarehouseSettings:
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name] = value
    return WarehouseSettings(
        host=values["DW_PG_HOST"],
        port=int(values["DW_PG_PORT"]),
        database=values["DW_PG_DATABASE"],
        user="dashboard",
        password=values["DW_DASHBOARD_PASSWORD"],
    )


def from_dsn(dsn: str) -> WarehouseSettings:
    parts = parse_dsn(dsn)
    return WarehouseSettings(
        host=parts.get("host", "127.0.0.1"),
        port=int(parts.get("port", 5432)),
        database=parts.get("dbname", "clickstream_dw"),
        user=parts.get("user", "dashboard"),
        password=parts.get("password", ""),
    )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_page(load: Callable[[], Any], repeat: int) -> list[float]:
    load()  # warm-up
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        load()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dsn", help="libpq connection string of a built warehouse")
    source.add_argument("--build", choices=["tiny", "default", "1m", "5m"], help="build a warehouse of this size")
    parser.add_argument("--data-dir", type=Path, default=Path(".data-bench"), help="where --build keeps it")
    parser.add_argument("--history-days", type=int, help="--build: days of traffic (overrides the size's)")
    parser.add_argument("--events-per-day", type=int, help="--build: events a day (overrides the size's)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--days",
        type=int,
        nargs="+",
        default=[7],
        help="the date range's length up to the newest day (7: the default preset's); several: each in turn",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=list(PAGE_LOADERS),
        default=list(PAGE_LOADERS),
        help="only these pages (default: every page); one page measured before and after a change, in turn",
    )
    args = parser.parse_args()

    connection = (
        build(args.build, args.data_dir.resolve(), args.history_days, args.events_per_day)
        if args.build
        else from_dsn(args.dsn)
    )
    warehouse = Warehouse(connection, DashboardSettings(cache_ttl_seconds=0))
    found = status(warehouse)
    if found.state != "ready":
        raise SystemExit(f"nothing to measure: {found.state}: {found.message}")
    size = warehouse.fetch(
        "bench.size",
        "select (select count(*) from marts.clickstream_events) as events,"
        " (select count(*) from marts.sessions) as sessions",
        {},
    )[0]
    events, sessions = size["events"], size["sessions"]
    print(f"{events:,} events, {sessions:,} sessions; {args.repeat} runs per page after a warm-up, cache off")
    print(f"{'page':<12} {'days':>4} {'filters':<24} {'queries':>7} {'median s':>9} {'p95 s':>7}")
    for days in args.days:
        filters = last_days_with_data(found, days)
        print(f"# {filters.start} to {filters.end} ({filters.days} days), compared with {filters.comparison}")
        variants: list[tuple[str, Filters]] = [("all", filters)]
        if found.device_types:
            variants.append((f"device={found.device_types[0]}", replace(filters, device_type=found.device_types[0])))
        if found.channels:
            variants.append((f"channel={found.channels[0]}", replace(filters, channel=found.channels[0])))
        for name in args.pages:
            loader = PAGE_LOADERS[name]
            for label, chosen in variants:
                before = warehouse.queries_run
                seconds = time_page(functools.partial(loader, warehouse, chosen), args.repeat)
                queries = (warehouse.queries_run - before) // (args.repeat + 1)
                print(
                    f"{name:<12} {filters.days:>4} {label:<24} {queries:>7} {statistics.median(seconds):>9.3f} "
                    f"{percentile(seconds, 0.95):>7.3f}",
                    flush=True,
                )
    warehouse.close()


if __name__ == "__main__":
    main()
