"""The warehouse bundle (`make package PACKAGE_ARGS='--only warehouse'`) installs the whole project offline.

The warehouse EC2 has no route to PyPI: bootstrap.sh installs the project with `pip install --no-index
--find-links wheelhouse`. The bundle is built here for the architecture of the template's default instance type
(t4g: arm64), then checked for that platform from the bundle alone:

- the whole dependency tree of the project wheel resolves from the wheelhouse with no index, for CPython 3.11 on
  manylinux aarch64 (uv's resolver: pip's `--platform` resolution refuses sdists, and libsass has no aarch64
  wheel, so the instance compiles it from the bundled sdist; resolving it offline also builds its metadata with
  the bundled setuptools, so the build backend the instance needs is there);
- pip itself, the installer on the instance, accepts every wheel of the wheelhouse for that platform;
- nothing is in the wheelhouse that the project does not need, and only compiled projects are left as sdists.

Downloads go through pip's and uv's caches, so a second run takes seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from uv import find_uv_bin

from infra.package import (
    BUNDLE_LOCK,
    WAREHOUSE_PYTHON,
    WAREHOUSE_TARGETS,
    Bundle,
    build_warehouse_bundle,
    locked_versions,
    read_lock,
    target_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
# What the wheelhouse holds for the instance's installer rather than for the project.
INSTALLER = {"pip", "setuptools", "wheel"}


def default_arch() -> str:
    """The architecture of the template's default warehouse instance type (Graviton types have a `g`)."""
    template = cfn_yaml.load(str(REPO / "infra" / "template.yaml"))
    instance_type = str(template["Parameters"]["WarehouseInstanceType"]["Default"])
    return "arm64" if re.match(r"[a-z]+\d+[a-z]*g[a-z]*\.", instance_type) else "x86_64"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
    return build_warehouse_bundle(tmp_path_factory.mktemp("dist"), default_arch(), cache)


@pytest.fixture(scope="module")
def wheelhouse(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundle")
    with tarfile.open(bundle.path) as archive:
        archive.extractall(root, filter="data")
    return root / "wheelhouse"


def _distributions(wheelhouse: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in wheelhouse.iterdir():
        name = (parse_wheel_filename if path.suffix == ".whl" else parse_sdist_filename)(path.name)[0]
        assert name not in found, f"two files for {name}: {path.name}, {found[name].name}"
        found[name] = path
    return found


def _project_wheel(wheelhouse: Path) -> Path:
    (wheel,) = wheelhouse.glob("clickstream_warehouse-*.whl")
    return wheel


def _offline_pip(*args: str) -> subprocess.CompletedProcess[str]:
    """pip as the instance runs it: no index, and none of this machine's pip configuration or cache."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-index"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "PIP_NO_CACHE_DIR": "1"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def test_the_default_instance_is_arm64_and_so_is_the_bundle(bundle: Bundle, wheelhouse: Path) -> None:
    assert default_arch() == "arm64"
    assert bundle.arch == "arm64"
    files = {path.name for path in wheelhouse.iterdir()}
    assert any(name.startswith("pyarrow-") and name.endswith("_aarch64.whl") for name in files), files
    assert not [name for name in files if "x86_64" in name]
    assert (wheelhouse.parent / "infra" / "ec2" / "bootstrap.sh").is_file()
    assert (wheelhouse.parent / "dbt_project.yml").is_file()
    # The owner's summary ships beside the dashboard whose data layer it reads, and the script its document runs.
    assert (wheelhouse.parent / "infra" / "ec2" / "run-report.sh").is_file()
    with zipfile.ZipFile(_project_wheel(wheelhouse)) as wheel:
        names = set(wheel.namelist())
    assert {"owner_report/job.py", "dashboard/data/overview.py", "clickstream/report_command.py"} <= names


def test_the_whole_project_resolves_from_the_bundle_alone_for_the_instance(wheelhouse: Path, tmp_path: Path) -> None:
    target = WAREHOUSE_TARGETS[default_arch()]
    command = [
        find_uv_bin(), "pip", "install", "--dry-run", "--no-index", "--find-links", str(wheelhouse),
        "--no-cache", "--python", sys.executable, "--no-python-downloads", "--python-version", WAREHOUSE_PYTHON,
        "--python-platform", target.uv_platform, "--target", str(tmp_path / "target"),
        str(_project_wheel(wheelhouse)),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        # Nothing but the bundle: no index, no proxy, no pip configuration (uv reads none of pip's).
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "UV_NO_CONFIG": "1"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    would_install = {
        canonicalize_name(match[1]) for match in re.finditer(r"^ \+ ([A-Za-z0-9_.\-]+)(==| @ )", result.stderr, re.M)
    }
    assert "clickstream-warehouse" in would_install
    # Every distribution the project needs is there, and nothing else but the installer's own (setuptools is
    # both: dlt requires it at run time).
    assert {str(name) for name in would_install} - INSTALLER == set(_distributions(wheelhouse)) - INSTALLER, (
        result.stderr[-4000:]
    )


def test_pip_accepts_every_wheel_for_the_instance(wheelhouse: Path, tmp_path: Path) -> None:
    target = WAREHOUSE_TARGETS[default_arch()]
    wheels = sorted(str(path) for path in wheelhouse.glob("*.whl"))
    platforms = [arg for name in target.pip_platforms for arg in ("--platform", name)]
    result = _offline_pip(
        "install", "--dry-run", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
        "--python-version", WAREHOUSE_PYTHON, *platforms, "--target", str(tmp_path / "target"), *wheels,
    )  # fmt: skip
    (would_install,) = re.findall(r"^Would install (.+)$", result.stdout, re.M)
    assert len(would_install.split()) == len(wheels), result.stdout[-4000:]


def test_only_compiled_projects_are_left_as_sdists_with_their_build_backend(bundle: Bundle, wheelhouse: Path) -> None:
    sdists = sorted(path.name for path in wheelhouse.glob("*.tar.gz"))
    assert sdists == sorted(bundle.compiled_sdists)
    # libsass (a C++ extension shinychat requires) has no manylinux aarch64 wheel on PyPI: the reason arm64 failed.
    assert [parse_sdist_filename(name)[0] for name in sdists] == ["libsass"]
    for sdist in wheelhouse.glob("*.tar.gz"):
        with tarfile.open(sdist) as archive:
            assert any(name.endswith((".c", ".cpp")) for name in archive.getnames()), sdist.name
    assert set(_distributions(wheelhouse)) >= INSTALLER


def test_the_wheelhouse_holds_the_locks_versions_and_bundle_lock_names_each(wheelhouse: Path) -> None:
    """What bootstrap.sh installs under (bundle.lock) is requirements/dev.lock's pins for the instance, one per
    file of the wheelhouse, the installer's setuptools included."""
    machine = WAREHOUSE_TARGETS[default_arch()].uv_platform.split("-")[0]
    locked = locked_versions(target_environment(WAREHOUSE_PYTHON, machine))
    pins = {entry.name: entry.version for entry in read_lock(wheelhouse.parent / BUNDLE_LOCK)}
    files: dict[str, str] = {}
    for path in wheelhouse.iterdir():
        name, version = (parse_wheel_filename if path.suffix == ".whl" else parse_sdist_filename)(path.name)[:2]
        files[name] = str(version)
    files.pop("clickstream-warehouse")
    assert pins == files
    assert {name: version for name, version in pins.items() if locked[name].version != version} == {}
    assert pins["setuptools"] == locked["setuptools"].version


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(os.environ.get("CLICKSTREAM_SLOW") != "1", reason="compiles libsass (minutes): CLICKSTREAM_SLOW=1")
def test_compiled_sdists_build_offline_with_the_bundled_backend(wheelhouse: Path, tmp_path: Path) -> None:
    """What pip does on the instance, but for this machine's architecture: the sdist compiles with no index."""
    _offline_pip(
        "wheel", "--find-links", str(wheelhouse), "--no-deps", "--wheel-dir", str(tmp_path),
        *map(str, wheelhouse.glob("*.tar.gz")),
    )  # fmt: skip
    assert len(list(tmp_path.glob("*.whl"))) == len(list(wheelhouse.glob("*.tar.gz")))
