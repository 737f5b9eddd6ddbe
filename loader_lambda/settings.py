"""The loader's configuration, from the environment (``loader_lambda.services`` builds the handler's from it).

The variables are listed in docs/loader.md.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from raw_store.settings import RawStoreSettings

_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class LoaderSettings(RawStoreSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    # This loader only lands raw JSON, so the table it names is the raw one.
    target_table: str = "raw.raw_events"
    # Lines per transaction (one COPY): the unit that commits or rolls back together. Small enough that the
    # next group is parsed quickly at each hour's start and memory stays low; commits are cheap (asynchronous).
    max_records_per_batch: int = Field(default=5_000, gt=0, le=1_000_000)
    lookback_hours: int = Field(default=2, ge=0, le=72)
    fetch_threads: int = Field(default=8, gt=0, le=64)
    # Connections that COPY groups side by side (the first also holds the hour locks). PostgreSQL parses each
    # COPY's jsonb on one core; two let it use both of a small instance's.
    writer_connections: int = Field(default=2, gt=0, le=8)
    compact: bool = True
    # An object read fails this many times in a run (pausing READ_RETRY_SECONDS, then twice that, ...) before
    # it is recorded in raw.load_failures; later runs retry it whatever its age (docs/loader.md).
    read_attempts: int = Field(default=3, gt=0, le=10)
    read_retry_seconds: float = Field(default=1.0, ge=0, le=60)
    lock_timeout_seconds: int = Field(default=600, gt=0)

    @field_validator("target_table")
    @classmethod
    def _qualified(cls, value: str) -> str:
        if not _TABLE.match(value):
            raise ValueError("TARGET_TABLE must be schema.table in lower case, e.g. raw.raw_events")
        return value
