"""Acquisition: where the money came from (channel, referrer host, UTM campaign) and on what (device, country):
revenue, orders, conversion and average order value beside the comparison period's, in sortable tables."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import columns_of, to_csv
from dashboard.data.acquisition import acquisition
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, problem_ui, when_loaded
from dashboard.rates import RATE_MIN_SAMPLE
from dashboard.sortable_table import Cell, sortable_table
from dashboard.warehouse import Row, Warehouse

BREAKDOWNS = {
    "channel": "Channels",
    "referrer_host": "Referrer hosts",
    "campaign": "UTM campaigns (source / medium / campaign)",
    "device_type": "Device types",
    "country": "Countries",
}
# measure, column title, format, the denominator a rate is over (small samples greyed), compared
COLUMNS: tuple[tuple[str, str, Callable[[float | None], str], str | None, bool], ...] = (
    ("revenue", "Revenue", formatting.money, None, True),
    ("orders", "Orders", formatting.count, None, True),
    ("conversion_rate", "Conversion", formatting.percent, "conversion_rate_sample", True),
    ("average_order_value", "AOV", formatting.money, "average_order_value_sample", True),
    ("sessions", "Sessions", formatting.count, None, True),
    ("users", "Users", formatting.count, None, False),
)
TONE_CLASSES = {"good": "text-success", "bad": "text-danger", "neutral": "text-muted"}


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.layout_columns(
            ui.card(card_header("Revenue by channel", "channel_chart_csv"), ui.output_ui("channel_chart")),
            ui.card(card_header(BREAKDOWNS["channel"], "channel_csv"), ui.output_ui("channel")),
            col_widths=(5, 7),
        ),
        ui.layout_columns(
            ui.card(card_header(BREAKDOWNS["referrer_host"], "referrer_host_csv"), ui.output_ui("referrer_host")),
            ui.card(card_header(BREAKDOWNS["campaign"], "campaign_csv"), ui.output_ui("campaign")),
            col_widths=(12, 12),
        ),
        ui.layout_columns(
            ui.card(card_header(BREAKDOWNS["device_type"], "device_type_csv"), ui.output_ui("device_type")),
            ui.card(card_header(BREAKDOWNS["country"], "country_csv"), ui.output_ui("country")),
            col_widths=(12, 12),
        ),
    )


def measure_cell(
    row: Row, measure: str, fmt: Callable[[float | None], str], sample: str | None, compared: bool
) -> Cell:
    """The value, greyed when it is a rate over fewer than RATE_MIN_SAMPLE, and its change (coloured, unless the
    sample is small) against the comparison when there is one."""
    value = row[measure]
    small = sample is not None and (row[sample] or 0) < RATE_MIN_SAMPLE
    shown: list[ui.TagChild] = [
        ui.span(
            fmt(value), " *" if small else None, class_="text-muted" if small else None, style="white-space: nowrap"
        )
    ]
    if compared and f"previous_{measure}" in row:
        previous = row[f"previous_{measure}"]
        tone = "neutral" if small else formatting.change_tone(value, previous)
        # Under the value, small: a dash when the comparison has nothing to compare with.
        shown.append(
            ui.div(
                formatting.change(value, previous),
                class_=f"small {TONE_CLASSES[tone]}",
                data_tone=tone,
                title=f"vs {fmt(previous)}",
            )
        )
    return Cell(ui.TagList(*shown), value)


def breakdown_table(dimension: str, rows: list[Row], compared: bool) -> ui.Tag:
    """Every value of the dimension, highest revenue first; a click on a column sorts by it."""
    table = sortable_table(
        dimension,
        ["", *(title for _, title, *_ in COLUMNS)],
        [
            [
                Cell(row["label"], row["label"]),
                *(
                    measure_cell(row, key, fmt, sample, compared and comparable)
                    for key, _, fmt, sample, comparable in COLUMNS
                ),
            ]
            for row in rows
        ],
        data_breakdown=dimension,
    )
    note = f"* a rate over fewer than {RATE_MIN_SAMPLE} sessions (conversion) or orders (AOV, average order value)."
    return ui.div(table, ui.p(note, class_="text-muted small") if rows else None)


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
        if isinstance(loaded, Problem):
            return problem_ui(loaded)
        return breakdown_table(dimension, loaded[dimension], filters().comparison is not None)

    @render.ui
    @when_loaded(data)
    def channel_chart(loaded: dict[str, list[Row]]) -> ui.TagChild:
        rows = loaded["channel"]
        return charts.bars(
            "acquisition-channels", "Revenue", [row["label"] for row in rows], [row["revenue"] for row in rows]
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
