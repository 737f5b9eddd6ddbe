"""The dbt unit tests (the `unit_tests:` of each model's yml) pass: fixed rows in, exact rows out, per model.

dbt reads the column types of a unit test's inputs from the warehouse, so the project is first built on the
empty raw tables of a migrated test database (every relation, no rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.dbt_invoke import Dbt, prepare_warehouse

from local_only.postgres import Connection

pytestmark = pytest.mark.integration


def test_dbt_unit_tests_pass(warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every unit test of the project passes, and there are as many as the yml files declare."""
    prepare_warehouse(warehouse, monkeypatch)
    dbt = Dbt(tmp_path / "dbt")
    dbt.build(data_tests=False)

    dbt.invoke("test", "--select", "test_type:unit")

    manifest = json.loads((dbt.target_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["unit_tests"]) >= 19, sorted(manifest["unit_tests"])
