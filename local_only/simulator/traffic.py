"""The shape of traffic over time: how busy each weekday is and when in the (local) day people shop."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date
from itertools import accumulate

from local_only.simulator.clock import HOUR_MS, day_start_ms

# Monday..Sunday. Browsing for computers is a leisure activity: Sunday is the busiest day, Friday the quietest.
_WEEKDAY_VOLUME = (1.0, 0.97, 0.96, 0.98, 0.88, 1.12, 1.22)

# Relative visits starting in each local hour. Weekdays have a lunchtime bump and a strong evening peak;
# weekends start later and stay busy through the afternoon.
_WEEKDAY_HOURS = (
    1.6, 0.9, 0.5, 0.35, 0.3, 0.45, 1.0, 2.0, 3.2, 4.0, 4.4, 4.8,
    5.6, 5.4, 4.8, 4.6, 4.8, 5.4, 6.4, 7.6, 8.6, 8.8, 7.0, 3.8,
)  # fmt: skip
_WEEKEND_HOURS = (
    2.2, 1.4, 0.8, 0.5, 0.35, 0.35, 0.6, 1.2, 2.4, 4.0, 5.4, 6.2,
    6.6, 6.6, 6.4, 6.2, 6.0, 6.2, 6.8, 7.4, 7.8, 7.6, 6.2, 4.0,
)  # fmt: skip
_WEEKDAY_CUMULATIVE = tuple(accumulate(_WEEKDAY_HOURS))
_WEEKEND_CUMULATIVE = tuple(accumulate(_WEEKEND_HOURS))


def day_volume(day: date) -> float:
    return _WEEKDAY_VOLUME[day.weekday()]


def visit_start_ms(day: date, utc_offset_hours: int, rng: random.Random) -> int:
    """A start moment on the UTC `day`, drawn from the local-time profile of someone `utc_offset_hours` away.

    The local hour wraps into the same UTC day, so a day's visit count stays the day's, whatever the zone.
    """
    cumulative = _WEEKEND_CUMULATIVE if day.weekday() >= 5 else _WEEKDAY_CUMULATIVE
    local_hour = bisect(cumulative, rng.random() * cumulative[-1])
    utc_hour = (local_hour - utc_offset_hours) % 24
    return day_start_ms(day) + utc_hour * HOUR_MS + int(rng.random() * HOUR_MS)
