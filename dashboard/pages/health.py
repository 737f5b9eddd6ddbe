"""Data health: how fresh the last load and transform are, and what every received hour brought."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.data_access import Filters, HealthData, Warehouse, health
from dashboard.pages.loading import Problem, attempt, when_loaded


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.output_ui("freshness"),
        ui.layout_columns(
            ui.card(ui.card_header("Events per received hour (UTC)"), ui.output_ui("events")),
            ui.card(ui.card_header("Load lag"), ui.output_ui("lag")),
            col_widths=(6, 6),
        ),
    )


def is_stale(moment: datetime | None, now: datetime, limit: timedelta) -> bool:
    return moment is None or now - moment > limit


def freshness_box(title: str, moment: datetime | None, now: datetime, limit: timedelta, detail: str) -> ui.Tag:
    stale = is_stale(moment, now, limit)
    return ui.value_box(
        title,
        ui.span(formatting.age(moment, now), data_health=title.lower().replace(" ", "-")),
        ui.span(detail, class_="small"),
        ui.span(f"stale: older than {limit.total_seconds() / 60:.0f} min" if stale else "fresh", class_="small"),
        theme="danger" if stale else "success",
        data_stale=str(stale).lower(),
    )


def freshness_row(data: HealthData, now: datetime, limit: timedelta) -> ui.Tag:
    runs = data.transforms
    if runs.unavailable:
        transform_detail = runs.unavailable
    elif runs.last_status and runs.last_status != "success":
        transform_detail = f"latest attempt: {runs.last_status}" + (
            f" ({runs.last_error[:120]})" if runs.last_error else ""
        )
    else:
        transform_detail = "latest attempt succeeded" if runs.last_status else "no build recorded"
    totals = data.totals
    return ui.layout_column_wrap(
        freshness_box(
            "Last load",
            data.last_loaded_at,
            now,
            limit,
            f"at {data.last_loaded_at:%Y-%m-%d %H:%M} UTC" if data.last_loaded_at else "nothing loaded",
        ),
        freshness_box("Last transform", runs.last_success_at, now, limit, transform_detail),
        ui.value_box(
            "Rejected lines",
            ui.span(formatting.count(totals["rejected_lines"]), data_health="rejected-lines"),
            ui.span(f"and {formatting.count(totals['rejected_objects'])} whole objects", class_="small"),
            theme="warning" if totals["rejected_lines"] or totals["rejected_objects"] else None,
        ),
        ui.value_box(
            "Bot share",
            ui.span(formatting.percent(totals["bot_share"]), data_health="bot-share"),
            ui.span(f"{formatting.count(totals['bot_events'])} bot events", class_="small"),
        ),
        ui.value_box(
            "Events modelled",
            ui.span(formatting.count(totals["modelled_events"]), data_health="modelled"),
            ui.span(f"of {formatting.count(totals['raw_rows'])} raw rows", class_="small"),
        ),
        width="220px",
        fill=False,
    )


@module.server
def page_server(
    input: Inputs,
    output: Outputs,
    session: Session,
    warehouse: Warehouse,
    filters: Callable[[], Filters],
    stale_after: timedelta,
) -> None:
    @reactive.calc
    def data() -> HealthData | Problem:
        return attempt(lambda: health(warehouse, filters()))

    @render.ui
    @when_loaded(data)
    def freshness(loaded: HealthData) -> ui.TagChild:
        return freshness_row(loaded, datetime.now(UTC), stale_after)

    @render.ui
    @when_loaded(data)
    def events(loaded: HealthData) -> ui.TagChild:
        hours = [row["received_hour"] for row in loaded.hours]
        return charts.lines(
            "health-events",
            "Raw rows, modelled events, rejected lines and bot events",
            hours,
            {
                "Raw rows": [row["raw_rows"] for row in loaded.hours],
                "Modelled events": [row["modelled_events"] for row in loaded.hours],
                "Rejected lines": [row["rejected_lines"] for row in loaded.hours],
                "Bot events": [row["bot_events"] for row in loaded.hours],
            },
        )

    @render.ui
    @when_loaded(data)
    def lag(loaded: HealthData) -> ui.TagChild:
        hours = [row["received_hour"] for row in loaded.hours]
        return charts.lines(
            "health-lag",
            "Seconds from receipt to load (median and maximum per hour)",
            hours,
            {
                "Median": [row["median_load_lag_seconds"] for row in loaded.hours],
                "Maximum": [row["max_load_lag_seconds"] for row in loaded.hours],
            },
        )
