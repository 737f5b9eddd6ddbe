"""local_only.sql_lint reads sqlfluff's JSON report: each finding a line, and a report that cannot be trusted (none,
a crash, a model left out) an error rather than a clean lint. sqlfluff itself runs in
tests/dbt_project/test_sqlfluff_lint.py and in make lint-sql."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local_only import sql_lint
from local_only.sql_lint import EXPECTED_MODELS, SqlLintError, violations

pytestmark = pytest.mark.unit


def report(*extra: dict[str, Any]) -> str:
    clean = [{"filepath": f"dbt_project/models/{name}", "violations": []} for name in sorted(EXPECTED_MODELS)]
    return json.dumps([*clean, *extra])


def answer(monkeypatch: pytest.MonkeyPatch, stdout: str, returncode: int, stderr: str = "") -> list[list[str]]:
    """Make sqlfluff's run answer `stdout` and `returncode`; the commands run are collected in the list returned."""
    commands: list[list[str]] = []

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    monkeypatch.setattr(sql_lint.subprocess, "run", run)
    return commands


def test_a_clean_report_has_no_violation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    commands = answer(monkeypatch, report(), 0)

    assert violations({}, tmp_path) == []
    assert commands[0][1:3] == ["lint", "dbt_project"]


def test_each_finding_is_a_line_with_its_file_line_and_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    finding = {"code": "LT05", "description": "Line is too long.", "start_line_no": 12}
    answer(monkeypatch, report({"filepath": "dbt_project/models/marts/users.sql", "violations": [finding]}), 1)

    assert violations({}, tmp_path) == ["dbt_project/models/marts/users.sql:12: LT05 Line is too long."]


@pytest.mark.parametrize(
    ("stdout", "returncode", "message"),
    [
        ("", 2, "printed no report"),
        (report(), 2, "sqlfluff failed"),
        (json.dumps([{"filepath": "dbt_project/models/marts/users.sql", "violations": []}]), 0, "did not lint"),
    ],
    ids=["no report", "a crash with no finding", "a model left out"],
)
def test_a_report_that_cannot_be_trusted_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stdout: str, returncode: int, message: str
) -> None:
    answer(monkeypatch, stdout, returncode, stderr="templater exploded")

    with pytest.raises(SqlLintError, match=message):
        violations({}, tmp_path)
