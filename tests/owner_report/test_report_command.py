"""`clickstream report` as the owner (or the scheduled job) runs it: the report written to a folder and its paths
printed; a wrong setting or a warehouse without marts is a clear error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.report_kit import MORNING_AFTER

from clickstream.cli import cli
from local_only.roles import RoleWarehouse

pytestmark = pytest.mark.integration


def _env(report_marts: RoleWarehouse, **extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        **report_marts.admin.env(),
        "DASHBOARD_NOW": MORNING_AFTER.isoformat(),
        "DASHBOARD_REPORTING_TIMEZONE": "UTC",
        "DW_PG_PASSWORD_PARAM": None,
        "REPORT_FROM_ADDRESS": None,
        "REPORT_TO_ADDRESSES": None,
        "REPORT_ALERT_TOPIC_ARN": None,
        "REPORT_OUTPUT_DIR": None,
    }
    return env | extra


def test_the_week_is_written_to_the_folder(report_marts: RoleWarehouse, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--period", "week", "--out", str(tmp_path)], env=_env(report_marts))
    assert result.exit_code == 0, result.output
    html = tmp_path / "report-week-2025-03-11_2025-03-17.html"
    text = tmp_path / "report-week-2025-03-11_2025-03-17.txt"
    assert f"written: {html}" in result.output and f"written: {text}" in result.output
    assert result.output.startswith("Shop summary 11 Mar to 17 Mar 2025: revenue ")
    assert "Top products by revenue" in text.read_text() and "<table" in html.read_text()
    assert "orders: " in result.output and "events: " in result.output


def test_without_out_the_report_goes_to_report_output_dir(report_marts: RoleWarehouse, tmp_path: Path) -> None:
    env = _env(report_marts, REPORT_OUTPUT_DIR=str(tmp_path / "reports"))
    result = CliRunner().invoke(cli, ["report"], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == [
        "report-day-2025-03-17.html",
        "report-day-2025-03-17.txt",
    ]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("REPORT_FROM_ADDRESS", "report@shop.example.com", "REPORT_TO_ADDRESSES"),
        ("REPORT_ALERT_BELOW_PERCENT", "half", "alert_below_percent"),
        ("DASHBOARD_REPORTING_TIMEZONE", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_a_wrong_setting_is_a_clear_error(
    report_marts: RoleWarehouse, tmp_path: Path, setting: str, value: str, message: str
) -> None:
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path)], env=_env(report_marts, **{setting: value}))
    assert result.exit_code == 1
    assert "Error: report settings" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_warehouse_without_marts_is_a_clear_error(report_marts: RoleWarehouse, tmp_path: Path) -> None:
    env = _env(report_marts, DW_PG_DATABASE="postgres")
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 1, result.output
    assert "the marts are not built yet" in result.output
    assert list(tmp_path.iterdir()) == []
