"""Third-party tracker SDKs from npm (pinned in tracker/package-lock.json), bundled with the tracker's esbuild into
one classic script each, for the browser tests of the ingest's dialects (tests/ingest_lambda/dialects/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support.tracker_build import TRACKER_DIR, installed_tracker

# What each bundle puts on `window`: the SDK's entry point, as its own documentation imports it.
ENTRIES = {
    "segment": "import { AnalyticsBrowser } from '@segment/analytics-next';\n"
    "window.AnalyticsBrowser = AnalyticsBrowser;\n",
    "rudderstack": "import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';\n"
    "window.RudderAnalytics = RudderAnalytics;\n",
    "posthog": "import posthog from 'posthog-js';\nwindow.posthog = posthog;\n",
    "plausible": "import { init, track } from '@plausible-analytics/tracker';\n"
    "window.PlausibleTracker = { init, track };\n",
    "snowplow": "import * as tracker from '@snowplow/browser-tracker';\n"
    "import * as ecommerce from '@snowplow/browser-plugin-snowplow-ecommerce';\n"
    "window.snowplow = { ...tracker, ...ecommerce };\n",
    "aws": "import { ClickstreamAnalytics, SendMode } from '@aws/clickstream-web';\n"
    "window.ClickstreamAnalytics = ClickstreamAnalytics;\nwindow.ClickstreamSendMode = SendMode;\n",
}
PACKAGES = {
    "segment": "@segment/analytics-next",
    "rudderstack": "@rudderstack/analytics-js",
    "posthog": "posthog-js",
    "plausible": "@plausible-analytics/tracker",
    "snowplow": "@snowplow/browser-tracker",
    "aws": "@aws/clickstream-web",
}


def sdk_version(name: str) -> str:
    """The installed (locked) version of a dialect's SDK."""
    manifest = TRACKER_DIR / "node_modules" / PACKAGES[name] / "package.json"
    return str(json.loads(manifest.read_text())["version"])


def esbuild(options: dict[str, object], what: str) -> None:
    """`esbuild.build(options)` by Node in tracker/ (esbuild is the tracker's own devDependency); fails the test
    with esbuild's output when it fails."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH: {what} is built with Node.js 18.19 or later")
    installed_tracker()
    build = f"import * as esbuild from 'esbuild';\nawait esbuild.build({json.dumps(options)});\n"
    done = subprocess.run(
        [node, "--input-type=module", "-e", build],
        cwd=TRACKER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"esbuild of {what}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def sdk_bundle(name: str, out_dir: Path) -> Path:
    """`out_dir/<name>.js`: the SDK bundled as an IIFE by esbuild."""
    out = out_dir / f"{name}.js"
    options = {
        "stdin": {"contents": ENTRIES[name], "resolveDir": ".", "loader": "js"},
        "bundle": True,
        "format": "iife",
        "target": "es2020",
        "logLevel": "error",
        "outfile": str(out),
    }
    esbuild(options, name)
    return out
