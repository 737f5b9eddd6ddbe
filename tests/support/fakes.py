"""Test doubles and fixture loading."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raw_store import ObjectInfo, StorageError

EVENTS_DIR = Path(__file__).parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


class MemoryStore:
    """A raw store in a dict, with a switch to make writes fail."""

    url = "memory://test"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_writes = False

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        if self.fail_writes:
            raise StorageError("injected write failure")
        self.objects[key] = data
        return ObjectInfo(key, len(data), str(hash(data)), datetime.now(UTC))

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError as exc:
            raise StorageError(key) from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        for key in sorted(self.objects):
            if key.startswith(prefix):
                yield ObjectInfo(key, len(self.objects[key]), "", datetime.now(UTC))

    # builtins.list: inside the class, `list` is the method above.
    def lines(self, prefix: str) -> builtins.list[dict[str, Any]]:
        return [
            json.loads(line)
            for key in sorted(self.objects)
            if key.startswith(prefix)
            for line in self.objects[key].splitlines()
        ]
