"""``make package``: the two Lambda zips and the warehouse EC2's offline bundle, built for where they run.

Each Lambda gets only its own packages and what they import (the loader pyarrow and psycopg2, the ingest neither,
neither dbt), as Linux wheels for the Lambda runtime, pinned to the versions of ``requirements/dev.lock`` (the lock
``make install`` installs) so a zip holds exactly what the test suite ran. The warehouse has no route to PyPI, so it
installs from a wheelhouse built here for its architecture (arm64 for the default t4g): the lock's versions again,
each download checked against the lock's hashes, with pip, setuptools and wheel for the instance's installer, and
``bundle.lock`` (what the wheelhouse holds, pinned) that bootstrap.sh installs under.

Runtime: python3.12 on x86_64. pyarrow's wheels since 21 need glibc 2.28 (manylinux_2_28), which the python3.11
runtime (Amazon Linux 2, glibc 2.26) lacks; python3.12 runs on Amazon Linux 2023 (glibc 2.34). x86_64 so the
packaging test can import the very wheels it zipped on an x86_64 machine. ``--python-version`` builds the same zips
(same pins, stripping and manylinux platforms) for another CPython, so a machine without a 3.12 can run them.

The warehouse bundle is binary where PyPI has a wheel for the instance. A dependency published only as an sdist is
built into a wheel here when it is pure Python (then it runs anywhere); a compiled one (libsass, which shinychat
requires, has no Linux aarch64 wheel) stays an sdist that the instance compiles offline with the bundled build
backend (bootstrap.sh installs the compiler when the wheelhouse holds one).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
# `make lock` writes both (uv pip compile --universal --generate-hashes); the runtime lock is the dev one's subset.
DEV_LOCK = REPO / "requirements" / "dev.lock"
RUNTIME_LOCK = REPO / "requirements" / "runtime.lock"
# What the instance installs with rather than runs: always in the wheelhouse, at the lock's versions.
INSTALLER_TOOLS = ("pip", "setuptools", "wheel")
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
WAREHOUSE_PYTHON = "3.11"  # Amazon Linux 2023's python3.11 package


@dataclass(frozen=True)
class WarehouseTarget:
    pip_platforms: tuple[str, ...]
    # uv's name for the same platform (it resolves the dependency tree for a machine other than this one).
    uv_platform: str


# Amazon Linux 2023 has glibc 2.34: manylinux_2_28 and older wheels run on it.
WAREHOUSE_TARGETS = {
    "arm64": WarehouseTarget(
        ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"), "aarch64-manylinux_2_28"
    ),
    "x86_64": WarehouseTarget(LAMBDA_PLATFORMS, "x86_64-manylinux_2_28"),
}
# pip's build requirements for an sdist without a [build-system] table (libsass has a bare setup.py); setuptools
# before 70.1 asks for wheel too.
_LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0", "wheel")
# Source files that make an sdist a compiled one (not worth building here only to find it platform-specific).
_COMPILED_SOURCES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".f90", ".rs", ".go")
# What a Lambda never needs at run time: tests, caches, type stubs' sources, and pip's bookkeeping binaries.
_DROPPED_DIRS = frozenset({"__pycache__", "tests", "test"})
_DROPPED_SUFFIXES = (".pyc", ".pyo")
_PROJECT = "clickstream-warehouse"


class PackagingError(RuntimeError):
    pass


@dataclass(frozen=True)
class LambdaSpec:
    name: str
    packages: tuple[str, ...]
    requirements: tuple[str, ...]
    # Parts of a dependency the code never loads (globs under the package root).
    dropped: tuple[str, ...] = ()


LAMBDAS = (
    LambdaSpec(
        "ingest_lambda",
        packages=("ingest_lambda", "raw_store"),
        requirements=(
            "aws-lambda-powertools",
            "boto3",
            # The country of the client address (ingest_lambda/ip_country.py): 1.8 MB, its data inside.
            "iptocc",
            "orjson",
            "pydantic",
            "pydantic-settings",
            "ua-parser[regex]",
        ),
    ),
    LambdaSpec(
        "loader_lambda",
        packages=("loader_lambda", "raw_store", "warehouse"),
        requirements=(
            "aws-lambda-powertools",
            "boto3",
            "orjson",
            "psycopg2-binary",
            "pyarrow",
            "pydantic",
            "pydantic-settings",
        ),
        # pyarrow is most of the zip: Flight, its C++ headers and self-tests are never imported by the loader
        # (Parquet, compute and S3 stay; pyarrow.lib links Substrait's library), about 40 MB of the 250 MB budget.
        dropped=(
            "pyarrow/include",
            "pyarrow/src",
            "pyarrow/*flight*",
            "pyarrow/_substrait*",
            "pyarrow/_pyarrow_cpp_tests*",
            "pyarrow/**/*.pyx",
            "pyarrow/**/*.pxd",
            "pyarrow/**/*.h",
        ),
    ),
)


@dataclass(frozen=True)
class Built:
    path: Path
    unzipped_bytes: int
    zipped_bytes: int

    def describe(self) -> str:
        share = self.unzipped_bytes / LAMBDA_UNZIPPED_LIMIT
        return (
            f"{self.path.name}: {self.zipped_bytes / 2**20:.1f} MB zipped, {self.unzipped_bytes / 2**20:.1f} MB "
            f"unzipped ({share:.0%} of Lambda's 250 MB)"
        )


def _base_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0]


@dataclass(frozen=True)
class Locked:
    """One pin of a lock file: ``name==version ; marker`` and the hashes of its files on PyPI."""

    name: str  # canonical (PEP 503)
    version: str
    marker: str | None
    hashes: tuple[str, ...]

    def applies(self, environment: dict[str, str]) -> bool:
        return self.marker is None or Marker(self.marker).evaluate(environment)

    def requirement(self, hashed: bool = False) -> str:
        hashes = "".join(f" --hash={digest}" for digest in self.hashes) if hashed else ""
        return f"{self.name}=={self.version}{hashes}"


def read_lock(path: Path = DEV_LOCK) -> list[Locked]:
    """Every pin of a lock ``uv pip compile --generate-hashes`` wrote (continuation lines joined, comments dropped)."""
    if not path.is_file():
        raise PackagingError(f"{path} is missing; make lock writes it")
    entries = []
    for line in re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8")).splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        hashes = tuple(re.findall(r"--hash=(\S+)", text))
        requirement = Requirement(re.sub(r"\s*--hash=\S+", "", text))
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise PackagingError(f"{path.name}: {text!r} is not pinned with ==; run make lock")
        marker = str(requirement.marker) if requirement.marker else None
        entries.append(Locked(canonicalize_name(requirement.name), specifiers[0].version, marker, hashes))
    return entries


def target_environment(python_version: str, machine: str = "x86_64") -> dict[str, str]:
    """PEP 508 marker values for CPython `python_version` on Linux `machine` (not necessarily this one)."""
    # packaging types default_environment() as a TypedDict (values `object` to mypy); every value is a str.
    environment = {key: str(value) for key, value in default_environment().items()}
    environment |= {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
    }
    return environment


def locked_versions(environment: dict[str, str], path: Path = DEV_LOCK) -> dict[str, Locked]:
    """The lock's pin of each distribution for `environment` (a universal lock may pin one per Python)."""
    return {entry.name: entry for entry in read_lock(path) if entry.applies(environment)}


def pinned(requirements: Iterable[str], environment: dict[str, str] | None = None) -> list[str]:
    """Each requirement at the version the lock has, extras kept (``ua-parser[regex]==1.0.2``)."""
    versions = locked_versions(environment or target_environment(LAMBDA_PYTHON))
    out = []
    for requirement in requirements:
        entry = versions.get(canonicalize_name(_base_name(requirement)))
        if entry is None:
            raise PackagingError(f"{requirement} is not in {DEV_LOCK.name}; run make lock")
        out.append(f"{requirement}=={entry.version}")
    return out


def runtime_requirements() -> list[str]:
    """The project's runtime dependencies by name, extras kept, the dev extra left out."""
    requirements = [Requirement(text) for text in importlib.metadata.requires(_PROJECT) or []]
    return [
        req.name + (f"[{','.join(sorted(req.extras))}]" if req.extras else "")
        for req in requirements
        if req.marker is None or "extra" not in str(req.marker)
    ]


def _constraints(directory: Path, environment: dict[str, str]) -> Path:
    """Every distribution of the lock at its version for `environment`, so transitive dependencies match the
    tested ones too."""
    lines = sorted(entry.requirement() for entry in locked_versions(environment).values())
    path = directory / "constraints.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")


def _platform_args(platforms: Iterable[str], python: str) -> list[str]:
    args = ["--implementation", "cp", "--python-version", python]
    for platform in platforms:
        args += ["--platform", platform]
    return args


def _strip(root: Path, dropped: Iterable[str] = ()) -> None:
    for pattern in dropped:
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.name in _DROPPED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in _DROPPED_SUFFIXES:
            path.unlink()


def _tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def _zip(root: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    # Sorted names and a fixed date: the same inputs give the same zip.
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def _copy_packages(packages: Iterable[str], root: Path) -> None:
    for package in packages:
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def build_lambda(
    spec: LambdaSpec, dist: Path, cache_dir: Path | None = None, python_version: str = LAMBDA_PYTHON
) -> Built:
    """``<dist>/<name>.zip`` for CPython ``python_version`` (the runtime's unless a test asks for its own)."""
    with tempfile.TemporaryDirectory(prefix=f"package-{spec.name}-") as work:
        root = Path(work) / "root"
        root.mkdir()
        cache = ["--cache-dir", str(cache_dir)] if cache_dir else []
        _pip(
            "install",
            "--quiet",
            "--target",
            str(root),
            "--only-binary=:all:",
            *_platform_args(LAMBDA_PLATFORMS, python_version),
            "--constraint",
            str(_constraints(Path(work), target_environment(python_version))),
            *cache,
            *pinned(spec.requirements, target_environment(python_version)),
        )
        # pip's console scripts and metadata are dead weight in a Lambda; the dist-info directories are kept (a
        # few KB each) because importlib.metadata.version() calls in the libraries read them.
        shutil.rmtree(root / "bin", ignore_errors=True)
        _copy_packages(spec.packages, root)
        _strip(root, spec.dropped)
        unzipped = _tree_bytes(root)
        dist.mkdir(parents=True, exist_ok=True)
        target = dist / f"{spec.name}.zip"
        _zip(root, target)
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        raise PackagingError(f"{target.name} is {unzipped / 2**20:.1f} MB unzipped, over Lambda's 250 MB limit")
    return Built(target, unzipped, target.stat().st_size)


def _uv(*args: str) -> str:
    from uv import find_uv_bin

    # Never a Python download: uv builds sdists' metadata with this interpreter.
    command = [find_uv_bin(), *args, "--python", sys.executable, "--no-python-downloads"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def target_closure(
    target: WarehouseTarget, constraints: Path, requirements: Iterable[str], cache_dir: Path | None = None
) -> list[str]:
    """Every distribution the project needs on the target (markers evaluated for its platform), pinned.

    uv resolves for another platform without needing every package as a wheel; pip's ``--platform`` resolution
    refuses sdists, which is what failed for arm64 (libsass)."""
    with tempfile.NamedTemporaryFile("w", suffix=".in") as wanted:
        wanted.write("\n".join(requirements) + "\n")
        wanted.flush()
        out = _uv(
            "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--python-version", WAREHOUSE_PYTHON,
            "--python-platform", target.uv_platform, "--constraint", str(constraints), *_uv_cache(cache_dir),
            wanted.name,
        )  # fmt: skip
    return [line.strip() for line in out.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _uv_cache(cache_dir: Path | None) -> list[str]:
    # A directory of its own inside the given cache: uv lays its cache out differently from pip.
    return ["--cache-dir", str(cache_dir / "uv")] if cache_dir else []


def _is_compiled(sdist: Path) -> bool:
    with tarfile.open(sdist) as archive:
        return any(name.endswith(_COMPILED_SOURCES) for name in archive.getnames())


def wheel_sdists(wheelhouse: Path, cache: list[str]) -> list[str]:
    """Pure-Python sdists become wheels (platform-independent, built here); compiled ones stay for the instance.
    Returns the names of those that stay."""
    compiled = []
    for sdist in sorted(wheelhouse.glob("*.tar.gz")):
        if _is_compiled(sdist):
            compiled.append(sdist.name)
            continue
        with tempfile.TemporaryDirectory(prefix="package-sdist-") as out:
            _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", out, *cache, str(sdist))
            (built,) = Path(out).glob("*.whl")
            _, _, _, tags = parse_wheel_filename(built.name)
            if any(tag.platform != "any" for tag in tags):
                compiled.append(sdist.name)
                continue
            shutil.move(built, wheelhouse / built.name)
        sdist.unlink()
    return compiled


def build_requirements(sdist: Path) -> list[str]:
    """What pip installs to build ``sdist``: its pyproject's ``[build-system] requires``, or pip's default."""
    with tarfile.open(sdist) as archive:
        member = next(
            (m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")), None
        )
        found = archive.extractfile(member) if member else None  # None too when the member is not a file
        pyproject = tomllib.loads(found.read().decode()) if found else {}
    return list(pyproject.get("build-system", {}).get("requires", _LEGACY_BUILD_REQUIRES))


def _hashed(path: Path, pins: Iterable[str], locked: dict[str, Locked]) -> Path:
    """A requirements file of `pins` (``name==version``) with the lock's hashes, for pip's ``--require-hashes``."""
    lines = []
    for pin in pins:
        requirement = Requirement(pin)
        entry = locked.get(canonicalize_name(requirement.name))
        if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
            raise PackagingError(f"{pin} is not what {DEV_LOCK.name} pins; run make lock")
        lines.append(entry.requirement(hashed=True))
    path.write_text("\n".join(sorted(lines)) + "\n")
    return path


def _installer_tools(compiled: Iterable[Path], locked: dict[str, Locked]) -> list[str]:
    """pip, setuptools and wheel, and whatever a compiled sdist needs to build, each at the lock's version."""
    names: set[str] = {canonicalize_name(name) for name in INSTALLER_TOOLS}
    for sdist in compiled:
        for text in build_requirements(sdist):
            requirement = Requirement(text)
            entry = locked.get(canonicalize_name(requirement.name))
            if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
                raise PackagingError(
                    f"{sdist.name} builds with {text}, which {DEV_LOCK.name} does not pin: add it to "
                    "requirements/tools.in and run make lock"
                )
            names.add(entry.name)
    return sorted(locked[name].requirement() for name in names)


def _download_wheelhouse(
    wheelhouse: Path, target: WarehouseTarget, work: Path, cache_dir: Path | None
) -> tuple[list[str], list[str]]:
    """Fills `wheelhouse`; returns the sdists the instance compiles and every pin the wheelhouse holds."""
    cache = ["--cache-dir", str(cache_dir)] if cache_dir else []
    environment = target_environment(WAREHOUSE_PYTHON, target.uv_platform.split("-", 1)[0])
    locked = locked_versions(environment)
    constraints = _constraints(work, environment)
    closure = target_closure(target, constraints, pinned(runtime_requirements(), environment), cache_dir)
    # --no-deps: the closure is already resolved for the target, and pip accepts an sdist (where PyPI has no
    # wheel for the platform) only without its own dependency resolution. Every file is checked against the
    # lock's hashes: the instance gets what PyPI served when the lock was made, or the build stops.
    target_args = _platform_args(target.pip_platforms, WAREHOUSE_PYTHON)
    _pip(
        "download", "--quiet", "--no-deps", "--require-hashes", "--dest", str(wheelhouse), *target_args, *cache,
        "--requirement", str(_hashed(work / "closure.txt", closure, locked)),
    )  # fmt: skip
    compiled = wheel_sdists(wheelhouse, cache)
    # The instance installs with the locked pip, replaces the setuptools its venv starts with (3.11's ensurepip
    # brings one with known CVEs) and builds what stayed an sdist with no index: all of it as wheels for it.
    tools = _installer_tools((wheelhouse / name for name in compiled), locked)
    _pip(
        "download", "--quiet", "--only-binary=:all:", "--no-deps", "--require-hashes", "--dest", str(wheelhouse),
        *target_args, *cache, "--requirement", str(_hashed(work / "tools.txt", tools, locked)),
    )  # fmt: skip
    return compiled, sorted({locked[canonicalize_name(Requirement(pin).name)].requirement() for pin in closure + tools})


# The warehouse needs the project (dbt project, dashboard, migrations, its scripts) besides the wheels.
_BUNDLE_FILES = ("dbt_project.yml", "pyproject.toml", "README.md")
# Every pin of the wheelhouse (the lock's versions for the instance); bootstrap.sh installs under it.
BUNDLE_LOCK = "bundle.lock"
_BUNDLE_DIRS = ("dbt_project", "infra/ec2")


@dataclass(frozen=True)
class Bundle:
    path: Path
    arch: str
    # sdists the instance compiles (bootstrap.sh installs gcc-c++ and python3.11-devel for them)
    compiled_sdists: tuple[str, ...]

    def describe(self) -> str:
        size = self.path.stat().st_size / 2**20
        built = f"; built on the instance: {', '.join(self.compiled_sdists)}" if self.compiled_sdists else ""
        return f"{self.path.name}: {size:.1f} MB ({self.arch}, Python {WAREHOUSE_PYTHON}{built})"


def build_warehouse_bundle(dist: Path, arch: str = "arm64", cache_dir: Path | None = None) -> Bundle:
    """``warehouse_bundle.tar.gz``: ``wheelhouse/`` (the project and every dependency, for the EC2's Python and
    architecture) and the files the EC2 runs from a checkout (the dbt project, ``infra/ec2``)."""
    if arch not in WAREHOUSE_TARGETS:
        raise PackagingError(f"arch must be one of {', '.join(WAREHOUSE_TARGETS)}")
    with tempfile.TemporaryDirectory(prefix="package-warehouse-") as work:
        root = Path(work) / "bundle"
        wheelhouse = root / "wheelhouse"
        wheelhouse.mkdir(parents=True)
        cache = ["--cache-dir", str(cache_dir)] if cache_dir else []
        _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheelhouse), *cache, str(REPO))
        compiled, pins = _download_wheelhouse(wheelhouse, WAREHOUSE_TARGETS[arch], Path(work), cache_dir)
        (root / BUNDLE_LOCK).write_text(
            f"# The versions of {DEV_LOCK.relative_to(REPO)} in wheelhouse/, for {arch} (written by make package).\n"
            + "\n".join(pins)
            + "\n"
        )
        for name in _BUNDLE_FILES:
            if (REPO / name).is_file():
                shutil.copy2(REPO / name, root / name)
        for name in _BUNDLE_DIRS:
            if (REPO / name).is_dir():
                shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "target"))
        dist.mkdir(parents=True, exist_ok=True)
        target = dist / "warehouse_bundle.tar.gz"
        with tarfile.open(target, "w:gz") as archive:
            for path in sorted(root.iterdir()):
                archive.add(path, arcname=path.name)
    return Bundle(target, arch, tuple(compiled))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="where the artifacts go (dist/)")
    parser.add_argument("--only", choices=[*(spec.name for spec in LAMBDAS), "warehouse"], action="append")
    parser.add_argument(
        "--python-version",
        default=LAMBDA_PYTHON,
        help=f"the Lambdas' CPython (default {LAMBDA_PYTHON}, the runtime's); tests build for their own",
    )
    parser.add_argument("--warehouse-arch", choices=sorted(WAREHOUSE_TARGETS), default="arm64")
    parser.add_argument("--cache-dir", type=Path, help="pip's download cache (default: pip's own)")
    args = parser.parse_args(argv)
    # The Lambdas by default; the warehouse bundle when asked (--only warehouse): it downloads every dependency.
    wanted = set(args.only or [spec.name for spec in LAMBDAS])
    try:
        for spec in LAMBDAS:
            if spec.name in wanted:
                print(build_lambda(spec, args.dist, args.cache_dir, args.python_version).describe())
        if "warehouse" in wanted:
            print(build_warehouse_bundle(args.dist, args.warehouse_arch, args.cache_dir).describe())
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
