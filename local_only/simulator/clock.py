"""Simulated time: integer epoch milliseconds throughout, formatted the way browsers and API Gateway print them.

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
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


@lru_cache(maxsize=4096)
def _clf_day(day_number: int) -> str:
    day = _EPOCH + timedelta(days=day_number)
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year}:"


def request_time(epoch_ms: int) -> str:
    """``07/Mar/2025:21:04:05 +0000``, API Gateway's ``requestContext.time``."""
    day_number, rest = divmod(epoch_ms, DAY_MS)
    hours, rest = divmod(rest, HOUR_MS)
    minutes, rest = divmod(rest, MINUTE_MS)
    return f"{_clf_day(day_number)}{hours:02d}:{minutes:02d}:{rest // SECOND_MS:02d} +0000"


def utc_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)
