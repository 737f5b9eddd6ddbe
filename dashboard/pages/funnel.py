"""Funnel: view_product → add_to_cart → begin_checkout → purchase, step conversion and drop-off, split."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.funnel import SPLITS, FunnelData, SplitBy, funnel
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.warehouse import Warehouse


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.layout_columns(
            ui.card(card_header("Purchase funnel", "steps_csv"), ui.output_ui("steps_table"), ui.output_ui("chart")),
            ui.card(
                card_header("Split", "split_csv"),
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


def steps_csv(data: FunnelData) -> str:
    rows = [
        {
            "step_number": step.number,
            "step": step.name,
            "sessions": step.sessions,
            "step_conversion": step.step_conversion,
            "dropped": step.dropped,
        }
        for step in data.steps
    ]
    return to_csv(rows, {key: key for key in ("step_number", "step", "sessions", "step_conversion", "dropped")})


def shares_of_first_step(counts: list[int]) -> list[float | None]:
    """A segment's steps as a share of its first step (product views): comparable across segment sizes."""
    return [reached / counts[0] if counts[0] else None for reached in counts]


def split_csv(data: FunnelData) -> str:
    """One row per segment and step: the sessions reaching it and their share of the segment's product viewers
    (what the split chart draws)."""
    rows = [
        {
            data.split_by: segment,
            "step_number": step.number,
            "step": step.name,
            "sessions": reached,
            "share_of_first_step": share,
        }
        for segment, counts in data.segments.items()
        for step, reached, share in zip(data.steps, counts, shares_of_first_step(counts), strict=False)
    ]
    keys = (data.split_by, "step_number", "step", "sessions", "share_of_first_step")
    return to_csv(rows, {key: key for key in keys})


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> FunnelData | Problem:
        split_by: SplitBy = input.split_by()
        return attempt(lambda: funnel(warehouse, filters(), split_by))

    csv_download("steps_csv", "funnel-steps", filters, data, steps_csv)
    csv_download("split_csv", "funnel-split", filters, data, split_csv)

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
        rates = {segment: shares_of_first_step(counts) for segment, counts in loaded.segments.items()}
        return charts.grouped_rates(
            "funnel-split",
            f"Share of product viewers reaching each step, by {SPLITS[loaded.split_by].lower()}",
            names,
            rates,
        )
