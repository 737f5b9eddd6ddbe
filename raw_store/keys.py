"""Key layout of the raw bucket, e.g. ``events/2025/12/06/05/event-<uuid>.json``.

The hour in a key is the UTC hour in which the ingest Lambda received the request, so the loader can find every
object of an hour by listing one prefix.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum


class KeyKind(StrEnum):
    EVENTS = "events"
    REJECTED = "rejected"
    COMPACTED = "compacted"


_FILE_STEM = {KeyKind.EVENTS: "event", KeyKind.REJECTED: "rejected"}
_HOUR_IN_KEY = re.compile(r"^(?:events|rejected|compacted)/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{2})/")


def hour_prefix(kind: KeyKind, hour: datetime) -> str:
    """The prefix holding every object of `kind` for the UTC hour containing `hour`."""
    hour = hour.astimezone(UTC)
    # Fields, not strftime: the ingest names a key per request (about a third of the key's cost).
    return f"{kind.value}/{hour.year:04d}/{hour.month:02d}/{hour.day:02d}/{hour.hour:02d}/"


def new_object_key(kind: KeyKind, received_at: datetime, object_id: uuid.UUID | None = None) -> str:
    """A fresh key for one request's object, in the hour of `received_at`."""
    object_id = object_id or uuid.uuid4()
    return f"{hour_prefix(kind, received_at)}{_FILE_STEM[kind]}-{object_id}.json"


def parse_object_hour(key: str) -> datetime | None:
    """The UTC hour a key belongs to, or None for a key outside the layout."""
    match = _HOUR_IN_KEY.match(key)
    if match is None:
        return None
    year, month, day, hour = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None
