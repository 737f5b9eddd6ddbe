"""The report in AWS, against moto: the e-mail through SES's API v2 (from the verified identity, to every
recipient, the HTML and text parts), the alert on the alarm topic (read back through an SQS subscription), no alert
without comparison data, and an e-mail SES refuses kept in a folder with a clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from support.report_kit import MORNING_AFTER, TRAFFIC_START

from dashboard.warehouse import Warehouse
from owner_report.job import DeliveryFailed, run_report
from owner_report.settings import ReportSettings

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
SENDER = "report@shop.example.com"
OWNERS = ("owner@shop.example.com", "partner@example.org")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """SES with the shop's domain verified, the alarm topic, and a queue subscribed to it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ses = boto3.client("sesv2", region_name=REGION)
        ses.create_email_identity(EmailIdentity="shop.example.com")
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="AlarmTopic")["TopicArn"]
        queue = sqs.create_queue(QueueName="alarms")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

        def alarms() -> list[dict[str, Any]]:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(message["Body"]) for message in messages]

        yield {"ses": ses, "sns": sns, "topic": topic, "alarms": alarms}


def _settings(tmp_path: Path, topic: str, sender: str = SENDER) -> ReportSettings:
    return ReportSettings(
        from_address=sender, to_addresses=OWNERS, alert_topic_arn=topic, output_dir=tmp_path / "reports"
    )


def test_the_report_is_e_mailed_through_ses(report_warehouse: Warehouse, aws: dict[str, Any], tmp_path: Path) -> None:
    outcome = run_report(
        report_warehouse, _settings(tmp_path, aws["topic"]), "day", MORNING_AFTER, ses=aws["ses"], sns=aws["sns"]
    )
    assert outcome.email_id
    assert outcome.written == ()
    assert not (tmp_path / "reports").exists()
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.source == SENDER
    assert sent.destinations == {"ToAddresses": list(OWNERS)}
    assert sent.subject == outcome.message.subject
    assert sent.body == outcome.message.html
    assert "Shop summary Mon 17 Mar 2025" in sent.subject
    assert outcome.alert_id is None and aws["alarms"]() == [], "a normal day raises no alert"


def test_orders_and_events_far_below_the_comparison_raise_the_alert(
    report_warehouse: Warehouse, aws: dict[str, Any], tmp_path: Path
) -> None:
    """The day after the traffic ends (only the generator's late flushes) against the same weekday a week before."""
    outcome = run_report(
        report_warehouse,
        _settings(tmp_path, aws["topic"]),
        "day",
        MORNING_AFTER + timedelta(days=1),
        ses=aws["ses"],
        sns=aws["sns"],
    )
    assert [item.verdict for item in outcome.checks] == ["below", "below"]
    assert outcome.alert_id
    (alarm,) = aws["alarms"]()
    assert alarm["Subject"].startswith("ALERT: Shop summary Tue 18 Mar 2025")
    assert "orders: 0 against" in alarm["Message"]
    assert "below 50.0% of the comparison period" in alarm["Message"]
    assert outcome.message.subject.startswith("ALERT")


def test_no_comparison_data_raises_no_alert(report_warehouse: Warehouse, aws: dict[str, Any], tmp_path: Path) -> None:
    first_morning = MORNING_AFTER.replace(day=TRAFFIC_START.day + 1)
    outcome = run_report(
        report_warehouse, _settings(tmp_path, aws["topic"]), "day", first_morning, ses=aws["ses"], sns=aws["sns"]
    )
    assert {item.verdict for item in outcome.checks} == {"no_comparison"}
    assert outcome.alert_id is None
    assert aws["alarms"]() == []
    assert outcome.email_id and "no comparison data" in outcome.message.text


def test_an_e_mail_ses_refuses_is_kept_in_the_folder(
    report_warehouse: Warehouse, aws: dict[str, Any], tmp_path: Path
) -> None:
    settings = _settings(tmp_path, "", sender="report@unverified.example.net")
    with pytest.raises(DeliveryFailed, match="not verified") as failed:
        run_report(report_warehouse, settings, "week", MORNING_AFTER, ses=aws["ses"], sns=aws["sns"])
    kept = sorted((tmp_path / "reports").iterdir())
    assert [path.name for path in kept] == [
        "report-week-2025-03-11_2025-03-17.html",
        "report-week-2025-03-11_2025-03-17.txt",
    ]
    assert str(kept[0]) in str(failed.value)
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []
