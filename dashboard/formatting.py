"""How numbers read on the dashboard: one place, so the browser tests can read them back."""

from __future__ import annotations

from datetime import UTC, datetime

DASH = "\u2013"  # an en dash: "no value"


def count(value: float | None) -> str:
    return DASH if value is None else f"{round(value):,}"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def money(value: float | None) -> str:
    return DASH if value is None else f"{value:,.2f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def change(current: float | None, previous: float | None) -> str:
    """The change from the previous period, as a signed percentage (or a dash without a base)."""
    if current is None or not previous:
        return DASH
    return f"{(current - previous) / previous * 100:+.1f}%"


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words a shop owner reads at a glance."""
    if moment is None:
        return "never"
    minutes = int(((now or datetime.now(UTC)) - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def change_tone(current: float | None, previous: float | None, *, lower_is_better: bool = False) -> str:
    """How a change reads to the owner: "good" (shown green), "bad" (red) or "neutral" (no base, or no change).
    A rise is good unless less is better (a falling bounce rate is good news); as `change`, nothing without a base."""
    if current is None or not previous or current == previous:
        return "neutral"
    rose = current > previous
    return "good" if rose != lower_is_better else "bad"
