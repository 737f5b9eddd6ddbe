"""The tracker's unit tests (tracker/test/*.test.ts, node's test runner) and its type check, run from the suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

# They spawn Node: not in-process.
pytestmark = pytest.mark.integration


def test_tracker_unit_tests_pass(npm: Callable[..., str]) -> None:
    out = npm("test")
    print(out[-4000:])
    assert "# fail 0" in out


def test_tracker_type_checks_with_tsc(npm: Callable[..., str]) -> None:
    npm("run", "typecheck")
