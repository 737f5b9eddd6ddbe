"""The funnel's data: sessions reaching each step, overall and split by device type or channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from psycopg2 import sql

from dashboard.filters import Filters, filter_params, mart_conditions
from dashboard.rate_sql import ratio
from dashboard.warehouse import Row, Warehouse

SplitBy = Literal["device_type", "channel"]
SPLITS: dict[SplitBy, str] = {"device_type": "Device type", "channel": "Channel"}


@dataclass(frozen=True)
class FunnelStep:
    number: int
    name: str
    sessions: int
    # Of the previous step's sessions (of all sessions for the first step).
    step_conversion: float | None
    dropped: int


@dataclass(frozen=True)
class FunnelData:
    sessions: int
    steps: list[FunnelStep]
    split_by: SplitBy
    # segment -> sessions reaching each step, in step order
    segments: dict[str, list[int]] = field(default_factory=dict)


def funnel_steps(sessions: int, counts: Sequence[tuple[int, str, int]]) -> list[FunnelStep]:
    """Step conversion and drop-off from the sessions reaching each step (in step order)."""
    steps = []
    before = sessions
    for number, name, reached in counts:
        steps.append(FunnelStep(number, name, reached, ratio(reached, before), before - reached))
        before = reached
    return steps


def funnel(warehouse: Warehouse, filters: Filters, split_by: SplitBy = "device_type") -> FunnelData:
    """The funnel of marts.funnel_steps_daily for the filters, overall and split by device type or channel."""
    if split_by not in SPLITS:
        raise ValueError(f"the funnel splits by one of {sorted(SPLITS)}, not {split_by!r}")
    conditions = mart_conditions(filters, "session_date", sliced=True)
    rows = warehouse.fetch(
        "funnel.steps",
        sql.SQL(
            """
            select
                step_number,
                step_name,
                {split} as segment,
                sum(sessions) as sessions,
                sum(slice_sessions) as slice_sessions
            from marts.funnel_steps_daily
            where {conditions}
            group by step_number, step_name, {split}
            order by step_number, {split}
            """
        ).format(split=sql.Identifier(split_by), conditions=conditions),
        filter_params(filters),
    )
    totals: dict[tuple[int, str], int] = {}
    all_sessions = 0
    for row in rows:
        step = (row["step_number"], row["step_name"])
        totals[step] = totals.get(step, 0) + int(row["sessions"])
        if row["step_number"] == 1:
            all_sessions += int(row["slice_sessions"])
    counts = [(number, name, reached) for (number, name), reached in sorted(totals.items())]
    segments = segment_counts(rows, [number for number, _, _ in counts])
    return FunnelData(all_sessions, funnel_steps(all_sessions, counts), split_by, segments)


def segment_counts(rows: Sequence[Row], step_numbers: Sequence[int]) -> dict[str, list[int]]:
    """Each segment's sessions at every step, in step order: 0 where the mart has no row for a segment's step, so a
    segment no session of which reached a step lines up with the step names all the same."""
    reached: dict[str, dict[int, int]] = {}
    for row in rows:
        by_step = reached.setdefault(row["segment"], {})
        by_step[row["step_number"]] = by_step.get(row["step_number"], 0) + int(row["sessions"])
    return {segment: [by_step.get(number, 0) for number in step_numbers] for segment, by_step in reached.items()}
