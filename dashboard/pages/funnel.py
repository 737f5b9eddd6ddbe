"""Funnel: view_product → add_to_cart → begin_checkout → purchase, step conversion and drop-off, split."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.data.funnel import SPLITS, FunnelData, SplitBy, funnel
from dashboard.filters import Filters
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.warehouse import Warehouse


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.layout_columns(
            ui.card(ui.card_header("Purchase funnel"), ui.output_ui("steps_table"), ui.output_ui("chart")),
            ui.card(
                ui.card_header("Split"),
                # From the items: a dict keyed by SplitBy is not the dict[str, ...] shiny's choices are typed as.
                ui.input_radio_buttons("split_by", None, dict(SPLITS.items()), selected="device_type", inline=True),
                ui.output_ui("split_chart"),
            ),
            col_widths=(6, 6),
        ),
    )


def funnel_table(data: FunnelData) -> ui.Tag:
    header = ui.tags.tr(*(ui.tags.th(title) for title in ("Step", "Sessions", "Step conversion", "Drop-off")))
    body = [
        ui.tags.tr(
            ui.tags.td(f"{step.number}. {step.name}"),
            ui.tags.td(formatting.count(step.sessions), data_funnel_sessions=step.name),
            ui.tags.td(formatting.percent(step.step_conversion), data_funnel_conversion=step.name),
            ui.tags.td(formatting.count(step.dropped), data_funnel_dropped=step.name),
        )
        for step in data.steps
    ]
    return ui.div(
        ui.p("Sessions in the selection: ", ui.strong(formatting.count(data.sessions), data_funnel_total="sessions")),
        ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*body), class_="table table-sm funnel-steps"),
    )


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> FunnelData | Problem:
        split_by: SplitBy = input.split_by()
        return attempt(lambda: funnel(warehouse, filters(), split_by))

    @render.ui
    @when_loaded(data)
    def steps_table(loaded: FunnelData) -> ui.TagChild:
        return funnel_table(loaded)

    @render.ui
    @when_loaded(data)
    def chart(loaded: FunnelData) -> ui.TagChild:
        return charts.funnel(
            "funnel", "Sessions reaching each step", [s.name for s in loaded.steps], [s.sessions for s in loaded.steps]
        )

    @render.ui
    @when_loaded(data)
    def split_chart(loaded: FunnelData) -> ui.TagChild:
        names = [step.name for step in loaded.steps]
        # Each segment's steps as a share of its first step (product views): comparable across segment sizes.
        rates = {
            segment: [reached / counts[0] if counts[0] else None for reached in counts]
            for segment, counts in loaded.segments.items()
        }
        return charts.grouped_rates(
            "funnel-split",
            f"Share of product viewers reaching each step, by {SPLITS[loaded.split_by].lower()}",
            names,
            rates,
        )
