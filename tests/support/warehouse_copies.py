"""Two copies of the warehouse's models in one database, and what tells them apart: the incremental copy (the
plain schemas) against a `--full-refresh` copy built beside it (`schema_prefix: fr_`). Shared by the tests that
prove incremental builds, killed or not, give what a full refresh gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg2
from psycopg2 import sql

from local_only.postgres import Connection
from warehouse.connection import WarehouseSettings

SCHEMAS = ("staging", "intermediate", "marts")
FULL_REFRESH_PREFIX = "fr_"
# Build bookkeeping, not data: the moment a row was staged differs between any two builds by construction.
BUILD_TIME_COLUMNS = frozenset({"staged_at"})
# The work lists of the last build: the incremental copy holds what the last hour touched, the full refresh
# everything from the beginning; and the last completed build's id. They are compared in neither direction.
PER_BUILD_TABLES = frozenset(
    {"int_visitors_touched", "int_periods_touched", "int_users_touched", "int_orders_touched", "int_build_completed"}
)


class Warehouse:
    """The test's database seen by the admin user: questions about both copies."""

    def __init__(self, target: Connection) -> None:
        self.conn = psycopg2.connect(target.dsn())
        self.conn.autocommit = True

    def rows(self, query: str | sql.Composable, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def scalar(self, query: str | sql.Composable, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(query, params)[0][0]

    def xid(self) -> int:
        """A transaction id from before a build: rows the build writes or updates get a later xmin."""
        return self.scalar("select txid_current() %% 4294967296")

    def written_since(self, relation: str, xid: int) -> tuple[int, int]:
        query = sql.SQL("select count(*) filter (where xmin::text::bigint > %s), count(*) from {}").format(
            sql.Identifier(*relation.split("."))
        )
        written, total = self.rows(query, (xid,))[0]
        return written, total

    def oids(self, relations: list[str]) -> dict[str, int]:
        return {name: self.scalar("select %s::regclass::oid", (name,)) for name in relations}

    def relations(self, schema: str) -> set[str]:
        found = self.rows("select table_name from information_schema.tables where table_schema = %s", (schema,))
        return {name for (name,) in found}

    def columns(self, schema: str, table: str) -> list[str]:
        found = self.rows(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
            "order by ordinal_position",
            (schema, table),
        )
        return [name for (name,) in found]

    def difference(self, schema: str, table: str, columns: list[str]) -> tuple[int, int, list[str]]:
        """Rows only in the incremental copy, rows only in the full refresh (as multisets), and a sample."""
        selected = sql.SQL(", ").join(sql.Identifier(column) for column in columns)

        def side(first: str, second: str) -> sql.Composable:
            return sql.SQL("select {cols} from {a} except all select {cols} from {b}").format(
                cols=selected,
                a=sql.Identifier(first, table),
                b=sql.Identifier(second, table),
            )

        incremental, full = schema, FULL_REFRESH_PREFIX + schema
        only_incremental = self.rows(side(incremental, full))
        only_full = self.rows(side(full, incremental))
        sample = [f"incremental only: {row}"[:500] for row in only_incremental[:3]]
        sample += [f"full refresh only: {row}"[:500] for row in only_full[:3]]
        return len(only_incremental), len(only_full), sample

    def close(self) -> None:
        self.conn.close()


def loader_run(store_url: str, loader: WarehouseSettings, event: dict[str, str]) -> int:
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_from_event
    from raw_store import open_store

    settings = LoaderSettings(raw_store_url=store_url, compact=False, lock_timeout_seconds=60)
    now = datetime.now(UTC)
    summary = run_load(
        plan_from_event(event, now, settings.lookback_hours), open_store(store_url), settings, loader, now=now
    )
    assert summary.status == "succeeded", summary.problems
    return summary.rows


def assert_copies_equal(dw: Warehouse) -> list[str]:
    """Every relation of the incremental copy equals its full-refresh twin, row for row (as multisets)."""
    compared = []
    problems = []
    for schema in SCHEMAS:
        incremental, full = dw.relations(schema), dw.relations(FULL_REFRESH_PREFIX + schema)
        assert incremental == full, f"{schema}: the copies hold different relations"
        for table in sorted(incremental - PER_BUILD_TABLES):
            columns = dw.columns(schema, table)
            assert columns == dw.columns(FULL_REFRESH_PREFIX + schema, table), f"{schema}.{table}: columns differ"
            compared_columns = [column for column in columns if column not in BUILD_TIME_COLUMNS]
            only_incremental, only_full, sample = dw.difference(schema, table, compared_columns)
            if only_incremental or only_full:
                problems.append(
                    f"{schema}.{table}: {only_incremental} rows only in the incremental copy, {only_full} only in "
                    f"the full refresh; e.g. (columns {compared_columns}):\n  " + "\n  ".join(sample)
                )
            compared.append(f"{schema}.{table}")
    assert not problems, "\n".join(problems)
    return compared
