"""`sqlfluff lint` with the dbt templater finds nothing in dbt_project/, in both states a model compiles in.

The templater compiles each model as dbt does, so it needs a warehouse (DW_PG_*, as for `dbt build`): a migrated
test database. A model compiles one way before its table exists (a first build) and another once it does
(`is_incremental()` blocks, the window models' previous state), so the project is linted against the empty
database and again after a build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.dbt_invoke import REPO, Dbt, prepare_warehouse

from local_only.postgres import Connection

pytestmark = pytest.mark.integration

SQLFLUFF = Path(sys.executable).with_name("sqlfluff")


def _violations(work: Path) -> list[str]:
    # The templater's dbt writes its target and logs where these say, not into the repository's target/.
    env = {**os.environ, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    result = subprocess.run(
        [str(SQLFLUFF), "lint", "dbt_project", "--format", "json", "--nocolor"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.stdout.strip(), f"sqlfluff printed no report (exit {result.returncode}):\n{result.stderr[-3000:]}"
    files = json.loads(result.stdout)
    found = [
        f"{entry['filepath']}:{violation.get('start_line_no')}: {violation['code']} {violation['description']}"
        for entry in files
        for violation in entry["violations"]
    ]
    assert found or result.returncode == 0, f"sqlfluff failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
    # Every model was linted, not skipped (a model the templater cannot compile is reported, not left out).
    linted = {Path(entry["filepath"]).name for entry in files}
    assert {"sessions.sql", "stg_clickstream__events.sql", "int_visitors_touched.sql"} <= linted, sorted(linted)
    return found


def test_dbt_project_lints_clean_before_and_after_a_build(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No sqlfluff violation in any model, as first built and as incrementally built."""
    prepare_warehouse(warehouse, monkeypatch)
    first_build = _violations(tmp_path / "first")

    Dbt(tmp_path / "dbt").build(data_tests=False)
    incremental = _violations(tmp_path / "incremental")

    assert not first_build, "compiled as a first build:\n" + "\n".join(first_build)
    assert not incremental, "compiled as an incremental build:\n" + "\n".join(incremental)
