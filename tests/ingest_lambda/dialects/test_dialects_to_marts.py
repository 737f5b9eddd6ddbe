"""A purchase from each dialect reaches marts.sessions' revenue after `clickstream hourly`: the SDKs' recorded
requests through the real handler into a file store, then the real loader and dbt on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.dialect_requests import RECEIVED_MS, recorded, replayed
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

    outcome = hourly_cycle(roles, store, HOUR, tmp_path)

    assert outcome.exit_code == 0, outcome.describe()
    probe = Probe(roles.admin.dsn())
    purchases = dict(
        probe.rows("select order_id, order_revenue from marts.clickstream_events where order_id is not null")
    )
    assert purchases == {"order-seg-1": 25, "order-rud-1": 25}
    revenue = dict(
        probe.rows(
            "select sessions.visitor_id, sessions.revenue from marts.sessions as sessions where sessions.revenue > 0"
        )
    )
    anonymous_ids = {recorded(sdk)[0]["body"]["anonymousId"] for sdk in orders}
    assert set(revenue) == anonymous_ids
    assert sorted(float(value) for value in revenue.values()) == [25.0, 25.0]
