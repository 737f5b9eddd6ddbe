"""The dbt unit tests' copies of the seeds are the seeds.

The marts' unit tests give channel_rules, channel_source_categories and bot_user_agents as explicit rows (dbt's
"read a seed without rows from its file" turns empty CSV cells into '' instead of NULL). This keeps each copy equal
to its CSV file, so the unit tests keep testing the rules the project ships. A unit test of a mechanism rather than
of the shipped rules names the seeds whose rows it makes up in `config: meta: synthetic_seeds`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "dbt_project" / "seeds"
MODELS = ROOT / "dbt_project" / "models"
SEED_REF = re.compile(r"^ref\('(?P<name>[a-z0-9_]+)'\)$")


def _cell(value: Any) -> str | None:
    """A YAML value as the CSV would spell it: null is an empty cell, booleans are lower case."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _seed_rows(name: str) -> list[dict[str, str | None]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return [{key: value or None for key, value in row.items()} for row in csv.DictReader(handle)]


def _seed_inputs() -> list[Any]:
    seeds = {path.stem for path in SEEDS.glob("*.csv")}
    found = []
    for path in sorted(MODELS.rglob("*.yml")):
        for test in yaml.safe_load(path.read_text(encoding="utf-8")).get("unit_tests", []):
            # A test of a mechanism (not of the shipped rules) may make its seed rows up, and says so.
            synthetic = set(test.get("config", {}).get("meta", {}).get("synthetic_seeds", []))
            for given in test.get("given", []):
                match = SEED_REF.match(given["input"])
                if match and match["name"] in seeds - synthetic and given.get("rows"):
                    found.append(
                        pytest.param(test["name"], match["name"], given["rows"], id=f"{test['name']}-{match['name']}")
                    )
    return found


def test_unit_tests_give_the_seeds_somewhere() -> None:
    """Every seed the sessions mart reads is given in some unit test."""
    given = {param.values[1] for param in _seed_inputs()}
    assert given == {"channel_rules", "channel_source_categories", "bot_user_agents"}


@pytest.mark.parametrize(("test_name", "seed", "rows"), _seed_inputs())
def test_unit_test_seed_rows_equal_the_seed_file(test_name: str, seed: str, rows: list[dict[str, Any]]) -> None:
    """A unit test's rows for a seed are that seed's CSV file, row for row."""
    given = [{key: _cell(value) for key, value in row.items()} for row in rows]
    assert given == _seed_rows(seed), f"{test_name}: the rows given for {seed} differ from seeds/{seed}.csv"
