"""`make package`: both Lambda zips build from PyPI for the runtime, fit Lambda's limit, and work unzipped.

The size and content checks are on the real runtime build (CPython 3.12 wheels for manylinux x86_64): pip downloads
them for any interpreter, so those never skip.

Running the handlers needs a Python that can load the zips' compiled wheels. The zips are also built for the Python
running this test (3.11 in CI, whose Debian has no 3.12) by the same code: same pins, same stripping, same manylinux
x86_64 platform tags, which this machine's glibc (2.36) runs. `test_local_build_is_the_runtime_build_but_for_abi`
shows the two builds hold the same distributions at the same versions and the same files but for the CPython ABI
tag in extension modules' names, so importing and running the local build proves the packaging (what is selected,
what is stripped, that nothing the handlers import is missing) of the runtime one; only the CPython 3.12 ABI of the
binaries is left to the 3.12 variant, which runs when a 3.12 is found (LAMBDA_TEST_PYTHON, PATH or pyenv).

Each handler is imported from its unzipped package in a subprocess whose sys.path holds only the package and the
standard library (`-I -S`), so nothing leaks in from this venv or the checkout. The ingest handler then takes a
real request into a local store; the loader's zip writes and reads a Parquet file with its trimmed pyarrow, as its
compaction does.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag, parse_tag

from infra.package import LAMBDA_PLATFORMS, LAMBDA_PYTHON, LAMBDA_UNZIPPED_LIMIT, LAMBDAS, build_lambda

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

LOCAL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


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


# Shared by both smoke scripts: the handler and everything it imports come from the unzipped package.
CLEAN_PATH = """
import sys
root = sys.argv[1]
assert not [p for p in sys.path if "site-packages" in p or "dist-packages" in p], sys.path
"""

INGEST_SMOKE = (
    CLEAN_PATH
    + """
import json
import ingest_lambda.handler as h
assert h.__file__.startswith(root), h.__file__
event = {
    "version": "2.0", "routeKey": "POST /clickstream/auth", "rawPath": "/clickstream/auth",
    "headers": {"content-type": "application/json", "user-agent": "Mozilla/5.0"},
    "requestContext": {"requestId": "r-1", "timeEpoch": 1733461954000,
        "http": {"method": "POST", "path": "/clickstream/auth", "sourceIp": "2a00:1450:4001::1",
                 "userAgent": "Mozilla/5.0"},
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
)

LOADER_SMOKE = (
    CLEAN_PATH
    + """
import io
import loader_lambda.handler as h
import pyarrow as pa, pyarrow.parquet as pq
import psycopg2.extensions
assert h.__file__.startswith(root), h.__file__
assert pa.__file__.startswith(root), pa.__file__
assert psycopg2.extensions.__file__.startswith(root), psycopg2.extensions.__file__
buffer = io.BytesIO()
pq.write_table(pa.table({"line": [b"{}", b"[]"]}), buffer, compression="zstd")
# One thread: a threaded read can abort the interpreter at exit ("terminate called without an active exception",
# apache/arrow#34314), after the smoke has passed; the loader itself never reads Parquet.
print(pq.read_table(io.BytesIO(buffer.getvalue()), use_threads=False).num_rows)
"""
)


def _build(tmp_path_factory: pytest.TempPathFactory, python_version: str) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp(f"dist-{python_version}")
    cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
    return {spec.name: build_lambda(spec, dist, cache, python_version).path for spec in LAMBDAS}


@pytest.fixture(scope="module")
def runtime_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What `make package` ships: built for the runtime's CPython whatever runs the test."""
    return _build(tmp_path_factory, LAMBDA_PYTHON)


@pytest.fixture(scope="module")
def local_zips(tmp_path_factory: pytest.TempPathFactory, runtime_zips: dict[str, Path]) -> dict[str, Path]:
    """The same zips for the Python running this test, so it can import their compiled wheels."""
    if LOCAL_PYTHON == LAMBDA_PYTHON:
        return runtime_zips
    return _build(tmp_path_factory, LOCAL_PYTHON)


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


def _wheel_tags(archive: Path) -> dict[str, set[Tag]]:
    """Each distribution in the zip (``name-version``) with the tags of the wheel pip installed it from."""
    tags: dict[str, set[Tag]] = {}
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            if re.fullmatch(r"[^/]+\.dist-info/WHEEL", name):
                lines = zipped.read(name).decode().splitlines()
                tags[name.split(".dist-info/")[0]] = {
                    tag for line in lines if line.startswith("Tag:") for tag in parse_tag(line[4:].strip())
                }
    return tags


def _abi_free_names(archive: Path) -> set[str]:
    # `_lib.cpython-312-x86_64-linux-gnu.so` and `_lib.cpython-311-...` are the same file of the same wheel.
    with zipfile.ZipFile(archive) as zipped:
        return {re.sub(r"\.cpython-3\d+-", ".cpython-3X-", name) for name in zipped.namelist()}


_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _manylinux_glibc(platform: str) -> tuple[int, int] | None:
    """The glibc a manylinux x86_64 platform tag needs, None for any other platform."""
    if match := re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform):
        return int(match[1]), int(match[2])
    return _LEGACY_MANYLINUX.get(platform.removesuffix("_x86_64")) if platform.endswith("_x86_64") else None


def _assert_manylinux_x86_64_for(archive: Path, python_version: str) -> None:
    """Every wheel is pure Python or a manylinux x86_64 build for this CPython (or the stable ABI), no newer than
    the platforms the builder asks for: never a wheel pip built from an sdist here (``linux_x86_64``)."""
    newest = max(glibc for platform in LAMBDA_PLATFORMS if (glibc := _manylinux_glibc(platform)))
    cpython = "cp" + python_version.replace(".", "")
    for dist, tags in _wheel_tags(archive).items():
        assert tags, f"{archive.name}: {dist} has no wheel tags"
        platform_tags = [tag for tag in tags if tag.platform != "any"]
        for tag in platform_tags:
            glibc = _manylinux_glibc(tag.platform)
            assert glibc is not None and glibc <= newest, (archive.name, dist, tag)
            assert tag.interpreter == cpython or tag.abi == "abi3", (archive.name, dist, tag)
        assert not platform_tags or len(platform_tags) == len(tags), (archive.name, dist, tags)


def test_zips_fit_lambda_and_hold_only_what_each_needs(runtime_zips: dict[str, Path]) -> None:
    for name, archive in runtime_zips.items():
        with zipfile.ZipFile(archive) as zipped:
            infos = zipped.infolist()
        unzipped = sum(info.file_size for info in infos)
        assert unzipped < LAMBDA_UNZIPPED_LIMIT, f"{name}: {unzipped / 2**20:.1f} MB unzipped"
        tops = {info.filename.split("/", 1)[0] for info in infos}
        assert name in tops
        assert not {"dbt", "tests", "clickstream", "shiny", "dashboard", "owner_report"} & tops, tops
        assert not [info.filename for info in infos if "__pycache__" in info.filename or info.filename.endswith(".pyc")]
        _assert_manylinux_x86_64_for(archive, LAMBDA_PYTHON)
    ingest_tops = {info.filename.split("/", 1)[0] for info in zipfile.ZipFile(runtime_zips["ingest_lambda"]).infolist()}
    loader_tops = {info.filename.split("/", 1)[0] for info in zipfile.ZipFile(runtime_zips["loader_lambda"]).infolist()}
    assert "pyarrow" in loader_tops
    assert not [name for name in zipfile.ZipFile(runtime_zips["loader_lambda"]).namelist() if "flight" in name.lower()]
    assert "pyarrow" not in ingest_tops
    assert "psycopg2" not in ingest_tops


def test_local_build_is_the_runtime_build_but_for_abi(
    runtime_zips: dict[str, Path], local_zips: dict[str, Path]
) -> None:
    for name, runtime in runtime_zips.items():
        local = local_zips[name]
        _assert_manylinux_x86_64_for(local, LOCAL_PYTHON)
        assert set(_wheel_tags(local)) == set(_wheel_tags(runtime)), name
        assert _abi_free_names(local) == _abi_free_names(runtime), name


def _ingest_runs(python: str, archive: Path, tmp_path: Path) -> None:
    root = _unzip(archive, tmp_path / "ingest")
    raw = tmp_path / "raw"
    reply = json.loads(_run(python, root, INGEST_SMOKE, {"RAW_STORE_URL": raw.as_uri(), "HASH_SALT": "s"}))
    assert reply["statusCode"] == 200, reply
    stored = [json.loads(line) for path in raw.rglob("event-*.json") for line in path.read_text().splitlines()]
    # The verified `sub` is the user, the client's own claim is only kept aside; the country is the address's,
    # looked up in the zip's own iptocc (its compiled data loads from the unzipped package).
    assert [(event["userId"], event["clientUserId"], event["country"]) for event in stored] == [
        ("verified-sub", "claimed-by-client", "IE")
    ]


def _loader_runs(python: str, archive: Path, tmp_path: Path) -> None:
    root = _unzip(archive, tmp_path / "loader")
    assert _run(python, root, LOADER_SMOKE, {}) == "2"


def test_ingest_handler_runs_from_its_unzipped_local_build(local_zips: dict[str, Path], tmp_path: Path) -> None:
    _ingest_runs(sys.executable, local_zips["ingest_lambda"], tmp_path)


def test_loader_handler_and_its_pyarrow_run_from_the_unzipped_local_build(
    local_zips: dict[str, Path], tmp_path: Path
) -> None:
    _loader_runs(sys.executable, local_zips["loader_lambda"], tmp_path)


@pytest.fixture
def runtime_python() -> str:
    python = _runtime_python()
    if python is None:
        pytest.skip(f"no Python {LAMBDA_PYTHON} here: the local build above stands in for the runtime's")
    return python


def test_ingest_handler_runs_from_the_runtime_zip(
    runtime_zips: dict[str, Path], runtime_python: str, tmp_path: Path
) -> None:
    _ingest_runs(runtime_python, runtime_zips["ingest_lambda"], tmp_path)


def test_loader_handler_runs_from_the_runtime_zip(
    runtime_zips: dict[str, Path], runtime_python: str, tmp_path: Path
) -> None:
    _loader_runs(runtime_python, runtime_zips["loader_lambda"], tmp_path)
