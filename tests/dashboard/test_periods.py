"""The dashboard's periods: presets, the default range and comparisons, by example and as properties over any day,
any moment and time zones with daylight-saving changes (and one without, Hanoi's)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.periods import (
    COMPARISONS,
    PRESETS,
    Period,
    compared_period,
    comparison_kind,
    default_period,
    describe,
    local_now,
    matching_preset,
    preset,
    preset_period,
    preset_starts,
)

pytestmark = pytest.mark.unit

ZONES = ["UTC", "Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia"]
days = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31))
moments = st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC))
# No deadline nor generation-time check: the machine is shared, and slowness is not what these tests are about.
PROPERTIES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
complete_presets = st.sampled_from(["yesterday", "last_7_days", "last_28_days", "last_90_days", "last_month"])


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def test_the_presets_on_a_wednesday_in_march() -> None:
    today = date(2025, 3, 12)
    assert preset_period("today", today) == Period(today, today)
    assert preset_period("yesterday", today) == Period(date(2025, 3, 11), date(2025, 3, 11))
    assert preset_period("last_7_days", today) == Period(date(2025, 3, 5), date(2025, 3, 11))
    assert preset_period("last_28_days", today) == Period(date(2025, 2, 12), date(2025, 3, 11))
    assert preset_period("last_90_days", today).days == 90
    assert preset_period("this_month", today) == Period(date(2025, 3, 1), today)
    assert preset_period("last_month", today) == Period(date(2025, 2, 1), date(2025, 2, 28))
    assert default_period(today) == Period(date(2025, 3, 5), date(2025, 3, 11))
    assert min(preset_starts(today)) == preset_period("last_90_days", today).start
    with pytest.raises(ValueError, match="custom"):
        preset_period("custom", today)


def test_last_month_in_a_leap_year_and_across_new_year() -> None:
    assert preset_period("last_month", date(2024, 3, 1)) == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert preset_period("last_month", date(2025, 1, 31)) == Period(date(2024, 12, 1), date(2024, 12, 31))


def test_today_so_far_is_compared_with_the_same_hours_a_week_and_a_year_before() -> None:
    now = datetime(2025, 3, 12, 14, 20)
    today = preset_period("today", now.date())
    assert compared_period(today, "previous_period", now) == Period(date(2025, 3, 5), date(2025, 3, 5), 14)
    assert compared_period(today, "previous_year", now) == Period(date(2024, 3, 12), date(2024, 3, 12), 14)
    assert compared_period(today, "none", now) is None
    this_month = preset_period("this_month", now.date())
    assert compared_period(this_month, "previous_period", now) == Period(date(2025, 2, 15), date(2025, 2, 26), 14)


def test_complete_periods_are_compared_with_whole_weeks_before_or_the_year_before() -> None:
    now = datetime(2025, 3, 12, 9)
    week = preset_period("last_7_days", now.date())
    assert compared_period(week, "previous_period", now) == Period(date(2025, 2, 26), date(2025, 3, 4))
    yesterday = preset_period("yesterday", now.date())
    assert compared_period(yesterday, "previous_period", now) == Period(date(2025, 3, 4), date(2025, 3, 4))
    # 90 days: twelve weeks and six days, so thirteen weeks back.
    quarter = preset_period("last_90_days", now.date())
    compared = compared_period(quarter, "previous_period", now)
    assert compared is not None and quarter.start - compared.start == timedelta(days=91)
    leap = Period(date(2024, 2, 1), date(2024, 2, 29))
    assert compared_period(leap, "previous_year", now) == Period(date(2023, 2, 1), date(2023, 2, 28))


def test_hanoi_is_seven_hours_ahead_of_utc() -> None:
    evening_utc = datetime(2025, 3, 11, 18, 30, tzinfo=UTC)
    hanoi = local_now("Asia/Ho_Chi_Minh", evening_utc)
    assert (hanoi.date(), hanoi.hour) == (date(2025, 3, 12), 1)
    assert default_period(hanoi.date()).end == date(2025, 3, 11)
    with pytest.raises(ValueError, match="time zone"):
        local_now("UTC", datetime(2025, 3, 11, 18, 30))


def test_names_from_the_browser_are_checked() -> None:
    assert all(preset(name) == name for name in PRESETS)
    assert all(comparison_kind(name) == name for name in COMPARISONS)
    with pytest.raises(ValueError, match="period"):
        preset("last_week")
    with pytest.raises(ValueError, match="comparison"):
        comparison_kind("previous_decade")
    with pytest.raises(ValueError, match="hour"):
        Period(date(2025, 3, 1), date(2025, 3, 1), 24)


def test_periods_read_as_labels() -> None:
    assert describe(Period(date(2025, 3, 3), date(2025, 3, 3), 14)) == "Mon 3 Mar 2025 until 14:00"
    assert describe(Period(date(2025, 2, 24), date(2025, 3, 2))) == "24 Feb to 2 Mar 2025"
    assert describe(Period(date(2024, 12, 30), date(2025, 1, 5))) == "30 Dec 2024 to 5 Jan 2025"


def test_a_range_is_recognised_as_its_preset() -> None:
    today = date(2025, 3, 12)
    assert matching_preset(date(2025, 3, 5), date(2025, 3, 11), today) == "last_7_days"
    assert matching_preset(date(2025, 3, 5), date(2025, 3, 10), today) == "custom"


@PROPERTIES
@given(moments, st.sampled_from(ZONES))
def test_the_default_range_is_seven_complete_days_before_the_local_today(now: datetime, zone: str) -> None:
    local = local_now(zone, now)
    default = default_period(local.date())
    assert default.days == 7
    assert default.end == local.date() - timedelta(days=1)
    assert default.end_before_hour is None


def test_today_so_far_on_the_days_the_clocks_change_counts_local_hours() -> None:
    # Berlin springs forward at 02:00 on 30 March 2025: 01:30 UTC is 03:30 there, the day's third hour gone.
    spring = local_now("Europe/Berlin", datetime(2025, 3, 30, 1, 30, tzinfo=UTC))
    today = preset_period("today", spring.date())
    assert compared_period(today, "previous_period", spring) == Period(date(2025, 3, 23), date(2025, 3, 23), 3)
    # And falls back on 26 October: 00:30 UTC is 02:30 summer time, 01:30 UTC 02:30 again (winter time).
    autumn = local_now("Europe/Berlin", datetime(2025, 10, 26, 1, 30, tzinfo=UTC))
    assert (autumn.date(), autumn.hour) == (date(2025, 10, 26), 2)
    # Samoa skipped 30 December 2011: the day after the 29th was the 31st, and a week still has seven dates.
    apia = local_now("Pacific/Apia", datetime(2011, 12, 30, 12, tzinfo=UTC))
    assert apia.date() == date(2011, 12, 31)
    assert default_period(apia.date()) == Period(date(2011, 12, 24), date(2011, 12, 30))


@PROPERTIES
@given(days, complete_presets)
def test_complete_presets_end_before_today(today: date, name: str) -> None:
    period = preset_period(preset(name), today)
    assert period.end < today
    assert period.end_before_hour is None
    if name == "last_month":
        assert period.start.day == 1 and (period.end + timedelta(days=1)) == today.replace(day=1)
        assert 28 <= period.days <= 31


@PROPERTIES
@given(days, st.sampled_from(list(PRESETS)))
def test_every_preset_is_its_own_match(today: date, name: str) -> None:
    if name == "custom":
        return
    period = preset_period(preset(name), today)
    found = matching_preset(period.start, period.end, today)
    assert found != "custom"
    assert preset_period(found, today) == period


@PROPERTIES
@given(days, st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=23))
def test_the_previous_period_is_the_same_weekdays_just_before(end: date, length: int, hour: int) -> None:
    period = Period(end - timedelta(days=length), end)
    compared = compared_period(period, "previous_period", _midnight(end + timedelta(days=1)))
    assert compared is not None
    assert compared.days == period.days
    assert compared.start.weekday() == period.start.weekday()
    assert compared.end < period.start
    assert (period.start - compared.start).days < period.days + 7
    assert compared.end_before_hour is None
    today = compared_period(period, "previous_period", _midnight(end).replace(hour=hour))
    assert today is not None and today.end_before_hour == hour


@PROPERTIES
@given(days, st.integers(min_value=0, max_value=400))
def test_the_same_period_last_year_has_the_same_dates(end: date, length: int) -> None:
    period = Period(end - timedelta(days=length), end)
    compared = compared_period(period, "previous_year", _midnight(end + timedelta(days=3)))
    assert compared is not None
    assert abs(compared.days - period.days) <= 1
    for before, after in ((compared.start, period.start), (compared.end, period.end)):
        assert before.year == after.year - 1
        assert (before.month, before.day) == (after.month, after.day) or (after.month, after.day) == (2, 29)
