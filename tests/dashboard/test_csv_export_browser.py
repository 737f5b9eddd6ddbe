"""Every page's "Download CSV" in a real browser (Debian's chromium through playwright), with filters that are not
the defaults: the file a click downloads holds the rows the page shows, the page's rounding applied to the file's
full-precision values giving back the text on screen, and money beside its currency."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import psycopg2
import pytest
from support.dashboard_browser import open_dashboard, wait_drawn, wait_idle, watched_tab

from dashboard import formatting
from dashboard.pages.overview import KPIS
from dashboard.pages.products import TABLE_COLUMNS
from dashboard.pages.retention import CUSTOMER_COLUMNS
from local_only.roles import RoleWarehouse
from warehouse.rows import one_row

pytestmark = pytest.mark.e2e

Record = dict[str, str]
# A table's header on screen -> the CSV column under it, and the page's formatter for it (None: text as it is).
Shown = Mapping[str, tuple[str, Callable[[float | None], str] | None]]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with watched_tab(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True) as tab:
        yield tab


@pytest.fixture(scope="module")
def busiest_device(built_marts: RoleWarehouse) -> str:
    conn = psycopg2.connect(built_marts.admin.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "select device_type from marts.sessions_daily group by device_type order by sum(sessions) desc limit 1"
            )
            (device,) = one_row(cursor)
    finally:
        conn.close()
    return str(device)


def download(page: Any, control: str) -> tuple[str, list[Record]]:
    """Click the control; the file's suggested name and its records (the header names the columns)."""
    button = page.locator(f"#{control}")
    # Shiny enables a download control once its output (the URL) has rendered.
    page.wait_for_function(
        "(id) => { const b = document.getElementById(id); return b && !b.classList.contains('disabled')"
        " && b.getAttribute('href') && b.getAttribute('href') !== ''; }",
        arg=control,
    )
    with page.expect_download() as started:
        button.click()
    downloaded = started.value
    with open(downloaded.path(), encoding="utf-8") as file:
        text = file.read()
    assert text.startswith("\ufeff"), "a byte order mark, so Excel reads the file as UTF-8"
    return downloaded.suggested_filename, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def words(text: str) -> str:
    """Text as a page shows it: a line break in a cell is a space there."""
    return " ".join(text.split())


def screen_table(page: Any, selector: str, values_only: bool = False) -> tuple[list[str], list[list[str]]]:
    """A table's header cells and body rows as the page shows them; `values_only`: each cell's value without what
    goes with it on screen (the change on the line under it, the small-sample mark)."""
    table = page.locator(selector).first
    table.wait_for(state="visible")
    headers = [words(cell) for cell in table.locator("thead th").all_inner_texts()]

    def shown(cell: str) -> str:
        return words(cell.split("\n", maxsplit=1)[0].removesuffix(" *") if values_only else cell)

    rows = [[shown(cell) for cell in row.locator("td").all_inner_texts()] for row in table.locator("tbody tr").all()]
    return headers, [row for row in rows if row]  # a virtual grid pads its body with an empty spacer row


def as_shown(records: list[Record], columns: Shown) -> list[list[str]]:
    """The records as the table shows them: for each shown header, its CSV column through the page's formatter."""
    return [
        [(fmt(number(record[key])) if fmt else words(record[key])) for key, fmt in columns.values()]
        for record in records
    ]


def choose_filters(page: Any, device: str) -> None:
    """This month (today included, so not the default last seven complete days) and one device type."""
    page.select_option("#preset", "this_month")
    page.wait_for_function("() => document.querySelector('#dates input').value === '2025-03-01'")
    page.select_option("#device_type", device)
    wait_idle(page)


def show(page: Any, title: str) -> None:
    page.get_by_role("tab", name=title).click()
    wait_drawn(page, title)


def check_overview(page: Any, suffix: str) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-period=current]')?.innerText.startsWith('1 Mar to 10 Mar 2025')"
    )
    wait_idle(page)
    name, records = download(page, "overview-kpis_csv")
    assert name == f"overview-kpis{suffix}"
    by_metric = {record["metric"]: record for record in records}
    assert list(by_metric) == [kpi.key for kpi in KPIS]
    for kpi in KPIS:
        key, fmt = kpi.key, kpi.fmt
        record = by_metric[key]
        assert page.locator(f"[data-kpi={key}]").inner_text().strip() == fmt(number(record["value"])), key
        compared = page.locator(f"[data-kpi-previous={key}]").inner_text().strip()
        assert compared.startswith(f"vs {fmt(number(record['comparison_value']))} "), key
        assert record["currency"] == ("USD" if fmt is formatting.money else ""), key
    assert (number(by_metric["sessions"]["value"]) or 0) > 0


def check_funnel(page: Any, suffix: str) -> None:
    name, records = download(page, "funnel-steps_csv")
    assert name == f"funnel-steps{suffix}"
    assert [record["step"] for record in records] == ["view_product", "add_to_cart", "begin_checkout", "purchase"]
    for record in records:
        step = record["step"]
        for attribute, column, fmt in (
            ("data-funnel-sessions", "sessions", formatting.count),
            ("data-funnel-conversion", "step_conversion", formatting.percent),
            ("data-funnel-dropped", "dropped", formatting.count),
        ):
            assert page.locator(f"[{attribute}={step}]").inner_text() == fmt(number(record[column])), (step, column)


def check_products(page: Any, suffix: str) -> None:
    name, records = download(page, "products-table_csv")
    assert name == f"products{suffix}"
    headers, rows = screen_table(page, "table[data-table=products]")
    assert len(rows) > 5
    # The file's records in the table's order, each shown column through the page's own formatter.
    assert headers == [title for _key, title, _fmt in TABLE_COLUMNS]
    assert rows == as_shown(records[: len(rows)], {title: (key, fmt) for key, title, fmt in TABLE_COLUMNS})
    assert len(records) == len(rows)
    assert {record["currency"] for record in records} == {"USD"}


def check_acquisition(page: Any, suffix: str) -> None:
    name, records = download(page, "acquisition-channel_csv")
    assert name == f"acquisition-channel{suffix}"
    headers, rows = screen_table(page, "table[data-breakdown=channel]", values_only=True)
    formats: Shown = {
        "": ("label", None),
        "Revenue": ("revenue", formatting.money),
        "Orders": ("orders", formatting.count),
        "Conversion": ("conversion_rate", formatting.percent),
        "AOV": ("average_order_value", formatting.money),
        "Sessions": ("sessions", formatting.count),
        "Users": ("users", formatting.count),
    }
    assert set(headers) <= set(formats), headers
    assert rows == as_shown(records[: len(rows)], {header: formats[header] for header in headers})
    assert len(records) >= len(rows) > 1
    assert {record["currency"] for record in records} == {"USD"}


def check_table(page: Any, control: str, name: str, selector: str, shown: Shown) -> None:
    """The download of `control` is named `name` and holds, formatted as shown, the rows of the table."""
    downloaded, records = download(page, control)
    assert downloaded == name
    headers, rows = screen_table(page, selector)
    assert headers == list(shown)
    assert rows == as_shown(records, shown) and rows


def check_journeys(page: Any, suffix: str) -> None:
    shown: Shown = {
        "Page": ("page_path", None),
        "Sessions": ("sessions", formatting.count),
        "Bounce rate": ("bounce_rate", formatting.percent),
    }
    check_table(page, "journeys-landing_csv", f"journeys-landing-pages{suffix}", "table[data-pages=landing]", shown)


def check_retention(page: Any, suffix: str) -> None:
    name, records = download(page, "retention-heatmap_csv")
    assert name == f"retention-cohorts{suffix}"
    cohorts, weeks, rates = page.evaluate(
        "() => { const trace = document.getElementById('chart-retention').data[0];"
        " return [trace.y, trace.x, trace.z]; }"
    )
    drawn = {
        (cohort, week): rate
        for cohort, row in zip(cohorts, rates, strict=True)
        for week, rate in zip(weeks, row, strict=True)
        if rate is not None
    }
    assert drawn == {
        (record["cohort_week"], f"week {record['weeks_since_first_seen']}"): number(record["retention_rate"])
        for record in records
    }
    assert drawn
    # The best customers the range brought: the table, and the file's rows in its order.
    customers: Shown = {"Customer": ("customer", None), **{title: (key, fmt) for key, title, fmt in CUSTOMER_COLUMNS}}
    selector = "table[data-table=customers]"
    check_table(page, "retention-customers_csv", f"retention-best-customers{suffix}", selector, customers)


def check_health(page: Any, suffix: str) -> None:
    shown: Shown = {
        "Reason": ("refusal_reason", None),
        "Kind": ("refusal_kind", None),
        "Refusals": ("refusals", formatting.count),
        "Requests": ("requests", formatting.count),
    }
    check_table(page, "health-reasons_csv", f"health-refusal-reasons{suffix}", "table[data-refusals=reasons]", shown)


# One table (or the chart, where a page has no table) a page, checked against its download.
CHECKS: dict[str, Callable[[Any, str], None]] = {
    "Overview": check_overview,
    "Funnel": check_funnel,
    "Products": check_products,
    "Acquisition": check_acquisition,
    "Journeys": check_journeys,
    "Retention": check_retention,
    "Data health": check_health,
}


def test_each_pages_download_holds_the_rows_on_screen(dashboard_url: str, page: Any, busiest_device: str) -> None:
    open_dashboard(page, dashboard_url)
    choose_filters(page, busiest_device)
    for title, check in CHECKS.items():
        show(page, title)
        check(page, f"_2025-03-01_2025-03-10_{busiest_device}.csv")
