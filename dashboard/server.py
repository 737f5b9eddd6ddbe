"""Serving the Shiny dashboard (``shiny/app.py``), by default on 127.0.0.1:3838 (``clickstream dashboard`` runs it).

In AWS the dashboard is reached through an SSM port forward, so it listens on the loopback interface unless
``--host`` says otherwise. It reads the warehouse as ``DW_PG_*`` name it (the demo sets the ``dashboard`` role).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

APP_FILE = Path(__file__).resolve().parents[1] / "shiny" / "app.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3838


class DashboardConfigurationError(ValueError):
    """The environment does not say how to reach the warehouse, or a DASHBOARD_* setting is wrong."""


def check_settings() -> None:
    """Fail before serving, with the setting's name, rather than on the first page load."""
    from dashboard.settings import DashboardSettings
    from warehouse.connection import WarehouseSettings

    try:
        WarehouseSettings()
        DashboardSettings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        raise DashboardConfigurationError(f"dashboard settings (DW_PG_*, DASHBOARD_*): {problems}") from error


def load_app(path: Path = APP_FILE) -> Any:
    """The App object of shiny/app.py, loaded by path: that folder is not a package (it would shadow Shiny)."""
    spec = importlib.util.spec_from_file_location("clickstream_dashboard_app", path)
    if spec is None or spec.loader is None:
        raise DashboardConfigurationError(f"cannot load the dashboard app from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.app


def serve_dashboard(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the dashboard until interrupted (blocking)."""
    import uvicorn

    check_settings()
    uvicorn.run(load_app(), host=host, port=port, log_level="info")
