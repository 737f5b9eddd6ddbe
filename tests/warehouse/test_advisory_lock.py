"""The commands' advisory locks (warehouse/advisory_lock.py) between real PostgreSQL sessions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg2
import psycopg2.extensions
import pytest

from local_only.postgres import Connection
from warehouse.advisory_lock import BUILD_LOCK, EXTRACT_LOCK, MIGRATION_LOCK, AdvisoryLock
from warehouse.rows import one_row

pytestmark = pytest.mark.integration
Session = Callable[[], psycopg2.extensions.connection]


@pytest.fixture
def session(warehouse: Connection) -> Iterator[Session]:
    """Opens autocommit sessions on the test's database; closes them all at the end."""
    opened: list[psycopg2.extensions.connection] = []

    def open_one() -> psycopg2.extensions.connection:
        conn = psycopg2.connect(warehouse.dsn())
        conn.autocommit = True
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        conn.close()


def _setting(conn: psycopg2.extensions.connection, name: str) -> str:
    with conn.cursor() as cursor:
        cursor.execute("select current_setting(%s)", (name,))
        return str(one_row(cursor)[0])


def test_each_command_has_its_own_key() -> None:
    keys = [BUILD_LOCK.key, EXTRACT_LOCK.key, MIGRATION_LOCK.key]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("lock", [BUILD_LOCK, EXTRACT_LOCK], ids=["build", "extract"])
def test_a_second_session_waits_its_timeout_then_gets_it_once_released(lock: AdvisoryLock, session: Session) -> None:
    first, second = session(), session()
    assert lock.acquire(first, 0)

    started = time.perf_counter()
    assert not lock.acquire(second, 0.5)
    waited = time.perf_counter() - started
    assert 0.4 <= waited < 10
    assert not lock.acquire(second, 0)
    # The bounded wait leaves the session as it found it: no lock_timeout for what it runs next.
    assert _setting(second, "lock_timeout") == "0"

    lock.release(first)
    assert lock.acquire(second, 0.5)
    assert not lock.acquire(first, 0)


def test_the_holder_is_named_while_held_and_said_released_after(session: Session) -> None:
    holder, asker = session(), session()
    assert BUILD_LOCK.acquire(holder, 0)

    described = BUILD_LOCK.holder(asker)
    assert described.startswith(f"backend pid {holder.get_backend_pid()}, user ")
    assert "connected since" in described
    # Another key is not this lock's holder.
    assert EXTRACT_LOCK.holder(asker) == "it has been released since"

    BUILD_LOCK.release(holder)
    assert BUILD_LOCK.holder(asker) == "it has been released since"


def test_a_closed_session_leaves_the_lock_free(session: Session) -> None:
    """A run that dies takes its lock with it: the server ends the session and releases it."""
    dying, next_run = session(), session()
    assert EXTRACT_LOCK.acquire(dying, 0)
    dying.close()
    assert EXTRACT_LOCK.acquire(next_run, 5)
