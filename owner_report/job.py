"""One report: the summary, the alert checks, the e-mail (or the files) and the alert on the alarm topic.

SES and SNS clients are made here only when the settings ask for them (tests hand in their own, under moto)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dashboard.warehouse import Warehouse
from owner_report.alert import Check, checks, publish_alert
from owner_report.delivery import send_email, write_files
from owner_report.render import Rendered, render
from owner_report.settings import ReportSettings
from owner_report.summary import ReportPeriod, Summary, summarise


class DeliveryFailed(RuntimeError):
    """SES refused the e-mail or could not be reached; the report was written to a folder instead."""


@dataclass(frozen=True)
class ReportOutcome:
    summary: Summary
    checks: list[Check]
    message: Rendered
    written: tuple[Path, ...] = ()
    email_id: str | None = None
    alert_id: str | None = None

    @property
    def alerting(self) -> bool:
        return any(item.verdict == "below" for item in self.checks)


def report_name(summary: Summary) -> str:
    """report-day-2026-12-02, report-week-2026-11-26_2026-12-02: one file per period and days."""
    days = summary.filters.period
    span = f"{days.start}" if days.start == days.end else f"{days.start}_{days.end}"
    return f"report-{summary.period}-{span}"


def run_report(
    warehouse: Warehouse,
    settings: ReportSettings,
    period: ReportPeriod,
    now: datetime,
    out: Path | None = None,
    ses: Any = None,
    sns: Any = None,
) -> ReportOutcome:
    """Make the report for `period` and deliver it: e-mailed when the settings name addresses, else written to
    `out` (or the settings' folder); written to `out` as well when it is given. The alert goes to the settings'
    topic when orders or events fall below the share."""
    summary = summarise(warehouse, period, now)
    found = checks(summary, settings.alert_share)
    message = render(summary, found)
    written: tuple[Path, ...] = ()
    email_id = alert_id = None
    if out is not None or not settings.sends_email:
        written = write_files(out or settings.output_dir, report_name(summary), message)
    # The alert first: an e-mail that fails must not keep the alarm topic from hearing of a fall in orders.
    if settings.alert_topic_arn and any(item.verdict == "below" for item in found):
        alert_id = publish_alert(sns or _client("sns"), settings.alert_topic_arn, message.subject, message.text)
    if settings.sends_email:
        try:
            email_id = send_email(ses or _client("sesv2"), settings, message)
        except (BotoCoreError, ClientError) as error:
            kept = written or write_files(settings.output_dir, report_name(summary), message)
            raise DeliveryFailed(f"SES did not send the report ({error}); it is kept in {kept[0]}") from error
    return ReportOutcome(summary, found, message, written, email_id, alert_id)


def _client(service: str) -> Any:
    import boto3

    return boto3.client(service)
