"""How much one request may carry (from IngestSettings): every dialect reads its body within the same limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IngestLimits:
    max_body_bytes: int
    max_batch_events: int
