"""One transform, in order: take the build lock, open the ledger row, dbt build, count, measure freshness, close."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from transform_runner import freshness as freshness_metric
from transform_runner.dbt_build import (
    DbtFailed,
    DbtOptions,
    dbt_environment,
    incremental_marts,
    model_relation,
    parse_project,
    run_build,
)
from transform_runner.ledger import TRANSFORM_RUNS, Ending, record_end
from transform_runner.settings import TransformSettings
from warehouse.advisory_lock import BUILD_LOCK
from warehouse.connection import WarehouseSettings
from warehouse.rows import one_row
from warehouse.run_ledger import Attempt

logger = logging.getLogger("transform_runner")

# Exit codes of `clickstream transform` (and `hourly`), documented in docs/operations.md.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCK_TIMEOUT = 3
EXIT_UNREACHABLE = 4
EXIT_INTERRUPTED = 130
_EXIT_CODES = {"success": EXIT_OK, "failed": EXIT_FAILED, "lock_timeout": EXIT_LOCK_TIMEOUT}
# Sessions the server can tell are gone (host lost) release the lock within about two minutes.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}


@dataclass(frozen=True)
class TransformOutcome:
    run_id: str
    seconds: float
    ending: Ending

    @property
    def status(self) -> str:
        return self.ending.status

    @property
    def error(self) -> str | None:
        return self.ending.error

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self.status]

    def describe(self) -> str:
        if self.status == "lock_timeout":
            return f"transform {self.run_id}: lock_timeout after {self.seconds:.1f} s: {self.error}"
        end = self.ending
        added = ", ".join(f"{name} {count:+,}" for name, count in end.rows_added.items()) or "none"
        fresh = "no events yet" if end.freshness_minutes is None else f"{end.freshness_minutes:,.1f} min"
        text = (
            f"transform {self.run_id}: {self.status} in {self.seconds:.1f} s: {end.models_built} models built, "
            f"{end.tests_failed} tests failed; rows added: {added}; freshness {fresh}"
        )
        return text + (f"\n{self.error}" if self.error else "")


def _now() -> datetime:
    return datetime.now(UTC)


def _count(conn: psycopg2.extensions.connection, relations: list[str]) -> dict[str, int]:
    """Exact row counts (0 for a table not built yet): the marts are small enough to count at each build."""
    counts = {}
    with conn.cursor() as cursor:
        for relation in relations:
            cursor.execute("select to_regclass(%s)", (relation,))
            if one_row(cursor)[0] is None:
                counts[relation] = 0
                continue
            cursor.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(*relation.split(".", 1))))
            counts[relation] = int(one_row(cursor)[0])
    return counts


def run_transform(
    options: DbtOptions,
    warehouse: WarehouseSettings,
    settings: TransformSettings,
    *,
    trigger: str = "cli",
    lock_timeout_seconds: float | None = None,
    cloudwatch: Any = None,
    on_locked: Callable[[], None] | None = None,
) -> TransformOutcome:
    """Build under the lock and record it; never raises for a failed build (the outcome says so).

    Raises WarehouseUnreachable when the warehouse cannot be reached at all (there is nowhere to record that),
    and LedgerMissing when the warehouse is not migrated.
    """
    started = time.perf_counter()
    timeout = settings.transform_lock_timeout_seconds if lock_timeout_seconds is None else lock_timeout_seconds
    attempt = Attempt(str(uuid.uuid4()), trigger, _now(), {"dbt_args": options.build_args()})
    # Unreachable: nothing could be recorded, the warehouse did not answer.
    conn = warehouse.connect_or_unreachable(application_name=f"clickstream transform {attempt.run_id}", **_KEEPALIVES)
    conn.autocommit = True
    try:
        logger.info("transform %s: waiting up to %g s for the build lock", attempt.run_id, timeout)
        if not BUILD_LOCK.acquire(conn, timeout):
            error = (
                f"another transform holds the build lock ({BUILD_LOCK.holder(conn)}); gave up after waiting "
                f"{timeout:g} s (TRANSFORM_LOCK_TIMEOUT_SECONDS or --lock-timeout)"
            )
            ending = Ending("lock_timeout", _now(), error=error)
            TRANSFORM_RUNS.record_lock_timeout(conn, attempt, ending.finished_at, error)
            logger.error("transform %s: %s", attempt.run_id, error)
            return TransformOutcome(attempt.run_id, time.perf_counter() - started, ending)
        try:
            TRANSFORM_RUNS.record_start(conn, attempt, _now())
            abandoned = TRANSFORM_RUNS.close_abandoned(conn, attempt.run_id, _now())
            if abandoned:
                logger.warning("transform %s: closed %d run(s) left running by a dead build", attempt.run_id, abandoned)
            if on_locked is not None:
                on_locked()
            try:
                ending = _build(conn, options, warehouse, settings, attempt, cloudwatch)
            except KeyboardInterrupt:
                # Ctrl+C, or SIGTERM (the transform command turns it into this): close the row, then stop.
                record_end(conn, attempt.run_id, Ending("failed", _now(), error="interrupted during the build"))
                raise
            record_end(conn, attempt.run_id, ending)
        finally:
            # Closing the session releases the lock too; unlocking first just says so sooner.
            with contextlib.suppress(psycopg2.Error):
                BUILD_LOCK.release(conn)
    finally:
        conn.close()
    outcome = TransformOutcome(attempt.run_id, time.perf_counter() - started, ending)
    (logger.info if outcome.status == "success" else logger.error)("%s", outcome.describe())
    return outcome


def _build(
    conn: psycopg2.extensions.connection,
    options: DbtOptions,
    warehouse: WarehouseSettings,
    settings: TransformSettings,
    attempt: Attempt,
    cloudwatch: Any,
) -> Ending:
    """The build itself; any failure becomes a `failed` ending with its reason, so the ledger row is closed."""
    try:
        with dbt_environment(warehouse):
            manifest = parse_project(options)
            marts = incremental_marts(manifest)
            before = _count(conn, marts)
            report = run_build(manifest, options)
        after = _count(conn, marts)
    except (DbtFailed, psycopg2.Error) as exc:
        return Ending("failed", _now(), error=str(exc).strip())
    except Exception as exc:  # dbt raises more than its own exceptions; the row must still say why it failed
        logger.exception("transform %s: unexpected error", attempt.run_id)
        return Ending("failed", _now(), error=f"{type(exc).__name__}: {exc}")
    rows_added = {relation: after[relation] - before[relation] for relation in marts}
    if not report.success:
        return Ending(
            "failed",
            _now(),
            report.models_built,
            report.tests_failed,
            rows_added,
            report.rows_written,
            error=report.error,
        )
    finished = _now()
    fresh = freshness_metric.measure(conn, model_relation(manifest, "clickstream_events"), finished)
    error = _publish_freshness(settings, fresh, finished, cloudwatch)
    return Ending(
        "success",
        finished,
        report.models_built,
        report.tests_failed,
        rows_added,
        report.rows_written,
        fresh.minutes,
        fresh.newest_event_at,
        error,
    )


def _publish_freshness(
    settings: TransformSettings, fresh: freshness_metric.Freshness, at: datetime, cloudwatch: Any
) -> str | None:
    """Log the freshness; publish it when a namespace is configured. A failed publish is reported, not fatal:
    the build did succeed, and the alarm sees the missing datapoint."""
    if fresh.minutes is None:
        logger.info("freshness: no events in the warehouse yet")
        return None
    logger.info("freshness: %.1f minutes since the newest event (%s)", fresh.minutes, fresh.newest_event_at)
    if not settings.freshness_metric_namespace:
        return None
    try:
        freshness_metric.publish(
            settings.freshness_metric_namespace, settings.freshness_metric_name, fresh.minutes, at, cloudwatch
        )
    except Exception as exc:  # boto3's errors (credentials, region, network) share no base class worth naming
        logger.warning("freshness metric not published: %s", exc)
        return f"freshness metric not published to {settings.freshness_metric_namespace}: {exc}"
    logger.info(
        "freshness published to CloudWatch %s/%s",
        settings.freshness_metric_namespace,
        settings.freshness_metric_name,
    )
    return None
