"""Run generated traffic through the real ingest Lambda handler, in-process, across worker processes.

Each worker simulates whole work units and calls ``ingest_lambda.handler.handler`` for every request, exactly as
the Lambda runtime would after API Gateway; the handler writes to the store the run names, through the services
installed for it (``ingest_lambda.services``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from local_only.lambda_context import LocalLambdaContext
from local_only.salt import local_salt
from local_only.simulator.orders import DEFAULT_UNTRACKED_SHARE, ShopOrder
from local_only.simulator.plan import (
    TrafficOptions,
    WorkUnit,
    combined_fingerprint,
    iter_units,
    unit_traffic,
    visits_for_events,
)

if TYPE_CHECKING:
    from ingest_lambda.services import IngestServices

INGEST_LOGGER = "clickstream-ingest"
MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True, slots=True)
class UnitResult:
    """What the handler made of one work unit's requests."""

    name: str
    fingerprint: str
    sessions: int
    requests: int
    events_sent: int
    invalid_sent: int
    accepted: int
    rejected: int
    objects_written: int
    errors: int
    error_samples: tuple[str, ...] = ()
    orders: tuple[ShopOrder, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    store_url: str
    start: date
    days: int
    seed: int
    visitors: int
    sessions: int
    requests: int
    events_sent: int
    # Events deliberately made invalid (and so expected to be rejected), retries included.
    invalid_sent: int
    accepted: int
    rejected: int
    objects_written: int
    errors: int
    seconds: float
    # SHA-256 over every API Gateway event generated: equal fingerprints mean byte-identical requests.
    fingerprint: str
    error_samples: tuple[str, ...] = ()
    # The shop's database the run wrote (None: none), its orders and those whose browser sent no purchase event.
    shop_database: str | None = None
    orders: int = 0
    untracked_orders: int = 0

    @property
    def events_per_second(self) -> float:
        return self.events_sent / self.seconds if self.seconds > 0 else 0.0


def _ingest_services(store_url: str, hash_salt: str | None) -> IngestServices:
    from ingest_lambda.services import build_services
    from ingest_lambda.settings import IngestSettings

    return build_services(IngestSettings(raw_store_url=store_url, hash_salt=local_salt(hash_salt).value))


def _quiet_ingest_logger() -> None:
    # After the handler's import: its Powertools logger sets the level it reads from the environment. One INFO
    # line per request would dominate the run; warnings and errors still show.
    import ingest_lambda.handler  # noqa: F401

    logging.getLogger(INGEST_LOGGER).setLevel(logging.WARNING)


@contextmanager
def ingest_environment(store_url: str, hash_salt: str | None = None) -> Iterator[None]:
    """Point the ingest handler at `store_url` for the duration, then restore what was installed before.

    `hash_salt` defaults to ``HASH_SALT``, else the public local salt (``local_only.salt``).
    """
    from ingest_lambda.services import override_services

    ingest_logger = logging.getLogger(INGEST_LOGGER)
    saved_level = ingest_logger.level
    with override_services(_ingest_services(store_url, hash_salt)):
        _quiet_ingest_logger()
        try:
            yield
        finally:
            ingest_logger.setLevel(saved_level)


def run_unit(options: TrafficOptions, unit: WorkUnit) -> UnitResult:
    """Generate one unit and send each request to the handler; the ingest environment must be set."""
    from ingest_lambda.handler import handler

    traffic = unit_traffic(options, unit)
    context = LocalLambdaContext()
    accepted = rejected = objects = errors = 0
    samples: list[str] = []
    for request in traffic.requests:
        response = handler(request.event, context)
        status = response["statusCode"]
        reply = orjson.loads(response["body"])
        refused = reply.get("rejected")
        # A 400 without a per-event "rejected" list refused the whole request: the generator built a bad one.
        if status not in (200, 400) or refused is None:
            errors += 1
            if len(samples) < MAX_ERROR_SAMPLES:
                samples.append(f"{status} {response['body'][:300]}")
            continue
        accepted += reply.get("accepted", 0)
        rejected += len(refused)
        objects += (reply.get("accepted", 0) > 0) + (len(refused) > 0)
    return UnitResult(
        name=unit.name,
        fingerprint=traffic.fingerprint(),
        sessions=traffic.sessions,
        requests=len(traffic.requests),
        events_sent=traffic.events,
        invalid_sent=traffic.invalid,
        accepted=accepted,
        rejected=rejected,
        objects_written=objects,
        errors=errors,
        error_samples=tuple(samples),
        orders=traffic.orders,
    )


# Worker processes keep these services for their whole life, which ends with the run.
def _init_worker(store_url: str, hash_salt: str | None) -> None:
    from ingest_lambda.services import set_services

    set_services(_ingest_services(store_url, hash_salt))
    _quiet_ingest_logger()


class UnitFailed(RuntimeError):
    """A work unit failed in a worker; carries the worker's traceback as text."""


def _run_task(task: tuple[TrafficOptions, WorkUnit]) -> UnitResult:
    try:
        return run_unit(*task)
    except Exception as exc:
        # Some exceptions (pydantic's among them) cannot be unpickled in the parent, which would hang the pool.
        raise UnitFailed(f"work unit {task[1].name} failed:\n{traceback.format_exc()}") from exc


def generate(
    store_url: str,
    *,
    days: int = 14,
    start: date | None = None,
    seed: int = 7,
    events_per_day: int = 20_000,
    visitors_per_day: int | None = None,
    batch_size: int = 10,
    workers: int | None = None,
    invalid_rate: float = 0.001,
    on_unit: Callable[[UnitResult], None] | None = None,
    hash_salt: str | None = None,
    cloudfront_country: bool = False,
    shop_database: str | None = None,
    untracked_share: float = DEFAULT_UNTRACKED_SHARE,
) -> GenerationSummary:
    """Generate `days` of shop traffic from `start` (default: the `days` days before today, UTC) into the store.

    `visitors_per_day`, when given, sets the volume directly; otherwise it is derived from `events_per_day`.
    `on_unit` is called in the parent process as each work unit finishes (progress reporting). Client IPs are
    hashed with `hash_salt`, else ``HASH_SALT``, else the public local salt (``local_only.salt``). Each request
    carries ``cloudfront-viewer-country`` only with `cloudfront_country`; otherwise the ingest finds the country
    from the visitor's address, as it does behind API Gateway alone.

    With `shop_database` (a PostgreSQL URL) the run also writes the shop's own database (local_only.shop_database):
    every order placed, a share `untracked_share` of them without a purchase event from the browser. Without it
    no order goes untracked, and the traffic is what it always was.
    """
    started = time.perf_counter()
    if start is None:
        start = datetime.now(UTC).date() - timedelta(days=days)
    options = TrafficOptions(
        start=start,
        days=days,
        seed=seed,
        visits_per_day=visitors_per_day or visits_for_events(events_per_day),
        batch_size=batch_size,
        invalid_rate=invalid_rate,
        cloudfront_country=cloudfront_country,
        untracked_share=untracked_share if shop_database is not None else 0.0,
    )
    visitors: set[str] = set()

    def tasks() -> Iterator[tuple[TrafficOptions, WorkUnit]]:
        for unit in iter_units(options):
            visitors.update(visit.visitor.client_id for visit in unit.visits)
            yield options, unit

    results: list[UnitResult] = []
    if workers is None:
        workers = os.cpu_count() or 1
    if workers <= 1:
        with ingest_environment(store_url, hash_salt):
            for task in tasks():
                results.append(run_unit(*task))
                if on_unit is not None:
                    on_unit(results[-1])
    else:
        # The pool consumes tasks() from a thread, so workers start on the first day while later days are planned.
        with multiprocessing.get_context().Pool(workers, _init_worker, (store_url, hash_salt)) as pool:
            for result in pool.imap_unordered(_run_task, tasks()):
                results.append(result)
                if on_unit is not None:
                    on_unit(result)
    orders = [order for result in results for order in result.orders]
    if shop_database is not None:
        from local_only.shop_database.writer import shop_rows, write_shop
        from local_only.simulator.catalogue import shop_catalogue
        from local_only.simulator.clock import day_start_ms

        rows = shop_rows(
            orders,
            shop_catalogue(),
            seed=seed,
            start_ms=day_start_ms(start),
            end_ms=day_start_ms(start + timedelta(days=days)),
        )
        write_shop(shop_database, rows)
    return GenerationSummary(
        store_url=store_url,
        start=start,
        days=days,
        seed=seed,
        visitors=len(visitors),
        sessions=sum(r.sessions for r in results),
        requests=sum(r.requests for r in results),
        events_sent=sum(r.events_sent for r in results),
        invalid_sent=sum(r.invalid_sent for r in results),
        accepted=sum(r.accepted for r in results),
        rejected=sum(r.rejected for r in results),
        objects_written=sum(r.objects_written for r in results),
        errors=sum(r.errors for r in results),
        seconds=time.perf_counter() - started,
        fingerprint=combined_fingerprint([(r.name, r.fingerprint) for r in results]),
        error_samples=tuple(sample for r in results for sample in r.error_samples)[:MAX_ERROR_SAMPLES],
        shop_database=shop_database,
        orders=len(orders),
        untracked_orders=sum(not order.tracked for order in orders),
    )
