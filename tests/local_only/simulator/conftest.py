"""Shared runs of ``clickstream generate``: the pure generator once, and two real runs into temporary file stores.

The runs are session-scoped because every check reads the same two days of traffic; generating it once per test
would cost the suite minutes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from support.generated_store import StoredOutput, read_store

from local_only.simulator.command import generate_command
from local_only.simulator.plan import TrafficOptions, UnitTraffic, iter_traffic, visits_for_events
from local_only.simulator.requests import ApiRequest, decode_body
from local_only.simulator.run import GenerationSummary, generate

# A Friday and a Saturday, so weekday and weekend traffic are both present.
START = date(2025, 3, 7)
DAYS = 2
SEED = 7
EVENTS_PER_DAY = 20_000


@pytest.fixture(scope="session")
def options() -> TrafficOptions:
    return TrafficOptions(start=START, days=DAYS, seed=SEED, visits_per_day=visits_for_events(EVENTS_PER_DAY))


@pytest.fixture(scope="session")
def traffic(options: TrafficOptions) -> list[UnitTraffic]:
    return list(iter_traffic(options))


@pytest.fixture(scope="session")
def generated(traffic: list[UnitTraffic]) -> list[ApiRequest]:
    return [request for unit in traffic for request in unit.requests]


@pytest.fixture(scope="session")
def sent_events(generated: list[ApiRequest]) -> list[dict[str, Any]]:
    """Every event as the browsers sent it, retries included."""
    return [event for request in generated for event in decode_body(request.event)]


@pytest.fixture(scope="session")
def client_event_ids(sent_events: list[dict[str, Any]]) -> set[str]:
    return {event["eventId"] for event in sent_events if "eventId" in event}


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, StoredOutput]:
    """``clickstream generate --days 2 --seed 7`` in one process, into a temporary file store."""
    root = tmp_path_factory.mktemp("generate-cli") / "raw"
    args = ["--days", str(DAYS), "--seed", str(SEED), "--start", f"{START:%Y-%m-%d}"]
    args += ["--store", f"{root.as_uri()}?fsync=false", "--workers", "1"]
    result = CliRunner().invoke(generate_command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output, read_store(root)


@pytest.fixture(scope="session")
def api_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerationSummary, StoredOutput]:
    """The same options through the Python API, with two worker processes."""
    root = tmp_path_factory.mktemp("generate-api") / "raw"
    summary = generate(
        f"{root.as_uri()}?fsync=false",
        days=DAYS,
        start=START,
        seed=SEED,
        events_per_day=EVENTS_PER_DAY,
        workers=2,
    )
    return summary, read_store(root)
