"""The script-tag build of the tracker stays within its size budget (docs/tracker.md: 3 KB, minified and gzip -9)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BUDGET_BYTES = 3072


def build(npm: Callable[..., str], tracker_dir: Path) -> tuple[bytes, bytes]:
    npm("run", "build")
    return (tracker_dir / "dist" / "clickstream.js").read_bytes(), (
        tracker_dir / "dist" / "clickstream.mjs"
    ).read_bytes()


def test_iife_build_is_at_most_3_kb_gzipped(npm: Callable[..., str], tracker_dir: Path) -> None:
    iife, _ = build(npm, tracker_dir)
    gzipped = len(gzip.compress(iife, compresslevel=9, mtime=0))
    print(f"clickstream.js: {len(iife)} bytes minified, {gzipped} bytes gzip -9")
    assert gzipped <= BUDGET_BYTES


def test_builds_are_the_iife_and_the_module_and_reproducible(npm: Callable[..., str], tracker_dir: Path) -> None:
    first = build(npm, tracker_dir)
    again = build(npm, tracker_dir)
    assert first == again
    iife, module = first
    assert b"window.Clickstream=" in iife
    assert b"\n" not in iife.strip(), "the IIFE is minified"
    assert b"export {" in module and b"Clickstream" in module
