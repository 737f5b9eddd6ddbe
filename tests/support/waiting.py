"""Waiting for a condition in a test: polled until it holds, bounded by a timeout that fails the test."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0, interval: float = 0.005) -> None:
    """Poll `condition` (a state of the system, never the clock) until it holds; fail the test if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
