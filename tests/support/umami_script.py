"""Umami's real tracker script, for the Umami dialect's browser test (tests/ingest_lambda/dialects/).

Umami publishes no tracker package: the `umami` npm package is the whole server application (54 runtime
dependencies) and holds the tracker only as source, `src/tracker/index.js`. So it is no dependency of tracker/:
the package's tarball is fetched from the npm registry by `npm pack` (no install, none of its dependencies), checked
against the integrity pinned here, and only that one file is taken out and built with esbuild (the tracker's own
devDependency) as Umami's `rollup.tracker.config.mjs` builds it. The tarball is kept in a cache directory keyed by
the version (pytest's cache, not committed) and checked again on each use.
"""

from __future__ import annotations

import base64
import hashlib
import tarfile
from pathlib import Path

import pytest

from support.sdk_bundles import esbuild
from support.tracker_build import run_npm

UMAMI_VERSION = "2.10.0"
# `npm view umami@2.10.0 dist.integrity` (the registry's own sha512 of the tarball).
UMAMI_INTEGRITY = "sha512-+lmrnV0751R6U2rkIgVAlE1nWI7yZawlMlJDguW9tlFacCKhnGeCyc7tCMIhNNYIiGIQy4DEX5IzJhm4b3+dPA=="
TRACKER_SOURCE = "package/src/tracker/index.js"


def _integrity(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode("ascii")


def umami_tarball(cache_dir: Path) -> Path:
    """`cache_dir/umami-<version>.tgz`, fetched by `npm pack` when missing or not the pinned one. Fails (never
    skips) when the registry cannot be reached or answers another tarball."""
    tarball = cache_dir / f"umami-{UMAMI_VERSION}.tgz"
    if tarball.exists() and _integrity(tarball) == UMAMI_INTEGRITY:
        return tarball
    tarball.unlink(missing_ok=True)
    done = run_npm("pack", f"umami@{UMAMI_VERSION}", "--pack-destination", str(cache_dir), "--ignore-scripts")
    if done.returncode != 0 or not tarball.exists():
        pytest.fail(
            f"cannot get umami@{UMAMI_VERSION} from the npm registry (`npm pack`, exit {done.returncode}): the Umami"
            f" browser test needs its tracker script\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
    got = _integrity(tarball)
    if got != UMAMI_INTEGRITY:
        tarball.unlink()
        pytest.fail(f"umami@{UMAMI_VERSION}'s tarball is not the pinned one: integrity {got}, pinned {UMAMI_INTEGRITY}")
    return tarball


def umami_script(cache_dir: Path, out_dir: Path) -> Path:
    """`out_dir/umami.js`: Umami's `src/tracker/index.js`, from the pinned tarball, built as Umami's own build
    does it. Its rollup config replaces `/api/send` by `COLLECT_API_ENDPOINT` (unset: `/api/send`, so no change)
    and minifies with terser; esbuild's minify stands in for terser, as for the other SDKs' bundles."""
    with tarfile.open(umami_tarball(cache_dir)) as archive:
        member = archive.extractfile(TRACKER_SOURCE)
        assert member is not None, f"{TRACKER_SOURCE} is not a file in umami@{UMAMI_VERSION}'s tarball"
        source = out_dir / "umami-index.js"
        source.write_bytes(member.read())
    out = out_dir / "umami.js"
    esbuild(
        {"entryPoints": [str(source)], "format": "iife", "minify": True, "logLevel": "error", "outfile": str(out)},
        "Umami's tracker",
    )
    return out
