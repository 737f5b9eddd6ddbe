"""Who visits and when: a visitor pool and its visit schedule, derived from the seed alone.

The schedule is worked out day by day with one RNG before any traffic is simulated, so a visitor returning on a
later day is the same visitor (same ``clientId``, device, account) whichever worker process simulates that day.
It starts a few weeks before the first generated day so the first day already has returning visitors.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from local_only.simulator.devices import SCRAPER, SCRAPER_IP_PREFIX, Device, DeviceClass, browser, crawler
from local_only.simulator.geography import Location, address_in, locate
from local_only.simulator.ids import uuid4_from
from local_only.simulator.traffic import day_volume

WARMUP_DAYS = 14
# Share of new visitors who come back at least once, and the mean number of further visits they make.
RETURN_SHARE = 0.3
MEAN_EXTRA_VISITS = 2.5
MEAN_RETURN_GAP_DAYS = 3.5
CRAWLS_PER_1000_VISITS = 5
SCRAPER_DAY_SHARE = 0.5


class VisitorKind(StrEnum):
    HUMAN = "human"
    CRAWLER = "crawler"
    SCRAPER = "scraper"


class SdkFlavour(StrEnum):
    """Which script a browser runs to send its events (cached assets outlive deployments): other_clients.py."""

    # tracker/ as it is (sdk.py emulates it): fetch with keepalive and sendBeacon, text/plain.
    TRACKER = "tracker"
    # A build that gzips its fetch bodies (CompressionStream): application/json, Content-Encoding: gzip.
    GZIP = "gzip"
    # The previous build, still cached by some browsers: a plain fetch of application/json, epoch-millisecond
    # times, no client event id.
    LEGACY = "legacy"


class LoginPlan(StrEnum):
    GUEST = "guest"
    SIGNED_IN = "signed_in"  # a still-valid session from an earlier visit
    LOGS_IN = "logs_in"  # signs in part-way through the visit
    SIGNS_UP = "signs_up"  # creates an account during the visit


@dataclass(frozen=True, slots=True)
class Account:
    """A Cognito user: ``sub`` is the stable id API Gateway's JWT authorizer passes on."""

    sub: str
    # None for a user-pool login; "Google"/"Facebook" for federated sign-in through the hosted UI.
    provider: str | None

    @property
    def username(self) -> str:
        return f"{self.provider.lower()}_{int(self.sub.replace('-', '')[:20], 16)}" if self.provider else self.sub


@dataclass(frozen=True, slots=True)
class Visitor:
    """One browser (or bot) with its own first-party ``clientId``."""

    client_id: str
    kind: VisitorKind
    device: Device
    location: Location
    # Offset of the device clock from true time; both eventTimestamp and sentAt carry it.
    clock_skew_ms: int
    sdk: SdkFlavour


@dataclass(frozen=True, slots=True)
class Visit:
    visitor: Visitor
    day: date
    # The visitor's first visit ever: the SDK reports isFirstVisit on its first session.
    first_visit: bool
    account: Account | None
    login: LoginPlan
    # The visitor's earlier visits (each one session at least): the tracker's sessionIndex counts on from them.
    sessions_before: int = 0


@dataclass(slots=True)
class _Member:
    visits: int = 0
    remaining: int = 0
    account: Account | None = None
    visitor: Visitor | None = None


@dataclass(slots=True)
class _Pool:
    rng: random.Random
    members: list[_Member] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)

    def new_account(self) -> Account:
        roll = self.rng.random()
        provider = "Google" if roll < 0.18 else "Facebook" if roll < 0.25 else None
        account = Account(uuid4_from(self.rng.getrandbits(128)), provider)
        self.accounts.append(account)
        return account

    def join(self, *, returns: bool) -> int:
        rng = self.rng
        member = _Member()
        if returns:
            member.remaining = 1 + int(rng.expovariate(1 / (MEAN_EXTRA_VISITS - 0.5)))
        if rng.random() < 0.07:
            # A customer on a new browser: mostly an account we have seen on another device (cross-device).
            if self.accounts and rng.random() < 0.6:
                member.account = self.accounts[int(rng.random() * len(self.accounts))]
            else:
                member.account = self.new_account()
        self.members.append(member)
        return len(self.members) - 1

    def login_plan(self, member: _Member) -> LoginPlan:
        roll = self.rng.random()
        if member.account is None:
            if roll < 0.006 + 0.004 * min(member.visits, 3):
                member.account = self.new_account()
                return LoginPlan.SIGNS_UP
            return LoginPlan.GUEST
        # A browser can only hold a session from an earlier visit: a first visit on a new device has to log in.
        if roll < 0.45 and member.visits > 0:
            return LoginPlan.SIGNED_IN
        if roll < 0.68:
            return LoginPlan.LOGS_IN
        return LoginPlan.GUEST

    def materialize(self, member: _Member) -> Visitor:
        if member.visitor is None:
            member.visitor = human(self.rng)
        return member.visitor


def human(rng: random.Random) -> Visitor:
    device = browser(rng)
    roll = rng.random()
    sdk = SdkFlavour.LEGACY if roll < 0.015 else SdkFlavour.GZIP if roll < 0.13 else SdkFlavour.TRACKER
    return Visitor(uuid4_from(rng.getrandbits(128)), VisitorKind.HUMAN, device, locate(rng), clock_skew(rng), sdk)


def clock_skew(rng: random.Random) -> int:
    """Most clocks are NTP-synced; some drift minutes; a few are set to the wrong zone or date by hours."""
    roll = rng.random()
    if roll < 0.88:
        return int(rng.gauss(0, 400))
    sign = 1 if rng.random() < 0.5 else -1
    if roll < 0.96:
        return sign * int(rng.uniform(60_000, 20 * 60_000))
    return sign * (int(rng.uniform(1, 10)) * 3_600_000 + int(rng.uniform(0, 90_000)))


def _crawler_visitor(rng: random.Random) -> Visitor:
    bot = crawler(rng)
    location = Location("US", -8, address_in(bot.ip_prefixes, rng))
    return Visitor(uuid4_from(rng.getrandbits(128)), VisitorKind.CRAWLER, bot.device, location, 0, SdkFlavour.TRACKER)


def _scraper_visitor(rng: random.Random) -> Visitor:
    # A cloud VM: its clock is exact and it sits in a data centre.
    location = Location("DE", 1, address_in((SCRAPER_IP_PREFIX,), rng))
    return Visitor(uuid4_from(rng.getrandbits(128)), VisitorKind.SCRAPER, SCRAPER, location, 0, SdkFlavour.TRACKER)


def schedule_visits(seed: int, start: date, days: int, visits_per_day: int) -> Iterator[list[Visit]]:
    """The visits of each generated day in turn, in a deterministic order."""
    rng = random.Random(f"{seed}-visitors")
    pool = _Pool(rng)
    scraper = _scraper_visitor(rng)
    scraper_visits = 0
    pending: defaultdict[int, list[int]] = defaultdict(list)
    for offset in range(-WARMUP_DAYS, days):
        day = start + timedelta(days=offset)
        target = int(visits_per_day * day_volume(day) * rng.uniform(0.93, 1.07))
        returning = pending.pop(offset, [])
        newcomers = max(target - len(returning), target // 3)
        if offset < 0:
            # Before the window only visitors who come back matter: the others would be planned and thrown away.
            todays = returning + [pool.join(returns=True) for _ in range(round(newcomers * RETURN_SHARE))]
        else:
            todays = returning + [pool.join(returns=rng.random() < RETURN_SHARE) for _ in range(newcomers)]
        visits: list[Visit] = []
        for index in todays:
            member = pool.members[index]
            plan = pool.login_plan(member)
            if offset >= 0:
                visitor = pool.materialize(member)
                visits.append(Visit(visitor, day, member.visits == 0, member.account, plan, member.visits))
            member.visits += 1
            if member.remaining > 0:
                member.remaining -= 1
                gap = 1 + min(int(rng.expovariate(1 / MEAN_RETURN_GAP_DAYS)), 27)
                pending[offset + gap].append(index)
        if offset < 0:
            continue
        crawls = max(1, round(len(todays) * CRAWLS_PER_1000_VISITS / 1000))
        for _ in range(crawls):
            visits.append(Visit(_crawler_visitor(rng), day, True, None, LoginPlan.GUEST))
        if offset == 0 or rng.random() < SCRAPER_DAY_SHARE:
            visits.append(Visit(scraper, day, offset == 0, None, LoginPlan.GUEST, scraper_visits))
            scraper_visits += 1
        yield visits


def is_mobile(visitor: Visitor) -> bool:
    return visitor.device.device_class in (DeviceClass.MOBILE, DeviceClass.TABLET)
