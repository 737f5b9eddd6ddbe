"""The script-tag build of the tracker stays within its size budget (docs/tracker.md: 3 KB, minified and gzip -9)."""

from __future__ import annotations

import gzip
import subprocess
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


def test_the_committed_script_is_what_the_sources_build(npm: Callable[..., str], tracker_dir: Path) -> None:
    """tracker/dist/clickstream.js is committed so that `make demo`'s shop works on a machine without Node; it must
    be the build of the sources as committed (after a change to tracker/src: `make tracker`, then commit it)."""
    iife, _ = build(npm, tracker_dir)
    shown = subprocess.run(
        ["git", "show", ":tracker/dist/clickstream.js"],
        cwd=tracker_dir,
        capture_output=True,
        check=False,
    )
    if shown.returncode != 0 and b"not a git repository" in shown.stderr:
        pytest.skip("not a git checkout: nothing committed to compare")
    assert shown.returncode == 0, shown.stderr.decode()
    assert shown.stdout == iife, "tracker/dist/clickstream.js is not the current build: run make tracker and commit it"
