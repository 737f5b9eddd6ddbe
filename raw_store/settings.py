"""Where the raw store is and how it encrypts: the settings both Lambdas read, under the same variable names.

``RAW_STORE_URL`` (``s3://bucket[/prefix]`` or ``file:///dir``) or ``RAW_BUCKET_NAME`` (the bucket alone, as the
SAM template sets it: docs/deploy.md), and ``RAW_SSE`` / ``RAW_KMS_KEY_ID`` for the objects written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from raw_store.base import RawStore
from raw_store.url import open_store


class RawStoreSettings(BaseSettings):
    """Each Lambda's settings inherit these fields, so the store is configured the same way for both."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    raw_store_url: str | None = None
    raw_bucket_name: str | None = None
    raw_sse: Literal["AES256", "aws:kms"] = "AES256"
    raw_kms_key_id: str | None = None

    @model_validator(mode="after")
    def _names_a_store(self) -> RawStoreSettings:
        if not (self.raw_store_url or self.raw_bucket_name):
            raise ValueError("set RAW_STORE_URL (s3://bucket[/prefix] or file:///dir) or RAW_BUCKET_NAME")
        return self

    @property
    def store_url(self) -> str:
        return self.raw_store_url or f"s3://{self.raw_bucket_name}"

    def open_store(self) -> RawStore:
        """The store these settings name (a ValueError says what is wrong with a bad URL)."""
        return open_store(self.store_url, sse=self.raw_sse, kms_key_id=self.raw_kms_key_id)
