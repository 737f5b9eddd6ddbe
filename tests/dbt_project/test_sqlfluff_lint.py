"""`sqlfluff lint` with the dbt templater finds nothing in dbt_project/, in both states a model compiles in.

The templater compiles each model as dbt does, so it needs a warehouse (DW_PG_*, as for `dbt build`): a migrated
test database. A model compiles one way before its table exists (a first build) and another once it does
(`is_incremental()` blocks, the window models' previous state), so the project is linted against the empty
database and again after a build. local_only/sql_lint.py runs sqlfluff here as it does for `make lint-sql`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.dbt_invoke import Dbt, prepare_warehouse

from local_only.postgres import Connection
from local_only.sql_lint import violations

pytestmark = pytest.mark.integration


def test_dbt_project_lints_clean_before_and_after_a_build(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No sqlfluff violation in any model, as first built and as incrementally built."""
    prepare_warehouse(warehouse, monkeypatch)
    first_build = violations(os.environ, tmp_path / "first")

    Dbt(tmp_path / "dbt").build(data_tests=False)
    incremental = violations(os.environ, tmp_path / "incremental")

    assert not first_build, "compiled as a first build:\n" + "\n".join(first_build)
    assert not incremental, "compiled as an incremental build:\n" + "\n".join(incremental)
