"""`clickstream hourly`: the loader's scheduled input then a transform, on generated traffic, real PostgreSQL and dbt.

The freshness metric goes to moto's CloudWatch (AWS is out of reach here).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws
from support.loader_kit import Probe
from support.transform_kit import RoleWarehouse, generate_traffic, hourly_cycle, migrated

from clickstream.cli import cli
from local_only.postgres import Connection

pytestmark = pytest.mark.integration

DAY = date(2025, 3, 7)
# Friday evening: busy hours. The cycle for 19:00 loads 17:00-19:00 (two lookback hours).
HOUR = datetime(2025, 3, 7, 19, tzinfo=UTC)
NAMESPACE = "Clickstream/Test"


def _objects_by_hour(store_root: Path, hours: list[datetime]) -> dict[datetime, int]:
    """Objects the loader lands per hour: the ingest's events and its refusals."""
    return {
        hour: sum(
            len(list((store_root / f"{kind}/{hour:%Y/%m/%d/%H}").glob("*.json"))) for kind in ("events", "rejected")
        )
        for hour in hours
    }


@pytest.fixture
def roles(warehouse: Connection) -> RoleWarehouse:
    return migrated(warehouse)


def test_hourly_at_loads_that_hour_and_builds(
    roles: RoleWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "raw"
    generate_traffic(store, DAY)
    expected = _objects_by_hour(store, [HOUR - timedelta(hours=n) for n in (2, 1, 0)])
    assert all(expected.values()), expected
    for name, value in {
        "RAW_STORE_URL": store.as_uri(),
        "DW_LOADER_PASSWORD": roles.passwords["loader"],
        "DW_TRANSFORMER_PASSWORD": roles.passwords["transformer"],
        "FRESHNESS_METRIC_NAMESPACE": NAMESPACE,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    probe = Probe(roles.admin.dsn())

    with mock_aws():
        result = CliRunner().invoke(
            cli, ["hourly", "--at", "2025-03-07T19:40:00Z", "--quiet", "--target-path", str(tmp_path / "target")]
        )
        datapoints = boto3.client("cloudwatch").get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName="DataFreshnessMinutes",
            StartTime=datetime.now(UTC) - timedelta(hours=1),
            EndTime=datetime.now(UTC) + timedelta(hours=1),
            Period=3600,
            Statistics=["Maximum"],
        )["Datapoints"]

    assert result.exit_code == 0, result.output
    assert "hourly cycle for 2025-03-07 19:00 UTC" in result.output
    loaded = dict(probe.rows("select object_hour, count(*) from raw.load_manifest group by object_hour"))
    assert loaded == expected
    assert probe.scalar("select count(*) from raw.raw_events") == probe.scalar(
        "select sum(rows_loaded) from raw.load_manifest where source <> 'rejected'"
    )
    assert probe.scalar("select count(*) from raw.ingest_refusals") == probe.scalar(
        "select coalesce(sum(rows_loaded), 0) from raw.load_manifest where source = 'rejected'"
    )
    status, trigger, db_user, newest, minutes, finished, added = probe.rows(
        "select status, trigger, db_user, newest_event_at, freshness_minutes, finished_at, rows_added "
        "from ops.transform_runs"
    )[0]
    assert (status, trigger, db_user) == ("success", "hourly", "transformer")
    events = probe.scalar("select count(*) from marts.clickstream_events")
    assert events > 0
    assert added["marts.clickstream_events"] == events
    assert newest == probe.scalar("select max(received_at) from marts.clickstream_events")
    assert HOUR <= newest < HOUR + timedelta(hours=1)
    assert float(minutes) == pytest.approx((finished - newest).total_seconds() / 60, abs=0.05)
    assert [point["Maximum"] for point in datapoints] == [pytest.approx(float(minutes))]

    # The next cycle: its lookback re-lists hours already loaded (skipped), and the build is incremental.
    outcome = hourly_cycle(roles, store, HOUR + timedelta(hours=1), tmp_path)

    assert outcome.exit_code == 0, outcome.describe()
    assert outcome.load is not None
    assert outcome.load.skipped == expected[HOUR - timedelta(hours=1)] + expected[HOUR]
    assert outcome.load.loaded == _objects_by_hour(store, [HOUR + timedelta(hours=1)])[HOUR + timedelta(hours=1)]
    added_now = outcome.transform.ending.rows_added if outcome.transform else {}
    assert (
        added_now["marts.clickstream_events"] == probe.scalar("select count(*) from marts.clickstream_events") - events
    )
    assert added_now["marts.clickstream_events"] > 0
    assert probe.scalar("select count(*) from ops.transform_runs where status = 'success'") == 2


def test_hourly_reports_an_unreachable_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DW_PG_HOST": "127.0.0.1", "DW_PG_PORT": "1", "DW_PG_PASSWORD": "x"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RAW_STORE_URL", (tmp_path / "raw").as_uri())

    result = CliRunner().invoke(cli, ["hourly", "--at", "2025-03-07T19:00Z"])

    assert result.exit_code == 4
    assert "cannot reach the warehouse at 127.0.0.1:1" in result.output
