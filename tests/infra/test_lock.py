"""requirements/*.lock (make lock) hold every dependency pyproject.toml asks for, pinned and hashed, the runtime
lock agrees with the dev one, and setuptools is a fixed version without the known CVEs wherever it is used.

Offline: what `make lock-check` (in make lint) proves by resolving again, this proves from the files alone, so a
dependency added to pyproject.toml without `make lock` fails the suite."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from infra.package import (
    DEV_LOCK,
    INSTALLER_TOOLS,
    RUNTIME_LOCK,
    Locked,
    PackagingError,
    locked_versions,
    read_lock,
    target_environment,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# setuptools before 78.1.1: CVE-2022-40897 (65.5.1), CVE-2024-6345 (70.0.0), CVE-2025-47273 (78.1.1).
SETUPTOOLS_FIXED = Version("78.1.1")
# Where the project runs: the EC2 and make install (3.11), the Lambdas (3.12 on x86_64), the arm64 warehouse.
ENVIRONMENTS = {
    "3.11 x86_64": target_environment("3.11"),
    "3.11 aarch64": target_environment("3.11", "aarch64"),
    "3.12 x86_64": target_environment("3.12"),
}


def tools_in() -> list[str]:
    text = (REPO / "requirements" / "tools.in").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def unmet(requirements: list[str], lock: Path) -> dict[str, list[str]]:
    """Per environment, each requirement the lock does not satisfy (missing, or a version outside its range)."""
    found: dict[str, list[str]] = {}
    for where, environment in ENVIRONMENTS.items():
        versions = locked_versions(environment, lock)
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            entry = versions.get(canonicalize_name(requirement.name))
            if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
                found.setdefault(where, []).append(f"{text} (locked: {entry.version if entry else 'nothing'})")
    return found


def test_the_dev_lock_satisfies_every_requirement_of_pyproject_and_tools_in() -> None:
    wanted = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["dev"], *tools_in()]
    assert unmet(wanted, DEV_LOCK) == {}


def test_the_runtime_lock_satisfies_the_runtime_requirements_with_the_dev_locks_pins() -> None:
    assert unmet([*PYPROJECT["project"]["dependencies"], *tools_in()], RUNTIME_LOCK) == {}
    dev = {(entry.name, entry.marker): entry for entry in read_lock(DEV_LOCK)}
    runtime = read_lock(RUNTIME_LOCK)
    differs = [entry.requirement() for entry in runtime if dev.get((entry.name, entry.marker)) != entry]
    assert differs == []
    dev_only = {
        canonicalize_name(Requirement(text).name) for text in PYPROJECT["project"]["optional-dependencies"]["dev"]
    }
    assert dev_only.isdisjoint(entry.name for entry in runtime)


def test_every_pin_is_exact_and_hashed_and_the_header_names_make_lock() -> None:
    for lock in (DEV_LOCK, RUNTIME_LOCK):
        entries = read_lock(lock)
        assert entries, lock
        assert [entry.name for entry in entries if not entry.hashes] == []
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for entry in entries for digest in entry.hashes)
        assert "#    make lock\n" in lock.read_text(encoding="utf-8")[:200], f"{lock.name} was not written by make lock"


def test_setuptools_is_one_fixed_version_without_the_known_cves_for_builds_and_bundles() -> None:
    (build_requirement,) = [
        Requirement(text) for text in PYPROJECT["build-system"]["requires"] if text.startswith("setuptools")
    ]
    (specifier,) = build_requirement.specifier
    assert specifier.operator == "=="
    locked = {entry.version for entry in read_lock(DEV_LOCK) if entry.name == "setuptools"}
    assert locked == {specifier.version}
    assert Version(specifier.version) >= SETUPTOOLS_FIXED
    for environment in ENVIRONMENTS.values():
        assert set(INSTALLER_TOOLS) <= set(locked_versions(environment))


def test_a_lock_entry_without_an_exact_pin_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "broken.lock"
    lock.write_text("pip>=24 \\\n    --hash=sha256:" + "0" * 64 + "\n")

    with pytest.raises(PackagingError, match="not pinned with =="):
        read_lock(lock)


def test_markers_pick_each_pythons_own_pin(tmp_path: Path) -> None:
    lock = tmp_path / "forked.lock"
    lock.write_text(
        "networkx==3.6.1 ; python_full_version < '3.12' \\\n    --hash=sha256:" + "1" * 64 + "\n"
        "    # via dbt-core\n"
        "networkx==3.7 ; python_full_version >= '3.12' \\\n    --hash=sha256:" + "2" * 64 + "\n"
    )

    assert locked_versions(target_environment("3.11"), lock)["networkx"].version == "3.6.1"
    assert locked_versions(target_environment("3.12"), lock)["networkx"] == Locked(
        "networkx", "3.7", 'python_full_version >= "3.12"', ("sha256:" + "2" * 64,)
    )
