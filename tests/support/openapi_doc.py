"""docs/openapi.yaml: loading it, and the part of it generated from the ingest's model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ingest_lambda.contract import request_json_schema

OPENAPI_PATH = Path(__file__).parents[2] / "docs" / "openapi.yaml"
GENERATED_MARKER = (
    "    # ---- generated from ingest_lambda.contract.request_json_schema() $defs: do not edit below this line ----\n"
)


def load_openapi(path: Path = OPENAPI_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def model_components() -> dict[str, Any]:
    """The contract's ``$defs``, with references pointing into ``components/schemas`` as OpenAPI needs them."""
    defs = request_json_schema()["$defs"]
    text = json.dumps(defs).replace('"#/$defs/', '"#/components/schemas/')
    return json.loads(text)


def render_generated_section() -> str:
    dumped = yaml.safe_dump(model_components(), sort_keys=False, allow_unicode=True, width=110)
    return "".join(f"    {line}\n" if line else "\n" for line in dumped.splitlines())


def regenerate(path: Path = OPENAPI_PATH) -> None:
    """Rewrite everything after the marker line from the model; the hand-written part is kept as it is."""
    text = path.read_text()
    head, marker, _ = text.partition(GENERATED_MARKER)
    if not marker:
        raise ValueError(f"{path} has no generated-section marker line")
    path.write_text(head + marker + render_generated_section())
