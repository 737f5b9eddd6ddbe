"""Data health's arithmetic in-process: refusals by reason, the "data up to" badge, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.data.health import refusal_reasons
from dashboard.freshness_badge import data_up_to_text
from dashboard.pages.health import is_stale, refusals_by_reason

pytestmark = pytest.mark.unit

TEN = datetime(2026, 3, 2, 10, tzinfo=UTC)
ELEVEN = TEN + timedelta(hours=1)


def row(hour: datetime, reason: str, refusals: int, kind: str = "event", requests: int = 1) -> dict[str, object]:
    return {
        "received_hour": hour,
        "refusal_kind": kind,
        "refusal_reason": reason,
        "refusals": refusals,
        "requests": requests,
    }


def test_reasons_are_summed_over_hours_most_first_without_touching_the_rows() -> None:
    rows = [row(TEN, "b", 2), row(TEN, "a", 1), row(ELEVEN, "a", 3, requests=2), row(ELEVEN, "x", 4, kind="request")]
    before = [dict(r) for r in rows]

    reasons = refusal_reasons(rows)

    assert [(r["refusal_kind"], r["refusal_reason"], r["refusals"], r["requests"]) for r in reasons] == [
        ("event", "a", 4, 3),
        ("request", "x", 4, 1),
        ("event", "b", 2, 1),
    ]
    assert rows == before  # the cache hands the same rows to the next session


def test_the_chart_names_the_most_frequent_reasons_and_sums_the_rest() -> None:
    rows = [row(TEN, "a", 5), row(TEN, "b", 1), row(ELEVEN, "c", 2), row(ELEVEN, "b", 1), row(ELEVEN, "a", 1)]

    series = refusals_by_reason(rows, names=1)

    assert series == {"a": {TEN: 5, ELEVEN: 1}, "other reasons": {TEN: 1, ELEVEN: 3}}


def test_the_badge_says_how_far_the_data_reaches_in_the_reporting_timezone() -> None:
    newest = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)

    assert data_up_to_text(newest, newest + timedelta(minutes=20), "UTC") == "data up to 23:30 (UTC)"
    # In Hanoi (UTC+7) it is already the next morning, and the data's day is today there.
    assert data_up_to_text(newest, newest + timedelta(hours=1), "Asia/Ho_Chi_Minh") == (
        "data up to 06:30 (Asia/Ho_Chi_Minh)"
    )
    assert data_up_to_text(newest, newest + timedelta(days=1), "UTC") == "data up to 2026-03-02 23:30 (UTC)"
    assert data_up_to_text(None, newest, "UTC") == "no data yet"


def test_data_is_stale_when_its_newest_event_is_older_than_the_limit_or_missing() -> None:
    limit = timedelta(hours=2)
    assert not is_stale(TEN, TEN + limit, limit)
    assert is_stale(TEN, TEN + limit + timedelta(seconds=1), limit)
    assert is_stale(None, TEN, limit)
