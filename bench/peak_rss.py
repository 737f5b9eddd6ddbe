"""A command in its own process, timed, with its peak RSS: the benchmarks' measure of what a scheduled run costs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

# The command's peak RSS is read by a tiny wrapper process whose only child it is (the bench's own process has
# other children, e.g. initdb and pg_ctl, and RUSAGE_CHILDREN is the largest of them all).
_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime); sys.exit(code)"
)


@dataclass(frozen=True)
class MeasuredRun:
    seconds: float
    peak_rss_mb: float
    # user + system CPU time of the command and its children: on a shared, loaded machine the wall time is mostly
    # waiting for a core, the CPU time is what the run itself cost
    cpu_seconds: float
    returncode: int
    stdout: str  # the command's own output, the wrapper's line taken off
    stderr: str


def run_measured(command: list[str], env: Mapping[str, str]) -> MeasuredRun:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], env=dict(env), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    *output, usage = result.stdout.strip().splitlines() or ["0 0"]
    peak, cpu = usage.split()
    return MeasuredRun(seconds, int(peak) / 1024, float(cpu), result.returncode, "\n".join(output), result.stderr)
