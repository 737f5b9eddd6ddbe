"""The "Download CSV" control of a card: a button in its header, and the download that serves the card's rows.

The download reads the page's own reactive data (the loader's rows for the filters on screen, from the same cache),
so the file holds what the card shows, at full precision (dashboard/csv_export.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from shiny import render, ui

from dashboard.csv_export import BYTE_ORDER_MARK, MEDIA_TYPE, csv_filename, to_csv
from dashboard.filters import Filters
from dashboard.pages.loading import Problem

T = TypeVar("T")
LABEL = "Download CSV"


def download_control(download_id: str) -> ui.Tag:
    return ui.download_button(download_id, LABEL, class_="btn-sm btn-outline-secondary py-0 text-nowrap")


def card_header(title: ui.TagChild, download_id: str) -> ui.CardItem:
    """A card's header: its title, and on the right the control that downloads the card's rows."""
    return ui.card_header(
        ui.span(title), download_control(download_id), class_="d-flex justify-content-between align-items-center gap-2"
    )


def csv_file(loaded: T | Problem, table: Callable[[T], str]) -> str:
    """The file's text: `table` of the page's data, or a one-column file saying why there is none."""
    if isinstance(loaded, Problem):
        return BYTE_ORDER_MARK + to_csv([{"problem": loaded.message}], {"problem": "problem"})
    return BYTE_ORDER_MARK + table(loaded)


def csv_download(
    download_id: str,
    name: str,
    filters: Callable[[], Filters],
    data: Callable[[], T | Problem],
    table: Callable[[T], str],
) -> None:
    """Serve `download_id` (in the page module's server) as `table` of the page's data, named `name` and the
    filters. A warehouse that cannot answer gives a file saying so, never an error page."""

    def download() -> Iterator[str]:
        yield csv_file(data(), table)

    # The output's id is the function's name (as with when_loaded's functions).
    download.__name__ = download.__qualname__ = download_id
    render.download(filename=lambda: csv_filename(name, filters()), media_type=MEDIA_TYPE)(download)
