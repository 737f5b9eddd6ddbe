"""Loader memory benchmark: peak RSS of `clickstream load` (compaction on) for objects of extreme sizes.

Two cases, each in its own hour of a fresh local store, loaded into a fresh database of a durable PostgreSQL 15:

- one object of `--big-mb` MB (default 200) that is a single line (far over the line limit: rejected and kept as
  its prefix, size and hash);
- `--tiny` objects (default 100,000) of one short line each;
- with `--with-lines`, also one object of `--big-mb` MB made of ordinary 1 KB lines (streamed and spooled).

The loader runs as the scheduler runs it, `clickstream load --target-hour ...` in its own process; its peak RSS is
read by a tiny wrapper process whose only child it is. Target: under 300 MB in both cases.

    .venv/bin/python -m bench.bench_loader_memory [--big-mb 200] [--tiny 100000] [--repeat 1] [--with-lines]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg2

from bench.bench_loader import fresh_database
from bench.peak_rss import run_measured
from local_only.postgres import Connection, LocalPostgres
from warehouse.rows import one_row

HOUR = datetime(2025, 12, 1, 5, tzinfo=UTC)


def write_big(root: Path, megabytes: int) -> None:
    """One object holding a single JSON line of `megabytes` MB, written in 1 MiB pieces."""
    path = root / f"events/{HOUR:%Y/%m/%d/%H}/event-big.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.write(b'{"eventId":"big","pad":"')
        for _ in range(megabytes):
            file.write(b"x" * (1 << 20))
        file.write(b'","receivedAt":"' + HOUR.strftime("%Y-%m-%dT%H:%M:%S.000Z").encode() + b'"}\n')


def write_big_of_lines(root: Path, megabytes: int) -> None:
    """One object of `megabytes` MB made of ordinary ~1 KB ingest-shaped lines (read as a stream, spooled)."""
    path = root / f"events/{HOUR:%Y/%m/%d/%H}/event-big.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = megabytes * 1024
    with path.open("wb") as file:
        for n in range(lines):
            received = HOUR + timedelta(milliseconds=n * 3600_000 // lines)
            line = {
                "eventId": f"b-{n:08d}",
                "eventName": "page_view",
                "pad": "x" * 950,
                "receivedAt": received.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
            file.write(orjson.dumps(line) + b"\n")


def write_tiny(root: Path, objects: int) -> None:
    """`objects` objects of one ingest-shaped line each, written straight to files (no fsync)."""
    directory = root / f"events/{HOUR:%Y/%m/%d/%H}"
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(objects):
        received = HOUR + timedelta(milliseconds=n * 3600_000 // objects)
        line = orjson.dumps(
            {
                "eventId": f"t-{n:08d}",
                "eventName": "page_view",
                "sessionId": f"s-{n // 10}",
                "receivedAt": received.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        )
        (directory / f"event-{n:08d}.json").write_bytes(line + b"\n")


def run_loader(root: Path, target: Connection) -> tuple[float, float, str]:
    env = {**os.environ, **target.env(), "RAW_STORE_URL": root.as_uri(), "COMPACT": "true"}
    loader = [str(Path(sys.executable).with_name("clickstream")), "load", "--target-hour", HOUR.isoformat(), "--quiet"]
    run = run_measured(loader, env)
    if run.returncode != 0:
        raise SystemExit(f"the loader failed ({run.returncode}): {run.stdout}{run.stderr}")
    return run.seconds, run.peak_rss_mb, " / ".join(run.stdout.splitlines())


def landed(target: Connection) -> tuple[int, int]:
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute("select (select count(*) from raw.raw_events), (select count(*) from raw.rejected_lines)")
        rows, rejected = one_row(cursor)
        return int(rows), int(rejected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--tiny", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--with-lines", action="store_true", help="also one --big-mb object of ordinary 1 KB lines")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="clickstream-bench-loader-memory-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    server = LocalPostgres(workdir / "pg", durable=True)
    server.ensure_running("postgres")
    cases = {
        f"one {args.big_mb} MB single-line object": (workdir / "raw-big", lambda root: write_big(root, args.big_mb)),
        f"{args.tiny:,} one-line objects": (workdir / "raw-tiny", lambda root: write_tiny(root, args.tiny)),
    }
    if args.with_lines:
        cases[f"one {args.big_mb} MB object of 1 KB lines"] = (
            workdir / "raw-big-lines",
            lambda root: write_big_of_lines(root, args.big_mb),
        )
    results = {}
    try:
        for name, (root, write) in cases.items():
            if not root.exists():
                write(root)
            peaks, times = [], []
            for attempt in range(args.repeat):
                target = fresh_database(server, f"bench_memory_{attempt}")
                seconds, peak, summary = run_loader(root, target)
                rows, rejected = landed(target)
                peaks.append(peak)
                times.append(seconds)
                print(
                    f"{name} run {attempt + 1}: {peak:.0f} MB peak RSS, {seconds:.1f} s, {rows} rows, {rejected} "
                    f"rejected ({summary})"
                )
            results[name] = {"peak_rss_mb_max": max(peaks), "seconds_median": statistics.median(times)}
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\ntarget: peak RSS < 300 MB in both cases")
    for name, result in results.items():
        print(f"{name:<40} {result['peak_rss_mb_max']:>6.0f} MB  {result['seconds_median']:>6.1f} s")
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
