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


def sdk_bundle(name: str, out_dir: Path) -> Path:
    """`out_dir/<name>.js`: the SDK bundled as an IIFE by esbuild (the tracker's own devDependency)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the SDK bundles need Node.js 18.19 or later")
    installed_tracker()
    out = out_dir / f"{name}.js"
    build = (
        "import * as esbuild from 'esbuild';\n"
        f"await esbuild.build({{stdin: {{contents: {json.dumps(ENTRIES[name])}, resolveDir: '.', loader: 'js'}},"
        f" bundle: true, format: 'iife', target: 'es2020', logLevel: 'error', outfile: {json.dumps(str(out))}}});\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", build],
        cwd=TRACKER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"esbuild of {name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return out
