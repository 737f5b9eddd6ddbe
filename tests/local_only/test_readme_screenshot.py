"""The README screenshot's dashboard reads the demo's warehouse as the dashboard role, with default settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_only.readme_screenshot import dashboard_env

pytestmark = pytest.mark.unit


def test_the_demos_warehouse_as_the_dashboard_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "warehouse.env"
    env_file.write_text(
        "export DW_LOADER_PASSWORD=l0\nexport DW_TRANSFORMER_PASSWORD=t0\nexport DW_DASHBOARD_PASSWORD=d=0\n"
        "export DW_PG_DATABASE=clickstream_dw\nexport DW_PG_HOST=127.0.0.1\nexport DW_PG_PORT=36183\n"
        "export DW_PG_USER=transformer\nexport DW_PG_PASSWORD=t0\n"
    )
    # A shell that sourced warehouse.env, and a dashboard setting of one's own: neither reaches the screenshot.
    monkeypatch.setenv("DW_PG_USER", "transformer")
    monkeypatch.setenv("DASHBOARD_NOW", "2025-03-10T15:30:00Z")
    env = dashboard_env(env_file)
    assert {name: value for name, value in env.items() if name.startswith("DW_")} == {
        "DW_PG_HOST": "127.0.0.1",
        "DW_PG_PORT": "36183",
        "DW_PG_DATABASE": "clickstream_dw",
        "DW_PG_USER": "dashboard",
        "DW_PG_PASSWORD": "d=0",
    }
    assert not any(name.startswith("DASHBOARD_") for name in env)
