"""The one format every stored time has, ``receivedAt`` first: what the ingest writes and the loader reads.

``2025-12-06T05:12:34.567Z``: UTC, millisecond precision, 24 characters (what ``Date.toISOString()`` gives). The
dbt project reads the same values (its ``json_timestamp`` macro, dbt_project/macros/cross_db/json.sql, accepts this
format among the ISO-8601 forms); tests/raw_store/test_times.py checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

RECEIVED_AT_FIELD = "receivedAt"
STORED_TIME_LENGTH = 24
# The format as a regular expression (Python's and PostgreSQL's alike).
STORED_TIME_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
# Anything longer than this is not a time worth parsing (ISO-8601 with microseconds and an offset is 32).
_MAX_TIME_TEXT = 40


def format_time(moment: datetime) -> str:
    """`moment` in the stored format (converted to UTC)."""
    # isoformat is implemented in C; strftime costs several times more on the ingest's hot path.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def format_epoch_ms(epoch_ms: int) -> str:
    """Epoch milliseconds in the stored format: ``format_time`` of the moment they name, without a datetime.

    Trackers that send times as ``Date.now()`` (Snowplow, AWS Clickstream) put a few per event, and a batch's
    events share their seconds: each second's text is made once (a bounded cache), the milliseconds added to it."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_second_text(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=512)
def _second_text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")[:-6]


def has_stored_shape(value: str | bytes) -> bool:
    """Whether `value` is laid out as a stored time (length and separators; the digits are not checked).

    Cheap enough to run on every line: a value already known to be a time (a parsed client time) or one a later
    step checks anyway (the loader's COPY) needs no more.
    """
    if len(value) != STORED_TIME_LENGTH:
        return False
    if isinstance(value, bytes):
        return value[10:11] == b"T" and value[19:20] == b"." and value[23:24] == b"Z"
    return value[10] == "T" and value[19] == "." and value[23] == "Z"


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time with an offset (the stored format among them), in UTC; None when `value` is not one."""
    if not isinstance(value, str) or len(value) > _MAX_TIME_TEXT:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or one whose UTC form leaves datetime's range
        return None
