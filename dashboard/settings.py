"""The dashboard's own settings (``DASHBOARD_*``), parsed once; the warehouse connection is ``DW_PG_*``."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DBT_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"


def dbt_var(name: str, default: object) -> object:
    """A var's default in dbt_project.yml: the dashboard must agree with the build on days and bots."""
    try:
        project = yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8")) or {}
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
    # The build's reporting_timezone and include_bots (dbt vars); set these when a deployment overrides them.
    reporting_timezone: str = Field(default_factory=lambda: str(dbt_var("reporting_timezone", "UTC")))
    include_bots: bool = Field(default_factory=lambda: bool(dbt_var("include_bots", False)))
    # The default date range: this many days up to the newest day with data. A week, so that the previous
    # period beside each KPI has data on the two-week demo (28 days left it empty).
    default_days: int = Field(default=7, gt=0)

    @property
    def stale_after(self) -> timedelta:
        return timedelta(minutes=self.stale_after_minutes)

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
