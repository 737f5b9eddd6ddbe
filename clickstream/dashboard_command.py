"""``clickstream dashboard``: the click command over :mod:`dashboard.server`."""

from __future__ import annotations

import click

from dashboard.server import DEFAULT_HOST, DEFAULT_PORT, DashboardConfigurationError, check_settings, serve_dashboard


@click.command("dashboard")
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Interface to listen on; 0.0.0.0 exposes the dashboard on every interface.",
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
def dashboard_command(host: str, port: int) -> None:
    """Serve the shop owner's dashboard, reading the marts as DW_PG_USER (the dashboard role)."""
    try:
        check_settings()
    except DashboardConfigurationError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
    serve_dashboard(host, port)
