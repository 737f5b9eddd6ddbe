"""Every page's loader by the page's name (bench/bench_dashboard.py times each)."""

from __future__ import annotations

from collections.abc import Callable

from dashboard.data.acquisition import acquisition
from dashboard.data.funnel import funnel
from dashboard.data.health import health
from dashboard.data.journeys import journeys
from dashboard.data.overview import overview
from dashboard.data.products import products
from dashboard.data.retention import retention
from dashboard.filters import Filters
from dashboard.warehouse import Warehouse

PAGE_LOADERS: dict[str, Callable[[Warehouse, Filters], object]] = {
    "overview": overview,
    "funnel": funnel,
    "products": products,
    "acquisition": acquisition,
    "journeys": journeys,
    "retention": retention,
    "health": health,
}
