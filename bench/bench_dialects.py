"""Dialects benchmark: the handler's cost per event for each third-party tracker's requests against native v1.

The requests are the ones the real SDKs sent (tests/ingest_lambda/dialects/fixtures/, encoded on the wire as they
were: gzip, sendBeacon's form, a pixel's query), each replayed with fresh event ids, one event a request and in
batches where the SDK batches; the v1 workload is the same events as the dialect maps them (properties, client
times and all), posted natively to /clickstream, one per request or as the same batch. Storage only counts bytes
(bench.bench_ingest.CountingStore), one core. Each run times a dialect's workload and its v1 twin back to back;
the figures are medians over the runs, the ratio the median of each run's own ratio (the machine is shared: two
workloads timed together see the same load). Target (issue 15): a dialect's cost per event at most 1.5x v1's.

    .venv/bin/python -m bench.bench_dialects [--rounds N] [--repeat R] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.bench_ingest import CountingStore, benched_handler

# The recorded requests and their replay on the wire are the dialect tests' (tests/support/dialect_requests.py).
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

# What the server adds to a stored line: left out of the v1 twin of a mapped event (its clientEventTimestamp is
# the twin's eventTimestamp: the time the client sent).
_SERVER_FIELDS = frozenset(
    {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState", "source"}
    | {"country", "sanitized", "eventTimestamp", "clientEventTimestamp"}
)
# Where each dialect's event id is: given a fresh value in every replayed event.
_ID_KEYS = ("messageId", "uuid", "eid", "event_id")


# Where a dialect's request holds its list of events, to split a batch into single-event requests or to join
# singles into one batch: the body's key (None: the body is the list).
_POSTHOG = "batch"
_SNOWPLOW = "data"
_AWS = None


def _events_of(body: Any, key: str | None) -> list[Any]:
    return body if key is None else body[key]


def _with_events(request: dict[str, Any], key: str | None, events: list[Any]) -> dict[str, Any]:
    return {**request, "body": events if key is None else {**request["body"], key: events}}


def split(requests: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Each event of `requests` in a request of its own."""
    return [_with_events(r, key, [event]) for r in requests for event in _events_of(r["body"], key)]


def joined(requests: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """The events of `requests` in one batch, sent as the first of them was."""
    return [_with_events(requests[0], key, [event for r in requests for event in _events_of(r["body"], key)])]


def workloads() -> dict[str, list[dict[str, Any]]]:
    """Each workload's recorded requests (only those that store events: PostHog's config and flags calls store
    nothing), singles and batches."""
    from support.dialect_requests import recorded

    posthog = [r for r in recorded("posthog") if r["path"].endswith("/e/")]
    posthog += recorded("posthog-plain") + recorded("posthog-beacon")
    gzipped = [r for r in posthog if r.get("wire") == "gzip"]
    aws = recorded("aws")
    return {
        "segment": recorded("segment"),
        "segment batch": recorded("segment-batch"),
        "rudderstack": recorded("rudderstack"),
        "rudderstack beacon": recorded("rudderstack-beacon"),
        "posthog": split(posthog, _POSTHOG),
        "posthog batch": joined(gzipped, _POSTHOG),
        "snowplow pixel (GET)": recorded("snowplow-get"),
        "snowplow tp2": split(recorded("snowplow"), _SNOWPLOW),
        "snowplow tp2 batch": recorded("snowplow"),
        "aws clickstream": aws,
        "aws clickstream batch": joined(aws, _AWS),
        # Plausible's and Umami's trackers send one event a request: they have no batch.
        "plausible": recorded("plausible"),
        "umami": recorded("umami"),
    }


def _fresh_ids(body: Any) -> Any:
    """`body` with a new id in each event that carries one, as a real stream of events has."""
    body = copy.deepcopy(body)
    events = body if isinstance(body, list) else body.get("batch") or body.get("data") or [body]
    for event in events:
        for key in _ID_KEYS:
            if isinstance(event, dict) and key in event:
                event[key] = str(uuid.uuid4())
    return body


def _v1_twin(line: dict[str, Any], sent: str) -> dict[str, Any]:
    """The v1 event a client would send to be stored as `line`; `sent`, the dialect's request as text, says whether
    the event id was the client's (Plausible and Umami send none: the server makes one, for the twin too)."""
    twin = {k: v for k, v in line.items() if k not in _SERVER_FIELDS}
    if "clientEventTimestamp" in line:
        twin["eventTimestamp"] = line["clientEventTimestamp"]
    if twin["eventId"] not in sent:
        del twin["eventId"]
    return twin


def _v1_request(events: list[dict[str, Any]]) -> dict[str, Any]:
    from support.dialect_requests import gateway_event

    fresh = [{**event, "eventId": str(uuid.uuid4())} if "eventId" in event else event for event in events]
    body = orjson.dumps(fresh[0] if len(fresh) == 1 else {"events": fresh}).decode()
    return gateway_event("/clickstream", body, headers={"content-type": "application/json"})


def build(
    requests: list[dict[str, Any]], rounds: int, store: CountingStore, handle: Callable[[dict[str, Any]], Any]
) -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]], int]:
    """(the dialect's gateway events, their v1 twins: a list of each request's a round; events stored a round)."""
    from support.dialect_requests import wire_event

    # The v1 twins: what each request was stored as, less the server's fields; caught on their way into the store.
    lines: list[dict[str, Any]] = []
    original_put = store.put

    def keep(key: str, data: bytes, content_type: str = "application/x-ndjson") -> Any:
        if key.startswith("events/"):
            lines.extend(orjson.loads(line) for line in data.splitlines())
        return original_put(key, data, content_type)

    store.put = keep  # type: ignore[method-assign]
    twins = []
    for request in requests:
        before = len(lines)
        handle(wire_event(request))
        sent = json.dumps(request)
        twins.append([_v1_twin(line, sent) for line in lines[before:]])
    store.put = original_put  # type: ignore[method-assign]
    dialect, native = [], []
    for _ in range(rounds):
        rounds_dialect, rounds_native = [], []
        for request, events in zip(requests, twins, strict=True):
            body = request["body"]
            rounds_dialect.append(wire_event(request, body=_fresh_ids(body) if body is not None else None))
            rounds_native.append(_v1_request(events))
        dialect.append(rounds_dialect)
        native.append(rounds_native)
    return dialect, native, sum(len(events) for events in twins)


def run(rounds: int, repeat: int, only: set[str] | None = None) -> dict[str, Any]:
    store = CountingStore()
    handle = benched_handler(store)
    results: dict[str, Any] = {}
    for name, requests in workloads().items():
        if only and name.split()[0] not in only:
            continue
        dialect, native, per_round = build(requests, rounds, store, handle)
        events = per_round * rounds
        rates: dict[str, list[float]] = {"dialect": [], "v1": []}
        ratios = []
        for _ in range(repeat):
            # Rounds alternate between the two, each timed in this process's CPU time: whatever else the shared
            # machine runs weighs on both alike and the time spent waiting for the core is not counted.
            spent = {"dialect": 0, "v1": 0}
            gc.collect()
            for dialect_round, native_round in zip(dialect, native, strict=True):
                for side, workload in (("dialect", dialect_round), ("v1", native_round)):
                    start = time.process_time_ns()
                    for event in workload:
                        handle(event)
                    spent[side] += time.process_time_ns() - start
            for side, nanoseconds in spent.items():
                rates[side].append(events / (nanoseconds / 1e9))
            ratios.append(spent["dialect"] / spent["v1"])
        results[name] = {
            "requests": len(dialect) * len(dialect[0]),
            "events": events,
            "dialect_events_per_s": statistics.median(rates["dialect"]),
            "v1_events_per_s": statistics.median(rates["v1"]),
            "cost_ratio": statistics.median(ratios),
            "cost_ratios": sorted(round(r, 2) for r in ratios),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="times each recorded request is replayed per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; medians are reported")
    parser.add_argument("--only", default="", help="comma-separated dialects (segment, posthog, snowplow, aws, ...)")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    results = run(args.rounds, args.repeat, only)
    print(f"python {sys.version.split()[0]}, one core, {args.repeat} runs of {args.rounds} rounds, medians")
    header = f"{'requests of':<22} {'ev/req':>6} {'dialect ev/s':>13} {'v1 ev/s':>10} {'cost x v1':>10} {'<=1.5x':>7}"
    print(f"{header}  each run's ratio")
    for name, r in results.items():
        verdict = "met" if r["cost_ratio"] <= 1.5 else "MISSED"
        print(
            f"{name:<22} {r['events'] / r['requests']:>6.1f} {r['dialect_events_per_s']:>13,.0f} "
            f"{r['v1_events_per_s']:>10,.0f} {r['cost_ratio']:>10.2f} {verdict:>7}  {r['cost_ratios']}"
        )


if __name__ == "__main__":
    main()
