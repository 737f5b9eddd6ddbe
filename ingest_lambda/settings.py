"""The ingest Lambda's configuration, read once from the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest_lambda.contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES


class IngestSettings(BaseSettings):
    """``RAW_STORE_URL`` (``s3://bucket[/prefix]`` or ``file:///dir``) or the seed's ``RAW_BUCKET_NAME``.

    The hashing salt comes from ``HASH_SALT``, or in AWS from the SecureString parameter ``HASH_SALT_PARAM``.
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    raw_store_url: str | None = None
    raw_bucket_name: str | None = None
    raw_sse: Literal["AES256", "aws:kms"] = "AES256"
    raw_kms_key_id: str | None = None
    hash_salt: str | None = Field(default=None, repr=False)
    hash_salt_param: str | None = None
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, gt=0, le=MAX_BODY_BYTES)
    max_batch_events: int = Field(default=MAX_BATCH_EVENTS, gt=0, le=MAX_BATCH_EVENTS)

    @model_validator(mode="after")
    def _complete(self) -> IngestSettings:
        if not (self.raw_store_url or self.raw_bucket_name):
            raise ValueError("set RAW_STORE_URL (s3://bucket[/prefix] or file:///dir) or RAW_BUCKET_NAME")
        if not (self.hash_salt or self.hash_salt_param):
            raise ValueError("set HASH_SALT, or HASH_SALT_PARAM naming an SSM SecureString parameter")
        return self

    @property
    def store_url(self) -> str:
        return self.raw_store_url or f"s3://{self.raw_bucket_name}"

    def resolve_salt(self) -> str:
        if self.hash_salt:
            return self.hash_salt
        if not self.hash_salt_param:  # the validator above refuses settings without either
            raise ValueError("set HASH_SALT, or HASH_SALT_PARAM naming an SSM SecureString parameter")
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(self.hash_salt_param, decrypt=True, max_age=3600))


@lru_cache(maxsize=1)
def get_settings() -> IngestSettings:
    return IngestSettings()
