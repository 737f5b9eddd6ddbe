"""Reading back what ``clickstream generate`` stored in a file store, in a form two runs can be compared in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SERVER_MINTED = "<server-minted>"


@dataclass(frozen=True)
class StoredObject:
    kind: str  # "events" or "rejected"
    hour: str  # e.g. "2025/03/07/21"
    lines: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class StoredOutput:
    root: Path
    objects: tuple[StoredObject, ...]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [line for obj in self.objects if obj.kind == "events" for line in obj.lines]

    @property
    def rejected(self) -> list[dict[str, Any]]:
        return [line for obj in self.objects if obj.kind == "rejected" for line in obj.lines]

    def comparable(self, client_event_ids: set[str]) -> list[tuple[str, str, bytes]]:
        """Every object as (kind, hour, content), sorted: what two runs must agree on.

        Only what the server mints at random is masked: object names (not kept here) and the event ids the ingest
        generates for events sent without one.
        """
        comparable = []
        for obj in self.objects:
            lines = []
            for line in obj.lines:
                masked = line
                if obj.kind == "events" and line["eventId"] not in client_event_ids:
                    masked = {**line, "eventId": SERVER_MINTED}
                lines.append(orjson.dumps(masked, option=orjson.OPT_SORT_KEYS))
            comparable.append((obj.kind, obj.hour, b"\n".join(lines)))
        return sorted(comparable)


def read_store(root: Path) -> StoredOutput:
    objects = []
    for kind in ("events", "rejected"):
        for path in sorted((root / kind).rglob("*.json")):
            hour = path.parent.relative_to(root / kind).as_posix()
            lines = tuple(orjson.loads(line) for line in path.read_bytes().splitlines())
            objects.append(StoredObject(kind, hour, lines))
    return StoredOutput(root, tuple(objects))
