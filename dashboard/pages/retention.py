"""Retention: weekly cohorts (the week a visitor was first seen) and the share of each seen again week by week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.retention import retention
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, not_filtered_note, when_loaded
from dashboard.warehouse import Row, Warehouse

COHORT_COLUMNS = {
    key: key for key in ("cohort_week", "weeks_since_first_seen", "cohort_size", "retained_visitors", "retention_rate")
}


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        not_filtered_note("retention_weekly", "first-seen week and week"),
        ui.card(card_header("Weekly cohorts", "heatmap_csv"), ui.output_ui("heatmap")),
    )


def cohort_grid(rows: list[Row]) -> tuple[list[date], list[int], list[list[float | None]], dict[date, int]]:
    """Cohort weeks, weeks since first seen, the rate of each (None past the last week with data), cohort sizes."""
    cohorts = sorted({row["cohort_week"] for row in rows})
    weeks = sorted({row["weeks_since_first_seen"] for row in rows})
    rates = {(row["cohort_week"], row["weeks_since_first_seen"]): row["retention_rate"] for row in rows}
    sizes = {row["cohort_week"]: row["cohort_size"] for row in rows}
    grid = [[rates.get((cohort, week)) for week in weeks] for cohort in cohorts]
    return cohorts, weeks, grid, sizes


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> list[Row] | Problem:
        return attempt(lambda: retention(warehouse, filters()))

    csv_download("heatmap_csv", "retention-cohorts", filters, data, lambda rows: to_csv(rows, COHORT_COLUMNS))

    @render.ui
    @when_loaded(data)
    def heatmap(loaded: list[Row]) -> ui.TagChild:
        if not loaded:
            return ui.p("No cohort starts in this range.")
        cohorts, weeks, grid, sizes = cohort_grid(loaded)
        return ui.div(
            charts.heatmap("retention", "Visitors seen again, by weeks since first seen", cohorts, weeks, grid),
            ui.p(
                "Cohort sizes: "
                + ", ".join(f"{cohort:%d %b}: {formatting.count(sizes[cohort])}" for cohort in cohorts),
                class_="text-muted small",
            ),
        )
