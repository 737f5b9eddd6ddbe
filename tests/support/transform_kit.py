"""Helpers for the transform, hourly, schedule and demo tests: a migrated warehouse with a login per role,
generated traffic in a file store, and dbt options that keep dbt's files in the test's tmp."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from local_only.postgres import Connection
from local_only.roles import RoleWarehouse
from transform_runner.dbt_build import DbtOptions
from warehouse.migrate import ROLE_NAMES

if TYPE_CHECKING:
    from local_only.hourly import HourlyOutcome

REPO = Path(__file__).resolve().parents[2]
CLICKSTREAM = str(Path(sys.executable).with_name("clickstream"))


def migrated(admin: Connection, passwords: dict[str, str] | None = None) -> RoleWarehouse:
    """The test's database, migrated, each role with a password (by default one derived from its name)."""
    return RoleWarehouse.migrated(admin, passwords or {role: f"{role}-test-pw" for role in ROLE_NAMES})


def dbt_options(work: Path, project_dir: Path = REPO, **options: object) -> DbtOptions:
    """dbt's target and logs inside `work`, so parallel test runs never share them."""
    return DbtOptions(
        project_dir=project_dir,
        profiles_dir=project_dir / "dbt_project",
        target_path=work / "target",
        log_path=work / "logs",
        quiet=True,
        **options,  # type: ignore[arg-type]
    )


def generate_traffic(root: Path, start: date, days: int = 1, events_per_day: int = 1_500) -> str:
    """Seeded shop traffic through the real ingest handler into a file store at `root`; returns its URL."""
    from local_only.simulator.run import generate

    url = root.as_uri()
    summary = generate(url + "?fsync=false", days=days, start=start, seed=5, events_per_day=events_per_day)
    assert summary.errors == 0, summary.error_samples
    return url


def hourly_cycle(roles: RoleWarehouse, store: Path, hour: datetime, work: Path) -> HourlyOutcome:
    """`clickstream hourly --at HOUR` over a file store: load as `loader`, build as `transformer`, no metric sent."""
    from local_only.hourly import run_hourly
    from transform_runner.settings import TransformSettings

    return run_hourly(
        hour,
        store_url=store.as_uri(),
        loader_warehouse=roles.settings("loader"),
        transform_warehouse=roles.settings("transformer"),
        dbt_options=dbt_options(work),
        transform_settings=TransformSettings(freshness_metric_namespace=None),
    )
