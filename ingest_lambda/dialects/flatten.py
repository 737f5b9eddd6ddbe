"""What a dialect's event carries beyond the v1 fields, as v1 ``properties``: flat, with valid keys, within the limits.

Nested objects and arrays become dotted keys (``context.campaign.source``, ``products.0.sku``), each key made valid
for the contract (``^[A-Za-z_][A-Za-z0-9_.-]*$``, at most 64 characters). What still cannot fit (more than
``MAX_PROPERTIES`` values, a string longer than a property may be, two keys that become the same key) is counted
in `Flattened.overflow`: the dialect then keeps the original event in full beside the stored one
(ingest_lambda.dialects.seam.Mapped.leftover), so nothing the client sent is lost.

The walk is recursive: the ingest hands a dialect only originals whose depth is bounded (ingest_lambda.nesting).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ingest_lambda.contract import MAX_PROPERTIES

MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 1024
_NOT_KEY_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")


def property_key(name: str) -> str:
    """`name` as a valid property key: other characters become ``_``, a leading digit, dot or dash gets ``_``
    before it, and it is cut to 64 characters."""
    key = _NOT_KEY_CHARACTER.sub("_", name)
    if not key or not (key[0].isalpha() or key[0] == "_"):
        key = "_" + key
    return key[:MAX_KEY_CHARS]


# Every event of an SDK has the same few dozen members under the same few parents (``context.page``, ...): for
# each parent's dotted name, each member's dotted name and its property key are worked out once. Looking a member
# up under its parent hashes nothing new (the parser hands out the same key objects, whose hashes are kept),
# where building the dotted name and making it a key cost more than the rest of a leaf's work. Bounded: emptied
# when full, and long names are never kept, so what a hostile body names can make it slower, never larger.
_MEMBERS: dict[str, dict[Any, tuple[str, str]]] = {}
_MAX_CACHED_MEMBERS = 8192
_MAX_CACHED_NAME_CHARS = 256
_cached_members = 0


def _members_of(prefix: str) -> dict[Any, tuple[str, str]]:
    members = _MEMBERS.get(prefix)
    if members is None:
        members = {}
        if len(prefix) <= _MAX_CACHED_NAME_CHARS:
            _MEMBERS[prefix] = members
    return members


def _member(members: dict[Any, tuple[str, str]], prefix: str, name: Any) -> tuple[str, str]:
    """(the dotted name of member `name` under `prefix`, its property key), kept in `members`."""
    global _cached_members  # noqa: PLW0603 (the cache's size, beside the cache)
    full = f"{prefix}.{name}" if prefix else str(name)
    known = (full, property_key(full))
    if len(full) <= _MAX_CACHED_NAME_CHARS:
        if _cached_members >= _MAX_CACHED_MEMBERS:
            _MEMBERS.clear()
            _cached_members = 0
        members[name] = known
        _cached_members += 1
    return known


# What an object that every event of a batch (or of a visitor) repeats flattens to, e.g. an SDK's ``context``:
# kept by its exact JSON text (orjson's: ``1``, ``1.0`` and ``true`` differ, as dict equality would not say, and so
# does the members' order, which is the properties' order), only when it all fit and held no null (orjson writes a
# NaN or an infinity as ``null`` too, which must not hit what a real null flattened to). Bounded like `_MEMBERS`.
_REPEATED: dict[tuple[str, bytes], dict[str, Any]] = {}
_MAX_REPEATED = 512
_MAX_REPEATED_BYTES = 4096


@dataclass(slots=True)
class Flattened:
    """Properties gathered from several parts of an event, and what did not fit."""

    properties: dict[str, Any] = field(default_factory=dict)
    overflow: list[str] = field(default_factory=list)

    def add(self, value: Any, prefix: str = "") -> None:
        """`value` under `prefix`: an object's members and an array's elements each under their own key."""
        # This runs for every value of every mapped event (20 to 40 of them from a browser SDK), so the common leaf
        # (a short string, a number, a boolean, null, under a key not yet taken, below the limit) is stored right
        # here; anything else goes through `_put`, which has every rule and says what did not fit. Types are
        # compared exactly: JSON gives no subclasses.
        kind = type(value)
        if kind is dict:
            items: Any = value.items()
        elif kind is list:
            if not value:
                self._put(prefix, None)
            items = enumerate(value)
        else:
            self._put(prefix, value)
            return
        properties = self.properties
        members = _members_of(prefix)
        for name, item in items:
            known = members.get(name)
            if known is None:
                known = _member(members, prefix, name)
            full, key = known
            kind = type(item)
            if kind is dict or kind is list:
                self.add(item, full)
            elif (
                key not in properties
                and len(properties) < MAX_PROPERTIES
                and (
                    (kind is str and len(item) <= MAX_VALUE_CHARS)
                    or item is None
                    or kind is int
                    or kind is bool
                    or (kind is float and math.isfinite(item))
                )
            ):
                properties[key] = item
            else:
                self._put(full, item)

    def add_repeated(self, value: dict[str, Any], prefix: str) -> None:
        """`value` under `prefix`, as `add` stores it, for an object events repeat: flattened once, then its
        properties copied in one step while none of their keys is taken and they stay within the limit."""
        try:
            text = orjson.dumps(value)
        except orjson.JSONEncodeError:  # a lone surrogate, an int past 64 bits: `add` says what fits
            self.add(value, prefix)
            return
        properties = self.properties
        known = _REPEATED.get((prefix, text))
        if known is None and len(text) <= _MAX_REPEATED_BYTES and b"null" not in text:
            alone = Flattened()
            alone.add(value, prefix)
            if alone.overflow:
                self.add(value, prefix)
                return
            if len(_REPEATED) >= _MAX_REPEATED:
                _REPEATED.clear()
            known = _REPEATED[(prefix, text)] = alone.properties
        if known is not None and len(properties) + len(known) <= MAX_PROPERTIES and properties.keys().isdisjoint(known):
            properties.update(known)
        else:
            self.add(value, prefix)

    def _put(self, name: str, value: Any) -> None:
        key = property_key(name)
        properties = self.properties
        kind = type(value)
        if key in properties:
            self.overflow.append(f"{name} (its key {key} is taken)")
        elif len(properties) >= MAX_PROPERTIES:
            self.overflow.append(f"{name} (past the {MAX_PROPERTIES} properties an event may have)")
        elif kind is str:
            properties[key] = value[:MAX_VALUE_CHARS]
            if len(value) > MAX_VALUE_CHARS:
                self.overflow.append(f"{name} (longer than {MAX_VALUE_CHARS} characters: cut)")
        elif kind is float and not math.isfinite(value):
            self.overflow.append(f"{name} (not a finite number)")
        elif value is None or kind in (int, float, bool):
            properties[key] = value
        else:
            self.overflow.append(f"{name} (a {kind.__name__} is no JSON value)")

    def leftover(self) -> str | None:
        """Why the original event is kept beside the stored one (None: everything fit)."""
        if not self.overflow:
            return None
        shown = "; ".join(self.overflow[:5])
        more = f"; and {len(self.overflow) - 5} more" if len(self.overflow) > 5 else ""
        return f"{len(self.overflow)} value(s) did not fit in properties: {shown}{more}"
