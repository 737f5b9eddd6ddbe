"""The extract lock: a session-level advisory lock on the warehouse, so two extracts never run at once.

Two at once would share dlt's working directory and race on raw_shop's merge; the second waits for the first
instead. If a holder dies, the server ends its session and the lock goes with it.
"""

from __future__ import annotations

import psycopg2.errors
import psycopg2.extensions

from warehouse.rows import one_row

# "clkx": the shop extract's key (the transform's is "clkt", the migrator's "clks").
EXTRACT_LOCK_KEY = 0x636C6B78


def acquire_extract_lock(conn: psycopg2.extensions.connection, timeout_seconds: float) -> bool:
    """Wait at most `timeout_seconds` (0: do not wait) for the lock on an autocommit connection; False if not had."""
    with conn.cursor() as cursor:
        if timeout_seconds <= 0:
            cursor.execute("select pg_try_advisory_lock(%s)", (EXTRACT_LOCK_KEY,))
            return bool(one_row(cursor)[0])
        cursor.execute("select set_config('lock_timeout', %s, false)", (f"{max(1, round(timeout_seconds * 1000))}ms",))
        try:
            cursor.execute("select pg_advisory_lock(%s)", (EXTRACT_LOCK_KEY,))
            return True
        except psycopg2.errors.LockNotAvailable:
            return False
        finally:
            cursor.execute("select set_config('lock_timeout', '0', false)")


def release_extract_lock(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute("select pg_advisory_unlock(%s)", (EXTRACT_LOCK_KEY,))
