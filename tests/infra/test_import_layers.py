"""The import-linter contracts of pyproject.toml hold (`lint-imports`, also in make lint), and each layer rule
breaks when a module crosses it: a project of empty packages with one forbidden import is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = (
    "clickstream",
    "dashboard",
    "ingest_lambda",
    "loader_lambda",
    "local_only",
    "owner_report",
    "raw_store",
    "shop_extract",
    "transform_runner",
    "warehouse",
)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the repository's contracts, over the packages found first on the path at `root`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(REPO / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_project_keeps_every_import_contract() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("warehouse", "local_only"),
        ("dashboard", "clickstream"),
        ("transform_runner", "local_only"),
        ("owner_report", "local_only"),
        ("owner_report", "clickstream"),
        ("dashboard", "owner_report"),
        ("shop_extract", "local_only"),
        ("shop_extract", "clickstream"),
        ("loader_lambda", "shop_extract"),
        ("ingest_lambda", "clickstream"),
        ("loader_lambda", "transform_runner"),
        ("ingest_lambda", "dashboard"),
        ("raw_store", "ingest_lambda"),
        ("warehouse", "raw_store"),
        ("raw_store", "warehouse"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, importer: str, imported: str) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / importer / "crossing.py").write_text(f"import {imported}\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout[-4000:]
    assert f"{importer}.crossing -> {imported}" in result.stdout


def test_an_allowed_import_breaks_none(tmp_path: Path) -> None:
    """The control: the same empty project, with imports the layers allow, keeps every contract."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "loader_lambda" / "crossing.py").write_text("import raw_store\nimport warehouse\n")
    (tmp_path / "clickstream" / "crossing.py").write_text("import local_only\nimport transform_runner\n")
    (tmp_path / "local_only" / "crossing.py").write_text("import ingest_lambda\nimport dashboard\n")
    (tmp_path / "owner_report" / "crossing.py").write_text("import dashboard\nimport warehouse\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 0, result.stdout[-4000:]
