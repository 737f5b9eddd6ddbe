"""The README's screenshot, docs/img/dashboard-overview.png: the Overview page as `make demo` serves it, at
1280x1380 (the KPIs and both trends under them), taken by Debian's chromium (playwright) from the demo's warehouse.

    make demo DEMO_ARGS=--no-dashboard                     # the demo's data in .data/ (reused when there)
    .venv/bin/python -m local_only.readme_screenshot       # serves the dashboard on a free port, shoots, stops

The dashboard runs as the `dashboard` role with its production settings and the real clock, so the picture is
the default range (the last seven complete days) of the data the demo made. PNG, refused over 300 KB: the README
is read on GitHub and in every clone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from local_only.dashboard_process import serving
from local_only.paths import data_dir

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "img" / "dashboard-overview.png"
CHROMIUM = Path("/usr/bin/chromium")
MAX_BYTES = 300_000
# What shows the page drawn with data: the KPIs and both charts.
EVIDENCE = ("[data-kpi=revenue]", "#chart-overview-daily .main-svg", "#chart-overview-hourly .main-svg")


def dashboard_env(env_file: Path) -> dict[str, str]:
    """The demo's warehouse (warehouse.env names the transformer) as the dashboard role, default settings."""
    values = {}
    for line in env_file.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name.strip()] = value.strip()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DASHBOARD_", "DW_"))}
    env.update({name: values[name] for name in ("DW_PG_HOST", "DW_PG_PORT", "DW_PG_DATABASE")})
    env.update({"DW_PG_USER": "dashboard", "DW_PG_PASSWORD": values["DW_DASHBOARD_PASSWORD"]})
    return env


def shoot(url: str, target: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1380})
            page.goto(url)
            for selector in EVIDENCE:
                page.locator(selector).first.wait_for(state="visible", timeout=60_000)
            page.wait_for_function(
                "() => !document.documentElement.classList.contains('shiny-busy')"
                " && document.querySelectorAll('.tab-pane.active .recalculating').length === 0"
            )
            page.screenshot(path=str(target))
        finally:
            browser.close()


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=TARGET, show_default=True)
def main(out: Path) -> None:
    env_file = data_dir() / "warehouse.env"
    if not env_file.exists():
        raise click.ClickException(f"{env_file} is missing: run `make demo DEMO_ARGS=--no-dashboard` first")
    with (
        tempfile.TemporaryDirectory(prefix="readme-screenshot-") as work,
        serving(dashboard_env(env_file), Path(work) / "dashboard.log") as url,
    ):
        shoot(url, out)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise click.ClickException(f"{out} is {size:,} bytes, over {MAX_BYTES:,}: the README would carry it")
    click.echo(f"{out}: {size:,} bytes")


if __name__ == "__main__":
    main()
