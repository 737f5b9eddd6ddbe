"""`sqlfluff lint` with the dbt templater finds nothing in dbt_project/, in both states a model compiles in,
and none in the models an event passthrough runs through when passthroughs are named.

The templater compiles each model as dbt does, so it needs a warehouse (DW_PG_*, as for `dbt build`): a migrated
test database. A model compiles one way before its table exists (a first build) and another once it does
(`is_incremental()` blocks, the window models' previous state), so the project is linted against the empty
database and again after a build. local_only/sql_lint.py runs sqlfluff here as it does for `make lint-sql`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.dbt_invoke import REPO, Dbt, prepare_warehouse

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


# The models an event passthrough runs through (macros/event_passthroughs.sql): with none named (above) they write
# nothing, so they are linted again in a copy of the project that names one of each kind.
PASSTHROUGH_MODELS = (
    "dbt_project/models/staging/stg_clickstream__events.sql",
    "dbt_project/models/intermediate/int_events_sessionized.sql",
    "dbt_project/models/marts/clickstream_events.sql",
    "dbt_project/models/marts/sessions.sql",
)
PASSTHROUGHS = """  event_passthroughs:
    - {name: coupon, type: text, session: first}
    - {name: plan_price, type: numeric, path: properties.plan.price, session: last}
    - {name: is_trial, type: boolean}
"""


def _project_with_passthroughs(destination: Path) -> Path:
    from click.testing import CliRunner

    from clickstream.generate_files_command import generate_files_command

    destination.mkdir()
    for name in ("dbt_project.yml", ".sqlfluff", ".sqlfluffignore"):
        shutil.copy2(REPO / name, destination / name)
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    shutil.copytree(REPO / "dbt_project", destination / "dbt_project", ignore=ignore)
    shutil.copytree(REPO / "docs" / "schema", destination / "docs" / "schema")
    project_file = destination / "dbt_project.yml"
    text = project_file.read_text(encoding="utf-8")
    assert text.count("  event_passthroughs: []\n") == 1
    project_file.write_text(text.replace("  event_passthroughs: []\n", PASSTHROUGHS), encoding="utf-8")
    generated = CliRunner().invoke(generate_files_command, ["--project-dir", str(destination)])
    assert generated.exit_code == 0, generated.output
    return destination


def test_the_passthrough_models_lint_clean_with_passthroughs_named(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_warehouse(warehouse, monkeypatch)
    project = _project_with_passthroughs(tmp_path / "project")
    expected = frozenset(Path(model).name for model in PASSTHROUGH_MODELS)
    first_build = violations(os.environ, tmp_path / "first", project, PASSTHROUGH_MODELS, expected)

    Dbt(tmp_path / "dbt", project_dir=project).build(data_tests=False)
    incremental = violations(os.environ, tmp_path / "incremental", project, PASSTHROUGH_MODELS, expected)

    assert not first_build, "compiled as a first build:\n" + "\n".join(first_build)
    assert not incremental, "compiled as an incremental build:\n" + "\n".join(incremental)
