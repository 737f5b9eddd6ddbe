"""Capacity benchmark: the hourly cycle (load the new objects, `clickstream transform`) replayed cycle after cycle
at given traffic levels, over a history that grows from one run to the next.

For each level L and each of its cycles: `clickstream generate` writes L events into the local store (not timed;
its time is recorded), then the timed cycle runs what the warehouse runs every hour: the loader over the new
objects (`run_load`, as `loader`) and `clickstream transform` (`run_transform`: the lock, the ledger row, the
incremental `dbt build` without unit tests, as `transformer`). Each cycle appends one JSON line to
KEEP/results.jsonl: load s, transform s, total s, rows loaded, raw rows after, the database's size (per schema,
the five biggest relations, partitions counted with their table), dbt's five slowest nodes from run_results.json,
and the load average when it started.

The generator simulates whole days, so one cycle's L events are one generated day at `--events-per-day L`
(nominal: the day's volume varies with the weekday, 0.8-1.2 L), loaded in one go: the cycle's work is L new
events, as an hour of that traffic would be, but their event times spread over a day instead of an hour (the
hourly marts touch 24 hour buckets instead of one or two: a little more work than a real hour). Each day has its
own seed, so each cycle's visitors are new ones.

The warehouse persists: KEEP/pg is a durable PostgreSQL 15 (fsync on) with the database `capacity`, KEEP/store
the raw store. A run continues after the newest cycle in results.jsonl (the next day), so the history grows over
several runs. `--prune-store` deletes the objects of the day a cycle loaded afterwards (the warehouse holds their
rows; about 2.5 KB of store per event): it saves disk, but costs minutes a cycle where deleting a file is slow (a
filesystem mounted with `discard`: about 6 minutes for a 500,000-event day here), outside the timed cycle.

    .venv/bin/python -m bench.bench_capacity --levels 10000:3,100000:3,500000:3,1000000:20 --until 20:20
    .venv/bin/python -m bench.bench_capacity --report      # the markdown table from KEEP/results.jsonl

Stops before a cycle when the wall clock passes `--until` (UTC, HH:MM) or when the database would pass
`--max-db-gb` after it (the last cycle's bytes per raw row times the level, added to the present size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg2

from bench.warehouse_run import (
    BenchWarehouse,
    database_exists,
    fresh_warehouse,
    generate_days,
    iso_hour,
    load,
    reopen_warehouse,
)
from local_only.postgres import LocalPostgres

REPO = Path(__file__).resolve().parents[1]
DEFAULT_KEEP = REPO / ".data" / "capacity"
DATABASE = "capacity"
RESULTS = "results.jsonl"
START = date(2025, 10, 6)
SEED = 18
SLOWEST = 5
BIGGEST = 5
# The cycle's budget: it runs every hour and should leave most of the hour free (retries, a backfill, the report).
TARGET_SECONDS = 15 * 60


@dataclass
class Cycle:
    level: int
    day: str
    started_utc: str
    load_average: tuple[float, float, float]
    generated_events: int
    generate_s: float
    load_s: float
    transform_s: float
    loaded_rows: int
    raw_rows_after: int
    db_bytes: int
    schema_bytes: dict[str, int]
    biggest: list[tuple[str, int]]
    slowest: list[tuple[str, float]]
    keep_bytes: int = 0

    @property
    def total_s(self) -> float:
        return self.load_s + self.transform_s

    @property
    def raw_rows_before(self) -> int:
        return self.raw_rows_after - self.loaded_rows


@dataclass
class Budget:
    until: datetime | None = None
    max_db_bytes: int | None = None
    stopped: list[str] = field(default_factory=list)

    def allows(self, cycles: list[Cycle], level: int) -> bool:
        if self.until is not None and datetime.now(UTC) >= self.until:
            self.stopped.append(f"the clock passed {self.until:%H:%M} UTC")
            return False
        if self.max_db_bytes is not None and cycles:
            last = cycles[-1]
            after = last.db_bytes + level * last.db_bytes / max(1, last.raw_rows_after)
            if after > self.max_db_bytes:
                self.stopped.append(f"the database would pass {self.max_db_bytes / 1e9:.0f} GB ({after / 1e9:.1f} GB)")
                return False
        return True


def read_cycles(keep: Path) -> list[Cycle]:
    path = keep / RESULTS
    if not path.exists():
        return []
    cycles = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            row = orjson.loads(line)
            row.pop("total_s", None)
            row["load_average"] = tuple(row["load_average"])
            row["biggest"] = [tuple(item) for item in row["biggest"]]
            row["slowest"] = [tuple(item) for item in row["slowest"]]
            cycles.append(Cycle(**row))
    return cycles


def _append(keep: Path, cycle: Cycle) -> None:
    with (keep / RESULTS).open("ab") as out:
        out.write(orjson.dumps({**asdict(cycle), "total_s": round(cycle.total_s, 2)}) + b"\n")


def next_day(cycles: list[Cycle]) -> date:
    return date.fromisoformat(cycles[-1].day) + timedelta(days=1) if cycles else START


def _dir_bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:  # a file PostgreSQL removed meanwhile
                continue
    return total


def _generate(store: Path, day: date, level: int, seed: int) -> tuple[int, float]:
    """`level` events on `day` into the store, once: a marker makes a rerun after a crash reuse them."""
    marker = store / f".generated-{day.isoformat()}"
    if marker.exists():
        sent, elapsed = marker.read_text().split()
        return int(sent), float(elapsed)  # generated before a crash; loaded now
    started = time.perf_counter()
    events = generate_days(store, start=day, days=1, seed=seed, events_per_day=level)
    seconds = time.perf_counter() - started
    marker.write_text(f"{events} {seconds:.2f}\n")
    return events, seconds


def _prune(store: Path, day: date) -> None:
    """Delete the store's objects of `day` (every kind): the cycle loaded them."""
    for kind in ("events", "rejected", "compacted"):
        shutil.rmtree(store / kind / f"{day:%Y/%m/%d}", ignore_errors=True)


def _transform(
    warehouse: BenchWarehouse, keep: Path, project: Path, select: tuple[str, ...] = ()
) -> tuple[float, list[tuple[str, float]]]:
    """`clickstream transform` as the command runs it; its seconds and dbt's slowest nodes. `select` builds a slice
    of the project for a quick check, without data tests (a singular test may read a model outside the slice)."""
    from transform_runner.dbt_build import DbtOptions
    from transform_runner.run import run_transform
    from transform_runner.settings import TransformSettings

    settings = TransformSettings(dbt_project_dir=project)
    target = keep / "target"
    options = DbtOptions(
        project_dir=project,
        profiles_dir=settings.profiles_dir,
        select=select,
        exclude=("resource_type:test",) if select else (),
        target_path=target,
        log_path=keep / "logs",
        quiet=True,
    )
    outcome = run_transform(options, warehouse.transformer, settings, trigger="capacity-bench")
    if outcome.status != "success":
        raise RuntimeError(outcome.describe())
    results = orjson.loads((target / "run_results.json").read_bytes())["results"]
    timings = sorted(((r["unique_id"].split(".")[2], r["execution_time"]) for r in results), key=lambda x: -x[1])
    return outcome.seconds, [(name, round(seconds, 2)) for name, seconds in timings[:SLOWEST]]


_SIZES = """
    select coalesce(parent_ns.nspname, n.nspname) as schema,
           coalesce(parent_ns.nspname || '.' || parent.relname, n.nspname || '.' || c.relname) as relation,
           pg_total_relation_size(c.oid) as bytes
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_inherits i on i.inhrelid = c.oid
    left join pg_class parent on parent.oid = i.inhparent
    left join pg_namespace parent_ns on parent_ns.oid = parent.relnamespace
    where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
"""


def measure_sizes(warehouse: BenchWarehouse) -> tuple[int, int, dict[str, int], list[tuple[str, int]]]:
    """Raw rows, the database's bytes, bytes per schema and the biggest relations (a partitioned table whole)."""
    with psycopg2.connect(warehouse.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute("select count(*) from raw.raw_events")
        raw_rows = int(cursor.fetchone()[0])  # type: ignore[index]
        cursor.execute("select pg_database_size(current_database())")
        db_bytes = int(cursor.fetchone()[0])  # type: ignore[index]
        cursor.execute(f"select schema, sum(bytes)::bigint from ({_SIZES}) s group by schema order by 2 desc")
        schemas = {name: int(size) for name, size in cursor.fetchall()}
        cursor.execute(f"select relation, sum(bytes)::bigint from ({_SIZES}) s group by relation order by 2 desc")
        biggest = [(name, int(size)) for name, size in cursor.fetchmany(BIGGEST)]
    return raw_rows, db_bytes, schemas, biggest


def run_cycle(
    warehouse: BenchWarehouse,
    keep: Path,
    project: Path,
    level: int,
    day: date,
    seed: int,
    *,
    prune: bool,
    select: tuple[str, ...] = (),
) -> Cycle:
    store = keep / "store"
    store.mkdir(parents=True, exist_ok=True)
    load_average = os.getloadavg()
    started_utc = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    events, generate_s = _generate(store, day, level, seed)
    first = datetime(day.year, day.month, day.day, tzinfo=UTC)
    started = time.perf_counter()
    # The day's hours: objects the previous day's visits sent after its midnight are in them too.
    rows = load(
        store.as_uri() + "?fsync=false",
        warehouse.loader,
        {"fromHour": iso_hour(first), "toHour": iso_hour(first + timedelta(hours=23))},
    )
    load_s = time.perf_counter() - started
    transform_s, slowest = _transform(warehouse, keep, project, select)
    if prune:
        _prune(store, day)
    raw_rows, db_bytes, schemas, biggest = measure_sizes(warehouse)
    return Cycle(
        level=level,
        day=day.isoformat(),
        started_utc=started_utc,
        load_average=(round(load_average[0], 2), round(load_average[1], 2), round(load_average[2], 2)),
        generated_events=events,
        generate_s=round(generate_s, 2),
        load_s=round(load_s, 2),
        transform_s=round(transform_s, 2),
        loaded_rows=rows,
        raw_rows_after=raw_rows,
        db_bytes=db_bytes,
        schema_bytes=schemas,
        biggest=biggest,
        slowest=slowest,
        keep_bytes=_dir_bytes(keep),
    )


def open_warehouse(server: LocalPostgres, database: str) -> BenchWarehouse:
    """The kept database, migrated and with new role passwords; a new one the first time."""
    if database_exists(server, database):
        return reopen_warehouse(server, database)
    return fresh_warehouse(server, database)


def run_levels(
    server: LocalPostgres,
    keep: Path,
    levels: list[tuple[int, int]],
    *,
    project: Path = REPO,
    database: str = DATABASE,
    budget: Budget | None = None,
    prune: bool = False,
    select: tuple[str, ...] = (),
) -> list[Cycle]:
    """Each (level, cycles) in turn, continuing the kept history; the cycles run, each appended to results.jsonl."""
    budget = budget or Budget()
    warehouse = open_warehouse(server, database)
    history = read_cycles(keep)
    done: list[Cycle] = []
    for level, count in levels:
        for _ in range(count):
            if not budget.allows(history, level):
                print(f"stopped: {budget.stopped[-1]}")
                return done
            day = next_day(history)
            seed = SEED + len(history)
            cycle = run_cycle(warehouse, keep, project, level, day, seed, prune=prune, select=select)
            _append(keep, cycle)
            history.append(cycle)
            done.append(cycle)
            print(
                f"{level:>9,}/cycle {day}: generated {cycle.generated_events:,} in {cycle.generate_s:.0f} s; "
                f"load {cycle.load_s:.1f} s ({cycle.loaded_rows:,} rows) + transform {cycle.transform_s:.1f} s = "
                f"{cycle.total_s:.1f} s; raw rows {cycle.raw_rows_after:,}, database {cycle.db_bytes / 1e9:.2f} GB; "
                f"load average {cycle.load_average[0]:.1f}; slowest {cycle.slowest[:3]}",
                flush=True,
            )
    return done


# The report


def phases(cycles: list[Cycle]) -> Iterator[list[Cycle]]:
    """Consecutive cycles at one level: a level run again later (at a longer history) is a phase of its own."""
    group: list[Cycle] = []
    for cycle in cycles:
        if group and cycle.level != group[-1].level:
            yield group
            group = []
        group.append(cycle)
    if group:
        yield group


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def slope_per_million(cycles: list[Cycle]) -> float | None:
    """Least-squares slope of cycle seconds against raw rows before the cycle, in seconds per million rows."""
    if len(cycles) < 2:
        return None
    xs = [c.raw_rows_before / 1e6 for c in cycles]
    ys = [c.total_s for c in cycles]
    if max(xs) == min(xs):
        return None
    return statistics.linear_regression(xs, ys).slope


def per_event_fit(cycles: list[Cycle]) -> tuple[float, float] | None:
    """(fixed seconds, seconds per new raw row): cycle time against the rows each cycle loaded."""
    rows = [c.loaded_rows for c in cycles]
    if len(set(rows)) < 2:
        return None
    fit = statistics.linear_regression(rows, [c.total_s for c in cycles])
    return fit.intercept, fit.slope


def _slowest_overall(cycles: list[Cycle]) -> str:
    """The nodes slowest in most cycles, with their median seconds where they were among the slowest."""
    seen: dict[str, list[float]] = {}
    for cycle in cycles:
        for name, seconds in cycle.slowest:
            seen.setdefault(name, []).append(seconds)
    ranked = sorted(seen.items(), key=lambda item: -statistics.median(item[1]))[:3]
    return ", ".join(f"`{name}` {statistics.median(values):.1f} s" for name, values in ranked)


def _millions(rows: int) -> str:
    return f"{rows / 1e6:.2f}M"


def report(cycles: list[Cycle]) -> str:
    """The markdown table: a row per phase (consecutive cycles at one level)."""
    lines = [
        "| events per cycle (nominal) | cycles | new raw rows (median) | history at start → end (raw rows) "
        "| cycle median (load + transform) | p95 | trend, s per 1M rows of history | database at end "
        "| bytes per raw row | slowest nodes (median s) | inside 15 min? | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for group in phases(cycles):
        totals = [c.total_s for c in group]
        slope = slope_per_million(group)
        last = group[-1]
        loads = [c.load_average[0] for c in group]
        inside = "yes" if p95(totals) < TARGET_SECONDS else "**no**"
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{group[0].level:,}",
                    str(len(group)),
                    f"{statistics.median(c.loaded_rows for c in group):,.0f}",
                    f"{_millions(group[0].raw_rows_before)} → {_millions(last.raw_rows_after)}",
                    f"{statistics.median(totals):.1f} s ({statistics.median(c.load_s for c in group):.1f} + "
                    f"{statistics.median(c.transform_s for c in group):.1f})",
                    f"{p95(totals):.1f} s",
                    "—" if slope is None else f"{slope:+.1f}",
                    f"{last.db_bytes / 1e9:.2f} GB",
                    f"{last.db_bytes / max(1, last.raw_rows_after):,.0f}",
                    _slowest_overall(group),
                    inside,
                    f"{min(loads):.1f} to {max(loads):.1f}",
                ]
            )
            + " |"
        )
    if cycles:
        last = cycles[-1]
        per_schema = ", ".join(
            f"{name} {size / max(1, last.raw_rows_after):,.0f}" for name, size in last.schema_bytes.items()
        )
        lines += [
            "",
            f"Bytes per raw row at the end ({_millions(last.raw_rows_after)} rows), by schema: {per_schema}. "
            f"Biggest relations: " + ", ".join(f"{name} {size / 1e9:.2f} GB" for name, size in last.biggest) + ".",
            f"Cycles from {cycles[0].started_utc} to {last.started_utc}.",
        ]
        fit = per_event_fit(cycles)
        if fit is not None:
            lines.append(
                f"Over all cycles, cycle s ≈ {fit[0]:.1f} + {fit[1] * 1e5:.1f} per 100,000 new rows (least squares)."
            )
    return "\n".join(lines)


def _levels(value: str) -> list[tuple[int, int]]:
    """`10000:3,100000:3`: (events per cycle, cycles) pairs; a level without `:N` runs --hours cycles."""
    pairs = []
    for part in value.split(","):
        level, _, count = part.partition(":")
        pairs.append((int(level), int(count) if count else 0))
    return pairs


def _until(value: str) -> datetime:
    now = datetime.now(UTC)
    hour, minute = (int(x) for x in value.split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--levels", default="10000,100000,500000,1000000", help="events per cycle, comma-separated, each LEVEL[:CYCLES]"
    )
    parser.add_argument("--hours", type=int, default=3, help="cycles per level when a level names none")
    parser.add_argument("--keep", type=Path, default=DEFAULT_KEEP, help=f"the kept warehouse (default {DEFAULT_KEEP})")
    parser.add_argument("--until", type=_until, help="start no cycle after this UTC time (HH:MM)")
    parser.add_argument("--max-db-gb", type=float, help="start no cycle that would take the database past this")
    parser.add_argument("--prune-store", action="store_true", help="delete each loaded day's objects from the store")
    parser.add_argument("--project-dir", type=Path, default=REPO, help="the dbt project (default: this repository's)")
    parser.add_argument("--report", action="store_true", help="print the markdown table of KEEP/results.jsonl")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    keep: Path = args.keep.resolve()
    if args.report:
        print(report(read_cycles(keep)))
        return
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    keep.mkdir(parents=True, exist_ok=True)
    keep.chmod(0o755)
    server = LocalPostgres(keep / "pg", durable=True)
    started_here = not server.is_running()
    server.ensure_running("postgres")
    levels = [(level, count or args.hours) for level, count in _levels(args.levels)]
    budget = Budget(until=args.until, max_db_bytes=None if args.max_db_gb is None else int(args.max_db_gb * 1e9))
    try:
        run_levels(server, keep, levels, project=args.project_dir.resolve(), budget=budget, prune=args.prune_store)
    finally:
        if started_here:
            server.stop()
    print(report(read_cycles(keep)))
    print(f"kept: {keep} (cluster {keep / 'pg'}, database {DATABASE}); continue with the same --keep")


if __name__ == "__main__":
    main()
