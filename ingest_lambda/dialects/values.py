"""Values as the dialects without the Segment spec's names carry them (Snowplow, AWS Clickstream): event names made
v1 names, numbers told from booleans, ids sent as numbers."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD_BREAK = re.compile(r"[^a-z0-9]+")


# An SDK names the same few dozen events again and again: each name is made a v1 name once (bounded: names of an
# event name's length, the most recent thousand).
_MAX_CACHED_NAME_CHARS = 128


def snake_name(name: str) -> str:
    """A name as a v1 event name: snake_case (``_page_view`` and ``Page View`` are ``page_view``), at most 64
    characters, starting with a letter."""
    return _cached_snake_name(name) if len(name) <= _MAX_CACHED_NAME_CHARS else _snake_name(name)


@lru_cache(maxsize=1024)
def _cached_snake_name(name: str) -> str:
    return _snake_name(name)


def _snake_name(name: str) -> str:
    words = _WORD_BREAK.sub("_", name.strip().lower()).strip("_")
    if not words or not words[0].isalpha():
        words = "event_" + words
    return words[:64].rstrip("_") or "event"


def is_number(value: Any) -> bool:
    # A tuple, not `int | float`: isinstance reads a tuple about twice as fast, and this runs for every id and item.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def id_text(value: Any) -> Any:
    """Ids sent as numbers as the strings v1 ids are; anything else as sent (validation says)."""
    return str(value) if is_number(value) else value


def taken_product(item: dict[str, Any]) -> dict[str, Any]:
    """The v1 product of an item that has an ``id`` (a Snowplow product entity, an AWS item): its id, name,
    category, brand and price, taken out of `item` (what remains of it goes to properties)."""
    product = {"id": id_text(item.pop("id"))}
    for key in ("name", "category", "brand", "price"):
        if item.get(key) is not None:
            product[key] = item.pop(key)
    return product
