"""What the real ingest handler stored from two days of generated traffic: valid, complete, realistic, quirky."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest
from support.generated_store import StoredOutput

from ingest_lambda.contract import ClickstreamEvent
from local_only.simulator.geography import COUNTRIES
from local_only.simulator.run import GenerationSummary

pytestmark = pytest.mark.integration

# Fields the ingest adds or rewrites; without them a stored line must again be a valid client event.
SERVER_FIELDS = (
    "receivedAt",
    "requestId",
    "userAgent",
    "device",
    "ipHash",
    "country",
    "schemaVersion",
    "clientEventTimestamp",
    "clientUserId",
    "sanitized",
)
FUNNEL = ("view_product", "add_to_cart", "begin_checkout", "purchase")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _sessions_by_step(events: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    sessions: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for event in events:
        sessions[event["eventName"]].add((event["clientId"], event["sessionId"]))
    return sessions


@pytest.fixture(scope="module")
def stored(api_run: tuple[GenerationSummary, StoredOutput]) -> StoredOutput:
    return api_run[1]


@pytest.fixture(scope="module")
def events(stored: StoredOutput) -> list[dict[str, Any]]:
    return stored.events


def test__generate__every_stored_line_is_a_valid_event(events: list[dict[str, Any]]) -> None:
    """Each stored line, stripped of the server's fields, validates against event contract v1."""
    for line in events:
        client_part = {key: value for key, value in line.items() if key not in SERVER_FIELDS}
        ClickstreamEvent.model_validate(client_part)
    assert len(events) > 30_000


def test__generate__accepted_and_rejected_add_up(
    api_run: tuple[GenerationSummary, StoredOutput], events: list[dict[str, Any]]
) -> None:
    """Everything sent is accepted except the deliberately invalid events, which are kept under rejected/."""
    summary, stored = api_run
    assert summary.errors == 0
    assert summary.invalid_sent > 0
    assert summary.accepted == summary.events_sent - summary.invalid_sent == len(events)
    assert summary.rejected == summary.invalid_sent == len(stored.rejected)
    assert summary.objects_written == len(stored.objects)
    for line in stored.rejected:
        assert line["errors"] and line["event"]["eventName"]


def test__generate__objects_land_in_the_hour_api_gateway_received_them(stored: StoredOutput) -> None:
    """receivedAt comes from requestContext.timeEpoch: the simulated arrival, not the wall clock."""
    for obj in stored.objects:
        for line in obj.lines:
            assert f"{_time(line['receivedAt']):%Y/%m/%d/%H}" == obj.hour
    days = {obj.hour[:10] for obj in stored.objects}
    assert {"2025/03/07", "2025/03/08"} <= days


def test__generate__funnel_drops_off_step_by_step(events: list[dict[str, Any]]) -> None:
    """Sessions viewing products > adding to cart > beginning checkout > purchasing, at realistic rates."""
    # GIVEN the sessions (clientId + sessionId) that reached each funnel step
    sessions = _sessions_by_step(events)
    counts = [len(sessions[step]) for step in FUNNEL]

    # THEN each step has strictly fewer sessions than the one before
    assert counts[0] > counts[1] > counts[2] > counts[3] > 0

    # AND the step rates are those of a real shop
    view, cart, checkout, purchase = counts
    assert 0.07 <= cart / view <= 0.13
    assert 0.4 <= checkout / cart <= 0.6
    assert 0.5 <= purchase / checkout <= 0.7


def test__generate__purchases_carry_consistent_orders(events: list[dict[str, Any]]) -> None:
    for event in events:
        if event["eventName"] != "purchase":
            continue
        order = event["order"]
        assert order["currency"] == "USD" and order["items"]
        assert order["revenue"] == pytest.approx(sum(i["quantity"] * i["price"] for i in order["items"]))


def test__generate__some_events_are_sent_twice_as_is(events: list[dict[str, Any]]) -> None:
    """A retried request: the same body again, so the same eventIds reach the store twice."""
    ids = Counter(event["eventId"] for event in events)
    duplicated = [event_id for event_id, count in ids.items() if count > 1]
    assert duplicated
    copies = [event for event in events if event["eventId"] == duplicated[0]]
    assert copies[0]["receivedAt"] != copies[1]["receivedAt"]
    assert copies[0]["clientEventTimestamp"] == copies[1]["clientEventTimestamp"]


def test__generate__some_orders_are_sent_twice(events: list[dict[str, Any]]) -> None:
    """A reloaded thank-you page: a second purchase with the same order id and a new eventId."""
    purchases: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event["eventName"] == "purchase":
            purchases[event["order"]["id"]].add(event["eventId"])
    assert any(len(event_ids) > 1 for event_ids in purchases.values())


def test__generate__late_events_land_in_a_later_hour(events: list[dict[str, Any]]) -> None:
    """An offline queue flushed later: sentAt well after eventTimestamp, received in a later hour."""
    late = [e for e in events if (_time(e["sentAt"]) - _time(e["eventTimestamp"])).total_seconds() > 300]
    assert late
    assert any(f"{_time(e['receivedAt']):%Y%m%d%H}" > f"{_time(e['eventTimestamp']):%Y%m%d%H}" for e in late)


def test__generate__skewed_client_clocks_are_corrected(events: list[dict[str, Any]]) -> None:
    """Clocks minutes or hours off: the ingest moves eventTimestamp back next to receivedAt."""
    skews = [
        abs((_time(e["clientEventTimestamp"]) - _time(e["eventTimestamp"])).total_seconds())
        for e in events
        if "clientEventTimestamp" in e
    ]
    assert any(60 < skew < 3600 for skew in skews)
    assert any(skew > 3600 for skew in skews)
    for event in events:
        assert _time(event["eventTimestamp"]) <= _time(event["receivedAt"])


def test__generate__some_sessions_cross_midnight_utc(events: list[dict[str, Any]]) -> None:
    dates: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in events:
        dates[event["clientId"], event["sessionId"]].add(event["eventTimestamp"][:10])
    assert any(len(days) > 1 for days in dates.values())


def test__generate__bots_and_a_fast_scraper_are_in_the_traffic(events: list[dict[str, Any]]) -> None:
    """Crawlers announce themselves; the scraper's headless browser fires dozens of events a minute."""
    bots = {event["userAgent"] for event in events if event["device"]["type"] == "bot"}
    assert any("Googlebot" in agent for agent in bots)
    assert any("bingbot" in agent or "AhrefsBot" in agent for agent in bots)
    per_minute = Counter(
        (event["clientId"], event["eventTimestamp"][:16]) for event in events if "HeadlessChrome" in event["userAgent"]
    )
    assert max(per_minute.values()) > 30


def test__generate__signed_in_events_carry_the_verified_user(events: list[dict[str, Any]]) -> None:
    """After a login, the JWT authorizer's sub becomes userId; earlier events of the session stay guest."""
    # GIVEN the sessions in which a login happened part-way
    sessions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        sessions[event["clientId"], event["sessionId"]].append(event)
    with_login = [s for s in sessions.values() if any(e["eventName"] == "login" for e in s)]
    assert with_login

    # THEN events after the login are logged in as one stable user, and some sessions were guests before it
    guest_first = 0
    for session in with_login:
        session.sort(key=lambda e: e["eventTimestamp"])
        login_at = next(i for i, e in enumerate(session) if e["eventName"] == "login")
        after = session[login_at:]
        assert {e["userLoginState"] for e in after} == {"logged_in"}
        assert len({e["userId"] for e in after}) == 1
        assert {e["identitySource"] for e in after} <= {"cognito", "google", "facebook"}
        guest_first += any(e["userLoginState"] == "guest" for e in session[:login_at])
    assert guest_first > 0
    assert any(event["eventName"] == "sign_up" for event in events)


def test__generate__returning_visitors_keep_their_client_id(events: list[dict[str, Any]]) -> None:
    """A visitor's first session alone says isFirstVisit; returning visitors come back with the same clientId."""
    # GIVEN each visitor's sessions, in time order
    sessions: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    for event in sorted(events, key=lambda e: e["eventTimestamp"]):
        sessions[event["clientId"]].setdefault(event["sessionId"], (event["eventTimestamp"], event["isFirstVisit"]))

    # THEN at most the earliest session of a visitor is a first visit
    for visits in sessions.values():
        ordered = sorted(visits.values())
        assert not any(first for _, first in ordered[1:])

    # AND some visitors come back on the second day, some of them after a first visit on the first
    days_by_client = {client: {started[:10] for started, _ in visits.values()} for client, visits in sessions.items()}
    returning = [client for client, days in days_by_client.items() if len(days) > 1]
    assert returning
    assert any(any(first for _, first in sessions[client].values()) for client in returning)


def test__generate__every_visitor_gets_a_country_from_its_address(events: list[dict[str, Any]]) -> None:
    """No cloudfront-viewer-country is sent (API Gateway alone passes none): the ingest finds each visitor's
    country from the address the generator gave it, IPv4 or IPv6, and stores it."""
    people = [event for event in events if event["device"]["type"] != "bot"]
    countries = Counter(event["country"] for event in people)
    assert set(countries) == {country.code for country in COUNTRIES}
    assert countries.most_common(1)[0][0] == "US"
    # Crawlers and the scraper are placed by their published ranges' registrations (US, FR, RU...).
    assert all("country" in event for event in events)
