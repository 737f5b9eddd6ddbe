"""`clickstream dashboard` as a child process on a free port, for as long as a block needs it: the browser tests,
the README's screenshot (local_only/readme_screenshot.py)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_only.postgres import free_port

CLICKSTREAM = Path(sys.executable).parent / "clickstream"


class DashboardNotServing(RuntimeError):
    """The dashboard exited or did not answer; the message carries its log."""


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DashboardNotServing(f"the dashboard exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise DashboardNotServing(f"the dashboard did not answer within {seconds} s:\n{log.read_text()}")


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """`clickstream dashboard` as a subprocess on a free port (its output in `log`); its URL until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(CLICKSTREAM), "dashboard", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
