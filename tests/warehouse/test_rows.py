"""one_row: the row a single-row query returns, and an error naming the query when there is none."""

from __future__ import annotations

import psycopg2
import pytest

from local_only.postgres import Connection
from warehouse.rows import NoRow, one_row

pytestmark = pytest.mark.integration


def test_one_row_is_the_querys_row_and_no_row_is_an_error(warehouse: Connection) -> None:
    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute("select 1, 'two'")
            assert one_row(cursor) == (1, "two")

            cursor.execute("select 1 where false")
            with pytest.raises(NoRow, match="where false"):
                one_row(cursor)
    finally:
        conn.close()
