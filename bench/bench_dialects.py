"""Dialects benchmark: the handler's cost per event for each third-party tracker's requests against native v1.

The requests are the ones the real SDKs sent (tests/ingest_lambda/dialects/fixtures/), each replayed with fresh
message ids; the v1 workload is the same events as the dialect maps them (properties included), posted natively
to /clickstream, one per request or as the same batch. Storage only counts bytes (bench.bench_ingest.CountingStore),
one core, medians of the runs. Target (issue 15): a dialect's cost per event at most 1.5x v1's.

    .venv/bin/python -m bench.bench_dialects [--rounds N] [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.bench_ingest import CountingStore, benched_handler

FIXTURES = Path(__file__).parents[1] / "tests" / "ingest_lambda" / "dialects" / "fixtures"
# What the server adds to a stored line: left out of the v1 twin of a mapped event.
_SERVER_FIELDS = {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState"}
_SERVER_FIELDS |= {"source", "clientEventTimestamp", "eventTimestamp", "sentAt"}
_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"


def _gateway(path: str, query: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    from local_only.api_gateway import http_api_event, query_parameters

    return http_api_event(
        headers={"user-agent": _UA, **headers},
        body=body,
        is_base64_encoded=False,
        source_ip="198.51.100.7",
        request_id=str(uuid.uuid4()),
        time_epoch_ms=int(time.time() * 1000),
        raw_path=path,
        raw_query=query,
        query_parameters=query_parameters(query) if query else None,
    )


def _fresh_ids(body: dict[str, Any]) -> dict[str, Any]:
    calls = body.get("batch", [body])
    for call in calls:
        call["messageId"] = str(uuid.uuid4())
    return body


def workloads(sdk: str, rounds: int, store: CountingStore, handle: Any) -> tuple[list[dict[str, Any]], ...]:
    """(the dialect's requests, their v1 twins), `rounds` times each recorded request."""
    recorded = [json.loads(path.read_text()) for path in sorted((FIXTURES / sdk).glob("*.json"))]
    dialect, native = [], []
    for _ in range(rounds):
        for request in recorded:
            calls = _fresh_ids(json.loads(json.dumps(request["body"])))
            dialect.append(_gateway(request["path"], request["query"], request["headers"], json.dumps(calls)))
    # The v1 twins: what the first round's requests were stored as, less the server's fields.
    lines: list[dict[str, Any]] = []
    original_put = store.put

    def keep(key: str, data: bytes, content_type: str = "application/x-ndjson") -> Any:
        if key.startswith("events/"):
            lines.extend(json.loads(line) for line in data.splitlines())
        return original_put(key, data, content_type)

    # CountingStore keeps nothing: the lines are caught on their way in.
    store.put = keep  # type: ignore[method-assign]
    per_request = []
    for event in dialect[: len(recorded)]:
        before = len(lines)
        handle(event)
        per_request.append([{k: v for k, v in line.items() if k not in _SERVER_FIELDS} for line in lines[before:]])
    store.put = original_put  # type: ignore[method-assign]
    for _ in range(rounds):
        for events in per_request:
            fresh = [{**event, "eventId": str(uuid.uuid4())} for event in events]
            body = json.dumps(fresh[0] if len(fresh) == 1 else {"events": fresh})
            native.append(_gateway("/clickstream", "", {"content-type": "application/json"}, body))
    return dialect, native


def run(rounds: int, repeat: int) -> dict[str, Any]:
    store = CountingStore()
    respond = benched_handler(store)

    def handle(event: dict[str, Any]) -> int:
        return int(json.loads(respond(event)["body"])["accepted"])

    results: dict[str, Any] = {}
    for sdk in ("segment", "segment-batch", "rudderstack", "rudderstack-beacon"):
        dialect, native = workloads(sdk, rounds, store, handle)
        rates: dict[str, list[float]] = {"dialect": [], "v1": []}
        for _ in range(repeat):
            for name, events in (("dialect", dialect), ("v1", native)):
                start = time.perf_counter()
                accepted = sum(handle(event) for event in events)
                rates[name].append(accepted / (time.perf_counter() - start))
        dialect_rate, v1_rate = statistics.median(rates["dialect"]), statistics.median(rates["v1"])
        results[sdk] = {
            "requests": len(dialect),
            "dialect_events_per_s": dialect_rate,
            "v1_events_per_s": v1_rate,
            "cost_ratio": v1_rate / dialect_rate,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=400, help="times each recorded request is replayed per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; medians are reported")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = run(args.rounds, args.repeat)
    print(f"python {sys.version.split()[0]}, one core, {args.repeat} runs, medians")
    print(f"{'requests of':<20} {'dialect ev/s':>13} {'v1 ev/s':>10} {'cost x v1':>10} {'target <=1.5x':>14}")
    for sdk, r in results.items():
        verdict = "met" if r["cost_ratio"] <= 1.5 else "MISSED"
        print(
            f"{sdk:<20} {r['dialect_events_per_s']:>13,.0f} {r['v1_events_per_s']:>10,.0f} "
            f"{r['cost_ratio']:>10.2f} {verdict:>14}"
        )


if __name__ == "__main__":
    main()
