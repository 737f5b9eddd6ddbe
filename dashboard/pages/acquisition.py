"""Acquisition: where sessions came from (channel, referrer host, UTM campaign) and on what (device, country)."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import columns_of, to_csv
from dashboard.data.acquisition import acquisition
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, problem_ui, when_loaded
from dashboard.warehouse import Row, Warehouse

BREAKDOWNS = {
    "channel": "Channels",
    "referrer_host": "Referrer hosts",
    "campaign": "UTM campaigns (source / medium / campaign)",
    "device_type": "Device types",
    "country": "Countries",
}
SHOWN = 12


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.layout_columns(
            ui.card(card_header("Sessions by channel", "channel_chart_csv"), ui.output_ui("channel_chart")),
            ui.card(card_header(BREAKDOWNS["channel"], "channel_csv"), ui.output_ui("channel")),
            col_widths=(6, 6),
        ),
        ui.layout_columns(
            ui.card(card_header(BREAKDOWNS["referrer_host"], "referrer_host_csv"), ui.output_ui("referrer_host")),
            ui.card(card_header(BREAKDOWNS["campaign"], "campaign_csv"), ui.output_ui("campaign")),
            col_widths=(6, 6),
        ),
        ui.layout_columns(
            ui.card(card_header(BREAKDOWNS["device_type"], "device_type_csv"), ui.output_ui("device_type")),
            ui.card(card_header(BREAKDOWNS["country"], "country_csv"), ui.output_ui("country")),
            col_widths=(6, 6),
        ),
    )


def breakdown_table(dimension: str, rows: list[Row]) -> ui.Tag:
    header = ui.tags.tr(*(ui.tags.th(title) for title in ("", "Sessions", "Users", "Conversion", "Revenue")))
    body = [
        ui.tags.tr(
            ui.tags.td(row["value"]),
            ui.tags.td(formatting.count(row["sessions"])),
            ui.tags.td(formatting.count(row["users"])),
            ui.tags.td(formatting.percent(row["conversion_rate"])),
            ui.tags.td(formatting.money(row["revenue"])),
        )
        for row in rows[:SHOWN]
    ]
    more = len(rows) - SHOWN
    return ui.div(
        ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*body), class_="table table-sm", data_breakdown=dimension),
        ui.p(f"and {more} more", class_="text-muted small") if more > 0 else None,
    )


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> dict[str, list[Row]] | Problem:
        return attempt(lambda: acquisition(warehouse, filters()))

    def breakdown_csv(dimension: str) -> Callable[[dict[str, list[Row]]], str]:
        # Every row (those past "and N more" too) and every measure the loader gives, the value under its dimension.
        def table(loaded: dict[str, list[Row]]) -> str:
            rows = loaded[dimension]
            return to_csv(rows, columns_of(rows, {"value": dimension}), warehouse.settings.reporting_currency)

        return table

    for dimension in BREAKDOWNS:
        csv_download(f"{dimension}_csv", f"acquisition-{dimension}", filters, data, breakdown_csv(dimension))
    csv_download("channel_chart_csv", "acquisition-channel", filters, data, breakdown_csv("channel"))

    def table_of(dimension: str) -> ui.TagChild:
        loaded = data()
        return problem_ui(loaded) if isinstance(loaded, Problem) else breakdown_table(dimension, loaded[dimension])

    @render.ui
    @when_loaded(data)
    def channel_chart(loaded: dict[str, list[Row]]) -> ui.TagChild:
        rows = loaded["channel"]
        return charts.bars(
            "acquisition-channels", "Sessions", [row["value"] for row in rows], [row["sessions"] for row in rows]
        )

    @render.ui
    def channel() -> ui.TagChild:
        return table_of("channel")

    @render.ui
    def referrer_host() -> ui.TagChild:
        return table_of("referrer_host")

    @render.ui
    def campaign() -> ui.TagChild:
        return table_of("campaign")

    @render.ui
    def device_type() -> ui.TagChild:
        return table_of("device_type")

    @render.ui
    def country() -> ui.TagChild:
        return table_of("country")
