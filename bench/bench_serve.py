"""Load benchmark of `clickstream serve`: valid single-event POSTs from 1, 8 and 64 concurrent clients, then 64
again with hostile clients alongside (headers over the cap, 10 MiB bodies, clients that trickle their headers).

The real command runs in a subprocess on 127.0.0.1 (a fresh one for each scenario, so its peak memory is that
scenario's), writing to a temporary file store without fsync, so the figure is the server and the handler, not
the disk. The clients are asyncio connections in this process. Each valid client is a closed loop: it sends one
event, reads the answer, sends the next, on a kept-alive connection as a browser would reuse it, reconnecting
when the server closes it; a request's latency includes that reconnect. Every request is bounded by a 10 s timeout
and every scenario by its duration; all traffic stays on loopback.

    .venv/bin/python -m bench.bench_serve [--seconds 5] [--repeat 3] [--code DIR]

`--code DIR` runs the server from another checkout (e.g. the code before the limits, extracted with
``git archive <commit> | tar -x -C /tmp/serve-old``) with this checkout's virtualenv.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

HOST = "127.0.0.1"
# The store lives in memory: creating a file on this machine's shared disk takes 1-2 ms under load, which would
# measure the disk (the file store's own cost is in the generate benchmark) instead of the server.
STORE_PARENT = "/dev/shm" if Path("/dev/shm").is_dir() else None
REQUEST_TIMEOUT = 10.0
CONCURRENCIES = (1, 8, 64)
HOSTILE_HEADER_CLIENTS = 2
HOSTILE_BODY_CLIENTS = 2
HOSTILE_SLOW_CLIENTS = 8
BIG_BODY_BYTES = 10 * 1024 * 1024
BIG_HEADER_LINES = 40
EVENT = orjson.dumps(
    {
        "eventName": "view_product",
        "clientId": "bench-client",
        "sessionId": "bench-session",
        "pageUrl": "https://shop.example/products/p-1",
        "product": {"id": "p-1", "name": "Bench", "price": 12.5},
    }
)
REQUEST = (
    b"POST /clickstream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nUser-Agent: bench\r\n"
    + f"Content-Length: {len(EVENT)}\r\n\r\n".encode()
    + EVENT
)


class Answer:
    """Status, and whether the server keeps the connection open."""

    def __init__(self, status: int, keep_alive: bool) -> None:
        self.status = status
        self.keep_alive = keep_alive


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(status, headers.get("connection", "").lower() != "close")


@dataclass
class ValidStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


async def valid_client(port: int, stop_at: float, stats: ValidStats, interval: float = 0.0) -> None:
    """Requests back to back, or one every `interval` seconds (a browser sending beacons) when it is given."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    # Paced clients start spread over one interval, not all at once.
    next_at = time.monotonic() + random.random() * interval
    while time.monotonic() < stop_at:
        if interval:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
        started = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                assert reader is not None
                writer.write(REQUEST)
                answer = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            stats.errors[type(exc).__name__] += 1
            answer = None
        stats.latencies.append(time.perf_counter() - started)
        if answer is not None:
            stats.statuses[answer.status] += 1
        if (answer is None or not answer.keep_alive) and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _hostile_loop(stop_at: float, outcomes: Counter[str], attempt: Callable[[], Awaitable[str]]) -> None:
    while time.monotonic() < stop_at:
        try:
            async with asyncio.timeout(max(0.1, min(REQUEST_TIMEOUT, stop_at - time.monotonic()))):
                outcomes[await attempt()] += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            outcomes[type(exc).__name__] += 1
            await asyncio.sleep(0.01)


async def big_headers(port: int) -> str:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        padding = "".join(f"X-Padding-{n}: {'a' * 400}\r\n" for n in range(BIG_HEADER_LINES))
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{padding}\r\n".encode())
        return f"headers {(await read_answer(reader)).status}"
    finally:
        writer.close()


async def big_body(port: int) -> str:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        head = (
            "POST /clickstream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BIG_BODY_BYTES}\r\n\r\n"
        )
        writer.write(head.encode())
        chunk = b'{"events":[' + b"1," * 32_000
        sent = 0
        answer: asyncio.Task[Answer] = asyncio.ensure_future(read_answer(reader))
        try:
            while sent < BIG_BODY_BYTES and not answer.done():
                piece = chunk[: BIG_BODY_BYTES - sent]
                writer.write(piece)
                sent += len(piece)
                await writer.drain()
            return f"10 MiB body {(await answer).status}"
        finally:
            _forget(answer)
    finally:
        writer.close()


async def slow_headers(port: int) -> str:
    """One header byte every 0.5 s, until the server answers or closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(b"POST /clickstream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = asyncio.ensure_future(read_answer(reader))
        try:
            while not answer.done():
                writer.write(b"a")
                await writer.drain()
                await asyncio.wait([answer], timeout=0.5)
            return f"slow {(await answer).status}"
        finally:
            _forget(answer)
    finally:
        writer.close()


def _forget(task: asyncio.Task[Answer]) -> None:
    """Cancel a pending read, or take its exception, so that asyncio does not report it as never retrieved."""
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()


@dataclass
class Result:
    label: str
    clients: int
    hostile: bool
    seconds: float
    valid: ValidStats
    hostile_outcomes: Counter[str]
    peak_rss_mb: float
    server_cpu_seconds: float

    @property
    def requests(self) -> int:
        return len(self.valid.latencies)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.valid.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.valid.statuses.items() if not 200 <= status < 300) + sum(
            self.valid.errors.values()
        )

    @property
    def five_xx(self) -> int:
        return sum(n for status, n in self.valid.statuses.items() if status >= 500)


async def drive(
    port: int, clients: int, hostile: bool, seconds: float, interval: float = 0.0
) -> tuple[ValidStats, Counter[str], float]:
    stats = ValidStats()
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    stop_at = started + seconds
    tasks = [valid_client(port, stop_at, stats, interval) for _ in range(clients)]
    if hostile:
        tasks += [_hostile_loop(stop_at, outcomes, lambda: big_headers(port)) for _ in range(HOSTILE_HEADER_CLIENTS)]
        tasks += [_hostile_loop(stop_at, outcomes, lambda: big_body(port)) for _ in range(HOSTILE_BODY_CLIENTS)]
        tasks += [_hostile_loop(stop_at, outcomes, lambda: slow_headers(port)) for _ in range(HOSTILE_SLOW_CLIENTS)]
    await asyncio.gather(*tasks)
    return stats, outcomes, time.monotonic() - started


def start_server(code: Path, store: Path, extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "HASH_SALT": "bench-salt", "RAW_STORE_URL": f"{store.as_uri()}?fsync=false"}
    env.pop("PYTHONPATH", None)
    command = [
        sys.executable,
        "-c",
        "from clickstream.cli import main; main()",
        "serve",
        "--host",
        HOST,
        "--port",
        "0",
        *extra,
    ]
    process = subprocess.Popen(command, cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on http://" not in line:
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    port = int(line.split("listening on http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    return process, port


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def warm_up(port: int) -> None:
    """One request before the clock starts: the first one pays for lazy imports and the user-agent parser."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(REQUEST)
    await read_answer(reader)
    writer.close()


@dataclass(frozen=True)
class Scenario:
    clients: int
    hostile: bool = False
    # Seconds between one client's requests; 0: back to back.
    interval: float = 0.0

    @property
    def label(self) -> str:
        label = f"{self.clients} client{'s' if self.clients > 1 else ''}"
        if self.interval:
            label += f", {1 / self.interval:g} requests/s each"
        return label + (" + hostile" if self.hostile else "")


def run_scenario(code: Path, scenario: Scenario, seconds: float, extra: list[str]) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-serve-", dir=STORE_PARENT) as tmp:
        process, port = start_server(code, Path(tmp), extra)
        try:
            asyncio.run(warm_up(port))
            cpu_before = cpu_seconds(process.pid)
            stats, outcomes, elapsed = asyncio.run(
                drive(port, scenario.clients, scenario.hostile, seconds, scenario.interval)
            )
            peak = peak_rss_mb(process.pid)
            cpu = cpu_seconds(process.pid) - cpu_before
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return Result(scenario.label, scenario.clients, scenario.hostile, elapsed, stats, outcomes, peak, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each scenario")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every scenario; medians are reported")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1], help="checkout to serve")
    parser.add_argument("--clients", type=int, nargs="*", default=list(CONCURRENCIES))
    parser.add_argument("--no-hostile", action="store_true", help="skip the scenarios with hostile clients")
    parser.add_argument(
        "--paced", type=float, default=10.0, help="requests/s of each client in the paced scenarios (0: none)"
    )
    parser.add_argument("--workers", type=int, default=None, help="`clickstream serve --workers` (default: its own)")
    args = parser.parse_args()

    extra = [] if args.workers is None else ["--workers", str(args.workers)]
    most = max(args.clients)
    scenarios = [Scenario(clients) for clients in args.clients]
    if not args.no_hostile:
        scenarios.append(Scenario(most, hostile=True))
    if args.paced:
        scenarios.append(Scenario(most, interval=1 / args.paced))
        if not args.no_hostile:
            scenarios.append(Scenario(most, hostile=True, interval=1 / args.paced))
    print(f"server from {args.code}; {args.seconds:g} s a scenario, {args.repeat} runs; load {os.getloadavg()[0]:.1f}")
    print(
        "| scenario | requests/s | p50 | p99 | max | non-2xx (5xx) | server CPU per request | server peak RSS "
        "| hostile answers |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in scenarios:
        runs = [run_scenario(args.code, scenario, args.seconds, extra) for _ in range(args.repeat)]
        for run in runs:
            print(
                f"  run: {run.requests / run.seconds:,.0f} req/s p50 {run.percentile(0.5):.1f} ms "
                f"p99 {run.percentile(0.99):.1f} ms non-2xx {run.non_2xx} errors {dict(run.valid.errors)}",
                file=sys.stderr,
            )
        hostile_answers = Counter[str]()
        for run in runs:
            hostile_answers.update(run.hostile_outcomes)
        shown = ", ".join(f"{what}: {n}" for what, n in sorted(hostile_answers.items())) or "-"
        print(
            f"| {runs[0].label} "
            f"| {statistics.median(r.requests / r.seconds for r in runs):,.0f} "
            f"| {statistics.median(r.percentile(0.5) for r in runs):.1f} ms "
            f"| {statistics.median(r.percentile(0.99) for r in runs):.1f} ms "
            f"| {statistics.median(max(r.valid.latencies) * 1000 for r in runs):.0f} ms "
            f"| {statistics.median(r.non_2xx for r in runs):.0f} ({statistics.median(r.five_xx for r in runs):.0f}) "
            f"| {statistics.median(r.server_cpu_seconds / max(1, r.requests) * 1e6 for r in runs):,.0f} µs "
            f"| {statistics.median(r.peak_rss_mb for r in runs):.0f} MB "
            f"| {shown} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
