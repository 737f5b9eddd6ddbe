"""The country of a client address (ingest_lambda/ip_country.py): a lookup's cost, the handler with and without
it, and what loading it adds to a Lambda cold start.

    .venv/bin/python -m bench.bench_country [--lookups N] [--requests N] [--repeat R]

Per lookup: ``country_of`` over the benchmark's visitors' public addresses (IPv4 and IPv6,
bench/ingest_workload.py), over private ones and over text that is no address; `repeat` runs of `lookups` calls
each, pinned to one core, CPU time, medians. The handler (bench/bench_ingest.py's, its store only counting) over
`requests` single-event requests from those addresses without ``cloudfront-viewer-country``, with the lookup and
with it replaced by one answering None, the two in turn `repeat` times in one process, so both see the same load;
CPU time of the process, medians. Loading: `repeat` fresh interpreters each import ``ingest_lambda.handler``
(``-X importtime``, which reports what the iptocc extension and the lookup module take of it), then time their
first lookup; medians. The generator: the block probes in fresh interpreters and 20,000 visitors' addresses; CPU
time, medians.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import orjson

from bench.bench_ingest import CountingStore, benched_handler
from bench.ingest_workload import CLIENT_ADDRESSES, requests
from ingest_lambda.ip_country import country_of

PRIVATE = ("10.1.2.3", "192.168.0.10", "172.20.1.1", "fd12:3456::1", "fe80::1", "127.0.0.1")
NOT_ADDRESSES = ("", "unknown", "8.8.8", "2001:db8::1::2")
FIRST_LOOKUP = """
import time
start = time.perf_counter_ns()
import ingest_lambda.handler
imported = time.perf_counter_ns()
from ingest_lambda.ip_country import country_of
looked = time.perf_counter_ns()
country_of("81.107.44.3")
done = time.perf_counter_ns()
print(imported - start, done - looked)
"""

PROBE = """
import time
from local_only.simulator.addresses import country_blocks
start = time.process_time_ns()
country_blocks()
print(time.process_time_ns() - start)
"""


def _per_call_ns(call: Callable[[str], object], addresses: tuple[str, ...], lookups: int) -> float:
    calls = [addresses[i % len(addresses)] for i in range(lookups)]
    start = time.process_time_ns()
    for address in calls:
        call(address)
    return (time.process_time_ns() - start) / lookups


def lookups(count: int, repeat: int) -> dict[str, float]:
    ipv4 = tuple(a for a in CLIENT_ADDRESSES if ":" not in a)
    ipv6 = tuple(a for a in CLIENT_ADDRESSES if ":" in a)
    out = {}
    for name, addresses in (("ipv4", ipv4), ("ipv6", ipv6), ("private", PRIVATE), ("not an address", NOT_ADDRESSES)):
        # Less the loop's own cost (the same loop calling len), so the figure is the lookup's.
        runs = [_per_call_ns(country_of, addresses, count) - _per_call_ns(len, addresses, count) for _ in range(repeat)]
        out[name] = statistics.median(runs)
    return out


def handler_with_and_without(count: int, repeat: int) -> dict[str, float]:
    from ingest_lambda import enrich

    handle = benched_handler(CountingStore())
    workload = requests(count, 1, seed=count, cloudfront_country=False)
    looked_up: list[float] = []
    skipped: list[float] = []
    pair: list[tuple[Callable[[object], str | None], list[float]]] = [(country_of, looked_up), (_no_country, skipped)]
    for _ in range(repeat):
        pair.reverse()  # each goes first as often as the other
        for lookup, times in pair:
            enrich.country_of = lookup  # type: ignore[assignment]
            gc.collect()
            start = time.process_time_ns()
            for event in workload:
                handle(event)
            times.append((time.process_time_ns() - start) / count)
    enrich.country_of = country_of
    return {
        "with_lookup_us": statistics.median(looked_up) / 1000,
        "without_lookup_us": statistics.median(skipped) / 1000,
        "with_lookup_events_per_s": 1e9 / statistics.median(looked_up),
        "without_lookup_events_per_s": 1e9 / statistics.median(skipped),
    }


def _no_country(address: object) -> str | None:
    return None


def generator_addresses(count: int, repeat: int) -> dict[str, float]:
    """``clickstream generate``'s side: probing the database for each country's blocks (once per process, timed in
    fresh interpreters) and drawing a visitor's address."""
    probe_ms = []
    for _ in range(repeat):
        result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        probe_ms.append(int(result.stdout) / 1e6)
    from local_only.simulator.addresses import address_in_country, country_blocks
    from local_only.simulator.geography import COUNTRIES

    country_blocks()
    codes = [COUNTRIES[i % len(COUNTRIES)].code for i in range(count)]
    per_address = []
    for run in range(repeat):
        rng = random.Random(run)
        start = time.process_time_ns()
        for code in codes:
            address_in_country(code, rng)
        per_address.append((time.process_time_ns() - start) / count)
    return {"probe_blocks_ms": statistics.median(probe_ms), "address_us": statistics.median(per_address) / 1000}


def _importtime(stderr: str, module: str) -> int:
    """Cumulative microseconds `-X importtime` reports for `module`."""
    match = re.search(rf"^import time:\s+\d+ \|\s+(\d+) \|\s+{re.escape(module)}$", stderr, re.MULTILINE)
    return int(match.group(1)) if match else 0


def loading(repeat: int) -> dict[str, float]:
    handler_us, iptocc_us, module_us, first_ns = [], [], [], []
    for _ in range(repeat):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", FIRST_LOOKUP], capture_output=True, text=True, check=True
        )
        total_ns, first = (int(value) for value in result.stdout.split())
        handler_us.append(total_ns / 1000)
        first_ns.append(first)
        iptocc_us.append(_importtime(result.stderr, "iptocc"))
        module_us.append(_importtime(result.stderr, "ingest_lambda.ip_country"))
    return {
        "handler_import_ms": statistics.median(handler_us) / 1000,
        "iptocc_import_ms": statistics.median(iptocc_us) / 1000,
        "ip_country_import_ms": statistics.median(module_us) / 1000,
        "first_lookup_us": statistics.median(first_ns) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lookups", type=int, default=200_000, help="calls per run")
    parser.add_argument("--requests", type=int, default=20_000, help="single-event requests per handler run")
    parser.add_argument("--repeat", type=int, default=7, help="runs; medians are reported")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    per_call = lookups(args.lookups, args.repeat)
    handler = handler_with_and_without(args.requests, args.repeat)
    load = loading(args.repeat)
    generator = generator_addresses(20_000, args.repeat)
    print(f"python {sys.version.split()[0]}, one core, {args.repeat} runs, medians")
    for name, ns in per_call.items():
        print(f"country_of, {name:<15} {ns:>8.0f} ns a lookup")
    print(
        f"handler, a single-event request: {handler['with_lookup_us']:.1f} us CPU with the lookup "
        f"({handler['with_lookup_events_per_s']:,.0f} events/s), {handler['without_lookup_us']:.1f} us without "
        f"({handler['without_lookup_events_per_s']:,.0f} events/s)"
    )
    print(
        f"cold start: ingest_lambda.handler imported in {load['handler_import_ms']:.1f} ms, of which iptocc "
        f"{load['iptocc_import_ms']:.2f} ms and ingest_lambda.ip_country {load['ip_country_import_ms']:.2f} ms; "
        f"the first lookup {load['first_lookup_us']:.1f} us"
    )
    print(
        f"generate: the blocks probed in {generator['probe_blocks_ms']:.0f} ms CPU once per process, "
        f"then {generator['address_us']:.1f} us an address"
    )
    results = {"lookup_ns": per_call, "handler": handler, "loading": load, "generator": generator}
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
