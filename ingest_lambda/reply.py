"""What the ingest answers a request: the status, a JSON body (what the logs and tests read), and, for a dialect whose
SDK expects something else (a pixel, a script, a bare string), the bytes actually sent and their media type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # None: `body` as JSON. Otherwise these bytes, of `content_type`, are the answer and `body` is only logged.
    wire: bytes | None = None
    content_type: str = "application/json"
