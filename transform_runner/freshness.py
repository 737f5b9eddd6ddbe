"""Data freshness: minutes from the newest event in the warehouse's event mart to the end of a build.

Published to CloudWatch when ``FRESHNESS_METRIC_NAMESPACE`` is set (the deployment's freshness alarm watches it),
logged always. With no event in the mart there is no datapoint: the alarm treats missing data as breaching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from warehouse.rows import one_row


@dataclass(frozen=True)
class Freshness:
    newest_event_at: datetime | None
    minutes: float | None


def measure(conn: psycopg2.extensions.connection, events_relation: str | None, now: datetime) -> Freshness:
    """`events_relation` is the clickstream_events mart (schema.table); its received_at is indexed."""
    if events_relation is None:
        return Freshness(None, None)
    with conn.cursor() as cursor:
        cursor.execute("select to_regclass(%s)", (events_relation,))
        if one_row(cursor)[0] is None:
            return Freshness(None, None)
        cursor.execute(
            sql.SQL("select max(received_at) from {}").format(sql.Identifier(*events_relation.split(".", 1)))
        )
        newest = one_row(cursor)[0]
    if newest is None:
        return Freshness(None, None)
    return Freshness(newest, round(max(0.0, (now - newest).total_seconds() / 60), 2))


def publish(namespace: str, metric_name: str, minutes: float, at: datetime, client: Any = None) -> None:
    """One datapoint, no dimensions (one stack per shop), so the alarm names only namespace and metric."""
    if client is None:
        import boto3

        client = boto3.client("cloudwatch")
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[{"MetricName": metric_name, "Timestamp": at, "Value": minutes, "Unit": "None"}],
    )
