"""A table the owner sorts by clicking a column's header, its cells formatted (separators, percentages) and sorted
by the numbers behind them (each cell's `data-value`), in the browser: no round trip to the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from htmltools import HTML, Tag, TagChild, tags

# Once per page (the flag keeps a table drawn again from adding a second listener). Numbers sort as numbers, an
# empty value ("no value") last either way; a first click sorts highest first, the next lowest first.
_SORTING = HTML(
    """
if (!window.sortableTables) {
  window.sortableTables = true;
  document.addEventListener("click", (event) => {
    const header = event.target.closest("table.sortable-table th[data-sort]");
    if (!header) return;
    const table = header.closest("table");
    const column = Array.from(header.parentNode.children).indexOf(header);
    const descending = header.getAttribute("aria-sort") !== "descending";
    table.querySelectorAll("th[data-sort]").forEach((th) => th.removeAttribute("aria-sort"));
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const body = table.tBodies[0];
    const value = (row) => row.children[column].dataset.value;
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = value(a), y = value(b);
      if (x === "" || y === "") return (x === "") - (y === "");
      const order = isNaN(x) || isNaN(y) ? x.localeCompare(y) : Number(x) - Number(y);
      return descending ? -order : order;
    });
    rows.forEach((row) => body.appendChild(row));
  });
}
"""
)


@dataclass(frozen=True)
class Cell:
    """What a cell shows, and what it sorts by (None: no value, sorted last)."""

    shown: TagChild
    value: float | str | None


def sortable_table(name: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]], **attributes: Any) -> Tag:
    """`name` becomes `data-table` (the browser tests find the table by it)."""
    head = tags.tr(*(tags.th(title, data_sort="", role="button", title="Sort") for title in headers))
    body = [
        tags.tr(*(tags.td(cell.shown, data_value="" if cell.value is None else str(cell.value)) for cell in row))
        for row in rows
    ]
    return tags.div(
        tags.table(
            tags.thead(head),
            tags.tbody(*body),
            class_="table table-sm sortable-table",
            data_table=name,
            **attributes,
        ),
        tags.script(_SORTING),
        style="max-height: 420px; overflow: auto",
    )
