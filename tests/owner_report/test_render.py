"""The report's rendering from hand-made numbers: a period compared with nothing, a shop without sales, orders in a
currency without a rate, a product name that is HTML, and an alert subject SNS accepts (ASCII)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dashboard.data.health import Freshness, HealthData, TransformRuns
from dashboard.data.overview import OverviewData
from dashboard.filters import Filters
from dashboard.periods import Period
from owner_report.alert import checks, publish_alert
from owner_report.render import render
from owner_report.summary import Summary

pytestmark = pytest.mark.unit

MORNING = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
DAY = date(2026, 12, 2)


def _kpis(**values: float | None) -> dict[str, float | None]:
    zero: dict[str, float | None] = {"sessions": 0, "orders": 0, "revenue": 0.0, "orders_without_rate": 0}
    return zero | {"average_order_value": None, "conversion_rate": None, "returning_customer_rate": None} | values


def _summary(
    current: dict[str, float | None],
    previous: dict[str, float | None] | None,
    products: list[dict[str, Any]] | None = None,
    events: int = 0,
    previous_events: int | None = None,
) -> Summary:
    comparison = Period(date(2026, 11, 25), date(2026, 11, 25)) if previous is not None else None
    totals = {"modelled_events": events, "refusals": 3}
    return Summary(
        period="day",
        filters=Filters(DAY, DAY, comparison=comparison),
        overview=OverviewData(current, previous, [], [], currency="EUR" if current["orders"] else None),
        top_products=products or [],
        channels=[],
        previous_channels={},
        health=HealthData(
            Freshness(None, None, None),
            [],
            totals,
            TransformRuns(None, None, None, None, unavailable="no transform is recorded yet (ops.transform_runs)"),
            [],
            [],
        ),
        previous_events=previous_events,
        made_at=MORNING,
        timezone="Europe/Berlin",
    )


def test_a_period_compared_with_nothing_and_without_sales() -> None:
    summary = _summary(_kpis(sessions=40), None, events=300)
    found = checks(summary, 0.5)
    assert [item.verdict for item in found] == ["no_comparison", "no_comparison"]
    message = render(summary, found)
    assert message.subject == "Shop summary Wed 2 Dec 2026: revenue 0.00, 0 orders"
    assert "Wed 2 Dec 2026, compared with nothing (days in Europe/Berlin)" in message.text
    for part in (message.text, message.html):
        assert "No product was bought." in part and "No sessions." in part
        assert "No data yet" in part and "no transform is recorded yet" in part
        assert "Events refused by the ingest: 3" in part


def test_orders_without_a_rate_are_said_to_be_left_out_of_revenue() -> None:
    summary = _summary(_kpis(orders=5, revenue=120.0, orders_without_rate=2), _kpis(orders=4, revenue=100.0))
    message = render(summary, checks(summary, 0.5))
    assert "Revenue (EUR)" in message.text
    for part in (message.text, message.html):
        assert "2 order(s) in a currency without a rate in currency_rates are left out" in part
        assert "+20.0%" in part


def test_product_names_are_text_not_html() -> None:
    product = {
        "product_id": "p-1",
        "product_name": "<script>alert(1)</script> & co",
        "brand": "B<b>",
        "revenue": 10.0,
        "units": 1,
        "views": 20,
        "purchase_rate": 0.05,
    }
    summary = _summary(_kpis(orders=1, revenue=10.0), _kpis(orders=1, revenue=10.0), products=[product])
    html = render(summary, checks(summary, 0.5)).html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co (B&lt;b&gt;)" in html


def test_the_alert_subject_is_ascii_for_sns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Orders fell to nothing and revenue had no base to compare with: the change is the en dash."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    summary = _summary(_kpis(orders=0), _kpis(orders=10, revenue=0.0), events=10, previous_events=100)
    found = checks(summary, 0.5)
    message = render(summary, found)
    assert message.subject.startswith("ALERT: ") and "\u2013" in message.subject
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="AlarmTopic")["TopicArn"]
        queue = sqs.create_queue(QueueName="alarms")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        assert publish_alert(sns, topic, message.subject, message.text)
        (received,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    published = json.loads(received["Body"])
    assert published["Subject"] == message.subject.replace("\u2013", "-")
    assert published["Subject"].isascii() and len(published["Subject"]) <= 100
    assert published["Message"] == message.text
