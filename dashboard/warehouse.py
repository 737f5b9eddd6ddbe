"""The dashboard's one way into the warehouse: a pool of read-only connections, a result cache, error translation.

SQL is parameterised throughout: values travel as psycopg2 parameters, and the few identifiers that vary (the
column a funnel is split by) come from a fixed list through ``psycopg2.sql``. Connections come from a small pool,
read-only with a statement timeout, and results are cached per query and parameters for a short while (the marts
change once an hour), so several sessions looking at the same range cost one query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.pool
from cachetools import TTLCache
from psycopg2 import sql

from dashboard.settings import DashboardSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable

Row = dict[str, Any]


class MartsMissing(RuntimeError):
    """The warehouse answers but the marts are not built yet."""


class Warehouse:
    """The dashboard's connection to the warehouse: a pool, a result cache, and error translation."""

    def __init__(self, connection: WarehouseSettings, settings: DashboardSettings) -> None:
        self.connection = connection
        self.settings = settings
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._cache: TTLCache[tuple[Any, ...], tuple[Mapping[str, Any], ...]] | None = (
            TTLCache(maxsize=settings.cache_max_entries, ttl=settings.cache_ttl_seconds)
            if settings.cache_ttl_seconds > 0
            else None
        )
        self._cache_lock = threading.Lock()
        self.queries_run = 0

    def _where(self) -> str:
        return f"{self.connection.host}:{self.connection.port}/{self.connection.database}"

    def _pool_or_new(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._pool_lock:
            if self._pool is None:
                kwargs = self.connection.connect_kwargs()
                kwargs["application_name"] = "clickstream-dashboard"
                # Read-only and bounded: a dashboard query must never write nor hold the server for long. JIT off:
                # compiling took longer than it saved on these sub-second scans (docs/benchmarks.md).
                kwargs["options"] = (
                    "-c default_transaction_read_only=on -c statement_timeout=30000 -c jit=off"
                    f" -c work_mem={self.settings.work_mem_mb}MB"
                )
                # minconn 0: creating the pool never connects, so a warehouse that is down fails the first query.
                self._pool = psycopg2.pool.ThreadedConnectionPool(0, self.settings.pool_max_connections, **kwargs)
            return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg2.extensions.connection]:
        try:
            pool = self._pool_or_new()
            conn = pool.getconn()
        except psycopg2.OperationalError as error:
            raise WarehouseUnreachable(
                f"The warehouse at {self._where()} is not answering: {_first_line(error)}"
            ) from error
        except psycopg2.pool.PoolError as error:
            raise WarehouseUnreachable(f"The warehouse is busy: {error}") from error
        broken = False
        try:
            conn.autocommit = True
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            broken = True
            raise WarehouseUnreachable(
                f"The warehouse at {self._where()} stopped answering: {_first_line(error)}"
            ) from error
        finally:
            pool.putconn(conn, close=broken or conn.closed != 0)

    def fetch(self, name: str, query: sql.Composable | str, params: Mapping[str, Any]) -> list[Row]:
        """Rows of `query` as dicts of their own: the caller may change them, the cache keeps its rows.

        The same query text (with its identifiers: a funnel split by channel is another query than one by device
        type) and the same `params` within the TTL answer from the cache; `name` says which query it is in the key.
        """
        key = (name, query if isinstance(query, str) else repr(query), tuple(sorted(params.items())))
        if self._cache is not None:
            with self._cache_lock:
                cached = self._cache.get(key)
            if cached is not None:
                return [dict(row) for row in cached]
        rows = self._run(query, params)
        if self._cache is not None:
            # Read-only rows (arrays arrive as tuples): a page that changed one would change every later answer.
            frozen = tuple(MappingProxyType(row) for row in rows)
            with self._cache_lock:
                self._cache[key] = frozen
            return [dict(row) for row in frozen]
        return rows

    def _run(self, query: sql.Composable | str, params: Mapping[str, Any]) -> list[Row]:
        with self._connection() as conn, conn.cursor() as cursor:
            try:
                cursor.execute(query, params)
            except psycopg2.errors.UndefinedTable as error:
                raise MartsMissing(_first_line(error)) from error
            except psycopg2.errors.InsufficientPrivilege as error:
                raise WarehouseUnreachable(
                    f"The dashboard's database user {self.connection.user!r} may not read this: "
                    f"{_first_line(error)}. It should be the dashboard role, and dbt should build as transformer."
                ) from error
            self.queries_run += 1
            names = [column.name for column in cursor.description or ()]  # None only for a statement without rows
            return [dict(zip(names, (_plain(value) for value in row), strict=True)) for row in cursor.fetchall()]

    def clear_cache(self) -> None:
        if self._cache is not None:
            with self._cache_lock:
                self._cache.clear()

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _plain(value: Any) -> Any:
    # numeric arrives as Decimal; the pages format and plot floats. Arrays as tuples: a cached row stays as it was.
    if isinstance(value, Decimal):
        return float(value)
    return tuple(value) if isinstance(value, list) else value
