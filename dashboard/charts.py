"""Plotly figures for the pages, rendered as HTML fragments (plotly.js itself is served once, by the app)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go
from htmltools import HTML

from dashboard.sankey import Link

LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 40, "r": 20, "t": 40, "b": 40},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.2},
}
CONFIG = {"displaylogo": False, "responsive": True}
# A finger dragged over a chart zoomed it (plotly's default drag mode) instead of scrolling the page, so on a phone a
# page of charts could hardly be scrolled. Where there is no hover (a touch screen) the drag mode is turned off: taps
# still show the hover labels and the page scrolls under the finger; a mouse keeps drag-to-zoom.
TOUCH_SCROLLS = "if (window.matchMedia('(hover: none)').matches) Plotly.relayout('{plot_id}', {dragmode: false});"
# plotly's first colours: a series and its comparison share one.
PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa")


def to_html(figure: go.Figure, name: str) -> HTML:
    """The figure as a div and its script; `name` becomes the div's id (the browser tests find charts by it)."""
    figure.update_layout(**LAYOUT)
    return HTML(
        figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=CONFIG,
            div_id=f"chart-{name}",
            post_script=TOUCH_SCROLLS,
        )
    )


def lines(name: str, title: str, x: Sequence[Any], series: Mapping[str, Sequence[float | None]]) -> HTML:
    figure = go.Figure(
        [go.Scatter(x=list(x), y=list(ys), mode="lines+markers", name=label) for label, ys in series.items()]
    )
    figure.update_layout(title=title)
    return to_html(figure, name)


def bars(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    horizontal: bool = False,
    percent: bool = False,
) -> HTML:
    """`percent`: the values are rates (0-1), their axis reads as percentages."""
    if horizontal:
        # Largest on top: plotly draws the first category at the bottom.
        bar = go.Bar(x=list(values)[::-1], y=list(labels)[::-1], orientation="h")
    else:
        bar = go.Bar(x=list(labels), y=list(values))
    figure = go.Figure([bar])
    figure.update_layout(title=title)
    if horizontal:
        figure.update_layout(height=max(320, 24 * len(labels) + 80), margin={"l": 220})
    if percent:
        figure.update_layout(**{"xaxis" if horizontal else "yaxis": {"tickformat": ".0%"}})
    return to_html(figure, name)


def funnel(name: str, title: str, steps: Sequence[str], sessions: Sequence[int]) -> HTML:
    figure = go.Figure([go.Funnel(y=list(steps), x=list(sessions), textinfo="value+percent initial+percent previous")])
    figure.update_layout(title=title)
    return to_html(figure, name)


def grouped_rates(name: str, title: str, steps: Sequence[str], segments: Mapping[str, Sequence[float | None]]) -> HTML:
    figure = go.Figure([go.Bar(name=segment, x=list(steps), y=list(rates)) for segment, rates in segments.items()])
    figure.update_layout(title=title, barmode="group", yaxis={"tickformat": ".0%"})
    return to_html(figure, name)


def sankey(name: str, title: str, links: Sequence[Link]) -> HTML:
    nodes = sorted({link.source for link in links} | {link.target for link in links})
    index = {node: position for position, node in enumerate(nodes)}
    figure = go.Figure(
        [
            go.Sankey(
                node={"label": nodes, "pad": 12, "thickness": 14},
                link={
                    "source": [index[link.source] for link in links],
                    "target": [index[link.target] for link in links],
                    "value": [link.value for link in links],
                },
            )
        ]
    )
    figure.update_layout(title=title)
    figure.update_layout(height=520)
    return to_html(figure, name)


def heatmap(
    name: str, title: str, rows: Sequence[date], columns: Sequence[int], rates: Sequence[Sequence[float | None]]
) -> HTML:
    figure = go.Figure(
        [
            go.Heatmap(
                z=[list(row) for row in rates],
                x=[f"week {column}" for column in columns],
                y=[row.isoformat() for row in rows],
                colorscale="Blues",
                zmin=0,
                zmax=1,
                hovertemplate="cohort %{y}, %{x}: %{z:.1%}<extra></extra>",
                texttemplate="%{z:.0%}",
            )
        ]
    )
    figure.update_layout(title=title, yaxis={"autorange": "reversed", "type": "category"})
    figure.update_layout(height=max(320, 28 * len(rows) + 120))
    return to_html(figure, name)


def stacked_bars(name: str, title: str, x: Sequence[Any], series: Mapping[str, Sequence[float]]) -> HTML:
    """One bar per x, stacked from the series (in their order, the first at the bottom)."""
    figure = go.Figure([go.Bar(x=list(x), y=list(ys), name=label) for label, ys in series.items()])
    figure.update_layout(title=title, barmode="stack", legend={"orientation": "h", "y": -0.2})
    return to_html(figure, name)


def trend_with_comparison(
    name: str,
    title: str,
    days: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    compared_days: Sequence[date] | None,
    compared: Mapping[str, Sequence[float | None]] | None,
    secondary: str | None = None,
) -> HTML:
    """Each series by day, and the comparison period's overlaid dashed, aligned by day offset (its first day under
    the range's first day), its own dates in the hover. `secondary` names the series drawn on a right-hand axis
    (revenue and orders differ in scale)."""
    figure = go.Figure()
    for position, (label, ys) in enumerate(series.items()):
        axis = "y2" if label == secondary else "y"
        color = PALETTE[position % len(PALETTE)]
        figure.add_trace(
            go.Scatter(x=list(days), y=list(ys), mode="lines+markers", name=label, yaxis=axis, line={"color": color})
        )
        if compared is not None and compared_days is not None and label in compared:
            figure.add_trace(
                go.Scatter(
                    x=list(days)[: len(compared_days)],
                    y=list(compared[label])[: len(days)],
                    customdata=[day.isoformat() for day in compared_days][: len(days)],
                    hovertemplate="%{customdata}: %{y}<extra>" + f"{label} (comparison)</extra>",
                    mode="lines",
                    name=f"{label} (comparison)",
                    yaxis=axis,
                    line={"color": color, "dash": "dash"},
                    opacity=0.6,
                )
            )
    figure.update_layout(title=title)
    if secondary is not None:
        figure.update_layout(
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": secondary, "rangemode": "tozero"},
            yaxis={"rangemode": "tozero"},
        )
    return to_html(figure, name)
