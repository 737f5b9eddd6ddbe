"""The report as a mail client shows it: plain text, and HTML made of tables with inline styles and no script (mail
clients drop <style> blocks, external sheets and scripts). Numbers are formatted as the dashboard formats them
(dashboard/formatting.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from dashboard import formatting
from dashboard.freshness_badge import data_up_to_text
from dashboard.periods import describe
from owner_report.alert import Check
from owner_report.summary import Summary

# The owner's KPIs, revenue first (issue 16, "The owner's KPIs first"): key, title, format.
KPIS: tuple[tuple[str, str, Callable[[float | None], str]], ...] = (
    ("revenue", "Revenue", formatting.money),
    ("orders", "Orders", formatting.count),
    ("average_order_value", "Avg. order value", formatting.money),
    ("conversion_rate", "Conversion rate", formatting.percent),
    ("sessions", "Sessions", formatting.count),
    ("returning_customer_rate", "Returning customers", formatting.percent),
)
_GREEN, _RED, _GREY = "#1a7f37", "#cf222e", "#57606a"
_FONT = "font-family:Arial,Helvetica,sans-serif;"
_CELL = "padding:6px 4px;border-bottom:1px solid #d0d7de;font-size:13px;"
_NUMBER = _CELL + "text-align:right;white-space:nowrap;"
_HEAD = "padding:6px 4px;border-bottom:2px solid #8c959f;font-size:11px;color:#57606a;text-align:left;"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _title(key: str, title: str, fmt: Callable[[float | None], str], currency: str | None) -> str:
    return f"{title} ({currency})" if fmt is formatting.money and currency else title


def _kpi_rows(summary: Summary) -> list[tuple[str, str, str, str]]:
    """(title, this period, comparison, change) for each KPI; the comparison columns dashes without one."""
    data = summary.overview
    rows = []
    for key, title, fmt in KPIS:
        current = data.current.get(key)
        previous = None if data.previous is None else data.previous.get(key)
        shown = (fmt(previous), formatting.change(current, previous)) if data.previous is not None else ("", "")
        rows.append((_title(key, title, fmt, data.currency), fmt(current), *shown))
    return rows


def _kpi_note(summary: Summary) -> str | None:
    """As Overview says it: orders in a currency without a rate are counted, but left out of revenue and AOV."""
    unconverted = summary.overview.current.get("orders_without_rate") or 0
    if not unconverted:
        return None
    return (
        f"{formatting.count(unconverted)} order(s) in a currency without a rate in currency_rates are left out of"
        " revenue and average order value."
    )


def _product_rows(summary: Summary) -> list[tuple[str, ...]]:
    return [
        (
            str(row["product_name"] or row["product_id"]) + (f" ({row['brand']})" if row.get("brand") else ""),
            formatting.money(row["revenue"]),
            formatting.count(row["units"]),
            formatting.count(row["views"]),
            formatting.percent(row["purchase_rate"]),
        )
        for row in summary.top_products
    ]


def _channel_rows(summary: Summary) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for row in summary.channels:
        before = summary.previous_channels.get(row["value"])
        change = formatting.change(row["revenue"], before["revenue"]) if before is not None else formatting.DASH
        rows.append(
            (
                str(row["value"]),
                formatting.count(row["sessions"]),
                formatting.percent(row["conversion_rate"]),
                formatting.money(row["revenue"]),
                change,
            )
        )
    return rows


def _health_lines(summary: Summary, checks: Sequence[Check]) -> list[str]:
    found = summary.health
    newest = found.freshness.newest_modelled_at
    transforms = found.transforms
    if transforms.unavailable:
        last_build = transforms.unavailable
    else:
        success = formatting.age(transforms.last_success_at, summary.made_at)
        last_build = f"{transforms.last_status or 'none'}, last success {success}"
    lines = [
        data_up_to_text(newest, summary.made_at, summary.timezone),
        f"Events modelled: {formatting.count(summary.events)}"
        + ("" if summary.previous_events is None else f" (comparison: {formatting.count(summary.previous_events)})"),
        f"Events refused by the ingest: {formatting.count(found.totals['refusals'])}",
        f"Last transform: {last_build}",
    ]
    # Sentences of their own here: the badge's "data up to" and the checks' "orders: ..." start lower case.
    return [line[:1].upper() + line[1:] for line in (*lines, *(item.describe() for item in checks))]


def _period_line(summary: Summary) -> str:
    shown = describe(summary.filters.period)
    compared = summary.filters.comparison
    against = "compared with nothing" if compared is None else f"compared with {describe(compared)}"
    return f"{shown}, {against} (days in {summary.timezone})"


def subject(summary: Summary, checks: Sequence[Check]) -> str:
    data = summary.overview
    alert = "ALERT: " if any(item.verdict == "below" for item in checks) else ""
    revenue = formatting.money(data.current["revenue"]) + (f" {data.currency}" if data.currency else "")
    change = ""
    if data.previous is not None:
        change = f" ({formatting.change(data.current['revenue'], data.previous['revenue'])})"
    orders = formatting.count(data.current["orders"])
    return f"{alert}Shop summary {describe(summary.filters.period)}: revenue {revenue}{change}, {orders} orders"


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = []
    for index, cells in enumerate([headers, *rows]):
        first, *rest = cells
        lines.append(
            "  "
            + f"{first:<{widths[0]}}"
            + "".join(f"  {cell:>{width}}" for cell, width in zip(rest, widths[1:], strict=True))
        )
        if index == 0:
            lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
    return lines


def render_text(summary: Summary, checks: Sequence[Check]) -> str:
    alerts = [item for item in checks if item.verdict == "below"]
    lines = [subject(summary, checks), _period_line(summary), ""]
    if alerts:
        lines += ["ALERT", *(f"  {item.describe()}" for item in alerts), ""]
    lines += ["Key numbers", *_text_table(("", "This period", "Comparison", "Change"), _kpi_rows(summary))]
    note = _kpi_note(summary)
    lines += [f"  {note}", ""] if note else [""]
    lines += ["Top products by revenue"]
    products = _product_rows(summary)
    lines += (
        _text_table(("Product", "Revenue", "Units", "Views", "Purchase rate"), products)
        if products
        else ["  No product was bought."]
    )
    lines += ["", "Channels"]
    channels = _channel_rows(summary)
    lines += (
        _text_table(("Channel", "Sessions", "Conversion", "Revenue", "Revenue change"), channels)
        if channels
        else ["  No sessions."]
    )
    lines += ["", "Data health", *(f"  {line}" for line in _health_lines(summary, checks)), ""]
    return "\n".join(lines)


def _colour(change: str) -> str:
    return _GREEN if change.startswith("+") else _RED if change.startswith("-") else _GREY


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], change_column: int | None = None) -> str:
    head = "".join(
        f'<th style="{_HEAD}{"" if index == 0 else "text-align:right;"}">{escape(text)}</th>'
        for index, text in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for index, text in enumerate(row):
            style = _CELL if index == 0 else _NUMBER
            if index == change_column:
                style += f"color:{_colour(text)};font-weight:bold;"
            cells.append(f'<td style="{style}">{escape(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;{_FONT}"><tr>{head}</tr>{"".join(body)}</table>'
    )


def _section(title: str, content: str) -> str:
    return (
        f'<tr><td style="padding:18px 0 6px 0;{_FONT}font-size:16px;font-weight:bold;color:#24292f;">'
        f'{escape(title)}</td></tr><tr><td style="padding:0;">{content}</td></tr>'
    )


def _paragraph(text: str, style: str = "") -> str:
    return f'<p style="margin:0 0 6px 0;{_FONT}font-size:14px;color:#24292f;{style}">{escape(text)}</p>'


def render_html(summary: Summary, checks: Sequence[Check]) -> str:
    alerts = [item for item in checks if item.verdict == "below"]
    title = subject(summary, checks)
    parts = [
        f'<tr><td style="{_FONT}font-size:20px;font-weight:bold;color:#24292f;padding-bottom:4px;">'
        f"{escape(title)}</td></tr>",
        f'<tr><td style="{_FONT}font-size:13px;color:{_GREY};">{escape(_period_line(summary))}</td></tr>',
    ]
    if alerts:
        warning = "".join(_paragraph(item.describe(), f"color:{_RED};font-weight:bold;") for item in alerts)
        parts.append(
            f'<tr><td style="padding:12px;border:2px solid {_RED};background-color:#ffebe9;">{warning}</td></tr>'
        )
    comparison = summary.overview.previous is not None
    parts.append(
        _section(
            "Key numbers",
            _html_table(("", "This period", "Comparison", "Change"), _kpi_rows(summary), 3 if comparison else None)
            + (_paragraph(note, "color:#9a6700;font-size:12px;") if (note := _kpi_note(summary)) else ""),
        )
    )
    products = _product_rows(summary)
    parts.append(
        _section(
            "Top products by revenue",
            _html_table(("Product", "Revenue", "Units", "Views", "Purchase rate"), products)
            if products
            else _paragraph("No product was bought."),
        )
    )
    channels = _channel_rows(summary)
    parts.append(
        _section(
            "Channels",
            _html_table(("Channel", "Sessions", "Conversion", "Revenue", "Revenue change"), channels, 4)
            if channels
            else _paragraph("No sessions."),
        )
    )
    parts.append(_section("Data health", "".join(_paragraph(line) for line in _health_lines(summary, checks))))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="margin:0;padding:0;background-color:#f6f8fa;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background-color:#f6f8fa;"><tr><td align="center" style="padding:8px;">'
        # 100% up to 640 px: a phone's mail app narrows it, a desktop's keeps it readable (Outlook, which ignores
        # max-width, shows it full width).
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:640px;background-color:#ffffff;padding:12px;">'
        + "".join(parts)
        + "</table></td></tr></table></body></html>"
    )


def render(summary: Summary, checks: Sequence[Check]) -> Rendered:
    return Rendered(subject(summary, checks), render_text(summary, checks), render_html(summary, checks))
