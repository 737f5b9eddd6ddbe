"""One "warehouse unreachable" (warehouse/connection.py), raised the same way by the loader and the transform."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.fakes import MemoryStore

from loader_lambda.loader import run_load
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import plan_scheduled
from transform_runner.dbt_build import DbtOptions
from transform_runner.run import run_transform
from transform_runner.settings import TransformSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable

pytestmark = pytest.mark.unit


def unreachable(warehouse: WarehouseSettings) -> str:
    return re.escape(f"cannot reach the warehouse at {warehouse.where()}: ")


@pytest.fixture
def nothing_listening() -> WarehouseSettings:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return WarehouseSettings(host="127.0.0.1", port=port, password="x", database="dw", connect_timeout=2)


def test_connecting_to_nothing_names_the_server(nothing_listening: WarehouseSettings) -> None:
    with pytest.raises(WarehouseUnreachable, match=unreachable(nothing_listening)):
        nothing_listening.connect_or_unreachable()


def test_the_loader_raises_it(nothing_listening: WarehouseSettings) -> None:
    hour = datetime(2025, 12, 6, 5, tzinfo=UTC)
    plan = plan_scheduled(hour, 0)
    settings = LoaderSettings(raw_store_url="file:///unused")
    with pytest.raises(WarehouseUnreachable, match=unreachable(nothing_listening)):
        run_load(plan, MemoryStore(), settings, nothing_listening, now=hour)


def test_the_transform_raises_it(nothing_listening: WarehouseSettings, tmp_path: Path) -> None:
    with pytest.raises(WarehouseUnreachable, match=unreachable(nothing_listening)):
        run_transform(DbtOptions(tmp_path, tmp_path), nothing_listening, TransformSettings())
