"""``clickstream schedule``: a foreground scheduler for a single-machine install without AWS.

Runs the hourly cycle at minute 5 of every hour, as EventBridge's ``cron(5 * * * ? *)`` does. A run that fails is
logged and the next one comes at its time; a run that overruns its hour skips the slots it missed (the next cycle's
lookback and the incremental build catch up) rather than starting a queue of them. SIGINT/SIGTERM stop it between
runs; a run in progress finishes first (a second signal aborts it).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Protocol

import click

from local_only.hourly import SCHEDULE_MINUTE, previous_hour

logger = logging.getLogger("local_only.schedule")
# The wall clock is looked at again at least this often while waiting, so a suspended laptop or a clock step does
# not sleep through a run.
_MAX_SLEEP_SECONDS = 60.0


class Clock(Protocol):
    def now(self) -> datetime: ...

    def wait_until(self, moment: datetime, stop: threading.Event) -> None:
        """Return at `moment`, or as soon as `stop` is set."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait_until(self, moment: datetime, stop: threading.Event) -> None:
        while not stop.is_set():
            remaining = (moment - self.now()).total_seconds()
            if remaining <= 0:
                return
            stop.wait(min(remaining, _MAX_SLEEP_SECONDS))


def next_run(after: datetime, minute: int = SCHEDULE_MINUTE) -> datetime:
    """The first HH:`minute`:00 strictly after `after`."""
    slot = after.astimezone(UTC).replace(minute=minute, second=0, microsecond=0)
    return slot if slot > after else slot + timedelta(hours=1)


def run_schedule(
    job: Callable[[datetime], bool],
    clock: Clock,
    stop: threading.Event,
    *,
    minute: int = SCHEDULE_MINUTE,
) -> int:
    """Call `job(fired_at)` at every slot until `stop` is set; return how many runs were made.

    `job` returns whether the run succeeded; an exception from it is logged as a failed run, never the end.
    """
    runs = 0
    slot = next_run(clock.now(), minute)
    logger.info("schedule: next run at %s", f"{slot:%Y-%m-%d %H:%M} UTC")
    while True:
        clock.wait_until(slot, stop)
        if stop.is_set():
            break
        runs += 1
        logger.info("schedule: run %d at %s", runs, f"{slot:%Y-%m-%d %H:%M} UTC")
        try:
            ok = job(slot)
        except Exception:
            logger.exception("schedule: run at %s raised; waiting for the next one", f"{slot:%H:%M}")
            ok = False
        if not ok:
            logger.error("schedule: run at %s failed; waiting for the next one", f"{slot:%H:%M}")
        following = next_run(clock.now(), minute)
        missed = int((following - slot) / timedelta(hours=1)) - 1
        if missed > 0:
            logger.warning(
                "schedule: the run overran; skipping %d slot(s): the next load re-lists LOOKBACK_HOURS hours, "
                "`clickstream load --from-hour/--to-hour` backfills more",
                missed,
            )
        slot = following
        if not stop.is_set():
            logger.info("schedule: next run at %s", f"{slot:%Y-%m-%d %H:%M} UTC")
    logger.info("schedule: stopped after %d run(s)", runs)
    return runs


def install_stop_handlers(stop: threading.Event) -> None:
    """First SIGINT/SIGTERM: stop after the current run. Second: abort now."""

    stopping = False

    def stop_soon(name: str) -> None:
        logger.info("schedule: %s received; stopping (again to abort a run in progress)", name)
        stop.set()

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True
        # Nothing that takes a lock here: the handler runs in the main thread, which may be inside stop.wait() or
        # writing a log line, holding the very locks stop.set() and logging need. Another thread can wait for them.
        threading.Thread(target=stop_soon, args=(signal.Signals(signum).name,), name="schedule-stop").start()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


@click.command("schedule")
@click.option("--store", "store_url", help="Raw store URL (default: RAW_STORE_URL or the embedded .data/raw).")
@click.option("--target-path", type=click.Path(file_okay=False), help="dbt's target directory.")
def schedule_command(store_url: str | None, target_path: str | None) -> None:
    """Run `clickstream hourly` at minute 5 of every hour, in the foreground, until SIGINT or SIGTERM.

    Each run loads the previous full UTC hour (plus lookback) and builds; a failed run is logged and the schedule
    goes on. Same environment as `clickstream hourly`.
    """
    from pathlib import Path

    from local_only.hourly import run_hourly, warehouse_for
    from local_only.paths import default_store_url
    from transform_runner.command import configure_logging, dbt_options_from, load_settings

    configure_logging()
    warehouse, settings = load_settings()
    options = dbt_options_from(settings, target_path=Path(target_path) if target_path else None)
    url = store_url or default_store_url()

    def job(fired_at: datetime) -> bool:
        outcome = run_hourly(
            previous_hour(fired_at),
            store_url=url,
            loader_warehouse=warehouse_for("loader", warehouse),
            transform_warehouse=warehouse_for("transformer", warehouse),
            dbt_options=options,
            transform_settings=settings,
            trigger="schedule",
        )
        (logger.info if outcome.exit_code == 0 else logger.error)("%s", outcome.describe())
        return outcome.exit_code == 0

    stop = threading.Event()
    install_stop_handlers(stop)
    try:
        run_schedule(job, SystemClock(), stop)
    except KeyboardInterrupt:
        logger.warning("schedule: aborted during a run")
        raise SystemExit(130) from None
