"""The marts' contract columns of the event passthroughs (dbt_project.yml's var ``event_passthroughs``).

dbt reads a passthrough's value in SQL from the var (macros/event_passthroughs.sql), but an enforced contract is a
yml column list dbt does not template. So the columns live in a marked block of clickstream_events.yml and
sessions.yml, written from the var here; everything outside the markers is hand-written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BEGIN = "      # BEGIN generated: event_passthroughs (dbt_project.yml) by `clickstream generate-files`; do not edit\n"
END = "      # END generated: event_passthroughs\n"
# The contract's data_type of each passthrough type (macros/event_passthroughs.sql reads them the same way).
DATA_TYPES = {"text": "text", "numeric": "numeric", "boolean": "boolean", "timestamp": "timestamp with time zone"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The models whose contracts carry passthroughs: every one on the events, those with `session` on the sessions.
_MODELS = ("clickstream_events", "sessions")


class PassthroughError(ValueError):
    """dbt_project.yml's event_passthroughs or a model's marked block is not what the generator can work with."""


@dataclass(frozen=True)
class Passthrough:
    name: str
    type: str
    path: str
    session: str | None
    description: str | None

    def column(self, model: str) -> str:
        """The passthrough's entry in `model`'s contract columns."""
        text = self.description or f"The raw event's {self.path}."
        if model == "sessions":
            text = f"The session's {self.session} non-null {self.name}: {text}"
        # A JSON string is a YAML string too, whatever the description holds.
        return (
            f"      - name: {self.name}\n"
            f"        data_type: {DATA_TYPES[self.type]}\n"
            f"        description: {json.dumps(text + ' (event_passthroughs)', ensure_ascii=False)}\n"
        )


def _passthrough(entry: Any) -> Passthrough:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not _NAME.match(entry["name"]):
        raise PassthroughError(f"event_passthroughs: each entry needs a snake_case name, got {entry!r}")
    name = entry["name"]
    unknown = set(entry) - {"name", "type", "path", "session", "description"}
    if unknown:
        raise PassthroughError(f"event_passthroughs: {name}: unknown keys {sorted(unknown)}")
    kind = entry.get("type", "text")
    if kind not in DATA_TYPES:
        raise PassthroughError(f"event_passthroughs: {name}: type must be one of {', '.join(DATA_TYPES)}")
    session = entry.get("session")
    if session not in (None, "first", "last"):
        raise PassthroughError(f"event_passthroughs: {name}: session is first or last")
    return Passthrough(
        name=name,
        type=kind,
        path=str(entry.get("path", f"properties.{name}")),
        session=session,
        description=entry.get("description"),
    )


def load_passthroughs(project_file: Path) -> list[Passthrough]:
    """The passthroughs dbt_project.yml names, validated as the dbt macro validates them."""
    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    entries = (project.get("vars") or {}).get("event_passthroughs") or []
    passthroughs = [_passthrough(entry) for entry in entries]
    names = [passthrough.name for passthrough in passthroughs]
    if len(set(names)) != len(names):
        raise PassthroughError(f"event_passthroughs: a name is given twice: {names}")
    return passthroughs


def _model_file(project_dir: Path, model: str) -> Path:
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    for folder in project.get("model-paths", ["models"]):
        found = sorted((project_dir / folder).rglob(f"{model}.yml"))
        if found:
            return found[0]
    raise PassthroughError(f"no {model}.yml under the project's model-paths")


def _with_block(path: Path, model: str, passthroughs: list[Passthrough]) -> str:
    text = path.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise PassthroughError(f"{path}: needs exactly one pair of event_passthroughs markers")
    before, rest = text.split(BEGIN)
    after = rest.split(END)[1]
    # A passthrough may not shadow a column of the model's own: the contract would list it twice.
    own = {column["name"] for column in yaml.safe_load(before + after)["models"][0].get("columns", [])}
    wanted = [p for p in passthroughs if model != "sessions" or p.session is not None]
    clashes = sorted(own & {p.name for p in wanted})
    if clashes:
        raise PassthroughError(f"event_passthroughs: {model} has columns named {clashes} already")
    return before + BEGIN + "".join(p.column(model) for p in wanted) + END + after


def passthrough_contracts(project_dir: Path) -> dict[Path, str]:
    """Each contract file the passthroughs reach, with its marked block as the var says it should be."""
    passthroughs = load_passthroughs(project_dir / "dbt_project.yml")
    files = {}
    for model in _MODELS:
        path = _model_file(project_dir, model)
        files[path] = _with_block(path, model, passthroughs)
    return files
