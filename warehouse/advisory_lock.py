"""Session-level PostgreSQL advisory locks that keep two runs of one command apart (two builds, two shop extracts).

Held on a connection of its own for the whole run; if the process dies the server ends the session and the lock goes
with it, so a crashed run never blocks the next one for longer than TCP keepalives take to notice.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg2.errors
import psycopg2.extensions

from warehouse.rows import one_row


@dataclass(frozen=True)
class AdvisoryLock:
    key: int

    def acquire(self, conn: psycopg2.extensions.connection, timeout_seconds: float) -> bool:
        """Wait at most `timeout_seconds` (0: do not wait) on an autocommit connection; False if not had."""
        with conn.cursor() as cursor:
            if timeout_seconds <= 0:
                cursor.execute("select pg_try_advisory_lock(%s)", (self.key,))
                return bool(one_row(cursor)[0])
            # lock_timeout bounds the wait inside the server; 0 would mean "wait forever", hence the branch above.
            wait = f"{max(1, round(timeout_seconds * 1000))}ms"
            cursor.execute("select set_config('lock_timeout', %s, false)", (wait,))
            try:
                cursor.execute("select pg_advisory_lock(%s)", (self.key,))
                return True
            except psycopg2.errors.LockNotAvailable:
                return False
            finally:
                cursor.execute("select set_config('lock_timeout', '0', false)")

    def release(self, conn: psycopg2.extensions.connection) -> None:
        with conn.cursor() as cursor:
            cursor.execute("select pg_advisory_unlock(%s)", (self.key,))

    def holder(self, conn: psycopg2.extensions.connection) -> str:
        """Who holds the lock, as far as this role may see: backend pid, client, and since when."""
        with conn.cursor() as cursor:
            # A bigint key is stored as classid (high 32 bits, 0 for these keys) and objid (low 32 bits).
            cursor.execute(
                """
                select activity.pid, activity.usename, activity.client_addr, activity.backend_start
                from pg_locks as locks
                left join pg_stat_activity as activity on activity.pid = locks.pid
                where locks.locktype = 'advisory' and locks.granted and locks.database = (
                    select oid from pg_database where datname = current_database()
                ) and locks.objid = %s and locks.classid = 0
                """,
                (self.key,),
            )
            row = cursor.fetchone()
        if row is None:
            return "it has been released since"
        pid, user, client, since = row
        connected = f", connected since {since:%Y-%m-%d %H:%M:%S %Z}" if since else ""
        return f"backend pid {pid}, user {user or '?'}, client {client or 'local socket'}{connected}"


# Every key in one place, so no two commands share one by mistake (ASCII of a short name).
BUILD_LOCK = AdvisoryLock(0x636C6B74)  # "clkt": one for every transform (dbt build) of this warehouse
EXTRACT_LOCK = AdvisoryLock(0x636C6B78)  # "clkx": the shop extract (dlt's working directory, raw_shop's merge)
MIGRATION_LOCK = AdvisoryLock(0x636C6B73)  # "clks": every migrator (warehouse/migrate.py takes it in a transaction)
