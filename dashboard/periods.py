"""The dashboard's periods: the date presets, the default range and the period each range is compared with.

Days are days in the reporting time zone (the marts' day columns are in the build's ``reporting_timezone``).
"Today" is the day in that zone at the moment asked; every preset but "Today so far", "This month" and "Custom"
ends yesterday, so no range is compared while its last day is still filling up. A range that ends today is
compared with a period whose last day counts only the hours before the current one: "Today so far" at 14:20 is
today against the comparison day's 00:00-13:59 (hour-of-day in the same zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Preset = Literal[
    "today", "yesterday", "last_7_days", "last_28_days", "last_90_days", "this_month", "last_month", "custom"
]
PRESETS: dict[Preset, str] = {
    "today": "Today so far",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "last_28_days": "Last 28 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "custom": "Custom",
}
DEFAULT_PRESET: Preset = "last_7_days"

Comparison = Literal["previous_period", "previous_year", "none"]
COMPARISONS: dict[Comparison, str] = {
    "previous_period": "Previous period (matched by weekday)",
    "previous_year": "Same period last year",
    "none": "No comparison",
}
DEFAULT_COMPARISON: Comparison = "previous_period"

_LAST_DAYS: dict[Preset, int] = {"last_7_days": 7, "last_28_days": 28, "last_90_days": 90}


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included; on `end`, only sessions that started before `end_before_hour`
    (an hour of the day, 0-23) when it is set."""

    start: date
    end: date
    end_before_hour: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the date range ends ({self.end}) before it starts ({self.start})")
        if self.end_before_hour is not None and not 0 <= self.end_before_hour <= 23:
            raise ValueError(f"an hour of the day is 0-23, not {self.end_before_hour}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def preset(name: str) -> Preset:
    """`name` as a Preset, or a ValueError naming the choices (an input from the browser is only a string)."""
    if name not in PRESETS:
        raise ValueError(f"the period is one of {sorted(PRESETS)}, not {name!r}")
    return name  # type: ignore[return-value]  # checked against PRESETS' keys, which are the Literal's values


def comparison_kind(name: str) -> Comparison:
    if name not in get_args(Comparison):
        raise ValueError(f"the comparison is one of {sorted(COMPARISONS)}, not {name!r}")
    return name  # type: ignore[return-value]  # checked against the Literal's values


def local_now(zone: str, now: datetime) -> datetime:
    """`now` (time-zone aware) as the wall clock of `zone`."""
    if now.tzinfo is None:
        raise ValueError("the moment must carry its time zone")
    return now.astimezone(ZoneInfo(zone))


def preset_period(name: Preset, today: date) -> Period:
    """The days of a preset when the day in the reporting zone is `today` (Custom: none of its own)."""
    yesterday = today - timedelta(days=1)
    if name == "today":
        return Period(today, today)
    if name == "yesterday":
        return Period(yesterday, yesterday)
    if name in _LAST_DAYS:
        return Period(today - timedelta(days=_LAST_DAYS[name]), yesterday)
    if name == "this_month":
        return Period(today.replace(day=1), today)
    if name == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return Period(last_day.replace(day=1), last_day)
    raise ValueError("a custom range has the dates the user chose")


def default_period(today: date) -> Period:
    """The last seven complete days: yesterday and the six before it."""
    return preset_period(DEFAULT_PRESET, today)


def preset_starts(today: date) -> list[date]:
    """The first day of each preset (but Custom) on `today`."""
    return [preset_period(name, today).start for name in PRESETS if name != "custom"]


def compared_period(period: Period, kind: Comparison, now: datetime) -> Period | None:
    """What `period` is compared with, `now` being the reporting zone's wall clock (None: no comparison).

    previous_period: as many whole weeks earlier as cover the period (7 days back for up to 7 days, 35 for a
    31-day month), so each day is compared with the same weekday and the two periods do not overlap.
    previous_year: the same dates a year earlier (29 February as the 28th).
    A period that ends today is compared up to the current hour of its last day (the hours today has had).
    """
    if kind == "none":
        return None
    if kind == "previous_period":
        shift = timedelta(days=7 * -(-period.days // 7))
        start, end = period.start - shift, period.end - shift
    else:
        start, end = _year_before(period.start), _year_before(period.end)
    before_hour = now.hour if period.end == now.date() else period.end_before_hour
    return Period(start, end, before_hour)


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def matching_preset(start: date, end: date, today: date) -> Preset:
    """The preset whose days are `start`-`end` on `today` (the first such), else Custom."""
    for name in PRESETS:
        if name != "custom" and preset_period(name, today) == Period(start, end):
            return name
    return "custom"


def describe(period: Period) -> str:
    """`period` for a label: "Mon 3 Mar 2025", "24 Feb to 2 Mar 2025", with "until 14:00" on a cut last day."""
    if period.start == period.end:
        text = f"{period.end:%a} {period.end.day} {period.end:%b %Y}"
    elif period.start.year == period.end.year:
        text = f"{period.start.day} {period.start:%b} to {period.end.day} {period.end:%b %Y}"
    else:
        text = f"{period.start.day} {period.start:%b %Y} to {period.end.day} {period.end:%b %Y}"
    if period.end_before_hour is not None:
        text += f" until {period.end_before_hour:02d}:00"
    return text
