"""The rates have one home, dbt_project.yml's var rates; the dashboard's copy is generated from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dashboard.rates import PRODUCT_LIST_MIN_VIEWS, RATE_MIN_SAMPLE, RATES
from local_only.rates_module import (
    PROJECT_FILE,
    RATES_MODULE,
    RatesError,
    read_min_views,
    read_rate_min_sample,
    read_rates,
    render_rates,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_the_dashboard_copy_is_the_var() -> None:
    assert (REPO / RATES_MODULE).read_text(encoding="utf-8") == render_rates(REPO), "run make generate"
    assert {name: tuple(rate) for name, rate in RATES.items()} == read_rates(REPO)
    assert read_min_views(REPO) == PRODUCT_LIST_MIN_VIEWS
    assert read_rate_min_sample(REPO) == RATE_MIN_SAMPLE


def test_every_rate_the_dashboard_shows_is_defined() -> None:
    assert set(RATES) >= {
        "bounce_rate",
        "conversion_rate",
        "add_to_cart_rate",
        "purchase_rate",
        "average_order_value",
        "returning_customer_rate",
    }


def _project_with(tmp_path: Path, **changes: object) -> Path:
    shutil.copy(REPO / PROJECT_FILE, tmp_path / PROJECT_FILE)
    project = yaml.safe_load((tmp_path / PROJECT_FILE).read_text(encoding="utf-8"))
    project["vars"].update(changes)
    (tmp_path / PROJECT_FILE).write_text(yaml.safe_dump(project), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"mart": "m", "numerator": "sum(a); drop table x", "denominator": "sum(b)", "description": "d"}, "plain"),
        ({"mart": "m", "numerator": "sum(a) -- b", "denominator": "sum(b)", "description": "d"}, "plain"),
        ({"mart": "m", "numerator": "sum(a)", "description": "d"}, "exactly"),
        ({"mart": "m", "numerator": 1, "denominator": "sum(b)", "description": "d"}, "plain"),
    ],
)
def test_a_rate_that_is_not_a_plain_aggregate_is_refused(
    tmp_path: Path, entry: dict[str, object], problem: str
) -> None:
    project = _project_with(tmp_path, rates={"bad_rate": entry})
    with pytest.raises(RatesError, match=problem):
        render_rates(project)


@pytest.mark.parametrize("value", [0, -1, "20", True, None])
def test_min_views_must_be_a_positive_whole_number(tmp_path: Path, value: object) -> None:
    with pytest.raises(RatesError, match="product_list_min_views"):
        read_min_views(_project_with(tmp_path, product_list_min_views=value))


@pytest.mark.parametrize("value", [0, "30", False, None])
def test_rate_min_sample_must_be_a_positive_whole_number(tmp_path: Path, value: object) -> None:
    with pytest.raises(RatesError, match="rate_min_sample"):
        read_rate_min_sample(_project_with(tmp_path, rate_min_sample=value))
