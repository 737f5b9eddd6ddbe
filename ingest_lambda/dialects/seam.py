"""The seam every dialect plugs into: which requests it claims, how it reads them, how each of its events becomes a
v1 event, and what its SDK expects as an answer.

A dialect is a small module with one object that satisfies `Dialect`, named once in the registry
(ingest_lambda/dialects/__init__.py). The ingest (ingest_lambda/ingest.py) does the rest, the same for every dialect:
each original event is first checked for shapes no recursive step may walk (ingest_lambda.nesting), then mapped
with `Dialect.translate`, then validated, scrubbed, enriched and stored exactly as a native v1 event is, with
``source: {dialect, library, version}`` on its stored line. What a dialect cannot place in a v1 field goes to
``properties`` (ingest_lambda.dialects.flatten); what does not fit even there is kept beside the stored event, under
``rejected/``, with the reason (`Mapped.leftover`). An original that cannot be mapped at all (`Unmappable`) is
refused on its own and kept, as a v1 event failing validation is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from ingest_lambda.body import HttpRequest
from ingest_lambda.limits import IngestLimits
from ingest_lambda.reply import Reply


class Source(NamedTuple):
    """Which dialect and SDK an event came from, as its stored line records it.

    A named tuple, not a frozen dataclass: one is made for every mapped event and is the key of the ingest's cache
    of stored sources, and a tuple is built and hashed in C (a frozen dataclass's ``__init__`` and ``__hash__``
    run as Python, a few tenths of a µs an event)."""

    dialect: str
    library: str | None = None
    version: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"dialect": self.dialect, "library": self.library, "version": self.version}


@dataclass(frozen=True, slots=True)
class Decoded:
    """A request read by its dialect: the original events in it, before any mapping.

    `text` is the JSON text the events were parsed from (the ingest's byte-level fast checks read it: text repair,
    e-mail scrub, nesting); `may_hold_markers` says whether the parser may have left `OutOfRange`/`TooDeep` values
    in them (ingest_lambda.body.parse_body). `write_key` is the key or app id the request names, for the
    allowlist; `shared` is what applies to every event of the request (a batch's ``sentAt``, headers), handed to
    `Dialect.translate` with each one. `shape_text`, when not None, is a JSON text nested exactly as deep as the
    deepest original (Snowplow's: the JSON its flat events' strings held, as one array), read for the depth check
    instead of `text` where `text` costs more to read and says no more."""

    originals: list[Any]
    text: bytes
    may_hold_markers: bool = False
    write_key: str | None = None
    shared: Mapping[str, Any] = field(default_factory=dict)
    shape_text: bytes | None = None


# Not frozen, unlike the seam's other records: one is made for every mapped event, and a frozen dataclass's
# ``__init__`` sets each field through ``object.__setattr__`` (twice the cost of a plain one).
@dataclass(slots=True)
class Mapped:
    """One original event as a v1 event. `leftover`: why part of the original fits nowhere in it (None when all
    of it does); the original is then kept in full beside the stored event."""

    event: dict[str, Any]
    source: Source
    leftover: str | None = None
    # Dialects whose SDK sends no visitor id (Plausible): the site whose daily visitor id the ingest derives for
    # the event's clientId (ingest_lambda.privacy.Pseudonymizer.daily_visitor_id).
    visitor_site: str | None = None


class Unmappable(Exception):
    """An original event that cannot become a v1 event at all: `message` says why, at `path` within it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class Answered(Exception):
    """A request the dialect answers itself, with nothing to store: an SDK asking for its remote configuration
    or its feature flags (PostHog). Raised by `Dialect.decode`; `reply` is the answer, as the SDK expects it."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class Dialect(Protocol):
    """One wire format of a third-party tracker, translated to v1 events."""

    @property
    def name(self) -> str:
        """How stored lines and refusals name it (``segment``, ``rudderstack``, ...)."""
        ...

    def claims(self, request: HttpRequest) -> bool:
        """Whether this request (its method, its path below ``/clickstream``, its headers or query) is this
        dialect's. Cheap: it is asked for every request, in registry order, and must not read the body."""
        ...

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        """Whether a JSON object posted to ``/clickstream`` itself, which is no v1 event (it has neither
        ``eventName`` nor ``events``), is this dialect's by its shape (a Snowplow envelope, a Plausible event)."""
        ...

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        """The original events of a claimed request; raises ``ingest_lambda.body.RequestRejected`` when the whole
        request is refused (a bad method, media type, body, or too many events)."""
        ...

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        """One original event (already checked for depth and numbers out of range) as a v1 event; raises
        `Unmappable` when it cannot be one. Never anything else, whatever the original holds."""
        ...

    def answer(self, reply: Reply) -> Reply:
        """The ingest's answer as this dialect's SDK expects it (status, body, media type)."""
        ...
