"""The transform's configuration, read once from the environment (the warehouse itself is ``DW_PG_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# An editable install or a checkout: the project's dbt_project.yml sits beside the clickstream package.
_CHECKOUT = Path(__file__).resolve().parents[1]


class TransformSettings(BaseSettings):
    """``TRANSFORM_LOCK_TIMEOUT_SECONDS``, ``FRESHNESS_METRIC_NAMESPACE``/``_NAME``, ``DBT_PROJECT_DIR``."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    # The scheduled build runs hourly; one that waits longer than a quarter of an hour is better reported than
    # queued behind a build that may be stuck.
    transform_lock_timeout_seconds: float = Field(default=900, ge=0)
    # CloudWatch namespace for the freshness metric; unset: the metric is only logged (and kept in the ledger).
    freshness_metric_namespace: str | None = None
    freshness_metric_name: str = "DataFreshnessMinutes"
    dbt_project_dir: Path = _CHECKOUT

    @property
    def profiles_dir(self) -> Path:
        return self.dbt_project_dir / "dbt_project"
