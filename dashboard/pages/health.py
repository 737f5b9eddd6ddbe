"""Data health: how far the data reaches (not when a job last ran), what the ingest refused and why, the load lag,
and what every received hour brought."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.health import HealthData, health
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.warehouse import Row, Warehouse

# Reasons named in the refusals chart; the rest are summed as "other reasons".
CHART_REASONS = 6


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.output_ui("freshness"),
        ui.layout_columns(
            ui.card(
                card_header("Ingest refusals per received hour (UTC), by reason", "refusals_csv"),
                ui.output_ui("refusals"),
            ),
            ui.card(card_header("Ingest refusals by reason", "reasons_csv"), ui.output_ui("reasons")),
            col_widths=(7, 5),
        ),
        ui.layout_columns(
            ui.card(card_header("Events per received hour (UTC)", "events_csv"), ui.output_ui("events")),
            ui.card(card_header("Load lag (minutes)", "lag_csv"), ui.output_ui("lag")),
            col_widths=(6, 6),
        ),
    )


def is_stale(moment: datetime | None, now: datetime, limit: timedelta) -> bool:
    return moment is None or now - moment > limit


def freshness_box(
    title: str, name: str, moment: datetime | None, now: datetime, limit: timedelta, detail: str
) -> ui.Tag:
    """A time as "HH:MM UTC" with its age; red when older than `limit` (or missing)."""
    stale = is_stale(moment, now, limit)
    return ui.value_box(
        title,
        ui.span(f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "none", data_health=name),
        ui.span(f"{formatting.age(moment, now)}; {detail}", class_="small"),
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
    totals, fresh = data.totals, data.freshness
    lag = totals["latest_load_lag_minutes"]
    return ui.layout_column_wrap(
        freshness_box(
            "Data up to",
            "data-up-to",
            fresh.newest_modelled_at,
            now,
            limit,
            "the newest event the marts hold (when it was received)",
        ),
        freshness_box(
            "Newest event loaded",
            "newest-loaded",
            fresh.newest_loaded_at,
            now,
            limit,
            f"last load {fresh.last_loaded_at:%Y-%m-%d %H:%M} UTC" if fresh.last_loaded_at else "nothing loaded",
        ),
        freshness_box("Last transform", "last-transform", runs.last_success_at, now, limit, transform_detail),
        ui.value_box(
            "Load lag",
            ui.span(f"{lag:,.1f} min" if lag is not None else formatting.DASH, data_health="load-lag"),
            ui.span("median, receipt to load, newest hour in the range", class_="small"),
        ),
        ui.value_box(
            "Ingest refusals",
            ui.span(formatting.count(totals["refusals"]), data_health="ingest-refusals"),
            ui.span(f"for {len(data.refusal_reasons)} reason(s) in the range", class_="small"),
            theme="warning" if totals["refusals"] else None,
        ),
        ui.value_box(
            "Rejected lines",
            ui.span(formatting.count(totals["rejected_lines"]), data_health="rejected-lines"),
            ui.span(f"lines the loader could not land, and {totals['rejected_objects']} whole objects", class_="small"),
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


def refusals_by_reason(rows: list[Row], names: int = CHART_REASONS) -> dict[str, dict[datetime, int]]:
    """Refusals per hour for each of the `names` most frequent reasons, the others summed under "other reasons"."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["refusal_reason"]] = totals.get(row["refusal_reason"], 0) + row["refusals"]
    named = sorted(totals, key=lambda reason: (-totals[reason], reason))[:names]
    series: dict[str, dict[datetime, int]] = {reason: {} for reason in named}
    for row in rows:
        label = row["refusal_reason"] if row["refusal_reason"] in series else "other reasons"
        per_hour = series.setdefault(label, {})
        per_hour[row["received_hour"]] = per_hour.get(row["received_hour"], 0) + row["refusals"]
    return series


def reasons_table(rows: list[Row]) -> ui.Tag:
    header = ui.tags.tr(*(ui.tags.th(title) for title in ("Reason", "Kind", "Refusals", "Requests")))
    body = [
        ui.tags.tr(
            ui.tags.td(row["refusal_reason"]),
            ui.tags.td(row["refusal_kind"]),
            ui.tags.td(formatting.count(row["refusals"])),
            ui.tags.td(formatting.count(row["requests"])),
        )
        for row in rows
    ]
    if not rows:
        return ui.p("The ingest refused nothing in this range.", class_="text-muted", data_refusals="none")
    return ui.div(
        ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*body), class_="table table-sm", data_refusals="reasons"),
        style="max-height: 420px; overflow: auto",
    )


REFUSAL_COLUMNS = {key: key for key in ("received_hour", "refusal_kind", "refusal_reason", "refusals", "requests")}
EVENT_COLUMNS = {key: key for key in ("received_hour", "raw_rows", "modelled_events", "rejected_lines", "bot_events")}
LAG_COLUMNS = {key: key for key in ("received_hour", "median_load_lag_minutes", "max_load_lag_seconds")}


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

    csv_download(
        "refusals_csv", "health-refusals-by-hour", filters, data, lambda d: to_csv(d.refusals, REFUSAL_COLUMNS)
    )
    csv_download(
        "reasons_csv",
        "health-refusal-reasons",
        filters,
        data,
        lambda d: to_csv(d.refusal_reasons, {key: key for key in REFUSAL_COLUMNS if key != "received_hour"}),
    )
    csv_download("events_csv", "health-events-by-hour", filters, data, lambda d: to_csv(d.hours, EVENT_COLUMNS))
    csv_download("lag_csv", "health-load-lag", filters, data, lambda d: to_csv(d.hours, LAG_COLUMNS))

    @render.ui
    @when_loaded(data)
    def freshness(loaded: HealthData) -> ui.TagChild:
        return freshness_row(loaded, datetime.now(UTC), stale_after)

    @render.ui
    @when_loaded(data)
    def refusals(loaded: HealthData) -> ui.TagChild:
        hours = sorted({row["received_hour"] for row in loaded.refusals})
        series = refusals_by_reason(loaded.refusals)
        return charts.stacked_bars(
            "health-refusals",
            "Refused events and requests per hour",
            hours,
            {reason: [per_hour.get(hour, 0) for hour in hours] for reason, per_hour in series.items()},
        )

    @render.ui
    @when_loaded(data)
    def reasons(loaded: HealthData) -> ui.TagChild:
        return reasons_table(loaded.refusal_reasons)

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
            "Minutes from receipt to load (median and maximum per hour)",
            hours,
            {
                "Median": [row["median_load_lag_minutes"] for row in loaded.hours],
                "Maximum": [
                    None if row["max_load_lag_seconds"] is None else row["max_load_lag_seconds"] / 60
                    for row in loaded.hours
                ],
            },
        )
