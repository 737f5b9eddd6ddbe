"""The capacity benchmark at a tiny size: two runs of one cycle each continue one history, and the report reads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from bench.bench_capacity import (
    START,
    Cycle,
    p95,
    per_event_fit,
    phases,
    read_cycles,
    report,
    run_levels,
    slope_per_million,
)
from local_only.postgres import LocalPostgres

DATABASE = "t_bench_capacity"
# The models of the events' chain only (the transform's freshness reads clickstream_events): the bench's bookkeeping
# is under test here, not the models (tests/dbt_project builds them all).
SLICE = ("+clickstream_events",)


def _cycle(level: int, raw_before: int, seconds: float, day: str = "2025-10-06") -> Cycle:
    return Cycle(
        level=level,
        day=day,
        started_utc="2026-12-03T19:00:00Z",
        load_average=(1.0, 1.0, 1.0),
        generated_events=level,
        generate_s=1.0,
        load_s=seconds / 4,
        transform_s=seconds * 3 / 4,
        loaded_rows=level,
        raw_rows_after=raw_before + level,
        db_bytes=(raw_before + level) * 5000,
        schema_bytes={"raw": (raw_before + level) * 2000},
        biggest=[("raw.raw_events", (raw_before + level) * 2000)],
        slowest=[("sessions", seconds / 2), ("stg_clickstream__events", seconds / 4)],
    )


@pytest.mark.unit
def test_a_level_run_again_later_is_a_phase_of_its_own() -> None:
    cycles = [_cycle(10, 0, 1), _cycle(10, 10, 1), _cycle(100, 20, 2), _cycle(10, 120, 3)]
    assert [[c.level for c in group] for group in phases(cycles)] == [[10, 10], [100], [10]]


@pytest.mark.unit
def test_the_trend_is_seconds_per_million_rows_of_history() -> None:
    # 10 s more per million rows of history
    cycles = [_cycle(1000, n * 1_000_000, 20 + 10 * n) for n in range(4)]
    slope = slope_per_million(cycles)
    assert slope == pytest.approx(10.0)
    assert slope_per_million(cycles[:1]) is None
    assert p95([5.0]) == 5.0
    assert 33 < p95([20.0, 30.0, 40.0, 50.0]) < 50


@pytest.mark.unit
def test_the_report_says_when_a_level_misses_the_quarter_hour() -> None:
    table = report([_cycle(10_000, 0, 30), _cycle(1_000_000, 10_000, 1200), _cycle(1_000_000, 1_010_000, 1300)])
    rows = [line for line in table.splitlines() if line.startswith("| 1")]
    assert len(rows) == 2
    assert rows[0].split(" | ")[10] == "yes"
    assert rows[1].split(" | ")[10] == "**no**"
    assert "`sessions` 625.0 s" in rows[1]


@pytest.mark.unit
def test_the_per_event_cost_is_the_slope_over_new_rows() -> None:
    # 20 s fixed, 1 s per 1,000 new rows
    cycles = [_cycle(level, 0, 20 + level / 1000) for level in (1_000, 10_000, 100_000)]
    fixed, per_row = per_event_fit(cycles) or (0.0, 0.0)
    assert fixed == pytest.approx(20.0)
    assert per_row == pytest.approx(0.001)
    assert per_event_fit(cycles[:1]) is None


@pytest.fixture
def capacity_database(postgres_server: LocalPostgres) -> Iterator[str]:
    yield DATABASE
    conn = psycopg2.connect(postgres_server.connection("postgres").dsn())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))
    conn.close()


@pytest.mark.integration
def test_a_second_run_continues_the_kept_history(
    postgres_server: LocalPostgres, capacity_database: str, tmp_path: Path
) -> None:
    first = run_levels(postgres_server, tmp_path, [(300, 1)], database=capacity_database, select=SLICE, prune=True)
    second = run_levels(postgres_server, tmp_path, [(300, 1)], database=capacity_database, select=SLICE, prune=True)

    cycles = read_cycles(tmp_path)
    assert [c.day for c in cycles] == [START.isoformat(), date(START.year, START.month, START.day + 1).isoformat()]
    assert cycles == first + second
    assert cycles[0].loaded_rows > 0 and cycles[1].loaded_rows > 0
    # the second cycle landed on top of the first's rows: the history grew
    assert cycles[1].raw_rows_after == cycles[0].raw_rows_after + cycles[1].loaded_rows
    assert cycles[1].db_bytes >= cycles[0].db_bytes
    assert cycles[1].schema_bytes["raw"] > 0 and cycles[1].slowest
    # the loaded days' objects are gone from the store; each day's generation is marked, so a rerun reuses it
    assert not (tmp_path / "store" / "events" / f"{START:%Y/%m/%d}").exists()
    assert (tmp_path / "store" / f".generated-{START.isoformat()}").exists()
    assert report(cycles).count("\n| 300 |") == 1
