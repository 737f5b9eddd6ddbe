"""The loader's composition seam (loader_lambda/services.py): built once from the environment, or installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fakes import MemoryStore

from loader_lambda.services import LoaderServices, build_services, get_services, override_services, set_services
from loader_lambda.settings import LoaderSettings
from raw_store.file_store import FileStore
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "raw"
    monkeypatch.setenv("RAW_STORE_URL", root.as_uri())
    monkeypatch.setenv("LOOKBACK_HOURS", "5")
    monkeypatch.setenv("DW_PG_PORT", "6543")
    monkeypatch.setenv("DW_PG_PASSWORD", "unused")
    monkeypatch.delenv("RAW_BUCKET_NAME", raising=False)
    return root


def test_without_an_installed_one_the_services_are_built_from_the_environment_once(environment: Path) -> None:
    with override_services(None):
        services = get_services()
        assert isinstance(services.store, FileStore)
        assert (services.settings.lookback_hours, services.warehouse.port) == (5, 6543)
        assert get_services() is services


def test_an_override_wins_and_what_was_there_comes_back(environment: Path) -> None:
    store = MemoryStore()
    installed = build_services(LoaderSettings(lookback_hours=1), WarehouseSettings(password="x"), store=store)
    with override_services(None):
        from_environment = get_services()
        with override_services(installed):
            assert get_services().store is store
        assert get_services() is from_environment
        set_services(installed)
        assert get_services() is installed
        set_services(None)
        assert get_services() is not installed


def test_a_bad_store_url_fails_when_the_services_are_built(environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_STORE_URL", "ftp://host/raw")
    with override_services(None), pytest.raises(ValueError, match="ftp://host/raw"):
        get_services()


def test_the_services_hold_what_they_were_given() -> None:
    settings = LoaderSettings(raw_bucket_name="bucket")
    warehouse = WarehouseSettings(password="x")
    store = MemoryStore()
    assert build_services(settings, warehouse, store=store) == LoaderServices(settings, store, warehouse)
