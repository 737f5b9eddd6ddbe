"""The ingest Lambda's configuration, from the environment (``ingest_lambda.services`` builds the handler's from it)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ingest_lambda.contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES
from raw_store.settings import RawStoreSettings


class IngestSettings(RawStoreSettings):
    """The raw store (``RawStoreSettings``: ``RAW_STORE_URL`` or ``RAW_BUCKET_NAME``), the salt and the limits.

    The hashing salt comes from ``HASH_SALT``, or in AWS from the SecureString parameter ``HASH_SALT_PARAM``.
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, frozen=True)

    hash_salt: str | None = Field(default=None, repr=False)
    hash_salt_param: str | None = None
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, gt=0, le=MAX_BODY_BYTES)
    max_batch_events: int = Field(default=MAX_BATCH_EVENTS, gt=0, le=MAX_BATCH_EVENTS)
    # WRITE_KEYS: the write keys, app ids or sites a third-party tracker's request may name (comma separated;
    # docs/collector.md). Unset: any, since a browser SDK's key is public anyway; set, any other key gets 401.
    write_keys: str = ""

    @model_validator(mode="after")
    def _has_salt(self) -> IngestSettings:
        if not (self.hash_salt or self.hash_salt_param):
            raise ValueError("set HASH_SALT, or HASH_SALT_PARAM naming an SSM SecureString parameter")
        return self

    def write_key_set(self) -> frozenset[str]:
        return frozenset(key.strip() for key in self.write_keys.split(",") if key.strip())

    def resolve_salt(self) -> str:
        if self.hash_salt:
            return self.hash_salt
        if not self.hash_salt_param:  # the validator above refuses settings without either
            raise ValueError("set HASH_SALT, or HASH_SALT_PARAM naming an SSM SecureString parameter")
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(self.hash_salt_param, decrypt=True, max_age=3600))
