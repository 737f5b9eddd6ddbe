"""The tracker (tracker/, TypeScript) is built and tested by Node: these fixtures install its locked packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.tracker_build import installed_tracker, npm_ok


@pytest.fixture(scope="session")
def tracker_dir() -> Path:
    """tracker/ with its node_modules installed from package-lock.json (`npm ci`) when missing or older than it."""
    return installed_tracker()


@pytest.fixture
def npm(tracker_dir: Path) -> Callable[..., str]:
    """`npm_ok` in the installed tracker/."""
    return npm_ok
