"""`dbt docs generate` works against a built warehouse, and its catalog holds every mart with its columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.dbt_invoke import Dbt, prepare_warehouse

from local_only.postgres import Connection

pytestmark = pytest.mark.integration


def test_docs_generate_catalogs_every_mart(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every model of marts/ is in catalog.json, with the columns its yml documents, and has a description."""
    prepare_warehouse(warehouse, monkeypatch)
    dbt = Dbt(tmp_path / "dbt")
    dbt.build(data_tests=False)

    dbt.invoke("docs generate")

    marts = {
        node["unique_id"]: node
        for node in dbt.manifest_nodes()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    assert len(marts) >= 10, sorted(marts)
    catalog = json.loads((dbt.target_path / "catalog.json").read_text(encoding="utf-8"))
    assert not catalog.get("errors"), catalog["errors"]
    missing = sorted(unique_id for unique_id in marts if unique_id not in catalog["nodes"])
    assert not missing, f"not in the catalog: {missing}"
    for unique_id, node in marts.items():
        catalogued = {name.lower() for name in catalog["nodes"][unique_id]["columns"]}
        documented = set(node["columns"])
        assert documented and documented <= catalogued, f"{unique_id}: {sorted(documented - catalogued)}"
        assert node["description"], f"{unique_id} has no description"
    assert (dbt.target_path / "index.html").exists()
