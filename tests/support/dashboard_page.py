"""The dashboard as the browser tests drive it: open it, wait until Shiny is idle, pick a period, and read the
marts straight (as the admin) for the numbers it must show. Its `page` and `marts` fixtures are in
tests/dashboard/conftest.py."""

from __future__ import annotations

from typing import Any

import psycopg2

from dashboard.periods import Period, describe
from local_only.roles import RoleWarehouse
from warehouse.rows import one_row


class Marts:
    """The marts read directly, as the admin: the numbers the dashboard must show."""

    def __init__(self, built: RoleWarehouse) -> None:
        self.conn = psycopg2.connect(built.admin.dsn())
        self.conn.autocommit = True

    def row(self, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return one_row(cursor)

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchall())

    def close(self) -> None:
        self.conn.close()


def open_dashboard(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.Shiny && window.Shiny.initializedPromise")
    page.evaluate("() => window.Shiny.initializedPromise")


def wait_idle(page: Any) -> None:
    """Until the server is idle and no output of the page in view is recalculating (Shiny's classes for both)."""
    page.wait_for_function(
        "() => !document.documentElement.classList.contains('shiny-busy')"
        " && document.querySelectorAll('.tab-pane.active .recalculating').length === 0"
    )


def choose(page: Any, preset: str, compare: str, current: Period, compared: Period | None) -> None:
    """Pick the period and the comparison; return once Overview says it shows them."""
    page.select_option("#preset", preset)
    page.select_option("#compare", compare)
    against = "compared with nothing" if compared is None else f"vs {describe(compared)}"
    page.wait_for_function(
        "([shown, against]) => document.querySelector('[data-period=current]')?.innerText === shown"
        " && document.querySelector('[data-period=comparison]')?.innerText === against",
        arg=[describe(current), against],
    )
    wait_idle(page)
