"""Journeys: top landing and exit pages, and the most common page-to-page paths as a Sankey diagram."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.journeys import JourneysData, journeys
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.sankey import Link, acyclic_links
from dashboard.warehouse import Row, Warehouse

SANKEY_LINKS = 30


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.card(
            card_header("Most common paths", "sankey_csv"),
            ui.p(
                "Page to page steps of sessions (page_transitions_daily): by date range only; device type and "
                "channel do not apply. Links that would loop back are left out.",
                class_="text-muted small",
            ),
            ui.output_ui("sankey"),
        ),
        ui.layout_columns(
            ui.card(card_header("Top landing pages", "landing_csv"), ui.output_ui("landing")),
            ui.card(card_header("Top exit pages", "exits_csv"), ui.output_ui("exits")),
            col_widths=(6, 6),
        ),
    )


def pages_table(kind: str, rows: list[Row], with_bounces: bool) -> ui.Tag:
    titles = ("Page", "Sessions", "Bounce rate") if with_bounces else ("Page", "Sessions")
    body = [
        ui.tags.tr(
            ui.tags.td(row["page_path"]),
            ui.tags.td(formatting.count(row["sessions"])),
            ui.tags.td(formatting.percent(row["bounce_rate"])) if with_bounces else None,
        )
        for row in rows
    ]
    return ui.tags.table(
        ui.tags.thead(ui.tags.tr(*(ui.tags.th(title) for title in titles))),
        ui.tags.tbody(*body),
        class_="table table-sm",
        data_pages=kind,
    )


def drawn_links(data: JourneysData) -> list[Link]:
    """The links the Sankey draws: the strongest SANKEY_LINKS that form no loop."""
    return acyclic_links(
        (Link(row["from_page_path"], row["to_page_path"], row["transitions"]) for row in data.transitions),
        SANKEY_LINKS,
    )


def links_csv(data: JourneysData) -> str:
    rows = [
        {"from_page_path": link.source, "to_page_path": link.target, "transitions": link.value}
        for link in drawn_links(data)
    ]
    return to_csv(rows, {key: key for key in ("from_page_path", "to_page_path", "transitions")})


def pages_csv(rows: list[Row], with_bounces: bool) -> str:
    keys = ("page_path", "sessions", "bounces", "bounce_rate") if with_bounces else ("page_path", "sessions")
    return to_csv(rows, {key: key for key in keys})


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> JourneysData | Problem:
        return attempt(lambda: journeys(warehouse, filters()))

    csv_download("sankey_csv", "journeys-paths", filters, data, links_csv)
    csv_download("landing_csv", "journeys-landing-pages", filters, data, lambda d: pages_csv(d.landing_pages, True))
    csv_download("exits_csv", "journeys-exit-pages", filters, data, lambda d: pages_csv(d.exit_pages, False))

    @render.ui
    @when_loaded(data)
    def sankey(loaded: JourneysData) -> ui.TagChild:
        links = drawn_links(loaded)
        if not links:
            return ui.p("No page views in this range.")
        return charts.sankey("journeys-sankey", "Page to page", links)

    @render.ui
    @when_loaded(data)
    def landing(loaded: JourneysData) -> ui.TagChild:
        return pages_table("landing", loaded.landing_pages, True)

    @render.ui
    @when_loaded(data)
    def exits(loaded: JourneysData) -> ui.TagChild:
        return pages_table("exit", loaded.exit_pages, False)
