"""Data health's data: loads, refusals and lag by hour, the data's freshness and the last transform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dashboard.filters import Filters, filter_params
from dashboard.rate_sql import ratio
from dashboard.warehouse import MartsMissing, Row, Warehouse
from warehouse.connection import WarehouseUnreachable


@dataclass(frozen=True)
class TransformRuns:
    last_success_at: datetime | None
    last_status: str | None
    last_started_at: datetime | None
    last_error: str | None
    # Why there is nothing to say (ops.transform_runs missing or unreadable), else None.
    unavailable: str | None = None


@dataclass(frozen=True)
class Freshness:
    """How far the data reaches, as of the last build: the newest event modelled ("data up to") and loaded (both
    by when the ingest received it), and when the loader last landed anything. The age of the data, not of the
    last run: a loader that runs every hour over an empty bucket does not make the data fresh."""

    newest_modelled_at: datetime | None
    newest_loaded_at: datetime | None
    last_loaded_at: datetime | None


@dataclass(frozen=True)
class HealthData:
    freshness: Freshness
    hours: list[Row]
    totals: Row
    transforms: TransformRuns
    # marts.ingest_refusals_hourly in the range: one row per hour, kind and reason.
    refusals: list[Row]
    # The same summed per kind and reason, most first.
    refusal_reasons: list[Row]


def transform_runs(warehouse: Warehouse) -> TransformRuns:
    """The last successful and the last attempted build, from ops.transform_runs when it exists."""
    try:
        rows = warehouse.fetch(
            "health.transforms",
            """
            select
                (select max(finished_at) from ops.transform_runs where status = 'success') as last_success_at,
                latest.status as last_status,
                latest.started_at as last_started_at,
                latest.error as last_error
            from (select 1) as one
            left join lateral (
                select status, started_at, error from ops.transform_runs order by started_at desc limit 1
            ) as latest on true
            """,
            {},
        )
    except MartsMissing:
        return TransformRuns(None, None, None, None, unavailable="no transform is recorded yet (ops.transform_runs)")
    except WarehouseUnreachable as error:
        if "may not read" not in str(error):
            raise
        return TransformRuns(None, None, None, None, unavailable="the dashboard may not read ops.transform_runs")
    row = rows[0]
    return TransformRuns(row["last_success_at"], row["last_status"], row["last_started_at"], row["last_error"])


def freshness(warehouse: Warehouse) -> Freshness:
    """The newest event modelled and loaded, and the last load, from marts.pipeline_health_hourly."""
    row = warehouse.fetch(
        "health.freshness",
        """
        select
            max(newest_modelled_at) as newest_modelled_at,
            max(newest_received_at) as newest_loaded_at,
            max(last_loaded_at) as last_loaded_at
        from marts.pipeline_health_hourly
        """,
        {},
    )[0]
    return Freshness(row["newest_modelled_at"], row["newest_loaded_at"], row["last_loaded_at"])


def refusals(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """marts.ingest_refusals_hourly for the range's UTC days."""
    return warehouse.fetch(
        "health.refusals",
        """
        select received_hour, refusal_kind, refusal_reason, refusals, requests
        from marts.ingest_refusals_hourly
        where received_hour >= %(start)s::timestamp at time zone 'UTC'
            and received_hour < (%(end)s::date + 1)::timestamp at time zone 'UTC'
        order by received_hour, refusal_kind, refusal_reason
        """,
        filter_params(filters),
    )


def refusal_reasons(rows: list[Row]) -> list[Row]:
    """The range's refusals by kind and reason, most first: new rows, so the cached hourly rows stay as they are."""
    totals: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row["refusal_kind"], row["refusal_reason"])
        total = totals.setdefault(key, {"refusal_kind": key[0], "refusal_reason": key[1], "refusals": 0, "requests": 0})
        total["refusals"] += row["refusals"]
        total["requests"] += row["requests"]
    return sorted(
        totals.values(), key=lambda total: (-total["refusals"], total["refusal_kind"], total["refusal_reason"])
    )


def health(warehouse: Warehouse, filters: Filters) -> HealthData:
    """marts.pipeline_health_hourly and marts.ingest_refusals_hourly for the range's UTC days, the data's freshness
    and the last transform's."""
    hours = warehouse.fetch(
        "health.hours",
        """
        select
            received_hour,
            objects_loaded,
            raw_rows,
            rejected_lines,
            rejected_objects,
            modelled_events,
            bot_events,
            median_load_lag_seconds,
            max_load_lag_seconds,
            median_load_lag_minutes
        from marts.pipeline_health_hourly
        where received_hour >= %(start)s::timestamp at time zone 'UTC'
            and received_hour < (%(end)s::date + 1)::timestamp at time zone 'UTC'
        order by received_hour
        """,
        filter_params(filters),
    )
    totals: Row = {
        name: sum(row[name] or 0 for row in hours)
        for name in ("objects_loaded", "raw_rows", "rejected_lines", "rejected_objects", "modelled_events")
    }
    totals["bot_events"] = sum(row["bot_events"] or 0 for row in hours)
    totals["bot_share"] = ratio(totals["bot_events"], totals["modelled_events"])
    lags = [row["max_load_lag_seconds"] for row in hours if row["max_load_lag_seconds"] is not None]
    totals["max_load_lag_seconds"] = max(lags) if lags else None
    # The lag of the newest hour with raw rows: what the loader does now, not a day's average.
    latest = [row["median_load_lag_minutes"] for row in hours if row["median_load_lag_minutes"] is not None]
    totals["latest_load_lag_minutes"] = latest[-1] if latest else None
    refused = refusals(warehouse, filters)
    totals["refusals"] = sum(row["refusals"] for row in refused)
    return HealthData(freshness(warehouse), hours, totals, transform_runs(warehouse), refused, refusal_reasons(refused))
