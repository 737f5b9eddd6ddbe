"""dbt benchmark: a full `dbt build` at 1M and 5M events of history, then the incremental build after one more hour.

Each size is built with the project's own tools: `clickstream generate` (the real ingest handler, in-process) writes
the traffic into a local file store, the loader (`run_load`) lands everything received before the held-out hours,
and dbt builds it in-process (`dbtRunner`, as the `transformer` role). Then each held-out hour is loaded and built
incrementally, one after the other, as the hourly schedule does: the incremental figure is the median over them.
Last, a `--full-refresh` build over the same (grown) data gives a second full figure beside the first.

The traffic rate is the same at both sizes (the generator's `--events-per-day`, 220,000, sends about 204,000 a day:
a million is 5 days); the larger size has a longer history, so one more hour is the same amount of new traffic on
more history: about 1% of the 1M size. Both sizes share one durable
PostgreSQL 15 (fsync on), one database each, measured in the same run. Unit tests are left out of every build
(`--exclude-resource-type unit_test`: they read no data, and cost the same at any size); data tests are in.

    .venv/bin/python -m bench.bench_dbt [--sizes 1000000,5000000] [--hours 3] [--keep DIR] [--project-dir DIR]

With `--keep DIR` the work directory stays: DIR/pg is the PostgreSQL cluster (stopped at the end; start it again
with `LocalPostgres(DIR / "pg").ensure_running()`), one database `bench_dbt_<size>` per size, DIR/raw-<size> the raw
store (reused by the next run with the same DIR) and DIR/results.json the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg2

from bench.warehouse_run import fresh_warehouse, generate_days, iso_hour, load, reopen_warehouse, scalar
from local_only.postgres import Connection, LocalPostgres
from warehouse.connection import WarehouseSettings

REPO = Path(__file__).resolve().parents[1]
START = date(2025, 10, 6)
SEED = 5
# The held-out hours are the evening of the last generated day (UTC): the busiest hours, the hardest case.
LAST_HELD_OUT_HOUR = 21
# --next-day's day at every size: the day after the 5M history (25 days), so each size gets the same new traffic
# (the same date and seed); after the 1M history (5 days) it is a return three weeks later.
NEXT_DAY = START + timedelta(days=25)
# Models whose time the summary names (the slowest of each build).
SLOWEST = 6


@dataclass
class Build:
    seconds: float
    # model or test name: seconds, the slowest first
    slowest: dict[str, float]
    raw_rows_after: int = 0
    new_raw_rows: int = 0


@dataclass
class SizeResult:
    size: int
    days: int
    events_per_day: int
    history_raw_rows: int = 0
    full: Build | None = None
    incremental: list[Build] = field(default_factory=list)
    full_refresh: Build | None = None

    @property
    def incremental_median(self) -> float:
        return statistics.median(build.seconds for build in self.incremental)


class Dbt:
    """`dbt` in-process, its target and logs in the work directory (a target path per database)."""

    def __init__(self, work: Path, project: Path) -> None:
        from dbt.cli.main import dbtRunner

        self.runner = dbtRunner()
        self.work = work
        self.project = project

    def invoke(self, command: str, *extra: str) -> tuple[float, dict[str, float]]:
        args = [
            command,
            "--project-dir",
            str(self.project),
            "--profiles-dir",
            str(self.project / "dbt_project"),
            "--target-path",
            str(self.work / "target"),
            "--log-path",
            str(self.work / "logs"),
            "--no-version-check",
            "--quiet",
            *extra,
        ]
        started = time.perf_counter()
        outcome = self.runner.invoke(args)
        seconds = time.perf_counter() - started
        if not outcome.success:
            problems = [
                f"{result.node.unique_id}: {result.status}: {result.message}"
                for result in getattr(outcome.result, "results", None) or []
                if str(result.status) not in ("success", "pass", "skipped")
            ]
            raise RuntimeError(f"dbt {command} failed: {outcome.exception or ''}\n" + "\n".join(problems))
        timings = {result.node.name: result.execution_time for result in getattr(outcome.result, "results", None) or []}
        slowest = dict(sorted(timings.items(), key=lambda item: -item[1])[:SLOWEST])
        return seconds, slowest

    def build(self, *extra: str) -> Build:
        seconds, slowest = self.invoke("build", "--exclude-resource-type", "unit_test", *extra)
        return Build(seconds, {name: round(value, 2) for name, value in slowest.items()})


def generate_store(root: Path, days: int, events_per_day: int) -> None:
    if (root / ".complete").exists():
        print(f"  reusing the generated store {root}")
        return
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    events = generate_days(root, start=START, days=days, seed=SEED, events_per_day=events_per_day)
    (root / ".complete").write_text(f"{events}\n")
    print(f"  generated {events:,} events in {time.perf_counter() - started:.0f} s")


def bench_size(
    server: LocalPostgres,
    workdir: Path,
    project: Path,
    size: int,
    *,
    events_per_day: int,
    days_per_million: float,
    hours: int,
) -> SizeResult:
    days = max(1, round(size / 1_000_000 * days_per_million))
    result = SizeResult(size=size, days=days, events_per_day=events_per_day)
    print(f"{size:,} events: {days} days of {events_per_day:,} events a day")
    root = workdir / f"raw-{size}"
    generate_store(root, days, events_per_day)
    store_url = root.as_uri() + "?fsync=false"

    warehouse = fresh_warehouse(server, f"bench_dbt_{size}")
    target, loader, dbt_env = warehouse.admin, warehouse.loader, warehouse.dbt_env()
    os.environ.update(dbt_env)
    (workdir / f"warehouse-{size}.env").write_text("".join(f"export {k}={v}\n" for k, v in dbt_env.items()))
    last_day = datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=days - 1)
    held_out = [last_day + timedelta(hours=LAST_HELD_OUT_HOUR - n) for n in range(hours - 1, -1, -1)]

    started = time.perf_counter()
    first = datetime(START.year, START.month, START.day, tzinfo=UTC) - timedelta(days=1)
    load(store_url, loader, {"fromHour": iso_hour(first), "toHour": iso_hour(held_out[0] - timedelta(hours=1))})
    result.history_raw_rows = scalar(target, "select count(*) from raw.raw_events")
    print(f"  loaded {result.history_raw_rows:,} raw rows in {time.perf_counter() - started:.0f} s")

    dbt = Dbt(workdir / f"dbt-{size}", project)
    # Parsing is not the build's work: every timed build below starts from the same parsed project.
    dbt.invoke("parse")
    result.full = dbt.build()
    result.full.raw_rows_after = result.history_raw_rows
    print(f"  full build: {result.full.seconds:.1f} s; slowest {result.full.slowest}")

    result.incremental = incremental_hours(target, dbt, store_url, loader, held_out)

    result.full_refresh = dbt.build("--full-refresh")
    print(f"  full refresh: {result.full_refresh.seconds:.1f} s; slowest {result.full_refresh.slowest}")
    _analyze_sizes(target)
    return result


def incremental_hours(
    target: Connection, dbt: Dbt, store_url: str, loader: WarehouseSettings, hours: list[datetime]
) -> list[Build]:
    """Each hour loaded as the schedule does, then one incremental build, timed."""
    builds = []
    for hour in hours:
        before = scalar(target, "select count(*) from raw.raw_events")
        load(store_url, loader, {"targetUtcHour": iso_hour(hour)})
        after = scalar(target, "select count(*) from raw.raw_events")
        build = dbt.build()
        build.raw_rows_after, build.new_raw_rows = after, after - before
        builds.append(build)
        print(
            f"  incremental after {hour:%d %H}:00 (+{build.new_raw_rows:,} rows, "
            f"{100 * build.new_raw_rows / before:.2f}%): {build.seconds:.1f} s; slowest {build.slowest}"
        )
    return builds


def more_hours(
    server: LocalPostgres, workdir: Path, project: Path, size: int, *, days_per_million: float, hours: int
) -> SizeResult:
    """A kept warehouse one run built: the hours after the held-out ones, loaded and built incrementally.

    For measuring a change to the models against the same history at every size, without building it again.
    """
    days = max(1, round(size / 1_000_000 * days_per_million))
    result = SizeResult(size=size, days=days, events_per_day=0)
    target, loader, dbt = _reopen(server, workdir, project, size)
    result.history_raw_rows = scalar(target, "select count(*) from raw.raw_events")
    last_day = datetime(START.year, START.month, START.day, tzinfo=UTC) + timedelta(days=days - 1)
    after_held_out = [last_day + timedelta(hours=LAST_HELD_OUT_HOUR + 1 + n) for n in range(hours)]
    print(f"{size:,} events: {result.history_raw_rows:,} raw rows so far")
    store_url = (workdir / f"raw-{size}").as_uri() + "?fsync=false"
    result.incremental = incremental_hours(target, dbt, store_url, loader, after_held_out)
    return result


def next_day(
    server: LocalPostgres,
    workdir: Path,
    project: Path,
    size: int,
    *,
    days_per_million: float,
    hours: int,
    day: date = NEXT_DAY,
) -> SizeResult:
    """A kept warehouse one run built, and a later day of traffic: the hourly builds of a warehouse fed hourly.

    The history of a fresh run is loaded in one go just before its held-out hours, so every history row carries a
    loaded_at of the last hour. This generates NEXT_DAY into the same store (the same date, seed and rate at every
    size: the same new traffic), loads and builds it up to the measured hours in one catch-up build (not timed),
    then loads and builds each measured hour (the evening of that day) in turn, as the schedule does.
    """
    days = max(1, round(size / 1_000_000 * days_per_million))
    result = SizeResult(size=size, days=days, events_per_day=0)
    target, loader, dbt = _reopen(server, workdir, project, size)
    extra_day = datetime(day.year, day.month, day.day, tzinfo=UTC)
    root = workdir / f"raw-{size}"
    marker = root / f".next-day-{extra_day:%Y%m%d}"
    if not marker.exists():
        events = generate_days(root, start=extra_day.date(), days=1, seed=SEED + 1, events_per_day=220_000)
        marker.write_text(f"{events}\n")
    store_url = root.as_uri() + "?fsync=false"
    # The evening hours ending at LAST_HELD_OUT_HOUR; BENCH_DBT_LAST_HOUR (e.g. 23) measures later ones after a run.
    last_hour = int(os.environ.get("BENCH_DBT_LAST_HOUR", LAST_HELD_OUT_HOUR))
    measured = [extra_day + timedelta(hours=last_hour - n) for n in range(hours - 1, -1, -1)]
    result.history_raw_rows = scalar(target, "select count(*) from raw.raw_events")
    load(
        store_url,
        loader,
        {"fromHour": iso_hour(extra_day - timedelta(hours=3)), "toHour": iso_hour(measured[0] - timedelta(hours=1))},
    )
    catch_up = dbt.build()
    result.history_raw_rows = scalar(target, "select count(*) from raw.raw_events")
    print(f"{size:,} events: {result.history_raw_rows:,} raw rows after a catch-up build of {catch_up.seconds:.1f} s")
    result.incremental = incremental_hours(target, dbt, store_url, loader, measured)
    return result


def full_refresh(server: LocalPostgres, workdir: Path, project: Path, size: int) -> Build:
    """`dbt build --full-refresh` of a kept warehouse, timed: every model rebuilt from all the raw rows."""
    target, _, dbt = _reopen(server, workdir, project, size)
    build = dbt.build("--full-refresh")
    raw_rows = scalar(target, "select count(*) from raw.raw_events")
    print(f"{size:,} events: full refresh over {raw_rows:,} raw rows {build.seconds:.1f} s; slowest {build.slowest}")
    return build


def _reopen(
    server: LocalPostgres, workdir: Path, project: Path, size: int
) -> tuple[Connection, WarehouseSettings, Dbt]:
    """A kept run's warehouse: new passwords for the loader and dbt, dbt's env set, the project parsed."""
    warehouse = reopen_warehouse(server, f"bench_dbt_{size}")
    os.environ.update(warehouse.dbt_env())
    target, loader = warehouse.admin, warehouse.loader
    dbt = Dbt(workdir / f"dbt-{size}", project)
    dbt.invoke("parse")
    return target, loader, dbt


def _analyze_sizes(target: Connection) -> None:
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(
            "select n.nspname || '.' || c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind = 'r' "
            "order by pg_total_relation_size(c.oid) desc limit 5"
        )
        print("  largest tables: " + ", ".join(f"{name} {size}" for name, size in cursor.fetchall()))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000", help="events of history, comma-separated")
    parser.add_argument("--events-per-day", type=int, default=220_000, help="the generator's nominal daily rate")
    parser.add_argument("--days-per-million", type=float, default=5.0, help="days of traffic per million events")
    parser.add_argument("--hours", type=int, default=3, help="held-out hours, each loaded and built incrementally")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument(
        "--more-hours",
        action="store_true",
        help="with --keep DIR of an earlier run: only load and build the hours after its held-out ones",
    )
    parser.add_argument(
        "--next-day",
        action="store_true",
        help="with --keep DIR of an earlier run: generate the day after its history, catch up to the evening, "
        "then load and build --hours evening hours one by one",
    )
    parser.add_argument(
        "--then-full-refresh",
        action="store_true",
        help="with --next-day or --more-hours: after the measured hours, time a `dbt build --full-refresh` of the "
        "same warehouse (the full figure for the models measured)",
    )
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        default=NEXT_DAY,
        help=f"with --next-day: the day to generate and measure (default {NEXT_DAY}; a later one measures again "
        "on a warehouse that already had the default)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=REPO,
        help="the dbt project (default: this repository's; a copy keeps "
        "the measured models fixed while the tree is edited)",
    )
    return parser.parse_args()


def _print_summary(results: list[SizeResult], hours: int) -> None:
    print(f"\nmedians of {hours} incremental builds; targets: incremental <= 15% of full at the largest size,")
    print("incremental at the largest size <= 1.5x the smallest's")
    columns = ("history", "raw rows", "full s", "refresh s", "incr s", "new rows", "incr/full")
    print(" ".join(f"{name:>10}" for name in columns))
    for r in results:
        new_rows = statistics.median(build.new_raw_rows for build in r.incremental)
        full = r.full or r.full_refresh  # a later-hours run has only the refresh (--then-full-refresh)
        cells = [
            f"{r.size:>10,}",
            f"{r.history_raw_rows:>10,}",
            f"{r.full.seconds:>10.1f}" if r.full else f"{'':>10}",
            f"{r.full_refresh.seconds:>10.1f}" if r.full_refresh else f"{'':>10}",
            f"{r.incremental_median:>10.1f}",
            f"{new_rows:>10,.0f}",
            f"{r.incremental_median / full.seconds:>10.1%}" if full else "",
        ]
        print(" ".join(cells))
    if len(results) > 1:
        print(f"incremental, largest / smallest: {results[-1].incremental_median / results[0].incremental_median:.2f}x")


def main() -> None:
    args = _arguments()
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"

    workdir = (args.keep or Path(tempfile.mkdtemp(prefix="clickstream-bench-dbt-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    server = LocalPostgres(workdir / "pg", durable=True)
    # A kept cluster may be serving someone else (the dashboard's benchmark reads the same warehouses): a run stops
    # only a server it started.
    started_here = not server.is_running()
    server.ensure_running("postgres")
    results: list[SizeResult] = []
    try:
        for size in (int(x) for x in args.sizes.split(",")):
            project = args.project_dir.resolve()
            if args.more_hours or args.next_day:
                later = {"days_per_million": args.days_per_million, "hours": args.hours}
                if args.next_day:
                    results.append(next_day(server, workdir, project, size, day=args.day, **later))
                else:
                    results.append(more_hours(server, workdir, project, size, **later))
                if args.then_full_refresh:
                    results[-1].full_refresh = full_refresh(server, workdir, project, size)
                name = "results-next-day.json" if args.next_day else "results-more-hours.json"
                (workdir / name).write_bytes(orjson.dumps([asdict(r) for r in results], option=orjson.OPT_INDENT_2))
                continue
            results.append(
                bench_size(
                    server,
                    workdir,
                    project,
                    size,
                    events_per_day=args.events_per_day,
                    days_per_million=args.days_per_million,
                    hours=args.hours,
                )
            )
            (workdir / "results.json").write_bytes(
                orjson.dumps([asdict(r) for r in results], option=orjson.OPT_INDENT_2)
            )
    finally:
        if started_here:
            server.stop()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    _print_summary(results, args.hours)
    if args.keep:
        print(f"kept: {workdir} (cluster {workdir / 'pg'}, databases bench_dbt_<size>)")


if __name__ == "__main__":
    main()
