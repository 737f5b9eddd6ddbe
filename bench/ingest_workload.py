"""Realistic request bodies and API Gateway events for the ingest benchmark."""

from __future__ import annotations

import random
import uuid
from typing import Any

import orjson

from local_only.api_gateway import http_api_event

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)


def event_payload(rng: random.Random, i: int) -> dict[str, Any]:
    """A product view as a shop's front end sends it (docs/event-contract.md), plus the v1 fields a real SDK adds."""
    sku = f"sku-{rng.randrange(500)}"
    return {
        "eventName": "view_product",
        "eventId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventTimestamp": f"2025-12-06T05:{i % 60:02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
        "sentAt": f"2025-12-06T05:{i % 60:02d}:59.000Z",
        "clientId": f"c-{rng.randrange(10_000)}",
        "userId": None if rng.random() < 0.7 else f"u-{rng.randrange(1000)}",
        "sessionId": f"s-{rng.randrange(50_000)}",
        "pageUrl": f"https://shop.example.com/product/{sku}?utm_source=google&utm_medium=cpc",
        "pageTitle": "Gaming laptop 15 inch | Example Shop",
        "referrer": "https://www.google.com/",
        "userLoginState": "guest",
        "isFirstVisit": False,
        "product": {
            "id": sku,
            "name": "Gaming laptop 15 inch",
            "category": "Laptops",
            "brand": "SBW",
            "price": 1299.0,
            "discountPrice": 1199.0,
        },
    }


def api_event(body: bytes, rng: random.Random, i: int) -> dict[str, Any]:
    ua = USER_AGENTS[i % len(USER_AGENTS)]
    return http_api_event(
        headers={"content-type": "application/json", "user-agent": ua, "cloudfront-viewer-country": "VN"},
        body=body.decode(),
        is_base64_encoded=False,
        source_ip=f"203.0.113.{rng.randrange(256)}",
        request_id=f"req-{i}",
        time_epoch_ms=1_765_000_000_000 + i,
        account_id="123456789012",
        api_id="bench",
    )


def requests(count: int, batch: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        events = [event_payload(rng, i * batch + j) for j in range(batch)]
        body = orjson.dumps(events[0] if batch == 1 else {"events": events})
        out.append(api_event(body, rng, i))
    return out
