"""The build lock: a session-level PostgreSQL advisory lock, so two ``dbt build`` runs never overlap.

Held on a connection of its own for the whole build; if the process dies the server ends the session and the lock
goes with it, so a crashed build never blocks the next one for longer than TCP keepalives take to notice.
"""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from warehouse.rows import one_row

# "clkt": one key for every transform of this warehouse (the migrator's is "clks").
BUILD_LOCK_KEY = 0x636C6B74


class LockTimeout(RuntimeError):
    """Another build held the lock for longer than this one was willing to wait."""


def acquire_build_lock(conn: psycopg2.extensions.connection, timeout_seconds: float) -> None:
    """Wait at most `timeout_seconds` for the lock (0: do not wait); raise LockTimeout with who holds it."""
    conn.autocommit = True
    with conn.cursor() as cursor:
        if timeout_seconds <= 0:
            cursor.execute("select pg_try_advisory_lock(%s)", (BUILD_LOCK_KEY,))
            if one_row(cursor)[0]:
                return
        else:
            # lock_timeout bounds the wait inside the server; 0 would mean "wait forever", hence the branch above.
            wait = f"{max(1, round(timeout_seconds * 1000))}ms"
            cursor.execute("select set_config('lock_timeout', %s, false)", (wait,))
            try:
                cursor.execute("select pg_advisory_lock(%s)", (BUILD_LOCK_KEY,))
                return
            except psycopg2.errors.LockNotAvailable:
                pass
            finally:
                cursor.execute("select set_config('lock_timeout', '0', false)")
        raise LockTimeout(
            f"another transform holds the build lock ({lock_holder(conn)}); gave up after waiting "
            f"{timeout_seconds:g} s (TRANSFORM_LOCK_TIMEOUT_SECONDS or --lock-timeout)"
        )


def release_build_lock(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute("select pg_advisory_unlock(%s)", (BUILD_LOCK_KEY,))


def lock_holder(conn: psycopg2.extensions.connection) -> str:
    """Who holds the lock, as far as this role may see: backend pid, client, and since when."""
    with conn.cursor() as cursor:
        cursor.execute(
            """
            select activity.pid, activity.usename, activity.client_addr, activity.backend_start
            from pg_locks as locks
            left join pg_stat_activity as activity on activity.pid = locks.pid
            where locks.locktype = 'advisory' and locks.granted and locks.database = (
                select oid from pg_database where datname = current_database()
            ) and locks.objid = %s and locks.classid = 0
            """,
            (BUILD_LOCK_KEY,),
        )
        row = cursor.fetchone()
    if row is None:
        return "it has been released since"
    pid, user, client, since = row
    connected = f", connected since {since:%Y-%m-%d %H:%M:%S %Z}" if since else ""
    return f"backend pid {pid}, user {user or '?'}, client {client or 'local socket'}{connected}"
