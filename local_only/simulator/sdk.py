"""The browser tracker (tracker/, docs/tracker.md) emulated: what it puts in each event and when it sends.

One `TrackerEmulation` is the tracker on the pages of one visit to the simulated shop, a multi-page site that loads
``clickstream.js`` on every page and calls ``Clickstream.init(TRACKER_OPTIONS)``, ``identify`` when the visitor is
signed in, then ``page()``. It does what tracker/src does, rule for rule:

- ids: a uuid4 ``eventId`` per event, the visitor's ``clientId``, a ``sessionId`` that rolls after 30 minutes
  without an event or when a page's URL names a new campaign (UTM source|medium|campaign), ``properties.
  sessionIndex`` (1, 2, ...) and ``isFirstVisit`` (every event of the first session);
- fields: ``pageUrl``, ``pageTitle`` and ``referrer`` on every event (``document.referrer`` on a page load),
  ``properties`` with the call's scalars, ``appId`` and ``sessionIndex``; ``userId`` only after ``identify``;
  ``userLoginState`` never (the ingest decides it);
- batching: a request when 10 events are queued, 5 s after the first queued one, at once for purchase, login and
  sign_up; ``{"events": [...]}`` of at most 64 KB, one ``userId`` per request, ``sentAt`` stamped on each event
  when its request is made (again on a retry);
- transport: ``fetch(..., {keepalive: true})`` as ``text/plain``; when the page is hidden or left,
  ``navigator.sendBeacon`` (``text/plain;charset=UTF-8``), except for requests that carry the visitor's token
  (the authenticated route, ``/clickstream/auth``), which always use the fetch;
- failures: a network error keeps the request's events queued (on the device: the next page load sends them) and
  retries after a jittered exponential backoff; a retried request carries the same ``eventId`` values.

On top of that the network misbehaves, as it does for real visitors: a device goes offline for a while (its
requests fail and are retried until it is back, a page left offline included), or a response never reaches the
browser although the server stored the request (the tracker sends it again). Clients that are not this tracker
(older builds, a compressing one) live in other_clients.py; deliberately broken events in defects.py.

tests/local_only/simulator/test_tracker_agreement.py drives the real tracker in Chromium and this emulation through
the same scripted visit (scripted.py) and compares their requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from local_only.api_gateway import AUTH_ROUTE_PATH, ROUTE_PATH
from local_only.simulator.clock import MINUTE_MS, SECOND_MS, iso_ms
from local_only.simulator.defects import break_event
from local_only.simulator.ids import uuid4_from
from local_only.simulator.visitors import Account, Visit, Visitor, is_mobile

# tracker/src/tracker.ts's defaults, and the options the simulated shop passes to Clickstream.init.
SESSION_TIMEOUT_MS = 30 * MINUTE_MS
BATCH_SIZE = 10
FLUSH_INTERVAL_MS = 5 * SECOND_MS
MAX_QUEUE = 500
MAX_BODY_BYTES = 65_536
KEY_EVENTS = frozenset({"purchase", "login", "sign_up"})
SCHEMA_VERSION = "1.0"
APP_ID = "shop-web"
# What the shop's pages pass to Clickstream.init besides the endpoint: page views are sent by the shop's own call
# to page() after identify(), so that a signed-in visitor's page views carry the userId too.
TRACKER_OPTIONS: dict[str, Any] = {"appId": APP_ID, "autoPageViews": False}
ANONYMOUS_PATH = ROUTE_PATH
AUTHENTICATED_PATH = AUTH_ROUTE_PATH
# sendBeacon(url, string) sends this; the tracker's fetch names its own, without a charset.
BEACON_TYPE = "text/plain;charset=UTF-8"
FETCH_TYPE = "text/plain"
_ENVELOPE = len(b'{"events":[]}')

# Network faults, per request the tracker makes while the device is online.
# A request the server stored but whose response the browser never saw: the tracker sends those events again.
RESPONSE_LOST_SHARE = 0.004
# The device goes offline (phones far more often than desktops), for five minutes to a few hours.
OFFLINE_SHARE_MOBILE = 0.01
OFFLINE_SHARE_DESKTOP = 0.002
# A tab left open retries for this many attempts at most (about a day with the backoff's one-minute cap).
_MAX_ATTEMPTS = 1_500


class Transport(StrEnum):
    """How a request left the browser."""

    BEACON = "beacon"  # navigator.sendBeacon: the page is being hidden or left
    KEEPALIVE_FETCH = "keepalive-fetch"  # fetch(url, {method: 'POST', keepalive: true})
    FETCH = "fetch"  # a plain fetch: clients other than the tracker (other_clients.py)


@dataclass(frozen=True, slots=True)
class Token:
    """The Cognito id token the shop hands the tracker after sign-in; API Gateway's JWT authorizer checks it."""

    account: Account
    auth_ms: int


@dataclass(frozen=True, slots=True)
class SentRequest:
    """One POST as the browser sent it, before API Gateway wraps it."""

    visitor: Visitor
    sent_ms: int
    body: bytes
    content_type: str
    transport: Transport
    gzip: bool
    token: Token | None
    events: int
    invalid: int
    # It carries events an earlier request delivered already (their response was lost).
    retry: bool = False

    @property
    def path(self) -> str:
        return ANONYMOUS_PATH if self.token is None else AUTHENTICATED_PATH


@dataclass(slots=True)
class SdkCounters:
    sessions: int = 0
    events: int = 0
    invalid: int = 0


@dataclass(frozen=True, slots=True)
class NetworkFaults:
    offline_share: float
    response_lost_share: float = RESPONSE_LOST_SHARE
    # Scripted instead: the requests (numbered from 0 in the order they are made) whose answer is lost...
    lost_answers: frozenset[int] = frozenset()
    # ...and Math.random() for the backoff's jitter, as a constant.
    jitter: float | None = None


def scripted_faults(lost_answers: frozenset[int] = frozenset()) -> NetworkFaults:
    """No random fault: only the answers named are lost, and the backoff's jitter is 0.5."""
    return NetworkFaults(0.0, 0.0, lost_answers, 0.5)


def faults_for(visitor: Visitor) -> NetworkFaults:
    return NetworkFaults(OFFLINE_SHARE_MOBILE if is_mobile(visitor) else OFFLINE_SHARE_DESKTOP)


def campaign_of(url: str) -> str:
    """tracker/src/session.ts's campaignOf: ``source|medium|campaign`` of the URL's UTM parameters, '' for none."""
    query = urlsplit(url).query
    if "utm_" not in query:
        return ""
    params = parse_qs(query)
    key = "|".join((params.get(f"utm_{name}") or [""])[0] for name in ("source", "medium", "campaign"))
    return "" if key == "||" else key


def backoff_ms(attempt: int, rnd: float) -> int:
    """tracker/src/transport.ts's backoffMs: 1 s, 2 s, 4 s, ... capped at a minute, each 50 to 100% of that."""
    return int(min(1000 * 2**attempt, 60_000) * (0.5 + rnd / 2))


@dataclass(slots=True)
class _Session:
    id: str
    index: int
    last_ms: int
    campaign: str


@dataclass(slots=True)
class _Page:
    url: str
    title: str
    referrer: str
    campaign: str


@dataclass(slots=True)
class Queued:
    event: dict[str, Any]
    invalid: bool
    # an earlier request holding it reached the server (its response was lost)
    delivered: bool = False


@dataclass(slots=True)
class Batch:
    items: list[Queued] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)


class TrackerEmulation:
    """The tracker in one visitor's browser for one visit, driven through the calls the shop's pages make."""

    def __init__(
        self,
        visit: Visit,
        rng: random.Random,
        out: list[SentRequest],
        counters: SdkCounters,
        *,
        batch_size: int = BATCH_SIZE,
        invalid_rate: float = 0.0,
        faults: NetworkFaults | None = None,
    ) -> None:
        self.visitor = visit.visitor
        self._rng = rng
        self._out = out
        self._counters = counters
        self._batch_size = batch_size
        self._invalid_rate = invalid_rate
        self._faults = faults_for(self.visitor) if faults is None else faults
        self._skew = self.visitor.clock_skew_ms
        # The earlier visits' sessions lapsed long ago: only their count carries over (sessionIndex).
        self._sessions_before = visit.sessions_before
        self._session: _Session | None = None
        self._queue: list[Queued] = []
        self._page: _Page | None = None
        self._timer_ms: int | None = None
        self._retry_at = 0
        self._attempt = 0
        self._offline_until = -1
        self._requests_made = 0
        # when each request was made, sent or not (a device offline makes requests that never leave it)
        self.attempts: list[int] = []
        self._user_id: str | None = None
        self._token: Token | None = None

    # ---- what the shop's pages call

    def open_page(self, at_ms: int, url: str, title: str, referrer: str | None) -> None:
        """A page load: the page before it is left (pagehide: a beacon), the tracker starts again on the new page
        (what the last one left unsent it takes from the device and sends at once) and the shop calls page()."""
        self._advance(at_ms)
        if self._page is not None:
            self._drain(at_ms, beacon=True)
        restored = bool(self._queue)
        self._timer_ms = None
        self._retry_at = self._attempt = 0
        self._page = _Page(url[:2048], title[:512], (referrer or "")[:2048], campaign_of(url))
        self._record(at_ms, "page_view", {}, None)
        if restored and self._queue:
            # restore() set a timer of 0 ms before page(), which then set none: it fires once the page has loaded
            self._timer_ms = at_ms

    def identify(self, account: Account, auth_ms: int) -> None:
        """``identify(sub, {idToken})``: the shop calls it on each page once the visitor is signed in."""
        self._user_id = account.sub
        self._token = Token(account, auth_ms)

    def view_product(self, at_ms: int, product: dict[str, Any]) -> None:
        self._record(at_ms, "view_product", {"product": product}, None)

    def add_to_cart(self, at_ms: int, product: dict[str, Any], quantity: int = 1) -> None:
        self._record(at_ms, "add_to_cart", {"product": product}, {"quantity": quantity or 1})

    def remove_from_cart(self, at_ms: int, product: dict[str, Any], quantity: int = 1) -> None:
        self._record(at_ms, "remove_from_cart", {"product": product}, {"quantity": quantity or 1})

    def begin_checkout(self, at_ms: int, cart: dict[str, Any]) -> None:
        """The cart's scalars (value, currency, ...) become properties; lists (its items) do not fit them."""
        self._record(at_ms, "begin_checkout", {}, cart)

    def purchase(self, at_ms: int, order: dict[str, Any]) -> None:
        self._record(at_ms, "purchase", {"order": order}, None)

    def search(self, at_ms: int, query: str) -> None:
        self._record(at_ms, "search", {"search": {"query": query}}, None)

    def track(self, at_ms: int, name: str, props: dict[str, Any] | None = None) -> None:
        self._record(at_ms, name, {}, props)

    def leave(self, at_ms: int) -> None:
        """The page is left for another site (pagehide: a beacon); the tracker runs again on the next page load."""
        self.hide(at_ms)
        self._page = None
        self._timer_ms = None

    def network(self, at_ms: int, *, online: bool) -> None:
        """The device loses or regains its connection (a scripted offline spell)."""
        self._advance(at_ms)
        self._offline_until = at_ms if online else 2**62

    def hide(self, at_ms: int) -> None:
        """``visibilitychange`` to hidden (another tab, the phone locked): the queue goes by beacon."""
        self._advance(at_ms)
        self._drain(at_ms, beacon=True)

    def finish(self, at_ms: int) -> None:
        """The visit ends with the tab hidden: whatever is still queued (offline, backing off) goes out when the
        tracker's retry timer next finds the network back (the tab stays open meanwhile)."""
        self.hide(at_ms)
        for _ in range(_MAX_ATTEMPTS):
            if not self._queue or self._timer_ms is None:
                return
            self._advance(self._timer_ms)

    # ---- the tracker's core (tracker/src/tracker.ts)

    def _client_time(self, true_ms: int) -> str | int:
        return iso_ms(true_ms + self._skew)

    def _touch_session(self, at_ms: int, campaign: str) -> _Session:
        session = self._session
        if session is not None and at_ms - session.last_ms <= SESSION_TIMEOUT_MS and campaign in ("", session.campaign):
            session.last_ms = at_ms
            return session
        index = session.index + 1 if session is not None else self._sessions_before + 1
        self._session = _Session(uuid4_from(self._rng.getrandbits(128)), index, at_ms, campaign)
        self._counters.sessions += 1
        return self._session

    def _event(self, at_ms: int, name: str, fields: dict[str, Any], props: dict[str, Any] | None) -> dict[str, Any]:
        page = self._page
        assert page is not None, "the shop calls the tracker from a page"
        session = self._touch_session(at_ms, page.campaign)
        event: dict[str, Any] = {
            "eventName": name,
            "eventId": uuid4_from(self._rng.getrandbits(128)),
            "eventTimestamp": self._client_time(at_ms),
            "schemaVersion": SCHEMA_VERSION,
            "clientId": self.visitor.client_id,
            "sessionId": session.id,
            "isFirstVisit": session.index == 1,
        }
        if self._user_id is not None:
            event["userId"] = self._user_id
        event["pageUrl"] = page.url
        event["pageTitle"] = page.title
        event["referrer"] = page.referrer
        event.update(fields)
        properties = _flat_props(props)
        properties["appId"] = APP_ID
        properties["sessionIndex"] = session.index
        event["properties"] = properties
        return event

    def _make(self, at_ms: int, name: str, fields: dict[str, Any], props: dict[str, Any] | None) -> Queued:
        """The event, damaged now and then (defects.py: the kind a front-end bug ships)."""
        event = self._event(at_ms, name, fields, props)
        invalid = bool(self._invalid_rate) and self._rng.random() < self._invalid_rate
        if invalid:
            break_event(event, self._rng)
        return Queued(event, invalid)

    def _record(self, at_ms: int, name: str, fields: dict[str, Any], props: dict[str, Any] | None) -> None:
        self._advance(at_ms)
        self._queue.append(self._make(at_ms, name, fields, props))
        if len(self._queue) > MAX_QUEUE:
            del self._queue[0]
        if name in KEY_EVENTS or len(self._queue) >= self._batch_size:
            self._drain(at_ms, beacon=False)
        elif self._timer_ms is None:
            self._timer_ms = at_ms + FLUSH_INTERVAL_MS

    def _advance(self, now_ms: int) -> None:
        """Run the timers (the 5 s flush, a retry's backoff) that fire before `now_ms`."""
        while self._timer_ms is not None and self._timer_ms <= now_ms:
            at = self._timer_ms
            self._timer_ms = None
            self._drain(at, beacon=False)

    def _next_batch(self, sent_at: str | int) -> Batch:
        """queue.ts's nextBatch: from the head, one userId, at most 64 KB; an event too big alone is dropped."""
        batch = Batch()
        size = _ENVELOPE
        user_id = self._queue[0].event.get("userId")
        oversize: list[Queued] = []
        for queued in self._queue:
            event = queued.event
            if batch.items and event.get("userId") != user_id:
                break
            event["sentAt"] = sent_at
            part = orjson.dumps(event)
            n = len(part) + (1 if batch.parts else 0)
            if _ENVELOPE + n > MAX_BODY_BYTES:
                oversize.append(queued)
                continue
            if size + n > MAX_BODY_BYTES:
                break
            size += n
            batch.items.append(queued)
            batch.parts.append(part)
        if oversize:
            self._queue = [q for q in self._queue if q not in oversize]
        return batch

    def _drain(self, at_ms: int, *, beacon: bool) -> None:
        self._timer_ms = None
        # Chrome holds at most 64 KB of keepalive requests (beacons included) in flight: when a page goes away with
        # more queued, the next beacon is refused and its fallback fetch fails, so the rest waits on the device.
        in_flight = 0
        while self._queue:
            if at_ms < self._retry_at:
                # backing off: the queue waits on the device (a beacon too: the next page load sends it)
                self._timer_ms = self._retry_at
                return
            batch = self._next_batch(self._client_time(at_ms))
            if not batch.items:
                continue
            token = self._token_for(batch.items[0].event)
            size = _ENVELOPE + sum(len(part) for part in batch.parts) + len(batch.parts) - 1
            if beacon and in_flight + size > MAX_BODY_BYTES:
                self._requests_made += 1
                self.attempts.append(at_ms)
                seen = False
            else:
                in_flight += size
                seen = self._post(at_ms, batch, token, beacon and token is None)
            if seen:
                self._attempt = 0
                done = {id(q) for q in batch.items}
                self._queue = [q for q in self._queue if id(q) not in done]
            else:
                jitter = self._faults.jitter
                self._retry_at = at_ms + backoff_ms(self._attempt, self._rng.random() if jitter is None else jitter)
                self._attempt += 1

    def _token_for(self, event: dict[str, Any]) -> Token | None:
        """The token for a request of `event`: only when the event is the identified visitor's."""
        return self._token if self._token is not None and event.get("userId") == self._user_id else None

    def _post(self, at_ms: int, batch: Batch, token: Token | None, beacon: bool) -> bool:
        """One request; whether the tracker saw it succeed (else it keeps the events and backs off)."""
        faults = self._faults
        number = self._requests_made
        self._requests_made += 1
        self.attempts.append(at_ms)
        if at_ms >= self._offline_until and faults.offline_share and self._rng.random() < faults.offline_share:
            spell = 5 * MINUTE_MS + min(int(self._rng.expovariate(1 / (25 * MINUTE_MS))), 4 * 60 * MINUTE_MS)
            self._offline_until = at_ms + spell
        if at_ms < self._offline_until:
            # the tracker skips sendBeacon offline (it would say yes and then lose them); its fetch fails, the
            # events wait on the device
            return False
        self._deliver(at_ms, batch, token, beacon)
        # a beacon's answer is never read; a fetch's may be lost on the way back
        if beacon:
            return True
        if number in faults.lost_answers:
            return False
        return not (faults.response_lost_share and self._rng.random() < faults.response_lost_share)

    def _deliver(self, at_ms: int, batch: Batch, token: Token | None, beacon: bool) -> None:
        body = b'{"events":[' + b",".join(batch.parts) + b"]}"
        transport = Transport.BEACON if beacon else Transport.KEEPALIVE_FETCH
        self._emit(at_ms, batch, body, BEACON_TYPE if beacon else FETCH_TYPE, transport, token, gzip=False)

    def _emit(
        self,
        at_ms: int,
        batch: Batch,
        body: bytes,
        content_type: str,
        transport: Transport,
        token: Token | None,
        *,
        gzip: bool,
    ) -> None:
        invalid = sum(q.invalid for q in batch.items)
        retry = any(q.delivered for q in batch.items)
        for queued in batch.items:
            queued.delivered = True
        self._out.append(
            SentRequest(
                self.visitor, at_ms, body, content_type, transport, gzip, token, len(batch.items), invalid, retry
            )
        )
        self._counters.events += len(batch.items)
        self._counters.invalid += invalid


def _flat_props(props: dict[str, Any] | None) -> dict[str, Any]:
    """props.ts's flatProps: scalar values only (strings cut to 1,024), at most 49 keys."""
    out: dict[str, Any] = {}
    if not props:
        return out
    for key, value in props.items():
        if len(out) >= 49:
            break
        if isinstance(value, str):
            out[key] = value[:1024]
        elif value is None or isinstance(value, bool | int | float):
            out[key] = value
    return out
