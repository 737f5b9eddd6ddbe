"""A KPI's sparkline: its daily values as a small inline SVG line (no plotly: a dozen cards must stay light)."""

from __future__ import annotations

from collections.abc import Sequence

from htmltools import Tag

WIDTH = 120
HEIGHT = 28
_PAD = 2


def points(values: Sequence[float | None], width: int = WIDTH, height: int = HEIGHT) -> list[list[tuple[float, float]]]:
    """The line's runs of points: a day without a value (no sessions, no orders) breaks the line rather than
    drawing it as 0. The lowest value sits at the bottom, the highest at the top; a flat line in the middle."""
    known = [value for value in values if value is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    step = (width - 2 * _PAD) / max(len(values) - 1, 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        share = 0.5 if high == low else (value - low) / (high - low)
        x = _PAD + index * step if len(values) > 1 else width / 2
        runs[-1].append((round(x, 1), round(height - _PAD - share * (height - 2 * _PAD), 1)))
    return [run for run in runs if run]


def sparkline(name: str, values: Sequence[float | None]) -> Tag:
    """The SVG; `data-sparkline` names the KPI and `data-points` says how many days it draws (the browser tests)."""
    shapes = []
    for run in points(values):
        if len(run) == 1:
            ((x, y),) = run
            shapes.append(Tag("circle", cx=str(x), cy=str(y), r="1.5", fill="currentColor"))
        else:
            coordinates = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(Tag("polyline", points=coordinates, fill="none", stroke="currentColor", stroke_width="1.5"))
    return Tag(
        "svg",
        *shapes,
        width=str(WIDTH),
        height=str(HEIGHT),
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        role="img",
        aria_label=f"{name} by day",
        class_="kpi-sparkline",
        data_sparkline=name,
        data_points=str(sum(value is not None for value in values)),
    )
