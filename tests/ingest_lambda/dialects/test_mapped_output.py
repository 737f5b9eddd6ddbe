"""What every recorded SDK request becomes, pinned: each request of tests/ingest_lambda/dialects/fixtures/<sdk>/ sent
through the handler, in order, gives exactly the answer, stored lines and kept originals of
tests/ingest_lambda/dialects/mapped/<sdk>.json, byte for byte once parsed (key order included).

The other dialect tests check the fields that matter one by one; this one holds the whole output still, so that
making the mapping cheaper (ingest_lambda.dialects.flatten, the per-event steps in ingest_lambda.ingest) cannot
change what is stored. When a change to the mapping is meant, rewrite the files and review their diff:

    CLICKSTREAM_REWRITE_MAPPED=1 .venv/bin/pytest tests/ingest_lambda/dialects/test_mapped_output.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.dialect_requests import FIXTURES, recorded, wire_event
from support.fakes import MemoryStore

from ingest_lambda.handler import handler

pytestmark = pytest.mark.unit

MAPPED = Path(__file__).parent / "mapped"
SDKS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
# Ids the server makes up (Plausible and Umami send no event id): the same placeholder every run.
_MADE_UP = "(made up by the server)"


def _outputs(sdk: str, store: MemoryStore, lambda_context: Any) -> list[dict[str, Any]]:
    outputs = []
    for path, request in zip(sorted((FIXTURES / sdk).glob("*.json")), recorded(sdk), strict=True):
        sent = json.dumps(request)
        before = len(store.objects)
        response = handler(wire_event(request), lambda_context)
        written = list(store.objects.items())[before:]
        lines = [(key.split("/")[0], json.loads(line)) for key, data in written for line in data.splitlines()]
        for _, line in lines:
            for field in ("eventId", "storedEventId"):
                if field in line and line[field] not in sent:
                    line[field] = _MADE_UP
        outputs.append(
            {
                "request": path.name,
                "response": response,
                "events": [line for kind, line in lines if kind == "events"],
                "kept": [line for kind, line in lines if kind == "rejected"],
            }
        )
    return outputs


def test_every_sdk_has_its_pinned_output() -> None:
    assert SDKS, "no recorded SDK requests found"
    assert sorted(path.stem for path in MAPPED.glob("*.json")) == SDKS


@pytest.mark.parametrize("sdk", SDKS)
def test_recorded_requests_give_the_pinned_output(sdk: str, memory_store: MemoryStore, lambda_context: Any) -> None:
    outputs = _outputs(sdk, memory_store, lambda_context)
    pinned = MAPPED / f"{sdk}.json"
    if os.environ.get("CLICKSTREAM_REWRITE_MAPPED") == "1":
        MAPPED.mkdir(exist_ok=True)
        pinned.write_text(json.dumps(outputs, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(pinned.read_text())
    assert [output["request"] for output in outputs] == [output["request"] for output in expected]
    for output, wanted in zip(outputs, expected, strict=True):
        # Compared as text: the order of keys (of properties above all) is part of what is pinned.
        assert json.dumps(output, indent=1) == json.dumps(wanted, indent=1), output["request"]
    assert any(output["events"] for output in outputs), "nothing stored: nothing pinned"
