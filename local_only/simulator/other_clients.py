"""Clients that are not tracker/ as it is: what the generator sends besides the tracker's emulation (sdk.py).

Cached scripts outlive deployments, so some browsers still run an older build, and some run a build that
compresses its fetch bodies. The ingest must take what they send, so the generator keeps a share of them
(visitors.SdkFlavour); tests/local_only/simulator/test_tracker_agreement.py checks only the tracker's emulation.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

from local_only.simulator.sdk import (
    BEACON_TYPE,
    KEY_EVENTS,
    Batch,
    NetworkFaults,
    SdkCounters,
    SentRequest,
    Token,
    TrackerEmulation,
    Transport,
)
from local_only.simulator.visitors import SdkFlavour, Visit

JSON_TYPE = "application/json"


class LegacyTracker(TrackerEmulation):
    """The previous build: epoch-millisecond times, no eventId nor schemaVersion, never a beacon (a plain fetch
    of application/json), and a key event sent alone as a bare event object rather than in a batch."""

    def _client_time(self, true_ms: int) -> str | int:
        return true_ms + self._skew

    def _event(self, at_ms: int, name: str, fields: dict[str, Any], props: dict[str, Any] | None) -> dict[str, Any]:
        event = super()._event(at_ms, name, fields, props)
        del event["eventId"], event["schemaVersion"]
        return event

    def _record(self, at_ms: int, name: str, fields: dict[str, Any], props: dict[str, Any] | None) -> None:
        if name not in KEY_EVENTS:
            super()._record(at_ms, name, fields, props)
            return
        self._advance(at_ms)
        queued = self._make(at_ms, name, fields, props)
        queued.event["sentAt"] = self._client_time(at_ms)
        part = orjson.dumps(queued.event)
        token = self._token_for(queued.event)
        self._emit(at_ms, Batch([queued], [part]), part, JSON_TYPE, Transport.FETCH, token, gzip=False)

    def _deliver(self, at_ms: int, batch: Batch, token: Token | None, beacon: bool) -> None:
        body = b'{"events":[' + b",".join(batch.parts) + b"]}"
        self._emit(at_ms, batch, body, JSON_TYPE, Transport.FETCH, token, gzip=False)

    def _drain(self, at_ms: int, *, beacon: bool) -> None:
        super()._drain(at_ms, beacon=False)


class CompressingTracker(TrackerEmulation):
    """A build that gzips its fetch bodies of more than one event (CompressionStream) as application/json with
    Content-Encoding: gzip; its beacons are the tracker's."""

    def _deliver(self, at_ms: int, batch: Batch, token: Token | None, beacon: bool) -> None:
        body = b'{"events":[' + b",".join(batch.parts) + b"]}"
        if beacon:
            self._emit(at_ms, batch, body, BEACON_TYPE, Transport.BEACON, token, gzip=False)
        elif len(batch.items) > 1:
            self._emit(at_ms, batch, body, JSON_TYPE, Transport.KEEPALIVE_FETCH, token, gzip=True)
        else:
            super()._deliver(at_ms, batch, token, beacon)


_CLIENTS: dict[SdkFlavour, type[TrackerEmulation]] = {
    SdkFlavour.TRACKER: TrackerEmulation,
    SdkFlavour.LEGACY: LegacyTracker,
    SdkFlavour.GZIP: CompressingTracker,
}


def client_for(
    visit: Visit,
    rng: random.Random,
    out: list[SentRequest],
    counters: SdkCounters,
    *,
    batch_size: int,
    invalid_rate: float,
    faults: NetworkFaults | None = None,
) -> TrackerEmulation:
    """The script the visitor's browser runs: the tracker, or one of the clients above."""
    cls = _CLIENTS[visit.visitor.sdk]
    return cls(visit, rng, out, counters, batch_size=batch_size, invalid_rate=invalid_rate, faults=faults)
