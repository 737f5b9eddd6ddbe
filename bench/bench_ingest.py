"""Ingest benchmark: the handler's own work per request, single events and batches of 100.

Storage is replaced by a store that only counts bytes, so the figure is the handler's work (decode, validate,
enrich, pseudonymise, serialise, log) and not the disk or S3. Pinned to one core. Beside it, the bare minimum any
ingest must do (JSON parse + uuid4 + NDJSON encode) on the same bodies, and the ratio of the two.

    .venv/bin/python -m bench.bench_ingest [--single N] [--batches N] [--repeat R] [--country header|address]

``--country address`` sends no ``cloudfront-viewer-country`` and public client addresses, so the handler looks
the country up (API Gateway alone); ``header`` (the default) sends the header, which spares the lookup.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.ingest_workload import requests
from raw_store import ObjectInfo


class CountingStore:
    """Accepts every write and keeps only its size."""

    url = "memory://bench"

    def __init__(self) -> None:
        self.bytes = 0
        self.objects = 0

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        self.bytes += len(data)
        self.objects += 1
        return ObjectInfo(key, len(data), "bench", datetime.now(UTC))

    def get(self, key: str) -> bytes:
        raise KeyError(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return iter(())


def _timed(fn: Callable[[dict[str, Any]], Any], events: list[dict[str, Any]]) -> list[int]:
    gc.collect()
    latencies = []
    for event in events:
        start = time.perf_counter_ns()
        fn(event)
        latencies.append(time.perf_counter_ns() - start)
    return latencies


def benched_handler(store: CountingStore) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The real handler with the default limits, a real salt and `store` installed, its log lines formatted (that
    is the handler's work) but written to /dev/null; calling it raises unless the answer is a 2xx (Plausible's
    API answers 202)."""
    import ingest_lambda.handler as ingest_handler
    from ingest_lambda.services import build_services, set_services
    from ingest_lambda.settings import IngestSettings
    from local_only.lambda_context import LocalLambdaContext

    # The store URL is never opened: `store` replaces it.
    settings = IngestSettings(raw_store_url="file:///tmp/clickstream-bench-unused", hash_salt="bench-salt")
    set_services(build_services(settings, store=store))
    context = LocalLambdaContext()
    devnull = open(os.devnull, "w")  # noqa: SIM115
    for log_handler in logging.getLogger(ingest_handler.logger.service).handlers:
        log_handler.setStream(devnull)  # type: ignore[attr-defined]

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        response = ingest_handler.handler(event, context)
        if not 200 <= response["statusCode"] < 300:
            raise RuntimeError(response)
        return response

    return handle


def bare_minimum(event: dict[str, Any]) -> bytes:
    payload = orjson.loads(event["body"])
    items = payload.get("events", [payload])
    lines = []
    for item in items:
        item["eventId"] = str(uuid.uuid4())
        lines.append(orjson.dumps(item) + b"\n")
    return b"".join(lines)


def _percentile(values: list[int], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] / 1000


def run(single: int, batches: int, repeat: int, country: str = "header") -> dict[str, Any]:
    handle = benched_handler(CountingStore())
    results: dict[str, Any] = {}
    for name, count, size in (("single", single, 1), ("batch100", batches, 100)):
        workload = requests(count, size, seed=count, cloudfront_country=country == "header")
        runs = []
        for _ in range(repeat):
            handler_ns = _timed(handle, workload)
            minimum_ns = _timed(bare_minimum, [dict(e) for e in workload])
            runs.append((handler_ns, minimum_ns))
        handler_rates = [count * size / (sum(h) / 1e9) for h, _ in runs]
        minimum_rates = [count * size / (sum(m) / 1e9) for _, m in runs]
        median_run = sorted(runs, key=lambda r: sum(r[0]))[len(runs) // 2]
        results[name] = {
            "requests": count,
            "events_per_request": size,
            "handler_events_per_s": statistics.median(handler_rates),
            "handler_requests_per_s": statistics.median(handler_rates) / size,
            "handler_p50_us": _percentile(median_run[0], 50),
            "handler_p99_us": _percentile(median_run[0], 99),
            "minimum_events_per_s": statistics.median(minimum_rates),
            "minimum_p50_us": _percentile(median_run[1], 50),
            "ratio_handler_to_minimum": statistics.median(minimum_rates) / statistics.median(handler_rates),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=20_000, help="single-event requests per run")
    parser.add_argument("--batches", type=int, default=400, help="100-event requests per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; medians are reported")
    parser.add_argument(
        "--country",
        choices=("header", "address"),
        default="header",
        help="where the country comes from: CloudFront's header, or the client address (a lookup per request)",
    )
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = run(args.single, args.batches, args.repeat, args.country)
    targets = {"single": ("handler_requests_per_s", 5_000), "batch100": ("handler_events_per_s", 50_000)}
    print(f"python {sys.version.split()[0]}, one core, {args.repeat} runs, medians, country from the {args.country}")
    print(
        f"{'workload':<10} {'events/s':>10} {'req/s':>9} {'p50 us':>8} {'p99 us':>8} "
        f"{'minimum ev/s':>13} {'x minimum':>9} {'target':>16}"
    )
    for name, r in results.items():
        metric, target = targets[name]
        verdict = "met" if r[metric] >= target else "MISSED"
        print(
            f"{name:<10} {r['handler_events_per_s']:>10,.0f} {r['handler_requests_per_s']:>9,.0f} "
            f"{r['handler_p50_us']:>8.1f} {r['handler_p99_us']:>8.1f} {r['minimum_events_per_s']:>13,.0f} "
            f"{r['ratio_handler_to_minimum']:>9.1f} {metric.split('_')[1]}>={target:,} {verdict}"
        )
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
