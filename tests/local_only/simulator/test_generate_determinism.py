"""Same seed and options, same traffic: byte for byte, whatever the number of worker processes."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from support.generated_store import StoredOutput

from local_only.simulator.plan import (
    TrafficOptions,
    UnitTraffic,
    combined_fingerprint,
    iter_requests,
    iter_units,
    unit_traffic,
)
from local_only.simulator.run import GenerationSummary


def _bodies(options: TrafficOptions) -> list[bytes]:
    return [orjson.dumps(request.event, option=orjson.OPT_SORT_KEYS) for request in iter_requests(options)]


@pytest.mark.unit
def test__generate__same_seed_gives_byte_identical_requests(
    options: TrafficOptions, traffic: list[UnitTraffic]
) -> None:
    """Generating twice with the same options yields the same API Gateway events, bodies included."""
    # GIVEN the requests of a first generation
    first = [orjson.dumps(r.event, option=orjson.OPT_SORT_KEYS) for unit in traffic for r in unit.requests]

    # WHEN the same options are generated again
    second = _bodies(options)

    # THEN every request is byte-identical, in the same order
    assert len(first) > 5_000
    assert first == second


@pytest.mark.unit
def test__generate__another_seed_gives_other_traffic(options: TrafficOptions, traffic: list[UnitTraffic]) -> None:
    """The seed is what varies the traffic."""
    other = replace(options, seed=options.seed + 1, days=1)
    first_day = [orjson.dumps(r.event, option=orjson.OPT_SORT_KEYS) for r in traffic[0].requests]
    assert set(first_day).isdisjoint(_bodies(other)[: len(first_day)])


@pytest.mark.unit
def test__generate__units_do_not_depend_on_the_order_they_run_in(
    options: TrafficOptions, traffic: list[UnitTraffic]
) -> None:
    """What a worker process produces for a unit depends on the unit alone, not on what ran before it."""
    # GIVEN the work units, simulated in reverse order (as a second worker might pick them up)
    units = list(iter_units(options))
    reversed_runs = {unit.name: unit_traffic(options, unit).fingerprint() for unit in reversed(units)}

    # THEN each unit's requests are the same as when simulated in order
    assert reversed_runs == {unit.unit.name: unit.fingerprint() for unit in traffic}


@pytest.mark.integration
def test__generate__one_and_two_workers_store_the_same_objects(
    cli_run: tuple[str, StoredOutput],
    api_run: tuple[GenerationSummary, StoredOutput],
    traffic: list[UnitTraffic],
    client_event_ids: set[str],
) -> None:
    """`generate --days 2 --seed 7` with one worker and the API with two: same requests, same stored objects."""
    # GIVEN two runs of the same options: the CLI in one process, the Python API over two worker processes
    cli_output, cli_store = cli_run
    summary, api_store = api_run

    # THEN both sent byte-identical requests: the run fingerprint covers every API Gateway event
    expected = combined_fingerprint([(unit.unit.name, unit.fingerprint()) for unit in traffic])
    assert summary.fingerprint == expected
    assert f"fingerprint      {expected[:16]}" in cli_output

    # AND they stored the same objects under the same hours, line for line; only what the server mints at random
    # (object names, ids of events sent without one) is left out of the comparison
    cli_objects = cli_store.comparable(client_event_ids)
    assert len(cli_objects) == summary.objects_written
    assert cli_objects == api_store.comparable(client_event_ids)
