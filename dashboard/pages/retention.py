"""Retention: weekly cohorts (the week a visitor was first seen) and the share of each seen again week by week; the
best customers the range brought (first seen in it) by their revenue to date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.retention import BEST_CUSTOMERS, best_customers, retention
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, not_filtered_note, when_loaded
from dashboard.sortable_table import Cell, sortable_table
from dashboard.warehouse import Row, Warehouse

COHORT_COLUMNS = {
    key: key for key in ("cohort_week", "weeks_since_first_seen", "cohort_size", "retained_visitors", "retention_rate")
}

# key, title, how it reads (dashboard/formatting.py; None: as it is). The person column is customer_label's.
CUSTOMER_COLUMNS: tuple[tuple[str, str, Callable[[float | None], str] | None], ...] = (
    ("first_seen_date", "First seen", None),
    ("last_seen_date", "Last seen", None),
    ("first_channel", "First channel", None),
    ("visitors", "Devices", formatting.count),
    ("sessions", "Visits", formatting.count),
    ("orders", "Orders", formatting.count),
    ("revenue", "Revenue to date", formatting.money),
)
# The file says who each customer is as the table does ("customer"), and by the mart's ids.
CUSTOMER_CSV_COLUMNS = {
    key: key for key in ("customer", "user_key", "user_id", *(key for key, _, _ in CUSTOMER_COLUMNS))
}


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        not_filtered_note("retention_weekly", "first-seen week and week"),
        ui.card(card_header("Weekly cohorts", "heatmap_csv"), ui.output_ui("heatmap")),
        ui.card(
            card_header(
                f"Best customers first seen in this range (top {BEST_CUSTOMERS} by revenue to date)", "customers_csv"
            ),
            ui.output_ui("customers"),
        ),
    )


def customer_label(row: Row) -> str:
    """The shop's userId of a stitched user; an anonymous visitor (never logged in) by its visitor id."""
    return row["user_id"] or f"anonymous ({row['user_key'].removeprefix('visitor:')})"


def customer_cell(row: Row, key: str, fmt: Callable[[float | None], str] | None) -> Cell:
    if fmt is not None:
        return Cell(fmt(row[key]), row[key])
    text = "" if row[key] is None else str(row[key])  # ISO dates sort as text
    return Cell(text, text)


def customers_table(rows: list[Row]) -> ui.Tag:
    cells = [
        [
            Cell(customer_label(row), customer_label(row)),
            *(customer_cell(row, key, fmt) for key, _, fmt in CUSTOMER_COLUMNS),
        ]
        for row in rows
    ]
    return ui.div(
        sortable_table("customers", ["Customer", *(title for _, title, _ in CUSTOMER_COLUMNS)], cells),
        ui.p(
            "Revenue, orders and visits are each customer's to date, past the range's end; a customer is a "
            "logged-in user with all their devices, or a visitor who never logged in.",
            class_="text-muted small",
        ),
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

    @reactive.calc
    def customers_data() -> list[Row] | Problem:
        return attempt(lambda: best_customers(warehouse, filters()))

    currency = warehouse.settings.reporting_currency
    csv_download(
        "customers_csv",
        "retention-best-customers",
        filters,
        customers_data,
        lambda rows: to_csv([{**row, "customer": customer_label(row)} for row in rows], CUSTOMER_CSV_COLUMNS, currency),
    )

    @render.ui
    @when_loaded(customers_data)
    def customers(loaded: list[Row]) -> ui.TagChild:
        if not loaded:
            return ui.p("No customer first seen in this range has bought yet.")
        return customers_table(loaded)

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
