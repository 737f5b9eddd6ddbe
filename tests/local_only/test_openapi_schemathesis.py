"""schemathesis against `clickstream serve` and docs/openapi.yaml, with all of its default checks.

The run is the schemathesis CLI in a subprocess (examples, coverage and fuzzing phases) against a server in this
process. 413 counts as a rejection of schema-violating data (schemathesis.toml: the handler answers a batch of
501 events with 413); nothing else is relaxed.

CLICKSTREAM_SCHEMATHESIS_SEED and CLICKSTREAM_SCHEMATHESIS_EXAMPLES change the seed and the number of examples
per operation, e.g. for a longer exploratory run.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.openapi_doc import OPENAPI_PATH
from support.serving import RunningServer, running_server

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
CONFIG = HERE / "schemathesis.toml"
SEED = os.environ.get("CLICKSTREAM_SCHEMATHESIS_SEED", "20251206")
EXAMPLES = os.environ.get("CLICKSTREAM_SCHEMATHESIS_EXAMPLES", "100")
ID_TOKEN = ".".join(
    base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
    for part in ({"alg": "RS256"}, {"sub": "schemathesis", "exp": 4_102_444_800}, {"signature": "unchecked"})
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A tracker script of its own, so that GET /clickstream.js is served whether or not `make tracker` ran.
    script = tmp_path_factory.mktemp("tracker") / "clickstream.js"
    script.write_bytes(b"window.Clickstream={};\n")
    with running_server(tmp_path_factory.mktemp("raw"), quiet=True, tracker_script=script) as running:
        yield running


def test_schemathesis_finds_no_failure(served: RunningServer, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(OPENAPI_PATH),
        "--url",
        served.url,
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "4",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        # /clickstream/auth wants an id token; the local authorizer checks its form and expiry, not a signature.
        "--header",
        f"Authorization: Bearer {ID_TOKEN}",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20_000:]
    assert "No issues found" in output, output[-5_000:]
    assert any(served.objects("events")), "no request reached the store"
