"""The dbt project's order of models is what dbt's parser sees: no hand-written `-- depends_on` comments.

The work lists must run before the models that apply them, and int_build_completed after every mart (its row
says the build completed). Both are ref()s the parser records on every build (macros/work_lists.sql,
macros/delete_touched_window.sql, int_build_completed.sql), checked here on the parsed manifest: no warehouse is
needed to parse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "dbt_project" / "models"
PROJECT = "clickstream_warehouse"
# The daily marts with a pre-hook of their own after the folder's (what it deletes beside the touched days).
OWN_PRE_HOOKS = {"acquisition_visitor_days": ["{{ delete_from_first_touched_day('session_date') }}"]}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    work = tmp_path_factory.mktemp("dag")
    with pytest.MonkeyPatch.context() as env:
        # Parsing renders profiles.yml, which needs a password; nothing connects.
        env.setenv("DW_PG_PASSWORD", "parse-only")
        env.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        outcome = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(REPO),
                "--profiles-dir",
                str(REPO / "dbt_project"),
                "--target-path",
                str(work / "target"),
                "--log-path",
                str(work / "logs"),
                "--no-partial-parse",
                "--quiet",
            ]
        )
    assert outcome.success, outcome.exception
    parsed: dict[str, Any] = json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8"))
    return parsed


def _model(name: str) -> str:
    return f"model.{PROJECT}.{name}"


def _parents(manifest: dict[str, Any], name: str) -> set[str]:
    return set(manifest["nodes"][_model(name)]["depends_on"]["nodes"])


def test_no_model_declares_a_dependency_in_a_comment() -> None:
    commented = [
        str(path.relative_to(MODELS))
        for path in sorted(MODELS.rglob("*.sql"))
        if re.search(r"--\s*depends_on:", path.read_text(encoding="utf-8"))
    ]
    assert commented == []


def test_build_completed_runs_after_every_mart(manifest: dict[str, Any]) -> None:
    marts = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    assert len(marts) == 20
    assert marts - _parents(manifest, "int_build_completed") == set()


@pytest.mark.parametrize(
    ("model", "work_lists"),
    [
        ("int_events_sessionized", {"int_visitors_touched"}),
        ("int_orders_touched", {"int_visitors_touched"}),
        ("int_periods_touched", {"int_visitors_touched", "int_orders_touched"}),
        ("clickstream_events", {"int_visitors_touched", "int_periods_touched"}),
        ("sessions", {"int_visitors_touched", "int_users_touched"}),
        ("users", {"int_users_touched"}),
        ("visitor_activity_weekly", {"int_visitors_touched"}),
        ("pipeline_health_hourly", {"int_periods_touched"}),
        ("funnel_steps_daily", {"int_periods_touched"}),
        ("page_transitions_daily", {"int_periods_touched"}),
        ("product_performance_daily", {"int_periods_touched"}),
        ("sessions_daily", {"int_periods_touched"}),
        ("visitors_daily", {"int_periods_touched"}),
        ("landing_exit_pages_daily", {"int_periods_touched"}),
        ("users_daily", {"int_periods_touched"}),
        ("acquisition_visitor_days", {"int_periods_touched"}),
    ],
)
def test_a_model_applying_a_work_list_runs_after_it(manifest: dict[str, Any], model: str, work_lists: set[str]) -> None:
    assert {_model(name) for name in work_lists} <= _parents(manifest, model)


def test_daily_marts_keep_their_relations_and_share_the_folder_config(manifest: dict[str, Any]) -> None:
    daily = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:3] == ["marts", "daily"]
    }
    assert len(daily) == 8
    for name, node in daily.items():
        assert (node["schema"], node["alias"]) == ("marts", name)
        assert node["config"]["materialized"] == "incremental"
        assert [hook["sql"] for hook in node["config"]["pre-hook"]] == [
            "{{ delete_touched_days() }}",
            *OWN_PRE_HOOKS.get(name, []),
        ], name
        day_column = node["config"]["meta"]["touched_day_column"]
        assert day_column in node["columns"], name
        assert day_column in node["config"]["indexes"][0]["columns"], name
