"""The passthroughs' contract columns are written from dbt_project.yml into the marked blocks, and checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clickstream.generate_files_command import generate_files_command
from local_only.bot_rules_module import BOT_RULES_MODULE, BOT_SEED
from local_only.event_passthroughs import PassthroughError, passthrough_contracts

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
MARTS = Path("dbt_project/models/marts")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The files the generator reads and writes, copied."""
    shutil.copy2(REPO / "dbt_project.yml", tmp_path / "dbt_project.yml")
    for model in ("clickstream_events", "sessions"):
        (tmp_path / MARTS).mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / MARTS / f"{model}.yml", tmp_path / MARTS / f"{model}.yml")
    (tmp_path / "docs" / "schema").mkdir(parents=True)
    shutil.copy2(REPO / "docs/schema/event-v1.schema.json", tmp_path / "docs/schema/event-v1.schema.json")
    # The other generated file generate-files writes, and its source.
    for generated in (BOT_SEED, BOT_RULES_MODULE):
        (tmp_path / generated).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / generated, tmp_path / generated)
    return tmp_path


def _set_passthroughs(project: Path, entries: str) -> None:
    path = project / "dbt_project.yml"
    path.write_text(path.read_text().replace("  event_passthroughs: []\n", entries), encoding="utf-8")


def _columns(project: Path, model: str) -> dict[str, dict[str, str]]:
    document = yaml.safe_load((project / MARTS / f"{model}.yml").read_text(encoding="utf-8"))
    return {column["name"]: column for column in document["models"][0]["columns"]}


def _run(project: Path, *args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(generate_files_command, ["--project-dir", str(project), *args])
    return outcome.exit_code, outcome.output


def test_the_repository_is_up_to_date() -> None:
    assert _run(REPO, "--check") == (0, "generated files are up to date\n")


def test_passthroughs_become_contract_columns_after_the_hand_written_ones(project: Path) -> None:
    before = _columns(project, "sessions")
    _set_passthroughs(
        project,
        "  event_passthroughs:\n"
        "    - {name: coupon, session: first}\n"
        "    - {name: plan_price, type: numeric, path: properties.plan.price, session: last,"
        ' description: "The plan\'s price: net"}\n'
        "    - {name: trial_ends_at, type: timestamp}\n",
    )
    assert _run(project, "--check")[0] == 1
    assert _run(project)[0] == 0

    events, sessions = _columns(project, "clickstream_events"), _columns(project, "sessions")
    assert list(events)[-3:] == ["coupon", "plan_price", "trial_ends_at"]
    assert [events[name]["data_type"] for name in list(events)[-3:]] == ["text", "numeric", "timestamp with time zone"]
    assert events["coupon"]["description"] == "The raw event's properties.coupon. (event_passthroughs)"
    # Only those with `session` reach sessions; the rest of its columns are as they were, in their order.
    assert list(sessions) == [*before, "coupon", "plan_price"]
    assert sessions["plan_price"]["description"] == (
        "The session's last non-null plan_price: The plan's price: net (event_passthroughs)"
    )
    assert _run(project, "--check") == (0, "generated files are up to date\n")

    # Back to none: the blocks are empty again, the files as the repository has them.
    shutil.copy2(REPO / "dbt_project.yml", project / "dbt_project.yml")
    assert _run(project)[0] == 0
    for model in ("clickstream_events", "sessions"):
        assert (project / MARTS / f"{model}.yml").read_text() == (REPO / MARTS / f"{model}.yml").read_text()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("    - {name: Coupon}\n", "snake_case name"),
        ("    - {name: coupon, type: money}\n", "type must be one of"),
        ("    - {name: coupon, session: middle}\n", "session is first or last"),
        ("    - {name: coupon, sql: x}\n", "unknown keys"),
        ("    - {name: coupon}\n    - {name: coupon}\n", "given twice"),
        ("    - {name: is_bot}\n", "has columns named ['is_bot'] already"),
    ],
)
def test_a_passthrough_the_models_cannot_take_is_refused(project: Path, entries: str, message: str) -> None:
    _set_passthroughs(project, "  event_passthroughs:\n" + entries)
    with pytest.raises(PassthroughError, match=message.replace("[", r"\[").replace("]", r"\]")):
        passthrough_contracts(project)
    code, output = _run(project)
    assert code == 1 and message in output


def test_a_block_without_its_markers_is_refused(project: Path) -> None:
    path = project / MARTS / "sessions.yml"
    path.write_text(path.read_text().replace("# END generated", "# end"), encoding="utf-8")
    with pytest.raises(PassthroughError, match="markers"):
        passthrough_contracts(project)
