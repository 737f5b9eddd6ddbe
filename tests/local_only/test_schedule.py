"""`clickstream schedule`: minute 5 of every hour, a failed run is survived, SIGTERM stops it cleanly."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from support.transform_kit import CLICKSTREAM

from local_only.schedule import next_run, run_schedule


class FakeClock:
    """Time that passes only when the scheduler waits (it jumps to the moment) or a job says it took a while."""

    def __init__(self, start: datetime) -> None:
        self.moment = start
        self.waits: list[datetime] = []

    def now(self) -> datetime:
        return self.moment

    def wait_until(self, moment: datetime, stop: threading.Event) -> None:
        self.waits.append(moment)
        if not stop.is_set():
            self.moment = max(self.moment, moment)

    def spend(self, minutes: float) -> None:
        self.moment += timedelta(minutes=minutes)


def _job(
    clock: FakeClock, stop: threading.Event, runs: int, outcomes: dict[int, object], minutes: float = 12
) -> tuple[Callable[[datetime], bool], list[datetime]]:
    """A job that takes `minutes`, fails or raises as `outcomes` says for its n-th call, and stops after `runs`."""
    fired: list[datetime] = []

    def job(fired_at: datetime) -> bool:
        fired.append(fired_at)
        clock.spend(minutes)
        if len(fired) == runs:
            stop.set()
        outcome = outcomes.get(len(fired), True)
        if isinstance(outcome, Exception):
            raise outcome
        return bool(outcome)

    return job, fired


@pytest.mark.unit
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 3, 7, 10, 0, tzinfo=UTC), datetime(2025, 3, 7, 10, 5, tzinfo=UTC)),
        (datetime(2025, 3, 7, 10, 4, 59, tzinfo=UTC), datetime(2025, 3, 7, 10, 5, tzinfo=UTC)),
        (datetime(2025, 3, 7, 10, 5, tzinfo=UTC), datetime(2025, 3, 7, 11, 5, tzinfo=UTC)),
        (datetime(2025, 3, 7, 23, 59, tzinfo=UTC), datetime(2025, 3, 8, 0, 5, tzinfo=UTC)),
    ],
)
def test_next_run_is_the_next_minute_five(now: datetime, expected: datetime) -> None:
    assert next_run(now) == expected


@pytest.mark.unit
def test_runs_at_minute_five_and_survives_failed_runs(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime(2025, 3, 7, 22, 58, 30, tzinfo=UTC))
    stop = threading.Event()
    job, fired = _job(clock, stop, runs=4, outcomes={1: RuntimeError("warehouse gone"), 2: False})

    with caplog.at_level(logging.INFO, logger="local_only.schedule"):
        runs = run_schedule(job, clock, stop)

    assert runs == 4
    assert fired == [datetime(2025, 3, 7, 23, 5, tzinfo=UTC) + timedelta(hours=n) for n in range(4)]
    assert "run at 23:05 raised" in caplog.text
    assert "warehouse gone" in caplog.text
    assert "run at 00:05 failed" in caplog.text
    assert "stopped after 4 run(s)" in caplog.text


@pytest.mark.unit
def test_a_run_that_overruns_skips_the_missed_slots(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime(2025, 3, 7, 10, 30, tzinfo=UTC))
    stop = threading.Event()
    job, fired = _job(clock, stop, runs=2, outcomes={}, minutes=130)

    with caplog.at_level(logging.INFO, logger="local_only.schedule"):
        run_schedule(job, clock, stop)

    # 11:05 runs until 13:15: the 12:05 and 13:05 slots are skipped, not run back to back.
    assert fired == [datetime(2025, 3, 7, 11, 5, tzinfo=UTC), datetime(2025, 3, 7, 14, 5, tzinfo=UTC)]
    assert "skipping 2 slot(s)" in caplog.text


@pytest.mark.unit
def test_a_stop_while_waiting_ends_without_a_run() -> None:
    clock = FakeClock(datetime(2025, 3, 7, 10, 30, tzinfo=UTC))
    stop = threading.Event()
    stop.set()
    job, fired = _job(clock, stop, runs=1, outcomes={})

    assert run_schedule(job, clock, stop) == 0
    assert fired == []


@pytest.mark.integration
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_command_stops_cleanly_on_a_signal(signum: signal.Signals) -> None:
    # An unreachable warehouse: should the clock reach minute 5 during the test, that run fails and is survived.
    env = {"DW_PG_HOST": "127.0.0.1", "DW_PG_PORT": "1", "DW_PG_PASSWORD": "x", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [CLICKSTREAM, "schedule"], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    assert "schedule: next run at" in first, first

    started = time.perf_counter()
    process.send_signal(signum)
    _, rest = process.communicate(timeout=30)

    assert process.returncode == 0, rest
    assert time.perf_counter() - started < 10
    assert f"{signum.name} received; stopping" in rest
    assert "stopped after 0 run(s)" in rest
