"""Products: the top and bottom products and categories by a chosen measure, and every product, sortable."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.products import ProductMargins, ProductsData, product_margins, products
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download
from dashboard.pages.loading import Problem, attempt, not_filtered_note, when_loaded
from dashboard.rates import PRODUCT_LIST_MIN_VIEWS, RATE_MIN_SAMPLE
from dashboard.sortable_table import Cell, sortable_table
from dashboard.warehouse import Row, Warehouse

MEASURES = {
    "views": "Views",
    "add_to_cart_rate": "Add-to-cart rate",
    "purchases": "Purchases",
    "purchase_rate": "Purchase rate",
    "revenue": "Revenue",
}
# key, title, how it reads (rates as percentages, money with separators: dashboard/formatting.py)
TABLE_COLUMNS: tuple[tuple[str, str, Callable[[float | None], str] | None], ...] = (
    ("product_id", "Product id", None),
    ("product_name", "Product", None),
    ("brand", "Brand", None),
    ("category", "Category", None),
    ("views", "Views", formatting.count),
    ("add_to_carts", "Add to carts", formatting.count),
    ("add_to_cart_rate", "Add-to-cart rate", formatting.percent),
    ("purchases", "Purchases", formatting.count),
    ("purchase_rate", "Purchase rate", formatting.percent),
    ("units", "Units", formatting.count),
    ("revenue", "Revenue", formatting.money),
)
# From the shop's own orders (marts.product_margin_daily), beside the tracked columns when a shop database is
# connected: docs/metrics.md, "Margin".
MARGIN_COLUMNS: tuple[tuple[str, str, Callable[[float | None], str] | None], ...] = (
    ("shop_units", "Units (shop)", formatting.count),
    ("net_revenue", "Net revenue (shop)", formatting.money),
    ("cost", "Cost", formatting.money),
    ("margin", "Margin", formatting.money),
    ("margin_percent", "Margin %", formatting.percent),
)
TABLE_KEYS = [key for key, _title, _fmt in TABLE_COLUMNS]
# The columns of a category's row (categories have no id, name nor brand).
CATEGORY_CSV_COLUMNS = [key for key in TABLE_KEYS if key not in ("product_id", "product_name", "brand")]
# The lists of products that do not sell (marts.product_performance_daily, from the dbt var product_list_min_views).
LIST_COLUMNS = {"product_name": "Product", "brand": "Brand", "views": "Views", "add_to_carts": "Add to carts"}
SHOWN = 10


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        not_filtered_note("product_performance_daily", "day and product"),
        ui.input_radio_buttons("measure", "Rank by", MEASURES, selected="views", inline=True),
        ui.layout_columns(
            ui.card(card_header("Top products", "top_csv"), ui.output_ui("top")),
            ui.card(card_header("Bottom products", "bottom_csv"), ui.output_ui("bottom")),
            ui.card(card_header("Categories", "categories_csv"), ui.output_ui("categories")),
            col_widths=(4, 4, 4),
        ),
        ui.layout_columns(
            ui.card(
                card_header(
                    f"Most viewed, never bought (from {PRODUCT_LIST_MIN_VIEWS} views)", "viewed_not_bought_csv"
                ),
                ui.output_ui("viewed_not_bought"),
            ),
            ui.card(
                card_header(f"Carted but not bought (from {PRODUCT_LIST_MIN_VIEWS} views)", "carted_not_bought_csv"),
                ui.output_ui("carted_not_bought"),
            ),
            col_widths=(6, 6),
        ),
        ui.card(
            card_header("Every product, views → carts → purchases (click a column to sort)", "table_csv"),
            ui.output_ui("table"),
        ),
    )


def product_list(name: str, rows: list[Row]) -> ui.Tag:
    header = ui.tags.tr(*(ui.tags.th(title) for title in LIST_COLUMNS.values()))
    body = [
        ui.tags.tr(
            ui.tags.td(row["product_name"] or row["product_id"]),
            ui.tags.td(row["brand"] or ""),
            ui.tags.td(formatting.count(row["views"])),
            ui.tags.td(formatting.count(row["add_to_carts"])),
        )
        for row in rows[:SHOWN]
    ]
    return ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*body), class_="table table-sm", data_product_list=name)


def product_cell(row: Row, key: str, fmt: Callable[[float | None], str] | None) -> Cell:
    # A margin column is absent for a product the shop sold nothing of in the range: a dash.
    value = row.get(key)
    if fmt is None:
        return Cell(value or "", value)
    # A rate over fewer than RATE_MIN_SAMPLE product views is a small sample: greyed.
    small = key.endswith("_rate") and (row["views"] or 0) < RATE_MIN_SAMPLE
    return Cell(ui.span(fmt(value), class_="text-muted" if small else None), value)


def with_margins(rows: list[Row], margins: ProductMargins | None) -> list[Row]:
    """Each product's row with its margin columns from the shop's orders (none for a product it sold none of)."""
    if margins is None or not margins.connected:
        return rows
    return [{**row, **margins.by_product.get(row["product_id"], {})} for row in rows]


def products_table(rows: list[Row], margins: ProductMargins | None = None) -> ui.Tag:
    """Every product, most viewed first; a click on a column sorts by it (the numbers, not their text). With a shop
    database, the shop's units, net revenue, cost and margin beside the tracked columns; without one, a note."""
    columns = TABLE_COLUMNS + (MARGIN_COLUMNS if margins is not None and margins.connected else ())
    shown = with_margins(rows, margins)
    notes = [
        ui.p(f"Rates over fewer than {RATE_MIN_SAMPLE} views are greyed: a small sample.", class_="text-muted small")
    ]
    if margins is not None and not margins.connected:
        notes.append(
            ui.p(
                "No shop database is connected, so cost and margin are not shown: set SHOP_DATABASE_URL "
                "(docs/shop-database.md).",
                class_="text-muted small",
                data_shop_state="not-connected",
            )
        )
    elif margins is not None:
        notes.append(
            ui.p(
                "Units, net revenue, cost and margin (shop) are the shop's own orders placed in the range, after "
                "refunds and cancellations, each unit at the cost valid when it was ordered (docs/metrics.md).",
                class_="text-muted small",
            )
        )
    return ui.div(
        sortable_table(
            "products",
            [title for _, title, _ in columns],
            [[product_cell(row, key, fmt) for key, _, fmt in columns] for row in shown],
        ),
        *notes,
    )


def ranked(rows: list[Row], measure: str) -> list[Row]:
    """Highest first; a product without the measure (no views for a rate) is left out rather than ranked last."""
    return sorted((row for row in rows if row[measure] is not None), key=lambda row: (-row[measure], row["label"]))


def shown(rows: list[Row], measure: str, bottom: bool) -> list[Row]:
    """The rows a top or bottom chart draws, in its order (the bottom chart's lowest first)."""
    order = ranked(rows, measure)
    return order[-SHOWN:][::-1] if bottom else order[:SHOWN]


def _labelled(rows: list[Row], label: str) -> list[Row]:
    return [{**row, "label": row[label] or row.get("product_id") or "(not set)"} for row in rows]


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> ProductsData | Problem:
        return attempt(lambda: products(warehouse, filters()))

    @reactive.calc
    def margins() -> ProductMargins | Problem:
        return attempt(lambda: product_margins(warehouse, filters()))

    def chart(name: str, rows: list[Row], bottom: bool) -> ui.TagChild:
        measure = input.measure()
        drawn = shown(rows, measure, bottom)
        return charts.bars(
            f"products-{name}",
            MEASURES[measure],
            [row["label"] for row in drawn],
            [row[measure] for row in drawn],
            horizontal=True,
            percent=measure.endswith("_rate"),
        )

    def chart_csv(name: str, bottom: bool) -> Callable[[ProductsData], str]:
        def table(loaded: ProductsData) -> str:
            rows = loaded.categories if name == "categories" else loaded.products
            labelled = _labelled(rows, "category" if name == "categories" else "product_name")
            measure = input.measure()
            drawn = shown(labelled, measure, bottom)
            keys = CATEGORY_CSV_COLUMNS if name == "categories" else TABLE_KEYS
            return to_csv(
                ({**row, "ranked_by": measure, "rank": place} for place, row in enumerate(drawn, start=1)),
                {"ranked_by": "ranked_by", "rank": "rank", **{key: key for key in keys}},
                warehouse.settings.reporting_currency,
            )

        return table

    def list_csv(rows: Callable[[ProductsData], list[Row]]) -> Callable[[ProductsData], str]:
        return lambda loaded: to_csv(
            rows(loaded), {key: key for key in TABLE_KEYS}, warehouse.settings.reporting_currency
        )

    for chart_name, lowest in (("top", False), ("bottom", True), ("categories", False)):
        csv_download(f"{chart_name}_csv", f"products-{chart_name}", filters, data, chart_csv(chart_name, lowest))
    csv_download(
        "viewed_not_bought_csv", "products-viewed-not-bought", filters, data, list_csv(lambda d: d.viewed_not_bought)
    )
    csv_download(
        "carted_not_bought_csv", "products-carted-not-bought", filters, data, list_csv(lambda d: d.carted_not_bought)
    )

    def table_csv(loaded: ProductsData) -> str:
        shop = margins()
        margin = None if isinstance(shop, Problem) else shop
        keys = TABLE_KEYS + ([key for key, _t, _f in MARGIN_COLUMNS] if margin is not None and margin.connected else [])
        return to_csv(
            with_margins(loaded.products, margin), {key: key for key in keys}, warehouse.settings.reporting_currency
        )

    csv_download("table_csv", "products", filters, data, table_csv)

    @render.ui
    @when_loaded(data)
    def top(loaded: ProductsData) -> ui.TagChild:
        return chart("top", _labelled(loaded.products, "product_name"), False)

    @render.ui
    @when_loaded(data)
    def bottom(loaded: ProductsData) -> ui.TagChild:
        return chart("bottom", _labelled(loaded.products, "product_name"), True)

    @render.ui
    @when_loaded(data)
    def categories(loaded: ProductsData) -> ui.TagChild:
        return chart("categories", _labelled(loaded.categories, "category"), False)

    @render.ui
    @when_loaded(data)
    def viewed_not_bought(loaded: ProductsData) -> ui.TagChild:
        return product_list("viewed_not_bought", loaded.viewed_not_bought)

    @render.ui
    @when_loaded(data)
    def carted_not_bought(loaded: ProductsData) -> ui.TagChild:
        return product_list("carted_not_bought", loaded.carted_not_bought)

    @render.ui
    @when_loaded(data)
    def table(loaded: ProductsData) -> ui.TagChild:
        shop = margins()
        return products_table(loaded.products, None if isinstance(shop, Problem) else shop)
