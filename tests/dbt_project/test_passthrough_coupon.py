"""A new optional event field reaches the marts by naming it in dbt_project.yml (docs/event-contract.md, "Adding
an event field"), and a warehouse built before the change takes it at its next hourly build, no --full-refresh.

The exercise: a warehouse built from a copy of the project; then, in that copy, one entry in the var
event_passthroughs (`coupon`, read from the event's properties) and `clickstream generate-files`; then events with
a coupon sent through the real ingest handler and loader, and the next incremental build.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.dbt_invoke import REPO, Dbt, prepare_warehouse
from support.fakes import load_event
from support.loader_kit import iso_ms
from support.warehouse_copies import Warehouse, loader_run

from clickstream.generate_files_command import generate_files_command
from ingest_lambda.handler import handler
from local_only.postgres import Connection

pytestmark = pytest.mark.integration

PASSTHROUGHS_NONE = "  event_passthroughs: []\n"
# The whole hand-made change: this entry. The contract columns come from the generator.
PASSTHROUGHS_COUPON = "  event_passthroughs:\n    - {name: coupon, type: text, session: first}\n"
GRAIN_TABLES = (
    "staging.stg_clickstream__events",
    "intermediate.int_events_sessionized",
    "marts.clickstream_events",
    "marts.sessions",
)


@dataclass
class Exercise:
    project: Path
    dbt: Dbt
    dw: Warehouse
    store_url: str
    loader: Any
    lambda_context: Any
    started: datetime

    def send(self, *events: dict[str, Any]) -> None:
        """POST the events as one batch to the ingest handler, as the SDK would."""
        request = load_event("apigw_v2_sample_request.json")
        request["headers"] = {"content-type": "application/json", "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"}
        request["body"], request["isBase64Encoded"] = json.dumps({"events": list(events)}), False
        response = handler(request, self.lambda_context)
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"])["accepted"] == len(events), response

    def load(self) -> None:
        """The loader over every hour since the test started (the clock may pass an hour meanwhile)."""
        now = datetime.now(UTC)
        plan = {"fromHour": _hour(self.started - timedelta(hours=1)), "toHour": _hour(now)}
        assert loader_run(self.store_url, self.loader, plan) > 0


def _hour(moment: datetime) -> str:
    return moment.replace(minute=0, second=0, microsecond=0).isoformat().replace("+00:00", "Z")


def _event(name: str, event_id: str, visitor: str, at: datetime, **properties: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventName": name,
        "eventId": event_id,
        "clientId": visitor,
        "sessionId": f"{visitor}-s1",
        "eventTimestamp": iso_ms(at),
        "pageUrl": "https://shop.example.com/products/p-1",
    }
    if name in ("view_product", "add_to_cart"):
        event["product"] = {"id": "p-1", "price": 10}
    if properties:
        event["properties"] = properties
    return event


def _copy_project(destination: Path) -> Path:
    """The parts of the repository dbt and the generator read and write, without dbt's own output."""
    destination.mkdir()
    shutil.copy2(REPO / "dbt_project.yml", destination / "dbt_project.yml")
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    shutil.copytree(REPO / "dbt_project", destination / "dbt_project", ignore=ignore)
    shutil.copytree(REPO / "docs" / "schema", destination / "docs" / "schema")
    (destination / "ingest_lambda").mkdir()
    shutil.copy2(REPO / "ingest_lambda" / "bot_rules.py", destination / "ingest_lambda" / "bot_rules.py")
    (destination / "dashboard").mkdir()
    shutil.copy2(REPO / "dashboard" / "rates.py", destination / "dashboard" / "rates.py")
    return destination


def _changed_files(project: Path) -> set[str]:
    """The files of the copy that differ from the repository's."""
    changed = set()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not filecmp.cmp(path, REPO / relative, shallow=False):
            changed.add(str(relative))
    return changed


@pytest.fixture
def exercise(
    warehouse: Connection,
    file_store_env: Path,
    lambda_context: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Exercise]:
    loader = prepare_warehouse(warehouse, monkeypatch)
    project = _copy_project(tmp_path / "project")
    dw = Warehouse(warehouse)
    yield Exercise(
        project=project,
        dbt=Dbt(tmp_path / "dbt", project_dir=project),
        dw=dw,
        store_url=file_store_env.as_uri(),
        loader=loader,
        lambda_context=lambda_context,
        started=datetime.now(UTC),
    )
    dw.close()


def test_coupon_reaches_events_and_sessions_at_the_next_hourly_build(exercise: Exercise) -> None:
    dw = exercise.dw
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)

    # The warehouse as it is before the change: built, then built again hourly. Its coupon stays in properties.
    exercise.send(_event("page_view", "a-1", "visitor-a", start, coupon="EARLY"))
    exercise.load()
    exercise.dbt.build()
    exercise.send(_event("view_product", "a-2", "visitor-a", start + timedelta(minutes=1)))
    exercise.load()
    exercise.dbt.build()
    assert "coupon" not in dw.columns("marts", "sessions")
    relations = dw.oids(list(GRAIN_TABLES))

    # The change: one entry in dbt_project.yml, then the one command that regenerates every generated file.
    project_file = exercise.project / "dbt_project.yml"
    text = project_file.read_text(encoding="utf-8")
    assert text.count(PASSTHROUGHS_NONE) == 1
    project_file.write_text(text.replace(PASSTHROUGHS_NONE, PASSTHROUGHS_COUPON), encoding="utf-8")
    outcome = CliRunner().invoke(generate_files_command, ["--project-dir", str(exercise.project)])
    assert outcome.exit_code == 0, outcome.output
    generated = {line.removeprefix(f"wrote {exercise.project}/") for line in outcome.output.splitlines()[:-1]}
    assert generated == {"dbt_project/models/marts/clickstream_events.yml", "dbt_project/models/marts/sessions.yml"}
    # Hand-edited: dbt_project.yml only (the ingest contract takes properties as they are; docs aside).
    assert _changed_files(exercise.project) - generated == {"dbt_project.yml"}
    check = CliRunner().invoke(generate_files_command, ["--project-dir", str(exercise.project), "--check"])
    assert check.exit_code == 0, check.output

    # The next hour's events, and the next hourly build: incremental, on the tables built before the change.
    exercise.send(
        _event("add_to_cart", "a-3", "visitor-a", start + timedelta(minutes=2), coupon="SPRING10"),
        _event("page_view", "b-1", "visitor-b", start + timedelta(minutes=3)),
        _event("view_product", "b-2", "visitor-b", start + timedelta(minutes=4), coupon="WELCOME"),
        _event("add_to_cart", "b-3", "visitor-b", start + timedelta(minutes=5), coupon="LATER"),
    )
    exercise.load()
    exercise.dbt.build()

    assert dw.oids(list(GRAIN_TABLES)) == relations, "a table was replaced: the build was not incremental"
    for relation in GRAIN_TABLES:
        schema, table = relation.split(".")
        assert dw.columns(schema, table)[-1] == "coupon", relation
    # a-1 was staged before the column existed: null until rebuilt (docs/operations.md says how to backfill).
    assert dw.rows("select event_id, coupon from marts.clickstream_events order by event_id") == [
        ("a-1", None),
        ("a-2", None),
        ("a-3", "SPRING10"),
        ("b-1", None),
        ("b-2", "WELCOME"),
        ("b-3", "LATER"),
    ]
    assert dw.rows("select visitor_id, events, coupon from marts.sessions order by visitor_id") == [
        ("visitor-a", 3, "SPRING10"),
        ("visitor-b", 3, "WELCOME"),
    ]
    assert (
        dw.scalar(
            "select data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'sessions' and column_name = 'coupon'"
        )
        == "text"
    )

    # A full refresh of the passthrough's models fills the rows staged before the change (the backfill).
    exercise.dbt.build("--full-refresh", "--select", "stg_clickstream__events+")
    assert dw.scalar("select coupon from marts.clickstream_events where event_id = 'a-1'") == "EARLY"
    assert dw.scalar("select coupon from marts.sessions where visitor_id = 'visitor-a'") == "EARLY"
