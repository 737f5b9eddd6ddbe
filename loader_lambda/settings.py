"""The loader's configuration, read once from the environment (names from seed 004)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class LoaderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    raw_store_url: str | None = None
    raw_bucket_name: str | None = None
    raw_sse: Literal["AES256", "aws:kms"] = "AES256"
    raw_kms_key_id: str | None = None
    # The seed named its flattened table here; this loader only lands raw JSON, so it names the raw table.
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

    @model_validator(mode="after")
    def _has_store(self) -> LoaderSettings:
        if not (self.raw_store_url or self.raw_bucket_name):
            raise ValueError("set RAW_STORE_URL (s3://bucket[/prefix] or file:///dir) or RAW_BUCKET_NAME")
        return self

    @property
    def store_url(self) -> str:
        return self.raw_store_url or f"s3://{self.raw_bucket_name}"


@lru_cache(maxsize=1)
def get_settings() -> LoaderSettings:
    return LoaderSettings()
