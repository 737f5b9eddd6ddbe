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

    # The dialects reshape every answer they send: built directly, since dataclasses.replace looks the fields up
    # again on each call (a few microseconds a request).
    def with_status(self, status: int) -> Reply:
        return Reply(status, self.body, self.headers, self.wire, self.content_type)

    def with_body(self, body: dict[str, Any]) -> Reply:
        return Reply(self.status, body, self.headers, self.wire, self.content_type)

    def sent_as(self, wire: bytes, content_type: str) -> Reply:
        """These bytes are the answer; `body` is still what is logged."""
        return Reply(self.status, self.body, self.headers, wire, content_type)
