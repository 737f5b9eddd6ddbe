"""Reading the one row a query always returns (``select count(*)``, ``select pg_try_advisory_lock(...)``).

psycopg2's ``fetchone()`` answers None when there is no row; for these queries that would be a bug in the query,
so it is an error here rather than a None to check at every call.
"""

from __future__ import annotations

from typing import Any

import psycopg2.extensions


class NoRow(RuntimeError):
    pass


def one_row(cursor: psycopg2.extensions.cursor) -> tuple[Any, ...]:
    """The next row of the query `cursor` last executed, which must have one."""
    row = cursor.fetchone()
    if row is None:
        raise NoRow(f"the query returned no row: {cursor.query!r}")
    return row
