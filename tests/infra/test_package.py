"""`make package`: both Lambda zips build from PyPI for the runtime, fit Lambda's limit, and work unzipped.

Each handler is imported from its unzipped package by a Python of the Lambda runtime's version, in a subprocess
whose sys.path holds only the package and the standard library (`-I -S`), so nothing leaks in from this venv or
the checkout. The ingest handler then takes a real request into a local store; the loader's zip writes and reads
a Parquet file with its trimmed pyarrow, as its compaction does.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from infra.package import LAMBDA_PYTHON, LAMBDA_UNZIPPED_LIMIT, LAMBDAS, build_lambda

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _runtime_python() -> str | None:
    """A CPython of the Lambda runtime's version: LAMBDA_TEST_PYTHON, the PATH, or a pyenv install."""
    configured = os.environ.get("LAMBDA_TEST_PYTHON")
    if configured:
        return configured
    candidates = [shutil.which(f"python{LAMBDA_PYTHON}")]
    pyenv = os.path.expanduser(f"~/.pyenv/versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}")
    candidates += sorted(glob.glob(pyenv))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


INGEST_SMOKE = """
import json, sys
import ingest_lambda.handler as h
assert h.__file__.startswith(sys.argv[1]), h.__file__
event = {
    "version": "2.0", "routeKey": "POST /clickstream/auth", "rawPath": "/clickstream/auth",
    "headers": {"content-type": "application/json", "user-agent": "Mozilla/5.0"},
    "requestContext": {"requestId": "r-1", "timeEpoch": 1733461954000,
        "http": {"method": "POST", "path": "/clickstream/auth", "sourceIp": "203.0.113.9", "userAgent": "Mozilla/5.0"},
        "authorizer": {"jwt": {"claims": {"sub": "verified-sub"}, "scopes": None}}},
    "body": json.dumps({"eventName": "page_view", "clientId": "c-1", "userId": "claimed-by-client",
                        "pageUrl": "https://shop.example.com/"}),
    "isBase64Encoded": False,
}
class Context:
    function_name = "ingest"; memory_limit_in_mb = 256; aws_request_id = "r-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ingest"
print(json.dumps(h.handler(event, Context())))
"""

LOADER_SMOKE = """
import io, sys
import loader_lambda.handler as h
import pyarrow as pa, pyarrow.parquet as pq
assert h.__file__.startswith(sys.argv[1]), h.__file__
assert pa.__file__.startswith(sys.argv[1]), pa.__file__
buffer = io.BytesIO()
pq.write_table(pa.table({"line": [b"{}", b"[]"]}), buffer, compression="zstd")
print(pq.read_table(io.BytesIO(buffer.getvalue())).num_rows)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
    return {spec.name: build_lambda(spec, dist, cache).path for spec in LAMBDAS}


def _unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(into)
    return into


def _run(python: str, root: Path, script: str, env: dict[str, str]) -> str:
    # -I: no user site, no PYTHON* variables, no script directory; -S: no site-packages at all.
    result = subprocess.run(
        [python, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(root)!r})\n" + script, str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=root,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_zips_fit_lambda_and_hold_only_what_each_needs(built: dict[str, Path]) -> None:
    for name, archive in built.items():
        with zipfile.ZipFile(archive) as zipped:
            infos = zipped.infolist()
        unzipped = sum(info.file_size for info in infos)
        assert unzipped < LAMBDA_UNZIPPED_LIMIT, f"{name}: {unzipped / 2**20:.1f} MB unzipped"
        tops = {info.filename.split("/", 1)[0] for info in infos}
        assert name in tops
        assert not {"dbt", "tests", "clickstream", "shiny", "dashboard"} & tops, tops
        assert not [info.filename for info in infos if "__pycache__" in info.filename or info.filename.endswith(".pyc")]
    ingest_tops = {info.filename.split("/", 1)[0] for info in zipfile.ZipFile(built["ingest_lambda"]).infolist()}
    loader_tops = {info.filename.split("/", 1)[0] for info in zipfile.ZipFile(built["loader_lambda"]).infolist()}
    assert "pyarrow" in loader_tops
    assert "pyarrow" not in ingest_tops
    assert "psycopg2" not in ingest_tops


def test_ingest_handler_runs_from_its_unzipped_package(built: dict[str, Path], tmp_path: Path) -> None:
    python = _runtime_python()
    if python is None:
        pytest.skip(f"no Python {LAMBDA_PYTHON} (the Lambda runtime's) to import the zip's native wheels with")
    root = _unzip(built["ingest_lambda"], tmp_path / "ingest")
    raw = tmp_path / "raw"
    reply = json.loads(_run(python, root, INGEST_SMOKE, {"RAW_STORE_URL": raw.as_uri(), "HASH_SALT": "s"}))
    assert reply["statusCode"] == 200, reply
    stored = [json.loads(line) for path in raw.rglob("event-*.json") for line in path.read_text().splitlines()]
    # The verified `sub` is the user, the client's own claim is only kept aside.
    assert [(event["userId"], event["clientUserId"]) for event in stored] == [("verified-sub", "claimed-by-client")]


def test_loader_handler_and_its_pyarrow_run_from_the_unzipped_package(built: dict[str, Path], tmp_path: Path) -> None:
    python = _runtime_python()
    if python is None:
        pytest.skip(f"no Python {LAMBDA_PYTHON} (the Lambda runtime's) to import the zip's native wheels with")
    root = _unzip(built["loader_lambda"], tmp_path / "loader")
    assert _run(python, root, LOADER_SMOKE, {}) == "2"
