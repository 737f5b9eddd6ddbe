"""Simulated time: integer epoch milliseconds throughout, formatted the way browsers print them.

API Gateway's own format is ``local_only.api_gateway.request_time``.

Formatting runs once or twice per generated event, so it avoids ``datetime`` and caches each day's date part.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
_EPOCH = date(1970, 1, 1)


def day_start_ms(day: date) -> int:
    return (day - _EPOCH).days * DAY_MS


@lru_cache(maxsize=4096)
def _iso_day(day_number: int) -> str:
    return f"{_EPOCH + timedelta(days=day_number):%Y-%m-%d}T"


def iso_ms(epoch_ms: int) -> str:
    """``2025-03-07T21:04:05.123Z``, what ``new Date().toISOString()`` gives."""
    day_number, rest = divmod(epoch_ms, DAY_MS)
    hours, rest = divmod(rest, HOUR_MS)
    minutes, rest = divmod(rest, MINUTE_MS)
    seconds, millis = divmod(rest, SECOND_MS)
    return f"{_iso_day(day_number)}{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def utc_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)
