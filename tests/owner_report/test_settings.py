"""REPORT_* parsed once into a typed object: both addresses or neither, real addresses, a real topic ARN."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from owner_report.settings import ReportSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_report_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FROM_ADDRESS", "TO_ADDRESSES", "ALERT_TOPIC_ARN", "ALERT_BELOW_PERCENT", "OUTPUT_DIR"):
        monkeypatch.delenv(f"REPORT_{name}", raising=False)


def test_unset_is_off_written_to_a_folder() -> None:
    settings = ReportSettings()
    assert not settings.sends_email
    assert settings.alert_topic_arn == ""
    assert settings.alert_share == 0.5
    assert settings.output_dir == Path(".data/reports")


def test_addresses_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_FROM_ADDRESS", "report@shop.example.com")
    monkeypatch.setenv("REPORT_TO_ADDRESSES", " owner@shop.example.com, , partner@example.org ")
    monkeypatch.setenv("REPORT_ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:clickstream-AlarmTopic-ABC")
    monkeypatch.setenv("REPORT_ALERT_BELOW_PERCENT", "30")
    settings = ReportSettings()
    assert settings.sends_email
    assert settings.to_addresses == ("owner@shop.example.com", "partner@example.org")
    assert settings.alert_share == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REPORT_FROM_ADDRESS", "report@shop.example.com", "or neither"),
        ("REPORT_TO_ADDRESSES", "owner@shop.example.com", "or neither"),
        ("REPORT_ALERT_TOPIC_ARN", "AlarmTopic", "not an SNS topic ARN"),
        ("REPORT_ALERT_BELOW_PERCENT", "150", "less than or equal to 100"),
    ],
)
def test_a_wrong_setting_is_refused_with_its_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        ReportSettings()


def test_a_wrong_address_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_FROM_ADDRESS", "report@shop.example.com")
    monkeypatch.setenv("REPORT_TO_ADDRESSES", "owner@shop.example.com,owner at shop")
    with pytest.raises(ValidationError, match="'owner at shop'"):
        ReportSettings()
