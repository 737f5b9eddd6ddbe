"""`clickstream demo`'s steps on a tiny dataset and a clean data folder, against the suite's PostgreSQL (DW_PG_*):
generate, backfill, first build, hourly replays; then the command again, which reuses everything."""

from __future__ import annotations

import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from support.loader_kit import Probe

from clickstream.cli import cli
from clickstream.demo import SIZES, Demo
from clickstream.local_postgres import Connection

pytestmark = pytest.mark.integration


def test_the_demo_builds_the_marts_and_a_second_run_reuses_everything(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    said: list[str] = []
    probe = Probe(warehouse.dsn())

    Demo(data, echo=said.append).run_pipeline(SIZES["tiny"], seed=3, replay_hours=2)

    objects = sum(1 for _ in (data / "raw" / "events").rglob("*.json"))
    assert probe.scalar("select count(*) from raw.load_manifest") == objects
    assert probe.scalar("select count(*) from marts.sessions") > 0
    assert probe.scalar("select count(*) from marts.funnel_steps_daily") > 0
    runs = probe.rows("select status, trigger, db_user, rows_added from ops.transform_runs order by started_at")
    assert [run[:3] for run in runs] == [("success", "demo", "transformer")] * 3
    # The first build filled the marts; the replays added what their hours brought.
    assert runs[0][3]["marts.sessions"] > 0
    assert sum(run[3]["marts.clickstream_events"] for run in runs) == probe.scalar(
        "select count(*) from marts.clickstream_events"
    )
    replayed = [line for line in said if line.startswith("hourly cycle for")]
    assert len(replayed) == 2
    assert any(line.startswith("pipeline ready in") for line in said)
    env_file = data / "warehouse.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "DW_TRANSFORMER_PASSWORD=" in env_file.read_text()

    monkeypatch.setenv("CLICKSTREAM_DATA_DIR", str(data))
    again = CliRunner().invoke(cli, ["demo", "--size", "tiny", "--seed", "3", "--replay-hours", "1", "--no-dashboard"])

    assert again.exit_code == 0, again.output
    assert "reusing" in again.output and "generating" not in again.output
    assert "succeeded: 0 objects loaded" in again.output
    assert probe.scalar("select count(*) from raw.load_manifest") == objects
    assert probe.scalar("select count(*) from ops.transform_runs where status = 'success'") == 5


def test_another_dataset_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "generated.json").write_text(
        '{"days": 14, "events_per_day": 21000, "seed": 7, "start": "2025-03-01", "events_sent": 300000}'
    )

    with pytest.raises(click.ClickException, match="already holds another dataset"):
        Demo(data, echo=lambda line: None).generate(SIZES["tiny"], seed=7)
