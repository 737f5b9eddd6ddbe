"""The tracker (tracker/, TypeScript) is built and tested by Node: these fixtures install its locked packages."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

TRACKER_DIR = Path(__file__).parents[2] / "tracker"


def run_npm(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`npm <args>` in tracker/, output captured (shown by the tests when it fails)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: the tracker needs Node.js 18.19 or later and npm (.ci/run installs them)")
    return subprocess.run([npm, *args], cwd=TRACKER_DIR, capture_output=True, text=True, timeout=timeout, check=False)


def npm_ok(*args: str) -> str:
    """`npm <args>` in tracker/, which must succeed (its output is the failure message); its standard output."""
    done = run_npm(*args)
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def tracker_dir() -> Path:
    """tracker/ with its node_modules installed from package-lock.json (`npm ci`) when missing or older than it."""
    installed = TRACKER_DIR / "node_modules" / ".package-lock.json"
    lock = TRACKER_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm_ok("ci", "--no-audit", "--no-fund")
    return TRACKER_DIR


@pytest.fixture
def npm(tracker_dir: Path) -> Callable[..., str]:
    """`npm_ok` in the installed tracker/."""
    return npm_ok


@pytest.fixture(scope="session")
def built_tracker(tracker_dir: Path) -> Path:
    """The script-tag build (dist/clickstream.js), built once for the run from the current sources."""
    npm_ok("run", "build")
    return tracker_dir / "dist" / "clickstream.js"
