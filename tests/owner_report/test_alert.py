"""The alert's threshold: below a share of a comparison that has any; at the share, no; nothing to compare with,
no alert (a new shop); a share of 0 turns it off."""

from __future__ import annotations

import pytest

from owner_report.alert import check

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "previous", "share", "verdict"),
    [
        (4, 10, 0.5, "below"),
        (0, 10, 0.5, "below"),
        (5, 10, 0.5, "ok"),  # exactly the share is not below it
        (4.99, 10, 0.5, "below"),
        (30, 10, 0.5, "ok"),
        (0, 0, 0.5, "no_comparison"),
        (12, 0, 0.5, "no_comparison"),
        (0, None, 0.5, "no_comparison"),
        (0, 10, 0.0, "off"),
        (9, 10, 1.0, "below"),
    ],
)
def test_the_verdict(current: float, previous: float | None, share: float, verdict: str) -> None:
    assert check("orders", current, previous, share).verdict == verdict


def test_each_verdict_reads_for_the_owner() -> None:
    assert (
        check("orders", 4, 10, 0.5).describe() == "orders: 4 against 10 (-60.0%), below 50.0% of the comparison period"
    )
    assert check("events", 6, 10, 0.5).describe() == "events: 6 against 10 (-40.0%)"
    assert "no comparison data" in check("orders", 3, 0, 0.5).describe()
    assert "no comparison data" in check("orders", 3, None, 0.5).describe()
    assert "the alert is off" in check("orders", 3, 10, 0).describe()
