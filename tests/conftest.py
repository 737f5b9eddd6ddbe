"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fakes import MemoryStore

from clickstream.lambda_context import LocalLambdaContext


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="clickstream-ingest-test")


@pytest.fixture
def file_store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The ingest handler configured, through its environment, to write into a temporary directory."""
    import ingest_lambda.handler as ingest_handler
    from ingest_lambda.settings import get_settings

    root = tmp_path / "raw"
    monkeypatch.setenv("RAW_STORE_URL", root.as_uri())
    monkeypatch.setenv("HASH_SALT", "test-salt")
    monkeypatch.delenv("RAW_BUCKET_NAME", raising=False)
    get_settings.cache_clear()
    ingest_handler._services.cache_clear()
    yield root
    get_settings.cache_clear()
    ingest_handler._services.cache_clear()


@pytest.fixture
def memory_store(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    """The ingest handler wired to an in-memory store (fast, and writes can be made to fail)."""
    import ingest_lambda.handler as ingest_handler
    from ingest_lambda.contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES
    from ingest_lambda.ingest import IngestLimits
    from ingest_lambda.privacy import Pseudonymizer

    store = MemoryStore()
    services = (store, Pseudonymizer("test-salt"), IngestLimits(MAX_BODY_BYTES, MAX_BATCH_EVENTS))
    monkeypatch.setattr(ingest_handler, "_services", lambda: services)
    return store
