"""The shop's browser analytics SDK, as seen from the wire: what it puts in each event and when it sends.

It keeps the session id (rolled after 30 minutes without activity), queues events and flushes them when the queue
is full or the page is hidden, sends key events (login, sign-up, purchase) at once, and shows the faults of real
clients: retried requests, queues flushed long after an offline spell, skewed device clocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

import orjson

from local_only.simulator.clock import MINUTE_MS, SECOND_MS, iso_ms
from local_only.simulator.defects import break_event
from local_only.simulator.ids import uuid4_from
from local_only.simulator.visitors import Account, SdkFlavour, Visit, Visitor, is_mobile

SESSION_TIMEOUT_MS = 30 * MINUTE_MS
SCHEMA_VERSION = "1.0"
BEACON_TYPE = "text/plain;charset=UTF-8"
JSON_TYPE = "application/json"
# A request the server stored but whose response the browser never saw; the SDK resends the same body.
RETRY_SHARE = 0.004
# Share of flushes that find the device offline, by device class: phones lose signal far more often.
OFFLINE_SHARE_MOBILE = 0.02
OFFLINE_SHARE_DESKTOP = 0.004


@dataclass(frozen=True, slots=True)
class Token:
    """The Cognito id token the SDK holds after sign-in; API Gateway's JWT authorizer turns it into claims."""

    account: Account
    auth_ms: int


@dataclass(frozen=True, slots=True)
class SentRequest:
    """One POST as the browser sent it, before API Gateway wraps it."""

    visitor: Visitor
    sent_ms: int
    body: bytes
    content_type: str
    gzip: bool
    token: Token | None
    events: int
    invalid: int
    retry: bool = False


@dataclass(slots=True)
class SdkCounters:
    sessions: int = 0
    events: int = 0
    invalid: int = 0


class BrowserSdk:
    """The SDK in one visitor's browser for one visit."""

    def __init__(
        self,
        visit: Visit,
        rng: random.Random,
        out: list[SentRequest],
        counters: SdkCounters,
        *,
        batch_size: int,
        invalid_rate: float,
    ) -> None:
        visitor = visit.visitor
        self.visitor = visitor
        self._rng = rng
        self._out = out
        self._counters = counters
        self._batch_size = batch_size
        self._invalid_rate = invalid_rate
        self._skew = visitor.clock_skew_ms
        self._legacy = visitor.sdk is SdkFlavour.LEGACY
        self._gzip = visitor.sdk is SdkFlavour.GZIP
        self._offline_share = OFFLINE_SHARE_MOBILE if is_mobile(visitor) else OFFLINE_SHARE_DESKTOP
        self._first_session = visit.first_visit
        self._session_id = ""
        self._last_ms = -SESSION_TIMEOUT_MS - 1
        self._queue: list[dict[str, Any]] = []
        self._queued_invalid = 0
        self._token: Token | None = None

    def sign_in(self, account: Account, auth_ms: int) -> None:
        self._token = Token(account, auth_ms)

    def _client_time(self, true_ms: int) -> str | int:
        # The old SDK sent Date.now(); the current one sends toISOString().
        return true_ms + self._skew if self._legacy else iso_ms(true_ms + self._skew)

    def event(self, at_ms: int, name: str, page_url: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """Build one event the way the SDK does at `at_ms` (true time), rolling the session when it has lapsed."""
        if at_ms - self._last_ms > SESSION_TIMEOUT_MS:
            if self._session_id:
                self._first_session = False
            self._session_id = uuid4_from(self._rng.getrandbits(128))
            self._counters.sessions += 1
        self._last_ms = at_ms
        event: dict[str, Any] = {"eventName": name}
        if not self._legacy:
            event["eventId"] = uuid4_from(self._rng.getrandbits(128))
            event["schemaVersion"] = SCHEMA_VERSION
        event["eventTimestamp"] = self._client_time(at_ms)
        event["clientId"] = self.visitor.client_id
        event["sessionId"] = self._session_id
        if self._token is not None:
            event["userId"] = self._token.account.sub
            event["userLoginState"] = "logged_in"
        else:
            event["userLoginState"] = "guest"
        event["isFirstVisit"] = self._first_session
        event["pageUrl"] = page_url
        if fields:
            event.update(fields)
        return event

    def track(self, at_ms: int, name: str, page_url: str, fields: dict[str, Any] | None = None) -> None:
        """Queue an event; a full queue is flushed straight away."""
        event = self.event(at_ms, name, page_url, fields)
        invalid = self._maybe_break(event)
        self._queue.append(event)
        self._queued_invalid += invalid
        if len(self._queue) >= self._batch_size:
            self._flush(at_ms + 20, beacon=False)

    def send_now(self, at_ms: int, name: str, page_url: str, fields: dict[str, Any] | None = None) -> None:
        """Key events go out alone and at once with fetch, so a closing tab cannot lose them."""
        event = self.event(at_ms, name, page_url, fields)
        invalid = self._maybe_break(event)
        self._send([event], at_ms + 30, JSON_TYPE, single=True, invalid=invalid)

    def page_hide(self, at_ms: int) -> None:
        """``visibilitychange`` to hidden: whatever is queued goes out by navigator.sendBeacon."""
        if self._queue:
            self._flush(at_ms, beacon=True)

    def _maybe_break(self, event: dict[str, Any]) -> int:
        if self._invalid_rate and self._rng.random() < self._invalid_rate:
            break_event(event, self._rng)
            return 1
        return 0

    def _flush(self, at_ms: int, *, beacon: bool) -> None:
        events, invalid = self._queue, self._queued_invalid
        self._queue, self._queued_invalid = [], 0
        gzip = self._gzip and not beacon
        # The old SDK had no sendBeacon path: it always used fetch with a JSON content type.
        content_type = JSON_TYPE if gzip or self._legacy else BEACON_TYPE
        self._send(events, at_ms, content_type, single=False, invalid=invalid, gzip=gzip)

    def _send(
        self,
        events: list[dict[str, Any]],
        at_ms: int,
        content_type: str,
        *,
        single: bool,
        invalid: int,
        gzip: bool = False,
    ) -> None:
        rng = self._rng
        if rng.random() < self._offline_share:
            # Offline: the queue waits in IndexedDB and goes out when the connection (or the next page) is back.
            at_ms += 5 * MINUTE_MS + min(int(rng.expovariate(1 / (25 * MINUTE_MS))), 4 * 60 * MINUTE_MS)
        sent_at = self._client_time(at_ms)
        for event in events:
            event["sentAt"] = sent_at
        body = orjson.dumps(events[0] if single else {"events": events})
        request = SentRequest(
            self.visitor, at_ms, body, content_type, gzip, self._token, len(events), invalid, retry=False
        )
        self._out.append(request)
        self._counters.events += len(events)
        self._counters.invalid += invalid
        if rng.random() < RETRY_SHARE:
            retry_ms = at_ms + int(rng.uniform(2, 20) * SECOND_MS)
            self._out.append(replace(request, sent_ms=retry_ms, retry=True))
            self._counters.events += len(events)
            self._counters.invalid += invalid
