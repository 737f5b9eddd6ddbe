"""The report's numbers are the marts' numbers: each one checked against SQL written out over the marts for the
same days (yesterday against the same weekday a week before; the last 7 complete days against the 7 before), and
each shown, formatted as the dashboard formats it, in both the text and the HTML."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import psycopg2
import psycopg2.extras
import pytest
from support.report_kit import MORNING_AFTER, TRAFFIC_START

from dashboard import formatting
from dashboard.warehouse import Warehouse
from local_only.roles import RoleWarehouse
from owner_report.alert import checks
from owner_report.render import render
from owner_report.summary import summarise

pytestmark = pytest.mark.integration

SESSIONS = """
    select
        count(*) as sessions,
        coalesce(sum(orders), 0) as orders,
        coalesce(sum(revenue), 0) as revenue,
        count(*) filter (where orders > 0)::numeric / nullif(count(*), 0) as conversion_rate
    from marts.sessions
    where not is_bot and session_date between %(start)s and %(end)s
"""
CHANNELS = """
    select channel, count(*) as sessions, coalesce(sum(revenue), 0) as revenue
    from marts.sessions
    where not is_bot and session_date between %(start)s and %(end)s
    group by channel
"""
PRODUCTS = """
    select product_id, sum(revenue) as revenue, sum(units) as units
    from marts.product_performance_daily
    where event_date between %(start)s and %(end)s
    group by product_id
    having sum(purchases) > 0
    order by sum(revenue) desc, sum(units) desc, sum(views) desc, product_id
    limit 5
"""
EVENTS = """
    select coalesce(sum(modelled_events), 0) as events
    from marts.pipeline_health_hourly
    where received_hour >= %(start)s::timestamp at time zone 'UTC'
        and received_hour < (%(end)s::date + 1)::timestamp at time zone 'UTC'
"""


@pytest.fixture(scope="module")
def plain(report_marts: RoleWarehouse) -> Iterator[Any]:
    conn = psycopg2.connect(report_marts.admin.dsn())
    conn.autocommit = True

    def rows(query: str, start: date, end: date) -> list[dict[str, Any]]:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(query, {"start": start, "end": end})
            return [{k: float(v) if hasattr(v, "as_integer_ratio") else v for k, v in r.items()} for r in cursor]

    yield rows
    conn.close()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    ("period", "days", "compared_back"),
    [("day", (date(2025, 3, 17), date(2025, 3, 17)), 7), ("week", (date(2025, 3, 11), date(2025, 3, 17)), 7)],
)
def test_every_number_equals_sql_over_the_marts(
    report_warehouse: Warehouse, plain: Any, period: str, days: tuple[date, date], compared_back: int
) -> None:
    summary = summarise(report_warehouse, period, MORNING_AFTER)  # type: ignore[arg-type]
    start, end = days
    before = (start - timedelta(days=compared_back), end - timedelta(days=compared_back))
    assert (summary.filters.start, summary.filters.end) == days
    assert summary.filters.comparison is not None
    assert (summary.filters.comparison.start, summary.filters.comparison.end) == before
    assert before[0] >= TRAFFIC_START, "the comparison period has data"

    (current,) = plain(SESSIONS, start, end)
    (previous,) = plain(SESSIONS, *before)
    assert current["orders"] > 0 and previous["orders"] > 0
    shown, compared = summary.overview.current, summary.overview.previous
    assert compared is not None
    for name in ("sessions", "orders", "revenue", "conversion_rate"):
        assert shown[name] == pytest.approx(current[name]), name
        assert compared[name] == pytest.approx(previous[name]), name

    expected_products = plain(PRODUCTS, start, end)
    assert [row["product_id"] for row in summary.top_products] == [row["product_id"] for row in expected_products]
    assert [row["revenue"] for row in summary.top_products] == pytest.approx([r["revenue"] for r in expected_products])
    by_channel = {row["channel"]: row for row in plain(CHANNELS, start, end)}
    assert {row["value"]: row["sessions"] for row in summary.channels} == {
        name: row["sessions"] for name, row in by_channel.items()
    }
    assert summary.events == plain(EVENTS, start, end)[0]["events"] > 0
    assert summary.previous_events == plain(EVENTS, *before)[0]["events"] > 0

    message = render(summary, checks(summary, 0.5))
    expected_texts = [
        formatting.money(current["revenue"]),
        formatting.money(previous["revenue"]),
        formatting.change(current["revenue"], previous["revenue"]),
        formatting.count(current["orders"]),
        formatting.percent(current["conversion_rate"]),
        formatting.count(current["sessions"]),
        formatting.money(expected_products[0]["revenue"]),
        *(formatting.count(row["sessions"]) for row in by_channel.values()),
        formatting.count(summary.events),
        "Revenue (USD)",
    ]
    for text in expected_texts:
        assert text in message.text, text
        assert text in message.html, text
    assert "ALERT" not in message.subject or any(item.verdict == "below" for item in checks(summary, 0.5))


def test_the_html_is_for_mail_clients_tables_inline_styles_no_script(report_warehouse: Warehouse) -> None:
    summary = summarise(report_warehouse, "week", MORNING_AFTER)
    message = render(summary, checks(summary, 0.5))
    parser = _Tags()
    parser.feed(message.html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "style", "link", "iframe", "form", "img"}, names
    assert not any(name.startswith("on") for _, attrs in parser.tags for name in attrs)
    assert "table" in names and "td" in names and "div" not in names
    assert all("class" not in attrs for _, attrs in parser.tags), "no stylesheet classes: styles are inline"
    assert all(attrs.get("style") for tag, attrs in parser.tags if tag in {"td", "th", "p"})


def test_a_day_without_a_comparison_period_with_data_says_so_and_does_not_alert(report_warehouse: Warehouse) -> None:
    """The first day of data, against the same weekday a week before it: nothing to compare with."""
    first_morning = MORNING_AFTER.replace(day=TRAFFIC_START.day + 1)
    summary = summarise(report_warehouse, "day", first_morning)
    assert summary.filters.start == TRAFFIC_START
    assert (summary.overview.current["sessions"] or 0) > 0
    found = checks(summary, 0.5)
    assert [item.verdict for item in found] == ["no_comparison", "no_comparison"]
    message = render(summary, found)
    assert not message.subject.startswith("ALERT")
    assert "no comparison data" in message.text and "no comparison data" in message.html
