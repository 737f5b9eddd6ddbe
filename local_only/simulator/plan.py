"""From options to API Gateway events, with no I/O: the deterministic heart of ``clickstream generate``.

Each generated day is cut into work units of a fixed number of visits. A unit's traffic depends only on the options
and its own RNG (``Random(f"{seed}-{day}-{unit}")``), never on which process runs it or in what order, so any
number of workers produces byte-identical request bodies.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import orjson

from local_only.simulator.behaviour import Shard, simulate
from local_only.simulator.catalogue import shop_catalogue
from local_only.simulator.orders import ShopOrder
from local_only.simulator.requests import ApiRequest, api_gateway_event
from local_only.simulator.sdk import SdkCounters, SentRequest
from local_only.simulator.visitors import Visit, schedule_visits

# Measured mean over the default mix (bots, scraper, retries included); turns --events-per-day into visits.
EVENTS_PER_VISIT = 10.0
VISITS_PER_UNIT = 600
DEFAULT_INVALID_RATE = 0.001


@dataclass(frozen=True, slots=True)
class TrafficOptions:
    start: date
    days: int = 14
    seed: int = 7
    visits_per_day: int = round(20_000 / EVENTS_PER_VISIT)
    batch_size: int = 10
    invalid_rate: float = DEFAULT_INVALID_RATE
    # Send cloudfront-viewer-country too (a CloudFront distribution in front of API Gateway); off: the ingest
    # finds the country from the client address, as it must behind API Gateway alone.
    cloudfront_country: bool = False
    # Share of orders whose browser sends no purchase event (the shop's database still has them); 0 unless a run
    # writes the shop's database, so traffic without one is unchanged.
    untracked_share: float = 0.0

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.visits_per_day < 1:
            raise ValueError("there must be at least one visit a day")
        if not 1 <= self.batch_size <= 500:
            raise ValueError("batch size must be between 1 and 500 (the ingest's batch limit)")
        if not 0 <= self.invalid_rate < 1:
            raise ValueError("invalid rate must be in [0, 1)")
        if not 0 <= self.untracked_share <= 1:
            raise ValueError("untracked share must be in [0, 1]")


def visits_for_events(events_per_day: int) -> int:
    return max(1, round(events_per_day / EVENTS_PER_VISIT))


@dataclass(frozen=True, slots=True)
class WorkUnit:
    day: date
    index: int
    visits: tuple[Visit, ...]

    @property
    def name(self) -> str:
        return f"{self.day:%Y-%m-%d}-{self.index}"


def iter_units(options: TrafficOptions) -> Iterator[WorkUnit]:
    """The run's work units, a day at a time: a consumer can start on the first day while later ones are planned."""
    for visits in schedule_visits(options.seed, options.start, options.days, options.visits_per_day):
        for index, first in enumerate(range(0, len(visits), VISITS_PER_UNIT)):
            yield WorkUnit(visits[0].day, index, tuple(visits[first : first + VISITS_PER_UNIT]))


@dataclass(frozen=True, slots=True)
class UnitTraffic:
    unit: WorkUnit
    requests: list[ApiRequest]
    sessions: int
    events: int
    invalid: int
    # every order placed, tracked or not, in the order checkout placed them
    orders: tuple[ShopOrder, ...] = ()

    def fingerprint(self) -> str:
        """SHA-256 over the unit's API Gateway events in order (sorted keys): equal iff byte-identical."""
        digest = hashlib.sha256()
        for request in self.requests:
            digest.update(orjson.dumps(request.event, option=orjson.OPT_SORT_KEYS))
            digest.update(b"\n")
        return digest.hexdigest()


def unit_traffic(options: TrafficOptions, unit: WorkUnit) -> UnitTraffic:
    """Simulate one unit's visits; its requests come back in arrival order."""
    rng = random.Random(f"{options.seed}-{unit.name}")
    sent: list[SentRequest] = []
    counters = SdkCounters()
    shard = Shard(
        rng,
        shop_catalogue(),
        options.batch_size,
        options.invalid_rate,
        sent,
        counters,
        shop_rng=random.Random(f"{options.seed}-{unit.name}-shop"),
        untracked_share=options.untracked_share,
    )
    for visit in unit.visits:
        simulate(visit, shard)
    sent.sort(key=lambda request: request.sent_ms)
    requests = [api_gateway_event(request, rng, cloudfront_country=options.cloudfront_country) for request in sent]
    return UnitTraffic(unit, requests, counters.sessions, counters.events, counters.invalid, tuple(shard.orders))


def iter_traffic(options: TrafficOptions) -> Iterator[UnitTraffic]:
    for unit in iter_units(options):
        yield unit_traffic(options, unit)


def iter_requests(options: TrafficOptions) -> Iterator[ApiRequest]:
    """Every API Gateway event of a run, unit by unit: the pure generator (no handler, no store)."""
    for traffic in iter_traffic(options):
        yield from traffic.requests


def combined_fingerprint(unit_fingerprints: list[tuple[str, str]]) -> str:
    """One digest for a run from (unit name, unit fingerprint) pairs, whatever order the units finished in."""
    digest = hashlib.sha256()
    for name, fingerprint in sorted(unit_fingerprints):
        digest.update(f"{name}:{fingerprint}\n".encode())
    return digest.hexdigest()
