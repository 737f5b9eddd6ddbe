"""The days of the report's tests' warehouse (tests/owner_report/conftest.py builds it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

TRAFFIC_START = date(2025, 3, 3)  # a Monday
TRAFFIC_DAYS = 15  # to Monday 17 March, and the generator's late flushes early on the 18th
EVENTS_PER_DAY = 600
# The morning after the last whole day: "yesterday" is Monday 17 March, "the last 7 days" 11 to 17 March.
MORNING_AFTER = datetime(2025, 3, 18, 7, 0, tzinfo=UTC)
