"""The tracker (tracker/, TypeScript) installed and built by Node, for the tests that need it: its own tests
(tests/tracker/) and the pages that load the built script (the demo shop's browser test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TRACKER_DIR = Path(__file__).parents[2] / "tracker"
TRACKER_SCRIPT = TRACKER_DIR / "dist" / "clickstream.js"


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


def installed_tracker() -> Path:
    """tracker/ with its node_modules installed from package-lock.json (`npm ci`) when missing or older than it."""
    installed = TRACKER_DIR / "node_modules" / ".package-lock.json"
    lock = TRACKER_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm_ok("ci", "--no-audit", "--no-fund")
    return TRACKER_DIR


def built_tracker_script() -> Path:
    """tracker/dist/clickstream.js built from the sources as they are now (`npm run build`, as `make tracker`)."""
    installed_tracker()
    npm_ok("run", "build")
    return TRACKER_SCRIPT
