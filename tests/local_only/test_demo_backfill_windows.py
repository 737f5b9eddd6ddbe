"""The demo loads a long history in backfills the loader accepts: `--days 96` is 2,300 hours, the loader takes
at most 62 days in one."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest

from loader_lambda.window import MAX_BACKFILL_HOURS, LoaderInputError, plan_backfill
from local_only.demo import backfill_windows

pytestmark = pytest.mark.unit

FIRST = datetime(2026, 8, 29, tzinfo=UTC)


@pytest.mark.parametrize("hours", [1, MAX_BACKFILL_HOURS, MAX_BACKFILL_HOURS + 1, 96 * 24 + 6, 3 * MAX_BACKFILL_HOURS])
def test_every_hour_once_in_windows_the_loader_accepts(hours: int) -> None:
    last = FIRST + timedelta(hours=hours - 1)
    with pytest.raises(LoaderInputError) if hours > MAX_BACKFILL_HOURS else nullcontext():
        plan_backfill(FIRST, last)
    planned = [hour for first, end in backfill_windows(FIRST, last) for hour in plan_backfill(first, end).hours]
    assert planned == [FIRST + timedelta(hours=offset) for offset in range(hours)]
    assert len(backfill_windows(FIRST, last)) == -(-hours // MAX_BACKFILL_HOURS)


def test_nothing_to_load_is_no_window() -> None:
    assert backfill_windows(FIRST, FIRST - timedelta(hours=1)) == []
