"""One truth for what the tracker sends: the real tracker in Chromium and the generator's emulation of it
(local_only/simulator/sdk.py), driven through the same scripted visit (scripted.py), make the same requests.

The real side: tracker/dist/clickstream.js on pages of a local shop origin, posting to an endpoint on another
origin that records each request as it arrives (a beacon sent while a page unloads is on the wire, where
Playwright's routing may not see it). The page's clock is Playwright's, paused at the script's start and moved to
each step's time, so the 5 s timer fires where the script says. The emulated side: the same steps through the
emulation, each request as API Gateway hands it to the ingest. Compared: the requests in order (route, beacon or
keepalive fetch, content type, events per request and their names), every event's fields as JSON key paths with
their types, the id rules, and all values once uuids are named by role and times counted from the start.
"""

from __future__ import annotations

import html
import itertools
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from support.tracker_build import built_tracker_script

from local_only.simulator.requests import api_gateway_event
from local_only.simulator.scripted import (
    BULKY_VISIT,
    CHECKOUT_VISIT,
    OFFLINE_VISIT,
    SCRIPT_START_MS,
    SCRIPT_USER,
    SESSIONS_VISIT,
    SIGNIN_VISIT,
    Action,
    ScriptedRun,
    Step,
    scripted_run,
)
from local_only.simulator.sdk import TRACKER_OPTIONS, SentRequest

pytestmark = pytest.mark.e2e

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
WAIT_S = 20.0
JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
# Records, without changing it, how each fetch is made: keepalive is not visible on the wire.
FETCH_SPY = """
(() => {
  const original = window.fetch;
  window.fetch = function (url, init) {
    window.__recordFetch(String(url), !!(init && init.keepalive));
    return original.apply(this, arguments);
  };
  // the backoff's jitter, as the emulation's scripted faults have it
  Math.random = () => 0.5;
})();
"""


@dataclass(frozen=True)
class Wire:
    """One request as it reached the endpoint."""

    path: str
    transport: str  # beacon | keepalive-fetch | fetch
    content_type: str
    # it carried Authorization: Bearer <id token>
    authorized: bool
    body: dict[str, Any]

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.body["events"]
        return events


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, lost_answers: frozenset[int]) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        # the requests (from 0) stored but answered by a dropped connection: a network error to the browser
        self.lost_answers = lost_answers
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.arrived = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_for(self, count: int) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout=WAIT_S):
                paths = [orjson.loads(body)["events"][0]["eventName"] for _, _, body in self.received]
                pytest.fail(f"the endpoint got {len(self.received)} requests ({paths}), expected {count}")


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _Recorder

    def do_OPTIONS(self) -> None:
        """The preflight of a request with the id token (Authorization is not a simple header)."""
        self.send_response(204)
        self.send_header("access-control-allow-origin", self.headers.get("origin", "*"))
        self.send_header("access-control-allow-methods", "POST")
        self.send_header("access-control-allow-headers", self.headers.get("access-control-request-headers", ""))
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.server.arrived:
            number = len(self.server.received)
            self.server.received.append((self.path, headers, body))
            self.server.arrived.notify_all()
        if number in self.server.lost_answers:
            self.close_connection = True
            return
        self.send_response(200)
        # a page on another origin reads the answer (a fetch that cannot is a network error to the tracker)
        self.send_header("access-control-allow-origin", headers.get("origin", "*"))
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Shop(ThreadingHTTPServer):
    """The scripted visit's pages: each loads the tracker and starts it as the simulated shop does."""

    daemon_threads = True

    def __init__(self, script: bytes, titles: dict[str, str], endpoint: str) -> None:
        super().__init__(("127.0.0.1", 0), _ShopHandler)
        self.script = script
        self.titles = titles
        options = {"endpoint": endpoint, "allowAutomation": True, **TRACKER_OPTIONS}
        self.init = f"Clickstream.init({orjson.dumps(options).decode()});"
        # once the visitor has signed in, the arguments of the identify call each page makes before page()
        self.identity: list[Any] | None = None

    @property
    def start(self) -> str:
        identify = "" if self.identity is None else f"Clickstream.identify(...{orjson.dumps(self.identity).decode()});"
        return f"{self.init} {identify} Clickstream.page();"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ShopHandler(BaseHTTPRequestHandler):
    server: _Shop

    def do_GET(self) -> None:
        if self.path == "/clickstream.js":
            body, content_type = self.server.script, "text/javascript"
        elif self.path in self.server.titles:
            title = html.escape(self.server.titles[self.path])
            page = (
                f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
                f'<script src="/clickstream.js"></script><script>{self.server.start}</script></head>'
                f"<body><h1>{title}</h1></body></html>"
            )
            body, content_type = page.encode(), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class _Fetches:
    """The endpoint's fetch requests the page started and those that finished, and each fetch's keepalive."""

    endpoint: str
    started: int = 0
    finished: int = 0
    keepalive: list[bool] | None = None

    def record(self, url: str, keepalive: bool) -> None:
        if url.startswith(self.endpoint):
            assert self.keepalive is not None
            self.keepalive.append(keepalive)

    def on_request(self, request: Any, change: int) -> None:
        if request.url.startswith(self.endpoint) and request.resource_type == "fetch":
            if change > 0:
                self.started += 1
            else:
                self.finished += 1


def _sent_before(requests: list[SentRequest], at_ms: int, *, inclusive: bool) -> int:
    return sum(r.sent_ms <= at_ms if inclusive else r.sent_ms < at_ms for r in requests)


def drive_real_tracker(
    browser: Any, steps: tuple[Step, ...], expected: ScriptedRun, lost_answers: frozenset[int] = frozenset()
) -> tuple[list[Wire], str]:
    """The steps through the real tracker in Chromium: the requests its endpoint got, in order, and the shop's
    origin. `expected` (the emulation's run) only says when to let the network answer and how many requests to
    wait for; the answers to the requests numbered in `lost_answers` are lost (the connection dropped after the
    request was read)."""
    script = built_tracker_script().read_bytes()
    titles = {step.path: step.title for step in steps if step.action is Action.OPEN}
    endpoint = _Recorder(lost_answers)
    with _serving(endpoint):
        shop = _Shop(script, titles, f"{endpoint.url}/clickstream")
        with _serving(shop):
            fetches = _Fetches(endpoint.url, keepalive=[])
            context = browser.new_context()
            try:
                context.expose_function("__recordFetch", fetches.record)
                context.add_init_script(FETCH_SPY)
                context.on("request", lambda r: fetches.on_request(r, 1))
                context.on("requestfinished", lambda r: fetches.on_request(r, -1))
                context.on("requestfailed", lambda r: fetches.on_request(r, -1))
                context.clock.install(time=SCRIPT_START_MS / 1000)
                context.clock.pause_at(SCRIPT_START_MS / 1000)
                page = context.new_page()
                _run_steps(page, context, steps, expected, endpoint, fetches, shop)
                stats = page.evaluate("Clickstream.stats()")
                assert stats == {"queued": 0, "dropped": 0, "oversize": 0}
            finally:
                context.close()
            # every fetch the tracker made was a keepalive one (a visit with none sends only beacons)
            keepalive = all(fetches.keepalive or [])
    wires = [_browser_wire(path, headers, body, keepalive) for path, headers, body in endpoint.received]
    return wires, shop.url


def _run_steps(
    page: Any,
    context: Any,
    steps: tuple[Step, ...],
    expected: ScriptedRun,
    endpoint: _Recorder,
    fetches: _Fetches,
    shop: _Shop,
) -> None:
    origin = shop.url
    now = 0
    for step in steps:
        # The timers that fire before the step (the 5 s flush, a retry) send what they send. The clock stops at
        # each moment the emulation sent something, until the network has answered: a fake clock would otherwise
        # run on while a request is in flight, which a real one barely does.
        made = sorted({at - SCRIPT_START_MS for at in expected.attempts if now < at - SCRIPT_START_MS < step.at_ms})
        for moment in [*made, step.at_ms]:
            if moment > now:
                context.clock.run_for(moment - now)
                now = moment
            count = _sent_before(expected.requests, SCRIPT_START_MS + now, inclusive=now < step.at_ms)
            _settle(page, endpoint, fetches, count)
        if step.action is Action.OPEN:
            if page.url == "about:blank":
                page.goto(origin + step.path)
            else:
                # a link followed: the new page's document.referrer is this one
                with page.expect_navigation(wait_until="load"):
                    page.evaluate("url => { location.href = url }", origin + step.path)
        elif step.action is Action.CALL:
            page.evaluate("([method, args]) => { Clickstream[method](...args) }", [step.method, list(step.args)])
            if step.method == "identify":
                shop.identity = list(step.args)
        elif step.action in (Action.OFFLINE, Action.ONLINE):
            context.set_offline(step.action is Action.OFFLINE)
        else:
            page.evaluate(
                "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
                " document.dispatchEvent(new Event('visibilitychange')) }"
            )
        # the timers the step set for now (a page load that found events left on the device sends them at once)
        context.clock.run_for(0)
        assert page.evaluate("Date.now()") == SCRIPT_START_MS + now, "the page's clock follows the script"
        _settle(page, endpoint, fetches, _sent_before(expected.requests, SCRIPT_START_MS + now, inclusive=True))


def _settle(page: Any, endpoint: _Recorder, fetches: _Fetches, count: int) -> None:
    """Wait until the endpoint has `count` requests and the page has read every fetch's answer, so that the next
    step does not race a request in flight (leaving a page then would send its events again by beacon)."""
    endpoint.wait_for(count)
    for _ in range(int(WAIT_S / 0.05)):
        if fetches.started == fetches.finished:
            break
        page.wait_for_timeout(50)
    assert fetches.started == fetches.finished, "a fetch to the endpoint never finished"
    # a task after the answer's: the tracker has taken the sent events off its queue
    page.evaluate(
        "() => new Promise(r => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0) })"
    )


def _transport(fetch_mode: str, keepalive: bool) -> str:
    # Chrome's Sec-Fetch-Mode: a beacon is no-cors, a fetch from the page cors
    if fetch_mode == "no-cors":
        return "beacon"
    return "keepalive-fetch" if keepalive else "fetch"


def _browser_wire(path: str, headers: dict[str, str], body: bytes, keepalive: bool) -> Wire:
    transport = _transport(headers["sec-fetch-mode"], keepalive)
    authorized = headers.get("authorization", "").startswith("Bearer ey")
    return Wire(path, transport, headers["content-type"], authorized, orjson.loads(body))


def _emulated_wire(request: SentRequest, rng: random.Random) -> Wire:
    """The emulation's request as the ingest receives it from API Gateway."""
    event = api_gateway_event(request, rng).event
    headers = event["headers"]
    transport = _transport(headers["sec-fetch-mode"], request.transport.value == "keepalive-fetch")
    assert transport == request.transport.value
    authorized = headers.get("authorization", "").startswith("Bearer ey")
    return Wire(event["rawPath"], transport, headers["content-type"], authorized, orjson.loads(event["body"]))


def key_paths(value: Any, prefix: str = "") -> set[tuple[str, str]]:
    """Every key path of a JSON value with its JSON type, arrays' items under ``[]``."""
    kind = JSON_TYPES.get(type(value), "number")
    paths = {(prefix or "$", kind)}
    if isinstance(value, dict):
        for key, item in value.items():
            paths |= key_paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def _ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000) - SCRIPT_START_MS


def canonical(wires: list[Wire], origin: str) -> list[dict[str, Any]]:
    """The requests with uuids named by role (first seen, first named) and times in ms from the script's start."""
    names: dict[str, str] = {}

    def name(role: str, value: str) -> str:
        return names.setdefault(value, f"{role}-{sum(n.startswith(role) for n in names.values()) + 1}")

    out = []
    for wire in wires:
        events = []
        for sent in wire.events:
            event = dict(sent)
            for role in ("eventId", "clientId", "sessionId"):
                event[role] = name(role, event[role])
            for field in ("eventTimestamp", "sentAt"):
                event[field] = _ms(event[field])
            for field in ("pageUrl", "referrer"):
                event[field] = event[field].replace(origin, "{shop}")
            events.append(event)
        out.append(
            {
                "path": wire.path,
                "transport": wire.transport,
                "contentType": wire.content_type,
                "authorized": wire.authorized,
                "events": events,
            }
        )
    return out


def check_id_rules(wires: list[Wire]) -> None:
    """The tracker's rules, on either side's requests."""
    events = [event for wire in wires for event in wire.events]
    for event in events:
        for role in ("eventId", "clientId", "sessionId"):
            assert UUID4.match(event[role]), (role, event[role])
        assert event["schemaVersion"] == "1.0"
        assert "userLoginState" not in event
        assert event["isFirstVisit"] is True
        assert event["properties"]["sessionIndex"] == 1
        assert event["properties"]["appId"] == TRACKER_OPTIONS["appId"]
        assert _ms(event["eventTimestamp"]) <= _ms(event["sentAt"])
    assert len({event["eventId"] for event in events}) == len(events), "every event has its own eventId"
    assert len({event["clientId"] for event in events}) == 1, "one visitor"
    assert len({event["sessionId"] for event in events}) == 1, "one session"
    for wire in wires:
        assert len({event["sentAt"] for event in wire.events}) == 1, "sentAt is the request's"
        assert len(wire.events) <= 10
    # UTM parameters stay on the landing page's URL; each later page's referrer is the page before it
    views = [event for event in events if event["eventName"] == "page_view"]
    assert "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_deals" in views[0]["pageUrl"]
    assert views[0]["referrer"] == ""
    for before, after in itertools.pairwise(views):
        assert after["referrer"] == before["pageUrl"]


Sides = tuple[list[Wire], list[Wire], str]


def run_both(
    browser: Any, steps: tuple[Step, ...] = CHECKOUT_VISIT, lost_answers: frozenset[int] = frozenset()
) -> Sides:
    """(the real tracker's requests, the emulation's, the shop's origin) for `steps`."""
    # The emulation's requests say how many to wait for; its events then on the browser's origin (known once served).
    probe = scripted_run(steps, lost_answers=lost_answers)
    real, origin = drive_real_tracker(browser, steps, probe, lost_answers)
    rng = random.Random(0)
    emulated = scripted_run(steps, origin=origin, lost_answers=lost_answers).requests
    return real, [_emulated_wire(request, rng) for request in emulated], origin


@pytest.fixture(scope="module")
def both_sides(browser: Any) -> Sides:
    return run_both(browser)


def _summary(wires: list[Wire]) -> list[tuple[str, str, str, bool, list[str]]]:
    return [(w.path, w.transport, w.content_type, w.authorized, [e["eventName"] for e in w.events]) for w in wires]


def test__tracker_and_emulation__make_the_same_requests(both_sides: Sides) -> None:
    """Same number of requests, in the same order, each by the same transport and content type, holding the same
    events in the same order."""
    real, emulated, _ = both_sides
    assert _summary(real) == _summary(emulated)
    # the visit uses every way the tracker sends: beacons on leaving and hiding, timed and key-event fetches
    assert {w.transport for w in real} == {"beacon", "keepalive-fetch"}
    assert {w.content_type for w in real} == {"text/plain;charset=UTF-8", "text/plain"}


def test__tracker_and_emulation__send_the_same_fields(both_sides: Sides) -> None:
    """Every request's envelope and every event's fields (key paths, JSON types) are the same on both sides."""
    real, emulated, _ = both_sides
    assert [key_paths({k: v for k, v in w.body.items() if k != "events"}) for w in real] == [
        key_paths({k: v for k, v in w.body.items() if k != "events"}) for w in emulated
    ]
    real_fields = [sorted(key_paths(event)) for w in real for event in w.events]
    emulated_fields = [sorted(key_paths(event)) for w in emulated for event in w.events]
    assert real_fields == emulated_fields


def test__tracker_and_emulation__follow_the_same_id_rules(both_sides: Sides) -> None:
    real, emulated, _ = both_sides
    check_id_rules(real)
    check_id_rules(emulated)


def test__tracker_and_emulation__agree_on_every_value(both_sides: Sides) -> None:
    """Beyond the shapes: the same values, uuids named by role and times counted from the visit's start (the
    page's clock is the script's, so the 5 s flush lands on the same millisecond)."""
    real, emulated, origin = both_sides
    assert canonical(real, origin) == canonical(emulated, origin)


def test__key_paths__name_every_field_and_type() -> None:
    """The comparison's own tool: a field renamed, moved, added or retyped changes the key paths."""
    event = {"a": 1, "b": {"c": "x", "d": [{"e": True}]}, "f": None}
    assert key_paths(event) == {
        ("$", "object"),
        ("a", "number"),
        ("b", "object"),
        ("b.c", "string"),
        ("b.d", "array"),
        ("b.d[]", "object"),
        ("b.d[].e", "boolean"),
        ("f", "null"),
    }
    assert key_paths({"a": "1"}) != key_paths({"a": 1})
    assert key_paths({"b": {"c": 1}}) != key_paths({"c": 1})


# The second request of the visit (the product page's timed fetch) reaches the endpoint, whose answer is lost.
LOST = 1


def test__a_lost_answer__is_retried_alike_with_the_same_event_ids(browser: Any) -> None:
    """The tracker takes a lost answer for a network error: after its backoff it sends the same events again (the
    eventId lets the warehouse drop the copy), with a new sentAt; the emulation does the same, to the millisecond."""
    real, emulated, origin = run_both(browser, lost_answers=frozenset({LOST}))
    assert _summary(real) == _summary(emulated)
    assert canonical(real, origin) == canonical(emulated, origin)
    for wires in (real, emulated):
        lost, again = wires[LOST], wires[LOST + 1]
        assert [e["eventId"] for e in again.events] == [e["eventId"] for e in lost.events]
        assert _ms(again.events[0]["sentAt"]) > _ms(lost.events[0]["sentAt"])
        assert [e["eventTimestamp"] for e in again.events] == [e["eventTimestamp"] for e in lost.events]


def test__sessions__roll_alike_on_the_timeout_and_on_a_new_campaign(browser: Any) -> None:
    """A tab back after 31 minutes starts a second session (sessionIndex 2, no longer a first visit); a link with
    another campaign a third; a page without UTM parameters stays in it. Same on both sides, value for value."""
    real, emulated, origin = run_both(browser, SESSIONS_VISIT)
    assert _summary(real) == _summary(emulated)
    assert canonical(real, origin) == canonical(emulated, origin)
    for wires in (real, emulated):
        events = [event for wire in wires for event in wire.events]
        assert [e["eventName"] for e in events] == [
            "page_view",
            "page_view",
            "search",
            "click",
            "page_view",
            "page_view",
            "add_to_cart",
            "remove_from_cart",
        ]
        assert [e["properties"]["sessionIndex"] for e in events] == [1, 1, 1, 2, 3, 3, 3, 3]
        assert [e["isFirstVisit"] for e in events] == [True, True, True, False, False, False, False, False]
        assert len({e["sessionId"] for e in events}) == 3
        assert len({e["clientId"] for e in events}) == 1


def test__offline_spells__are_weathered_alike(browser: Any) -> None:
    """Offline for a minute: the timed fetch fails and backs off on both sides; back online, the next page load
    sends what the page before left on the device, with the same eventIds. Hidden while offline: no beacon on
    either side (Chromium's sendBeacon says yes offline, then drops it); the fetch fails, and the retry once back
    online sends the click."""
    real, emulated, origin = run_both(browser, OFFLINE_VISIT)
    assert _summary(real) == _summary(emulated)
    assert canonical(real, origin) == canonical(emulated, origin)
    names = [[e["eventName"] for e in w.events] for w in real]
    assert names == [["page_view", "click", "page_view"], ["click"], ["page_view"]]
    clicks = [e["properties"]["element"] for w in real for e in w.events if e["eventName"] == "click"]
    assert clicks == ["filter", "hero_banner"], "an event queued when the page was hidden offline is lost"


def test__a_login__takes_the_authenticated_route_alike(browser: Any) -> None:
    """What was queued before identify goes to the anonymous route; the login and the events after it carry the
    userId and go with the id token to /clickstream/auth, by fetch even when the page is hidden (a beacon cannot
    carry a token). Neither side sends userLoginState: the ingest decides it from the verified token."""
    real, emulated, origin = run_both(browser, SIGNIN_VISIT)
    assert _summary(real) == _summary(emulated)
    assert canonical(real, origin) == canonical(emulated, origin)
    assert _summary(real) == [
        ("/clickstream", "keepalive-fetch", "text/plain", False, ["page_view"]),
        ("/clickstream/auth", "keepalive-fetch", "text/plain", True, ["login"]),
        ("/clickstream/auth", "keepalive-fetch", "text/plain", True, ["page_view"]),
    ]
    for wires in (real, emulated):
        events = [event for wire in wires for event in wire.events]
        assert [e.get("userId") for e in events] == [None, SCRIPT_USER, SCRIPT_USER]
        assert not any("userLoginState" in e for e in events)


def test__more_than_64_kb_queued__leaves_alike(browser: Any) -> None:
    """A page left with about 80 KB queued: one beacon of what a request holds, the rest refused (Chrome's 64 KB
    of keepalive requests in flight) and sent by the next page load, by fetch; no request over 64 KB."""
    real, emulated, origin = run_both(browser, BULKY_VISIT)
    assert _summary(real) == _summary(emulated)
    assert canonical(real, origin) == canonical(emulated, origin)
    assert [(w.transport, [e["eventName"] for e in w.events]) for w in real] == [
        ("beacon", ["page_view", "click"]),
        ("keepalive-fetch", ["click", "page_view"]),
    ]
    for wires in (real, emulated):
        assert all(len(orjson.dumps(w.body)) <= 65_536 for w in wires)
