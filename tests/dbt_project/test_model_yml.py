"""Each model's yml lies beside it and is its own: description, columns and tests, unit tests (jaffle-shop style).

Only the sources (`_clickstream__sources.yml`) and exposures (`_exposures.yml`) have files of their own. A list the
marts' ymls repeat (the channels a `channel` column may hold) must stay equal to the seed it comes from.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
SEEDS = MODELS.parent / "seeds"
SHARED = {"_clickstream__sources.yml": "sources", "_exposures.yml": "exposures"}


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_every_model_has_its_yml_beside_it() -> None:
    models = sorted(MODELS.rglob("*.sql"))
    assert len(models) == 39
    for model in models:
        own = model.with_suffix(".yml")
        assert own.exists(), f"{model.relative_to(MODELS)} has no {own.name} beside it"
        document = _load(own)
        assert [entry["name"] for entry in document["models"]] == [model.stem]
        assert {test["model"] for test in document.get("unit_tests", [])} <= {model.stem}
        assert set(document) <= {"version", "models", "unit_tests"}


def test_the_only_other_ymls_are_the_sources_and_exposures() -> None:
    others = {path.name: path for path in MODELS.rglob("*.yml") if not path.with_suffix(".sql").exists()}
    assert set(others) == set(SHARED)
    for name, path in others.items():
        assert set(_load(path)) == {"version", SHARED[name]}


def _accepted_channels() -> dict[str, list[str]]:
    found = {}
    for path in sorted(MODELS.rglob("*.yml")):
        for model in _load(path).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if column["name"].endswith("channel") and isinstance(test, dict) and "accepted_values" in test:
                        found[f"{model['name']}.{column['name']}"] = test["accepted_values"]["arguments"]["values"]
    return found


def test_the_accepted_channels_are_the_seeds() -> None:
    with (SEEDS / "channel_rules.csv").open(newline="", encoding="utf-8") as handle:
        channels = sorted({row["channel"] for row in csv.DictReader(handle)})
    accepted = _accepted_channels()
    assert set(accepted) == {
        "sessions.channel",
        "users.first_channel",
        "funnel_steps_daily.channel",
        "sessions_daily.channel",
    }
    for model, values in accepted.items():
        assert sorted(values) == channels, model
