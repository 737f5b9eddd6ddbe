"""`clickstream dashboard`: settings checked before serving, loopback by default, the App loads by path."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from shiny import App

from clickstream.cli import cli
from clickstream.dashboard_command import dashboard_command
from dashboard.server import DEFAULT_HOST, DEFAULT_PORT, check_settings, load_app

pytestmark = pytest.mark.unit


def test_it_listens_on_the_loopback_interface_unless_told_otherwise() -> None:
    options = {option.name: option.default for option in dashboard_command.params}
    assert (options["host"], options["port"]) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 3838)


def test_a_missing_password_is_a_clear_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DW_PG_PASSWORD", raising=False)
    monkeypatch.delenv("DW_PG_PASSWORD_PARAM", raising=False)
    result = CliRunner().invoke(cli, ["dashboard"])
    assert result.exit_code == 1
    assert "DW_PG_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_the_app_loads_by_path_without_shadowing_the_shiny_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import shiny

    monkeypatch.setenv("DW_PG_PASSWORD", "unused: the pool connects on the first query")
    check_settings()
    app = load_app()
    assert isinstance(app, App)
    # shiny/ at the repository root is a folder of files, never a package that would hide the library.
    assert shiny.__file__ is not None and "site-packages" in shiny.__file__
