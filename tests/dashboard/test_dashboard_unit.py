"""The data-access layer's arithmetic and the dashboard's settings, in-process."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dashboard import formatting
from dashboard.country_names import country_name
from dashboard.data.funnel import funnel_steps, segment_counts
from dashboard.data.status import WarehouseStatus, last_days_with_data
from dashboard.filters import Filters, chosen_filters
from dashboard.pages.retention import cohort_grid
from dashboard.periods import Period
from dashboard.sankey import Link, acyclic_links
from dashboard.settings import DashboardSettings
from dashboard.sparkline import points, sparkline

pytestmark = pytest.mark.unit


def test_the_comparison_keeps_the_slice_and_the_cut_hour() -> None:
    compared = Period(date(2025, 3, 3), date(2025, 3, 9), end_before_hour=15)
    filters = Filters(date(2025, 3, 10), date(2025, 3, 16), device_type="mobile", channel="Email", comparison=compared)
    previous = filters.compared()
    assert previous == Filters(date(2025, 3, 3), date(2025, 3, 9), "mobile", "Email", end_before_hour=15)
    assert previous.period == compared and previous.days == filters.days == 7
    assert Filters(date(2025, 3, 10), date(2025, 3, 16)).compared() is None


def test_a_preset_and_a_comparison_choice_select_the_filters() -> None:
    """The sidebar's choices and the report's periods become Filters in one place (dashboard/filters.py)."""
    now = datetime(2025, 3, 12, 14, 20)
    assert chosen_filters("last_7_days", "previous_period", now) == Filters(
        date(2025, 3, 5), date(2025, 3, 11), comparison=Period(date(2025, 2, 26), date(2025, 3, 4))
    )
    assert chosen_filters("today", "previous_year", now, device_type="mobile", channel="Email") == Filters(
        date(2025, 3, 12),
        date(2025, 3, 12),
        "mobile",
        "Email",
        comparison=Period(date(2024, 3, 12), date(2024, 3, 12), 14),
    )
    custom = Period(date(2025, 1, 6), date(2025, 1, 8))
    assert chosen_filters("custom", "none", now, custom=custom) == Filters(date(2025, 1, 6), date(2025, 1, 8))
    # A preset's days win over dates left from an earlier custom choice; Custom without its days is refused.
    assert chosen_filters("yesterday", "none", now, custom=custom).period == Period(
        date(2025, 3, 11), date(2025, 3, 11)
    )
    with pytest.raises(ValueError, match="custom range"):
        chosen_filters("custom", "none", now)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        Filters(date(2025, 3, 10), date(2025, 3, 9))


def test_the_last_days_with_data_within_what_exists() -> None:
    found = WarehouseStatus("ready", first_day=date(2025, 3, 3), last_day=date(2025, 4, 30))
    assert last_days_with_data(found, 28) == Filters(
        date(2025, 4, 3), date(2025, 4, 30), comparison=Period(date(2025, 3, 6), date(2025, 4, 2))
    )
    short = WarehouseStatus("ready", first_day=date(2025, 4, 29), last_day=date(2025, 4, 30))
    assert last_days_with_data(short, 28).period == Period(date(2025, 4, 29), date(2025, 4, 30))
    with pytest.raises(ValueError, match="no data"):
        last_days_with_data(WarehouseStatus("empty"), 28)


def test_settings_take_a_moment_with_its_offset_as_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_REPORTING_TIMEZONE", "Asia/Ho_Chi_Minh")
    monkeypatch.setenv("DASHBOARD_NOW", "2025-03-10T18:30:00Z")
    now = DashboardSettings().current_time()
    assert (now.date(), now.hour, now.minute) == (date(2025, 3, 11), 1, 30)
    monkeypatch.setenv("DASHBOARD_NOW", "2025-03-10T18:30:00")
    with pytest.raises(ValueError, match="offset"):
        DashboardSettings()
    monkeypatch.delenv("DASHBOARD_NOW")
    assert abs(DashboardSettings().current_time() - datetime.now(UTC)) < timedelta(minutes=1)


def test_funnel_step_conversion_and_drop_off() -> None:
    steps = funnel_steps(
        1000, [(1, "view_product", 400), (2, "add_to_cart", 100), (3, "begin_checkout", 40), (4, "purchase", 0)]
    )
    assert [(s.sessions, s.step_conversion, s.dropped) for s in steps] == [
        (400, 0.4, 600),
        (100, 0.25, 300),
        (40, 0.4, 60),
        (0, 0.0, 40),
    ]
    # No sessions at all: rates are unknown, not zero.
    assert [s.step_conversion for s in funnel_steps(0, [(1, "view_product", 0)])] == [None]


def test_sankey_links_keep_the_strongest_that_close_no_cycle() -> None:
    links = [
        Link("(entrance)", "/", 50),
        Link("/", "/category/laptops", 40),
        Link("/category/laptops", "/", 30),  # back home: a cycle with the link above
        Link("/category/laptops", "/product/x", 20),
        Link("/product/x", "/product/x", 15),  # never a self-link
        Link("/product/x", "(exit)", 10),
        Link("/product/x", "/", 5),  # a longer cycle
    ]
    kept = acyclic_links(links, limit=10)
    assert [(link.source, link.target) for link in kept] == [
        ("(entrance)", "/"),
        ("/", "/category/laptops"),
        ("/category/laptops", "/product/x"),
        ("/product/x", "(exit)"),
    ]
    assert len(acyclic_links(links, limit=2)) == 2


def test_the_cohort_grid_leaves_weeks_without_data_empty() -> None:
    rows = [
        {"cohort_week": date(2025, 3, 3), "weeks_since_first_seen": 0, "cohort_size": 10, "retention_rate": 1.0},
        {"cohort_week": date(2025, 3, 3), "weeks_since_first_seen": 1, "cohort_size": 10, "retention_rate": 0.2},
        {"cohort_week": date(2025, 3, 10), "weeks_since_first_seen": 0, "cohort_size": 4, "retention_rate": 1.0},
    ]
    cohorts, weeks, grid, sizes = cohort_grid(rows)
    assert cohorts == [date(2025, 3, 3), date(2025, 3, 10)]
    assert weeks == [0, 1]
    assert grid == [[1.0, 0.2], [1.0, None]]
    assert sizes == {date(2025, 3, 3): 10, date(2025, 3, 10): 4}


def test_numbers_read_as_the_owner_expects() -> None:
    assert formatting.count(12345.0) == "12,345"
    assert formatting.percent(0.12345) == "12.3%"
    assert formatting.money(1234.5) == "1,234.50"
    assert formatting.duration(125.4) == "2m 05s"
    assert formatting.duration(42) == "42s"
    assert formatting.change(110, 100) == "+10.0%"
    assert formatting.change(5, 0) == formatting.DASH
    assert formatting.count(None) == formatting.DASH
    now = datetime(2025, 3, 3, 12, tzinfo=UTC)
    assert formatting.age(now - timedelta(minutes=30), now) == "30 min ago"
    assert formatting.age(now - timedelta(hours=5), now) == "5 h ago"
    assert formatting.age(None, now) == "never"


def test_settings_refuse_an_unknown_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_REPORTING_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        DashboardSettings()


def test_settings_default_to_the_dbt_projects_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHBOARD_REPORTING_TIMEZONE", raising=False)
    monkeypatch.delenv("DASHBOARD_INCLUDE_BOTS", raising=False)
    settings = DashboardSettings()
    assert settings.reporting_timezone == "UTC"
    assert settings.include_bots is False
    assert settings.stale_after == timedelta(minutes=120)


def test_a_segment_that_never_reached_a_step_lines_up_with_the_steps() -> None:
    rows = [
        {"step_number": 1, "segment": "desktop", "sessions": 10},
        {"step_number": 1, "segment": "tablet", "sessions": 2},
        {"step_number": 2, "segment": "desktop", "sessions": 6},
        {"step_number": 3, "segment": "desktop", "sessions": 3},
        {"step_number": 3, "segment": "tablet", "sessions": 1},
    ]

    assert segment_counts(rows, [1, 2, 3]) == {"desktop": [10, 6, 3], "tablet": [2, 0, 1]}


def test_installed_from_a_wheel_the_settings_read_the_project_dbt_builds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On the EC2 the package is in a venv, far from dbt_project.yml: DBT_PROJECT_DIR names the bundle's copy."""
    (tmp_path / "dbt_project.yml").write_text(
        "vars:\n  reporting_timezone: Asia/Ho_Chi_Minh\n  reporting_currency: VND\n", encoding="utf-8"
    )
    for name in ("DASHBOARD_REPORTING_TIMEZONE", "DASHBOARD_REPORTING_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DBT_PROJECT_DIR", str(tmp_path))
    settings = DashboardSettings()
    assert (settings.reporting_timezone, settings.reporting_currency) == ("Asia/Ho_Chi_Minh", "VND")


def test_a_change_is_good_news_when_it_rises_unless_less_is_better() -> None:
    assert formatting.change_tone(110, 100) == "good"
    assert formatting.change_tone(90, 100) == "bad"
    assert formatting.change_tone(0.30, 0.40, lower_is_better=True) == "good"  # a falling bounce rate
    assert formatting.change_tone(0.45, 0.40, lower_is_better=True) == "bad"
    # No comparison, no base, no change: neutral, as `change` shows a dash or 0.
    assert formatting.change_tone(5, None) == formatting.change_tone(5, 0) == formatting.change_tone(5, 5) == "neutral"
    assert formatting.change_tone(None, 5) == "neutral"


def test_a_sparkline_breaks_at_a_day_without_a_value_and_spans_low_to_high() -> None:
    runs = points([1, 3, None, 2], width=100, height=20)
    assert len(runs) == 2
    (first, second), (third,) = runs
    assert first[0] < second[0] < third[0]
    assert first[1] == 18 and second[1] == 2  # the lowest at the bottom, the highest at the top (2 px padding)
    assert points([None, None]) == []
    assert [y for _, y in points([4, 4, 4], height=20)[0]] == [10, 10, 10]
    drawn = str(sparkline("revenue", [1, None, 2]))
    assert 'data-sparkline="revenue"' in drawn and 'data-points="2"' in drawn


def test_country_names_from_their_codes() -> None:
    assert country_name("US") == "United States"
    assert country_name("VN") == "Vietnam"
    assert country_name("(not set)") == "(not set)"
    assert country_name("Q1") == "Q1"  # not a code: as it is
