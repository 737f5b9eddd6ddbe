"""``clickstream report``: the click command over :mod:`owner_report` (the shop owner's summary e-mail)."""

from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError

from owner_report.summary import REPORT_PERIODS


@click.command("report")
@click.option(
    "--period",
    type=click.Choice(REPORT_PERIODS),
    default="day",
    show_default=True,
    help="day: yesterday; week: the last 7 complete days (days in the reporting time zone).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the HTML and text here too (default: REPORT_OUTPUT_DIR, when the report is not e-mailed).",
)
def report_command(period: str, out: Path | None) -> None:
    """Make the shop owner's summary and e-mail it (REPORT_FROM_ADDRESS, REPORT_TO_ADDRESSES) or write it to a
    folder; publish an alert to REPORT_ALERT_TOPIC_ARN when orders or events fall below the share."""
    from dashboard.settings import DashboardSettings
    from dashboard.warehouse import MartsMissing, Warehouse
    from owner_report.job import DeliveryFailed, run_report
    from owner_report.settings import ReportSettings
    from warehouse.connection import WarehouseSettings, WarehouseUnreachable

    try:
        settings = ReportSettings()
        dashboard = DashboardSettings(cache_ttl_seconds=0)
        connection = WarehouseSettings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        raise click.ClickException(f"report settings (REPORT_*, DASHBOARD_*, DW_PG_*): {problems}") from error
    warehouse = Warehouse(connection, dashboard)
    try:
        outcome = run_report(warehouse, settings, period, dashboard.current_time(), out)  # type: ignore[arg-type]
    except MartsMissing as error:
        raise click.ClickException(f"the marts are not built yet ({error}): run clickstream transform") from error
    except (WarehouseUnreachable, DeliveryFailed) as error:
        raise click.ClickException(str(error)) from error
    finally:
        warehouse.close()
    click.echo(outcome.message.subject)
    for item in outcome.checks:
        click.echo(f"  {item.describe()}")
    for path in outcome.written:
        click.echo(f"written: {path}")
    if outcome.email_id:
        click.echo(f"e-mailed to {', '.join(settings.to_addresses)} (SES message {outcome.email_id})")
    if outcome.alert_id:
        click.echo(f"alert published to {settings.alert_topic_arn} (SNS message {outcome.alert_id})")
