"""The ingest Lambda's configuration (ingest_lambda/settings.py), read from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest_lambda.settings import IngestSettings

pytestmark = pytest.mark.unit

_VARIABLES = (
    "RAW_STORE_URL",
    "RAW_BUCKET_NAME",
    "RAW_SSE",
    "RAW_KMS_KEY_ID",
    "HASH_SALT",
    "HASH_SALT_PARAM",
    "MAX_BODY_BYTES",
    "MAX_BATCH_EVENTS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_missing_store_names_raw_store_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASH_SALT", "salt")
    with pytest.raises(ValidationError, match="RAW_STORE_URL"):
        IngestSettings()


def test_missing_salt_names_hash_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    with pytest.raises(ValidationError, match="HASH_SALT"):
        IngestSettings()


def test_empty_values_count_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "")
    monkeypatch.setenv("HASH_SALT", "")
    with pytest.raises(ValidationError, match="RAW_STORE_URL"):
        IngestSettings()


def test_raw_bucket_name_gives_an_s3_store_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_BUCKET_NAME", "clickstream-raw")
    monkeypatch.setenv("HASH_SALT", "salt")
    assert IngestSettings().store_url == "s3://clickstream-raw"


def test_raw_store_url_wins_over_bucket_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    monkeypatch.setenv("RAW_BUCKET_NAME", "clickstream-raw")
    monkeypatch.setenv("HASH_SALT", "salt")
    assert IngestSettings().store_url == "file:///tmp/raw"


def test_salt_from_environment_is_resolved_without_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    monkeypatch.setenv("HASH_SALT", "s3cret")
    settings = IngestSettings()
    assert settings.resolve_salt() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_salt_parameter_name_satisfies_the_salt_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    monkeypatch.setenv("HASH_SALT_PARAM", "/clickstream/hash-salt")
    assert IngestSettings().hash_salt_param == "/clickstream/hash-salt"


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    monkeypatch.setenv("HASH_SALT", "salt")
    settings = IngestSettings()
    assert settings.max_body_bytes == 1_048_576
    assert settings.max_batch_events == 500
    assert settings.raw_sse == "AES256"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_BATCH_EVENTS", "501"),
        ("MAX_BATCH_EVENTS", "0"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "1048577"),
        ("RAW_SSE", "none"),
    ],
)
def test_out_of_range_limits_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "file:///tmp/raw")
    monkeypatch.setenv("HASH_SALT", "salt")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        IngestSettings()
