"""What the tracker sends is what the ingest accepts: its requests, posted to the real handler, are stored whole."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from support.fakes import MemoryStore

from ingest_lambda.contract import STANDARD_EVENT_NAMES
from ingest_lambda.handler import handler
from local_only.api_gateway import http_api_event

pytestmark = pytest.mark.integration


def tracker_requests(npm: Callable[..., str]) -> list[str]:
    """The bodies of the requests the tracker makes for a visit using every method (tracker/scripts/sample-batch.ts)."""
    return npm("run", "--silent", "sample").splitlines()


def as_api_gateway(body: str) -> dict[str, Any]:
    """The request as API Gateway hands it to the Lambda: what sendBeacon(url, string) and the tracker's fetch send."""
    return http_api_event(
        headers={"content-type": "text/plain;charset=UTF-8", "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"},
        body=body,
        is_base64_encoded=False,
        source_ip="203.0.113.7",
        request_id=str(uuid.uuid4()),
        time_epoch_ms=int(time.time() * 1000),
    )


def test_every_event_the_tracker_sends_is_accepted(
    npm: Callable[..., str], memory_store: MemoryStore, lambda_context: Any
) -> None:
    bodies = tracker_requests(npm)
    sent = [event for body in bodies for event in json.loads(body)["events"]]
    assert {e["eventName"] for e in sent} >= set(STANDARD_EVENT_NAMES)
    for body in bodies:
        response = handler(as_api_gateway(body), lambda_context)
        reply = json.loads(response["body"])
        assert response["statusCode"] == 200, reply
        assert reply["rejected"] == []
        assert reply["accepted"] == len(json.loads(body)["events"])
    stored = memory_store.lines("events/")
    assert sorted(e["eventId"] for e in stored) == sorted(e["eventId"] for e in sent)
    # sentAt reached the ingest on every event: the skew correction had it
    assert all(e["sentAt"] for e in stored)
