"""E-mail scan benchmark: what the scrub (ingest_lambda.privacy) costs on hostile text and on a normal event.

Hostile strings are 1 MiB, the body limit: a run of letters ending in ``@`` (the case that cost a second with a
backtracking pattern), many percent-encoded at signs, many at signs with one-label domains, and 1 MiB of real
addresses (each one must be hashed, so this is the costliest text there is). Then one whole request: a 1 MiB body
whose page title is the first of them, through the real handler. And the normal case: every string of a realistic
product view (bench.ingest_workload), with no address and with one. Pinned to one core; medians of `--repeat` runs.
Run it in a checkout of an older version to compare (the script only uses ``Pseudonymizer`` and the handler).

    .venv/bin/python -m bench.bench_email_scan [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.ingest_workload import api_event, event_payload

MIB = 1 << 20


def _hostile() -> dict[str, str]:
    return {
        "1 MiB 'aaa...@'": "a" * (MIB - 1) + "@",
        "1 MiB 'a%40' x 262k": "a%40" * (MIB // 4),
        "1 MiB '@a.' x 350k": "@a." * (MIB // 3),
        "1 MiB of addresses (150k)": "a@b.co " * (MIB // 7),
    }


def _median_seconds(fn: Callable[[], Any], repeat: int, inner: int = 1) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def run(repeat: int) -> dict[str, float]:
    import ingest_lambda.handler as ingest_handler
    from bench.bench_ingest import CountingStore
    from ingest_lambda.ingest import IngestLimits
    from ingest_lambda.privacy import Pseudonymizer
    from ingest_lambda.services import IngestServices, set_services
    from local_only.lambda_context import LocalLambdaContext

    pseudo = Pseudonymizer("bench-salt")
    results: dict[str, float] = {}
    for name, text in _hostile().items():
        results[f"scrub_text {name}"] = _median_seconds(functools.partial(pseudo.scrub_text, text), repeat)

    store = CountingStore()
    limits = IngestLimits(MIB + 1024, 500)
    set_services(IngestServices(store=store, pseudonymizer=pseudo, limits=limits))
    import logging

    devnull = open(os.devnull, "w")  # noqa: SIM115
    for log_handler in logging.getLogger(ingest_handler.logger.service).handlers:
        log_handler.setStream(devnull)  # type: ignore[attr-defined]
    context = LocalLambdaContext()
    rng = random.Random(1)
    body = orjson.dumps({"eventName": "click", "clientId": "c", "pageTitle": "a" * (MIB - 100) + "@"})
    request = api_event(body, rng, 0)
    handle = functools.partial(ingest_handler.handler, request, context)
    results["handler, 1 MiB body 'aaa...@'"] = _median_seconds(handle, repeat)

    event = event_payload(rng, 1)
    with_address = {**event, "pageUrl": event["pageUrl"] + "&email=ann%40example.com"}
    for name, value in (("normal event, no address", event), ("normal event, one address", with_address)):
        results[f"scrub {name}"] = _median_seconds(functools.partial(pseudo.scrub, value), repeat, inner=20_000)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs; medians are reported")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = run(args.repeat)
    print(f"python {sys.version.split()[0]}, one core, {args.repeat} runs, medians")
    for name, seconds in results.items():
        shown = f"{seconds * 1e6:10.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:10.1f} ms"
        print(f"{name:<44} {shown}")
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
