"""The ingest's composition seam (ingest_lambda/services.py): built once from the environment, or installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fakes import MemoryStore

from ingest_lambda.contract import MAX_BATCH_EVENTS
from ingest_lambda.services import IngestServices, build_services, get_services, override_services, set_services
from ingest_lambda.settings import IngestSettings
from raw_store.file_store import FileStore

pytestmark = pytest.mark.unit


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "raw"
    monkeypatch.setenv("RAW_STORE_URL", root.as_uri())
    monkeypatch.setenv("HASH_SALT", "env-salt")
    monkeypatch.delenv("RAW_BUCKET_NAME", raising=False)
    return root


def test_without_an_installed_one_the_services_are_built_from_the_environment_once(environment: Path) -> None:
    with override_services(None):
        first = get_services()
        assert isinstance(first.store, FileStore)
        assert first.limits.max_batch_events == MAX_BATCH_EVENTS
        assert first.pseudonymizer.ip_hash("192.0.2.1") == build_services(IngestSettings()).pseudonymizer.ip_hash(
            "192.0.2.1"
        )
        assert get_services() is first


def test_an_override_wins_and_what_was_there_comes_back(environment: Path) -> None:
    settings = IngestSettings(hash_salt="other-salt")
    store = MemoryStore()
    with override_services(None):
        from_environment = get_services()
        with override_services(build_services(settings, store=store)) as installed:
            assert get_services() is installed
            assert installed is not None and installed.store is store
        assert get_services() is from_environment


def test_set_services_installs_until_reset(environment: Path) -> None:
    services = build_services(IngestSettings(max_batch_events=3), store=MemoryStore())
    with override_services(None):
        set_services(services)
        assert get_services() is services
        set_services(None)
        rebuilt = get_services()
        assert rebuilt is not services
        assert rebuilt.limits.max_batch_events == MAX_BATCH_EVENTS


def test_a_failed_build_is_retried_on_the_next_call(environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASH_SALT")
    with override_services(None):
        with pytest.raises(ValueError, match="HASH_SALT"):
            get_services()
        monkeypatch.setenv("HASH_SALT", "now-set")
        assert isinstance(get_services(), IngestServices)
