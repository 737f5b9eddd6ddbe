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


# Visitors' public addresses, IPv4 and IPv6, in the generator's countries (what the ingest looks the country up in).
CLIENT_ADDRESSES = (
    "73.12.40.17", "98.207.3.250", "2601:646:8d01:3e20:1c5b:9a0e:72f4:11d3", "2600:1700:5a70:8e40::2b",
    "142.116.9.84", "2607:fea8:3a1:900::5", "81.107.44.3", "2a00:23c7:6a14:b201:9d4e:1f2a:8c33:7e01",
    "84.150.201.9", "2003:e5:7f1c:2a00:51d1:cc4:9ab0:3e2f", "90.3.118.66", "2a01:cb00:834:f900::1a",
    "101.160.77.14", "2001:8003:1c04:f600::9", "49.36.112.230", "2409:4040:d0e:8a3c::41", "14.161.7.201",
    "2402:800:6314:52a1::3", "126.77.180.2", "2400:4050:a2e1:7b00::8", "177.9.64.121", "2804:14c:65a0:4000::7",
    "84.26.9.199", "189.203.55.10",
)  # fmt: skip


def api_event(body: bytes, rng: random.Random, i: int, cloudfront_country: bool = True) -> dict[str, Any]:
    """With `cloudfront_country`, the header and a documentation address (the country comes from the header);
    without, a visitor's public address and no header (the ingest looks the country up)."""
    ua = USER_AGENTS[i % len(USER_AGENTS)]
    headers = {"content-type": "application/json", "user-agent": ua}
    if cloudfront_country:
        headers["cloudfront-viewer-country"] = "VN"
        source_ip = f"203.0.113.{rng.randrange(256)}"
    else:
        source_ip = CLIENT_ADDRESSES[rng.randrange(len(CLIENT_ADDRESSES))]
    return http_api_event(
        headers=headers,
        body=body.decode(),
        is_base64_encoded=False,
        source_ip=source_ip,
        request_id=f"req-{i}",
        time_epoch_ms=1_765_000_000_000 + i,
        account_id="123456789012",
        api_id="bench",
    )


def requests(count: int, batch: int, seed: int = 1, cloudfront_country: bool = True) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        events = [event_payload(rng, i * batch + j) for j in range(batch)]
        body = orjson.dumps(events[0] if batch == 1 else {"events": events})
        out.append(api_event(body, rng, i, cloudfront_country))
    return out
