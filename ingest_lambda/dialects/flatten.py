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
from functools import lru_cache
from typing import Any

from ingest_lambda.contract import MAX_PROPERTIES

MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 1024
_NOT_KEY_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")


# The same few dozen names come with every event of an SDK: each is made valid once.
@lru_cache(maxsize=4096)
def property_key(name: str) -> str:
    """`name` as a valid property key: other characters become ``_``, a leading digit, dot or dash gets ``_``
    before it, and it is cut to 64 characters."""
    key = _NOT_KEY_CHARACTER.sub("_", name)
    if not key or not (key[0].isalpha() or key[0] == "_"):
        key = "_" + key
    return key[:MAX_KEY_CHARS]


@dataclass(slots=True)
class Flattened:
    """Properties gathered from several parts of an event, and what did not fit."""

    properties: dict[str, Any] = field(default_factory=dict)
    overflow: list[str] = field(default_factory=list)

    def add(self, value: Any, prefix: str = "") -> None:
        """`value` under `prefix`: an object's members and an array's elements each under their own key."""
        # Types compared exactly (JSON gives no subclasses) and leaves put without a call to `add`: this runs for
        # every value of every mapped event.
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
        for name, item in items:
            key = f"{prefix}.{name}" if prefix else str(name)
            if type(item) in (dict, list):
                self.add(item, key)
            else:
                self._put(key, item)

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
