"""`make demo` end to end: `clickstream demo --no-dashboard` on a clean data folder, then again on the same one.

Each repeat starts from nothing: a new data folder (so a new PostgreSQL the demo starts and owns, fsync on), the
default size (about 300,000 events over 14 days). The first run is what a newcomer waits for; the second is a rerun
that reuses everything (no generation, every object already loaded, incremental builds). The demo prints its own
per-step times; this collects them and the wall time of the whole command (PostgreSQL's start included).

    .venv/bin/python -m bench.bench_demo [--repeat 3] [--size default]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLICKSTREAM = str(Path(sys.executable).with_name("clickstream"))
_STEP = re.compile(r"([a-z ]+?) ([0-9.]+) s")


def _demo(data: Path, *args: str) -> tuple[float, dict[str, float]]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DW_PG_")}
    env["CLICKSTREAM_DATA_DIR"] = str(data)
    started = time.perf_counter()
    process = subprocess.run(
        [CLICKSTREAM, "demo", "--no-dashboard", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"demo failed ({process.returncode}):\n{process.stdout}\n{process.stderr}")
    ready = next(line for line in process.stdout.splitlines() if line.startswith("pipeline ready in "))
    steps = {name.strip(): float(value) for name, value in _STEP.findall(ready.removeprefix("pipeline ready in "))}
    steps.pop("total", None)
    return seconds, steps


def _load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", default="default")
    options = parser.parse_args()
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"first run": [], "rerun": []}
    for n in range(options.repeat):
        root = Path(tempfile.mkdtemp(prefix="bench-demo-"))
        root.chmod(0o755)
        try:
            for label, measured in runs.items():
                before = _load_average()
                measured.append(_demo(root / "data", "--size", options.size))
                print(f"repeat {n + 1} {label}: {measured[-1][0]:.1f} s (load average {before})", flush=True)
        finally:
            _demo_stop(root / "data")
            shutil.rmtree(root, ignore_errors=True)
    for label, measured in runs.items():
        steps = sorted({step for _, found in measured for step in found})
        medians = {step: statistics.median(found.get(step, 0.0) for _, found in measured) for step in steps}
        wall = statistics.median(seconds for seconds, _ in measured)
        print(
            f"{label}: wall {wall:.1f} s (median of {len(measured)}); "
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in medians.items())
        )


def _demo_stop(data: Path) -> None:
    env = {**os.environ, "CLICKSTREAM_DATA_DIR": str(data)}
    subprocess.run([CLICKSTREAM, "demo", "--stop"], env=env, capture_output=True, check=False)


if __name__ == "__main__":
    main()
