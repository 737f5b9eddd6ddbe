"""A purchase from each dialect reaches marts.sessions' revenue after `clickstream hourly`: the SDKs' recorded
requests through the real handler into a file store, then the real loader and dbt on real PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.dialect_requests import RECEIVED_MS, recorded, replayed, wire_event
from support.loader_kit import Probe
from support.transform_kit import RoleWarehouse, hourly_cycle, migrated

from ingest_lambda.handler import handler
from ingest_lambda.services import build_services, override_services
from ingest_lambda.settings import IngestSettings
from local_only.postgres import Connection

pytestmark = pytest.mark.integration

HOUR = datetime.fromtimestamp(RECEIVED_MS / 1000, UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def roles(warehouse: Connection) -> RoleWarehouse:
    return migrated(warehouse)


def test_a_purchase_from_each_dialect_is_in_the_sessions_revenue(
    roles: RoleWarehouse, tmp_path: Path, lambda_context: Any
) -> None:
    store = tmp_path / "raw"
    settings = IngestSettings(raw_store_url=store.as_uri(), hash_salt="test-salt")
    orders = {"segment": "order-seg-1", "rudderstack": "order-rud-1"}
    with override_services(build_services(settings)):
        for sdk, order_id in orders.items():
            for request in recorded(sdk):
                body = request["body"]
                if body.get("event") == "Order Completed":
                    body = {**body, "properties": {**body["properties"], "order_id": order_id}}
                response = handler(replayed(request, body=body), lambda_context)
                assert response["statusCode"] == 200, response
        # PostHog's, Plausible's and Umami's purchases: the order id where each carries it.
        for sdk, order_id in (("posthog", "order-ph-1"), ("plausible", "order-pl-1"), ("umami", "order-um-1")):
            for request in recorded(sdk):
                body = json.loads(json.dumps(request["body"]))
                for props in _order_properties(body):
                    props["order_id"] = order_id
                response = handler(wire_event(request, body=body), lambda_context)
                assert response["statusCode"] in (200, 202), response
            orders[sdk] = order_id
        # Snowplow's and AWS Clickstream's: the order id in the recorded text (a transaction entity, an attribute).
        for sdk, order_id in (("snowplow", "order-sp-1"), ("aws", "order-aws-1")):
            for request in recorded(sdk):
                body = json.loads(json.dumps(request["body"]).replace("order-1001", order_id))
                response = handler(replayed(request, body=body), lambda_context)
                assert response["statusCode"] == 200, response
            orders[sdk] = order_id

    outcome = hourly_cycle(roles, store, HOUR, tmp_path)

    assert outcome.exit_code == 0, outcome.describe()
    probe = Probe(roles.admin.dsn())
    purchases = dict(
        probe.rows("select order_id, order_revenue from marts.clickstream_events where order_id is not null")
    )
    assert purchases == dict.fromkeys(orders.values(), 25)
    revenue = dict(
        probe.rows(
            "select sessions.visitor_id, sessions.revenue from marts.sessions as sessions where sessions.revenue > 0"
        )
    )
    anonymous_ids = {recorded(sdk)[0]["body"]["anonymousId"] for sdk in ("segment", "rudderstack")}
    assert anonymous_ids <= set(revenue)
    # Sessions' revenue is in the reporting currency (docs/metrics.md): each order's 25, at its currency's rate
    # (the orders as sent, bots' included: marts.orders leaves the recording browser's out).
    converted = dict(
        probe.rows("select order_id, revenue_as_sent * exchange_rate from intermediate.int_orders_deduplicated")
    )
    assert set(converted) == set(orders.values())
    assert sorted(float(value) for value in revenue.values()) == sorted(float(value) for value in converted.values())
    assert all(float(value) > 0 for value in converted.values())


def _order_properties(body: Any) -> list[dict[str, Any]]:
    """The properties of a recorded Order Completed that hold its order id (PostHog's, Plausible's, Umami's)."""
    if not isinstance(body, dict):
        return []
    found = [e["properties"] for e in body.get("batch", []) if e.get("event") == "Order Completed"]
    if body.get("n") == "Order Completed":
        found.append(body["p"])
    payload = body.get("payload")
    if isinstance(payload, dict) and payload.get("name") == "Order Completed":
        found.append(payload["data"])
    return found
