"""The pure generator (no handler, no store): requests shaped like API Gateway's, traffic shaped like a shop's."""

from __future__ import annotations

import base64
import gzip
import random
import uuid
from collections import Counter
from datetime import date
from typing import Any

import pytest

from ingest_lambda.useragent import parse_user_agent
from local_only.api_gateway import request_time
from local_only.simulator.catalogue import CATEGORIES, shop_catalogue
from local_only.simulator.clock import HOUR_MS, iso_ms
from local_only.simulator.command import bulk_store_url
from local_only.simulator.devices import DeviceClass, all_user_agents, browser
from local_only.simulator.ids import uuid4_from
from local_only.simulator.plan import UnitTraffic
from local_only.simulator.requests import COGNITO_ISSUER, ApiRequest, decode_body
from local_only.simulator.traffic import day_volume, visit_start_ms

pytestmark = pytest.mark.unit


def test__uuid4_from__matches_the_standard_library() -> None:
    rng = random.Random(1)
    for _ in range(200):
        bits = rng.getrandbits(128)
        assert uuid4_from(bits) == str(uuid.UUID(int=bits, version=4))


def test__clock__formats_like_browsers_and_api_gateway() -> None:
    moment = 1_741_381_445_123  # 2025-03-07T21:04:05.123Z
    assert iso_ms(moment) == "2025-03-07T21:04:05.123Z"
    assert request_time(moment) == "07/Mar/2025:21:04:05 +0000"


def test__catalogue__is_a_computer_shop_with_discounts() -> None:
    catalogue = shop_catalogue()
    assert {"laptops", "desktops", "monitors", "keyboards", "mice", "headsets", "storage", "networking"} <= set(
        CATEGORIES
    )
    assert {"components", "cables"} <= {p.category for p in catalogue.products}
    discounted = [p for p in catalogue.products if p.discount_cents is not None]
    assert 0.1 < len(discounted) / len(catalogue.products) < 0.4
    assert all(0 < p.discount_cents < p.price_cents for p in discounted if p.discount_cents is not None)
    assert len({p.id for p in catalogue.products}) == len(catalogue.products)
    assert all(p.url.startswith("https://shop.example.com/product/") for p in catalogue.products)


def test__devices__user_agents_are_real_ones() -> None:
    """The ingest's own parser recognises every browser, crawler and the scraper for what they are."""
    agents = all_user_agents()
    types = Counter(parse_user_agent(agent)["type"] for agent in agents)
    assert types["bot"] >= 5 and types["desktop"] >= 8 and types["mobile"] >= 4 and types["tablet"] >= 2
    rng = random.Random(3)
    for _ in range(300):
        device = browser(rng)
        assert parse_user_agent(device.user_agent)["type"] == device.device_class.value
        assert device.device_class is not DeviceClass.BOT


def test__requests__are_api_gateway_http_api_events(generated: list[ApiRequest]) -> None:
    for request in generated:
        event = request.event
        assert event["version"] == "2.0"
        # the tracker posts requests carrying the visitor's id token to the authenticated route
        path = "/clickstream/auth" if "authorizer" in event["requestContext"] else "/clickstream"
        assert (event["routeKey"], event["rawPath"]) == (f"POST {path}", path)
        assert all(name == name.lower() for name in event["headers"])
        context = event["requestContext"]
        assert context["http"]["method"] == "POST"
        assert context["http"]["userAgent"] == event["headers"]["user-agent"]
        assert context["timeEpoch"] == request.time_epoch_ms
        assert len(decode_body(event)) == request.events
    assert len({r.event["requestContext"]["requestId"] for r in generated}) == len(generated)


def test__requests__use_every_transport_the_clients_do(generated: list[ApiRequest]) -> None:
    """The tracker's keepalive fetches (text/plain) and beacons (text/plain;charset=UTF-8) carry most requests; the
    other clients' JSON (a bare event, a batch) and gzip-compressed batches in base64 are there too."""
    # GIVEN the requests by content type, encoding and Chrome's fetch mode (a beacon is no-cors)
    kinds = Counter(
        (
            r.event["headers"]["content-type"],
            r.event["headers"].get("content-encoding"),
            r.event["headers"]["sec-fetch-mode"],
        )
        for r in generated
    )

    # THEN the tracker's two transports dominate, and the other clients' are present
    tracker = kinds["text/plain", None, "cors"] + kinds["text/plain;charset=UTF-8", None, "no-cors"]
    assert tracker > 0.8 * len(generated)
    assert kinds["text/plain", None, "cors"] > 0 and kinds["text/plain;charset=UTF-8", None, "no-cors"] > 0
    assert kinds["application/json", None, "cors"] > 0
    assert kinds["application/json", "gzip", "cors"] > 0
    bare = [r for r in generated if r.event["headers"]["content-type"] == "application/json" and r.events == 1]
    assert any(not r.event["body"].startswith('{"events":') for r in bare)

    # AND a gzip body is base64 of real gzip
    zipped = next(r.event for r in generated if r.event["headers"].get("content-encoding") == "gzip")
    assert zipped["isBase64Encoded"] is True
    assert gzip.decompress(base64.b64decode(zipped["body"])).startswith(b'{"events":[')


def test__requests__batches_respect_the_batch_size_and_64_kb(generated: list[ApiRequest]) -> None:
    """A request goes at 10 queued events, or sooner (5 s, a key event, the page going away); only a queue that
    backed up while the device was offline or retrying goes in bigger requests, each at most 64 KB."""
    sizes = Counter(request.events for request in generated)
    backed_up = sum(count for size, count in sizes.items() if size > 10)
    assert 0 < backed_up < 0.01 * len(generated)
    assert sizes[10] > 0
    assert sum(size * count for size, count in sizes.items()) / len(generated) > 1.3
    assert max(len(request.event["body"].encode()) for request in generated) <= 65_536


def test__events__carry_client_ids_and_times_as_sdks_send_them(sent_events: list[dict[str, Any]]) -> None:
    """Event ids from the seeded RNG except for a small share; ISO times, some as epoch milliseconds."""
    without_id = sum("eventId" not in event for event in sent_events)
    assert 0 < without_id / len(sent_events) < 0.05
    epoch_ms = sum(isinstance(event["eventTimestamp"], int) for event in sent_events)
    assert 0 < epoch_ms / len(sent_events) < 0.05
    iso = next(event for event in sent_events if isinstance(event["eventTimestamp"], str))
    assert iso["eventTimestamp"].endswith("Z") and iso["sentAt"].endswith("Z")
    names = Counter(event["eventName"] for event in sent_events)
    for name in ("page_view", "view_product", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase"):
        assert names[name] > 0
    for name in ("search", "click", "login", "sign_up"):
        assert names[name] > 0
    searches = [event for event in sent_events if event["eventName"] == "search"]
    assert all(event["search"]["query"] for event in searches)


def test__events__arrive_from_every_channel(sent_events: list[dict[str, Any]]) -> None:
    """Campaign landings carry UTM tags; referrers come from search, social, e-mail and other sites."""
    landings = [event for event in sent_events if event["eventName"] == "page_view"]
    urls = " ".join(event["pageUrl"] for event in landings)
    for tag in ("utm_source=google&utm_medium=cpc", "utm_source=facebook&utm_medium=paid_social"):
        assert tag in urls
    assert "utm_medium=email" in urls
    referrers = Counter(event.get("referrer") for event in landings)
    for site in ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://t.co/"):
        assert referrers[site] > 0
    assert any(ref and "reddit.com" in ref for ref in referrers)
    assert referrers[""] > 0  # direct traffic


def test__requests__after_login_carry_the_authorizer_claims(generated: list[ApiRequest]) -> None:
    """Signed-in requests have the JWT authorizer's claims, and their events the same sub as userId."""
    signed_in = [r for r in generated if "authorizer" in r.event["requestContext"]]
    assert 0 < len(signed_in) < len(generated)
    for request in signed_in:
        claims = request.event["requestContext"]["authorizer"]["jwt"]["claims"]
        assert claims["iss"] == COGNITO_ISSUER
        assert claims["token_use"] == "id"
        assert int(claims["iat"]) <= request.time_epoch_ms // 1000 < int(claims["exp"])
        assert request.event["rawPath"] == "/clickstream/auth"
        for event in decode_body(request.event):
            # the tracker names the user; the ingest, not the client, says the user is logged in
            assert event["userId"] == claims["sub"]
            assert "userLoginState" not in event


def test__traffic__has_a_daily_and_weekly_rhythm(traffic: list[UnitTraffic]) -> None:
    """More visits in the evening than at night, and more on a Saturday than on a Friday."""
    rng = random.Random(5)
    friday, saturday = date(2025, 3, 7), date(2025, 3, 8)
    hours = Counter((visit_start_ms(friday, 0, rng) % (24 * HOUR_MS)) // HOUR_MS for _ in range(20_000))
    assert sum(hours[h] for h in range(19, 22)) > 5 * sum(hours[h] for h in range(2, 5))
    assert day_volume(saturday) > day_volume(friday)
    sessions: Counter[date] = Counter()
    for unit in traffic:
        sessions[unit.unit.day] += unit.sessions
    assert sessions[saturday] > sessions[friday]


def test__command__bulk_store_skips_fsync_only_for_plain_file_stores() -> None:
    assert bulk_store_url("file:///tmp/raw") == "file:///tmp/raw?fsync=false"
    assert bulk_store_url("file:///tmp/raw?fsync=true") == "file:///tmp/raw?fsync=true"
    assert bulk_store_url("s3://bucket/raw") == "s3://bucket/raw"
