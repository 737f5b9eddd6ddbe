"""The raw store's settings (raw_store/settings.py), the one home both Lambdas' settings inherit."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest_lambda.settings import IngestSettings
from loader_lambda.settings import LoaderSettings
from raw_store.file_store import FileStore
from raw_store.settings import RawStoreSettings

pytestmark = pytest.mark.unit

VARIABLES = ("RAW_STORE_URL", "RAW_BUCKET_NAME", "RAW_SSE", "RAW_KMS_KEY_ID")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_bucket_alone_names_an_s3_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_BUCKET_NAME", "clickstream-raw")
    monkeypatch.setenv("RAW_SSE", "aws:kms")
    monkeypatch.setenv("RAW_KMS_KEY_ID", "key-1")
    settings = RawStoreSettings()
    assert settings.store_url == "s3://clickstream-raw"
    assert (settings.raw_sse, settings.raw_kms_key_id) == ("aws:kms", "key-1")


def test_a_url_wins_over_the_bucket_and_opens_its_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAW_BUCKET_NAME", "clickstream-raw")
    monkeypatch.setenv("RAW_STORE_URL", tmp_path.as_uri())
    settings = RawStoreSettings()
    assert settings.store_url == tmp_path.as_uri()
    assert isinstance(settings.open_store(), FileStore)


def test_no_store_named_is_refused() -> None:
    with pytest.raises(ValidationError, match="RAW_STORE_URL"):
        RawStoreSettings()


def test_an_unknown_encryption_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_BUCKET_NAME", "b")
    monkeypatch.setenv("RAW_SSE", "none")
    with pytest.raises(ValidationError):
        RawStoreSettings()


def test_both_lambdas_read_the_store_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_BUCKET_NAME", "clickstream-raw")
    monkeypatch.setenv("RAW_SSE", "aws:kms")
    for settings in (IngestSettings(hash_salt="s"), LoaderSettings()):
        assert isinstance(settings, RawStoreSettings)
        assert (settings.store_url, settings.raw_sse) == ("s3://clickstream-raw", "aws:kms")
