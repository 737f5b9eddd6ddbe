"""How the warehouse bundle treats a dependency PyPI publishes only as an sdist.

A pure-Python one is built into a `py3-none-any` wheel here (it runs on any architecture); a compiled one stays an
sdist for the instance to compile, and its build requirements are what its pyproject declares (or pip's default
for a bare setup.py). The real bundle has only the compiled kind (libsass), so the pure kind is made up here.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from infra.package import build_requirements, wheel_sdists

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PURE_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.0"
"""


def _sdist(directory: Path, name: str, files: dict[str, str]) -> Path:
    path = directory / f"{name}-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for relative, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-1.0/{relative}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_pure_python_sdists_become_wheels_and_compiled_ones_stay(tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    _sdist(
        wheelhouse,
        "purepkg",
        {"pyproject.toml": PURE_PYPROJECT.format(name="purepkg"), "purepkg/__init__.py": "VALUE = 1\n"},
    )
    compiled = _sdist(
        wheelhouse,
        "cpkg",
        {
            "setup.py": "from setuptools import Extension, setup\n"
            "setup(name='cpkg', version='1.0', ext_modules=[Extension('cpkg', ['cpkg.c'])])\n",
            "cpkg.c": "int unused;\n",
        },
    )
    cache = ["--cache-dir", str(Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip")))]

    assert wheel_sdists(wheelhouse, cache) == [compiled.name]

    assert sorted(path.name for path in wheelhouse.iterdir()) == ["cpkg-1.0.tar.gz", "purepkg-1.0-py3-none-any.whl"]


def test_build_requirements_come_from_the_sdists_pyproject_or_pips_default(tmp_path: Path) -> None:
    declared = _sdist(tmp_path, "declared", {"pyproject.toml": PURE_PYPROJECT.format(name="declared")})
    bare = _sdist(tmp_path, "bare", {"setup.py": "from setuptools import setup\nsetup()\n"})

    assert build_requirements(declared) == ["setuptools>=61"]
    assert build_requirements(bare) == ["setuptools>=40.8.0", "wheel"]
