"""The dashboard's own settings (``DASHBOARD_*``), parsed once; the warehouse connection is ``DW_PG_*``."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dashboard.periods import local_now

# Beside the package in a checkout. Installed from a wheel (the EC2), the project is where DBT_PROJECT_DIR says: the
# environment file bootstrap.sh writes for the dashboard and the report names the bundle's copy, which dbt builds.
CHECKOUT_DBT_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"


def dbt_project_file() -> Path:
    project_dir = os.environ.get("DBT_PROJECT_DIR")
    return Path(project_dir) / "dbt_project.yml" if project_dir else CHECKOUT_DBT_PROJECT_FILE


def dbt_var(name: str, default: object) -> object:
    """A var's default in dbt_project.yml: the dashboard must agree with the build on days and bots."""
    try:
        project = yaml.safe_load(dbt_project_file().read_text(encoding="utf-8")) or {}
    except OSError:
        return default
    return (project.get("vars") or {}).get(name, default)


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", case_sensitive=False, frozen=True)

    # Query results for the same filters are reused this long; the marts change at most once an hour.
    cache_ttl_seconds: float = Field(default=300, ge=0)
    cache_max_entries: int = Field(default=256, gt=0)
    pool_max_connections: int = Field(default=4, gt=0)
    # Per sort or hash of a dashboard query: distinct users hash one row per visitor, and at the 4 MB default
    # that spills to disk past a few tens of thousands of visitors (docs/benchmarks.md).
    work_mem_mb: int = Field(default=64, gt=0)
    # Data health turns red when the last load or the last transform is older than this.
    stale_after_minutes: int = Field(default=120, gt=0)
    # Overview's tracking-coverage badge warns when the tracker saw fewer than this share of the shop's orders in the
    # range (docs/dashboard.md, "Shop database"; docs/metrics.md, "Tracking coverage").
    coverage_warning_below: float = Field(default=0.7, ge=0, le=1)
    # The build's reporting_timezone and include_bots (dbt vars); set these when a deployment overrides them. The
    # marts' days are cut in the build's zone, so this one must be the same (docs/dashboard.md, "Periods").
    reporting_timezone: str = Field(default_factory=lambda: str(dbt_var("reporting_timezone", "UTC")))
    include_bots: bool = Field(default_factory=lambda: bool(dbt_var("include_bots", False)))
    # The currency of every revenue in the marts (the build's reporting_currency): the CSV exports name it.
    reporting_currency: str = Field(default_factory=lambda: str(dbt_var("reporting_currency", "USD")))
    # The moment the dashboard takes as now (ISO 8601 with its offset), for its "today" and the presets; unset, the
    # real clock. For looking at data of the past as on that day: the browser tests, a replayed demo.
    now: datetime | None = None

    @property
    def stale_after(self) -> timedelta:
        return timedelta(minutes=self.stale_after_minutes)

    def current_time(self) -> datetime:
        """Now, as the reporting time zone's wall clock."""
        return local_now(self.reporting_timezone, self.now or datetime.now(UTC))

    @field_validator("now")
    @classmethod
    def _with_offset(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"give the moment's offset, e.g. {value.isoformat()}Z")
        return value

    @field_validator("reporting_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value


@lru_cache(maxsize=1)
def get_settings() -> DashboardSettings:
    return DashboardSettings()
