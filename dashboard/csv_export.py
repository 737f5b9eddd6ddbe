"""Rows as CSV for the pages' "Download CSV" controls: the loader's values at full precision under plain column
names, and safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and tab or carriage return
start one in some), so a page path or a campaign a visitor made up could run as one on the owner's machine (CSV
injection, OWASP): such a text cell is written with a leading ``'``, which spreadsheets show as text. Numbers are
never prefixed: a negative number is a number, not a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dashboard.filters import Filters

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV without a byte order mark as the machine's code page: "São Paulo" would come out garbled.
BYTE_ORDER_MARK = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"


def cell(value: Any) -> str:
    """One value as CSV text: empty for none, ISO 8601 for times, every digit of a number, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        # Sums arrive as floats (numeric): a count of 3958 reads "3958", not "3958.0". Otherwise the shortest text
        # that reads back as the same float: no digit lost, none made up.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str], currency: str | None = None) -> str:
    """`rows` as CSV text (RFC 4180: CRLF, quoted where needed): one column per key of `columns`, headed by its
    value, in that order; a key a row lacks is an empty cell. With `currency`, a last column "currency" says what
    the money columns are in (a number alone does not)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(title) for title in columns.values()] + (["currency"] if currency else []))
    for row in rows:
        writer.writerow([cell(row.get(key)) for key in columns] + ([cell(currency)] if currency else []))
    return buffer.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "none"


def csv_filename(name: str, filters: Filters) -> str:
    """`name` with the period and the slice it holds: acquisition-channels_2025-03-03_2025-03-09_mobile.csv."""
    parts = [_slug(name), filters.start.isoformat(), filters.end.isoformat()]
    if filters.end_before_hour is not None:
        parts.append(f"until-{filters.end_before_hour:02d}h")
    parts += [_slug(value) for value in (filters.device_type, filters.channel) if value]
    return "_".join(parts) + ".csv"


def columns_of(rows: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> dict[str, str]:
    """Every key of the rows (the first row's order, then any other's), headed by `names` where it names the key
    and by the key itself elsewhere; the keys of `names` first, so rows without any still get a header."""
    columns = dict(names)
    for row in rows:
        columns.update((key, key) for key in row if key not in columns)
    return columns
