"""`Writers`: groups spread over the run's connections, each counted once, and nothing in flight forgotten."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from loader_lambda.ledger import Group
from loader_lambda.lines import ParsedObject
from loader_lambda.loader import Writers

pytestmark = pytest.mark.unit

HOUR = datetime(2025, 12, 6, 5, tzinfo=UTC)


class FakeLedger:
    """Records which groups it committed; a group named in `fail` raises, as a lost connection would."""

    def __init__(self, name: str, fail: frozenset[str] = frozenset(), delay: float = 0.005) -> None:
        self.name = name
        self.fail = fail
        self.delay = delay
        self.committed: list[str] = []
        self.busy = threading.Lock()

    def commit_group(
        self, group: Group, run_id: Any, source: str, hour: datetime, resolves: list[str] | None = None
    ) -> None:
        # One group at a time per connection, as libpq demands: a second caller here is a bug in Writers.
        assert self.busy.acquire(blocking=False), f"{self.name} was given two groups at once"
        try:
            time.sleep(self.delay)
            key = group.objects[0].key
            if key in self.fail:
                raise ConnectionError(f"{self.name} lost its connection in {key}")
            self.committed.append(key)
        finally:
            self.busy.release()


def group(n: int) -> Group:
    parsed = ParsedObject(key=f"events/k-{n:03d}", etag="e", size=1, lines=1, copy_rows=[b"row"], rows=1)
    return Group.of([parsed])


def test_groups_spread_over_every_connection_and_are_each_reported_once() -> None:
    ledgers = [FakeLedger(f"w{i}") for i in range(3)]
    landed: list[str] = []

    with Writers(ledgers) as writers:  # type: ignore[arg-type]
        writers.land_all(
            (group(n) for n in range(30)), HOUR, "events", "run", lambda g: landed.append(g.objects[0].key)
        )

    committed = [key for ledger in ledgers for key in ledger.committed]
    assert sorted(committed) == sorted(landed) == [f"events/k-{n:03d}" for n in range(30)]
    assert all(ledger.committed for ledger in ledgers)  # every connection carried some of the load


def test_a_failed_group_raises_after_the_groups_in_flight_are_reported() -> None:
    # Group 4 fails whichever connection carries it.
    ledgers = [FakeLedger(f"w{i}", fail=frozenset({"events/k-004"})) for i in range(3)]
    landed: list[str] = []

    with pytest.raises(ConnectionError, match="k-004"), Writers(ledgers) as writers:  # type: ignore[arg-type]
        writers.land_all(
            (group(n) for n in range(30)), HOUR, "events", "run", lambda g: landed.append(g.objects[0].key)
        )

    committed = sorted(key for ledger in ledgers for key in ledger.committed)
    # What committed is exactly what the run counts, however the failure interleaved with the other writers.
    assert sorted(landed) == committed
    assert "events/k-004" not in committed
    assert len(committed) < 30  # the run stopped: no group was handed out after the failure was seen
