"""Which hours a run loads: typed plans (`plan_scheduled`, `plan_backfill`) and the invocation's input decoded
into them (`plan_from_event`: the EventBridge schedule and the test inputs docs/loader.md lists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from raw_store import parse_object_hour

MAX_BACKFILL_HOURS = 24 * 62
_INPUT_KEYS = {"hoursBack", "targetUtcHour", "overridePrefix", "fromHour", "toHour", "source"}
Source = Literal["events", "compacted"]


class LoaderInputError(ValueError):
    """The invocation's input is wrong; the message names the field."""


@dataclass(frozen=True)
class LoadPlan:
    """The hours to load (UTC, on the hour), where from, and why."""

    trigger: str
    source: Source
    hours: tuple[datetime, ...]
    prefix: str | None = None

    @property
    def window(self) -> tuple[datetime, datetime]:
        return min(self.hours), max(self.hours) + timedelta(hours=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _parse_time(field: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise LoaderInputError(f"{field} must be an ISO-8601 string such as 2025-12-06T05:00:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise LoaderInputError(f"{field}: {value!r} is not ISO-8601, e.g. 2025-12-06T05:00:00Z") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_hour(moment)


def plan_from_event(event: Any, now: datetime, lookback_hours: int) -> LoadPlan:
    """Turn an invocation into a plan. Scheduled runs also re-list `lookback_hours` earlier hours so that an
    object that arrived after its hour was loaded is still picked up."""
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise LoaderInputError("the input must be a JSON object")
    source = event.get("source", "events")
    if source == "aws.events":  # EventBridge's own "source" field, not ours
        source = "events"
    if source not in ("events", "compacted"):
        raise LoaderInputError(f"source must be 'events' or 'compacted', not {source!r}")

    if event.get("detail-type") == "Scheduled Event":
        when = _parse_time("time", event["time"]) if "time" in event else floor_hour(now)
        return plan_scheduled(when - timedelta(hours=1), lookback_hours, source)
    unknown = sorted(set(event) - _INPUT_KEYS)
    if unknown:
        raise LoaderInputError(
            f"unknown input field(s) {', '.join(unknown)}: expected one of hoursBack, targetUtcHour, "
            "overridePrefix, fromHour/toHour, with an optional source"
        )
    keys = (_INPUT_KEYS - {"source"}) & set(event)
    if not keys:
        when = _parse_time("time", event["time"]) if "time" in event else floor_hour(now)
        return plan_scheduled(when - timedelta(hours=1), lookback_hours, source)
    if len(keys - {"fromHour", "toHour"}) > 1 or (keys & {"fromHour", "toHour"} and keys - {"fromHour", "toHour"}):
        raise LoaderInputError(
            f"give only one of hoursBack, targetUtcHour, overridePrefix, fromHour/toHour: {sorted(keys)}"
        )

    if "hoursBack" in keys:
        back = event["hoursBack"]
        if not isinstance(back, int) or isinstance(back, bool) or not 0 <= back <= MAX_BACKFILL_HOURS:
            raise LoaderInputError(f"hoursBack must be a whole number from 0 to {MAX_BACKFILL_HOURS}, not {back!r}")
        return _with_lookback("hoursBack", source, floor_hour(now) - timedelta(hours=back), lookback_hours)
    if "targetUtcHour" in keys:
        return _with_lookback("targetUtcHour", source, _parse_time("targetUtcHour", event["targetUtcHour"]), 0)
    if "overridePrefix" in keys:
        prefix = event["overridePrefix"]
        hour = parse_object_hour(prefix) if isinstance(prefix, str) else None
        if hour is None or not prefix.startswith(f"{source}/"):
            raise LoaderInputError(
                f"overridePrefix must name one hour under {source}/, e.g. {source}/2025/12/06/05/, not {prefix!r}"
            )
        return LoadPlan("overridePrefix", source, (hour,), prefix)

    if "fromHour" not in keys or "toHour" not in keys:
        raise LoaderInputError("a backfill needs both fromHour and toHour")
    return plan_backfill(_parse_time("fromHour", event["fromHour"]), _parse_time("toHour", event["toHour"]), source)


def plan_scheduled(hour: datetime, lookback_hours: int, source: Source = "events") -> LoadPlan:
    """The scheduled run for `hour` (floored to the UTC hour): it and the `lookback_hours` before it, so that an
    object that arrived after its hour was loaded is still picked up."""
    return _with_lookback("schedule", source, floor_hour(hour), lookback_hours)


def plan_backfill(first: datetime, last: datetime, source: Source = "events") -> LoadPlan:
    """Every hour from `first` to `last`, both included (floored to UTC hours); at most MAX_BACKFILL_HOURS."""
    start, end = floor_hour(first), floor_hour(last)
    if end < start:
        raise LoaderInputError("toHour must not be before fromHour")
    count = int((end - start).total_seconds() // 3600) + 1
    if count > MAX_BACKFILL_HOURS:
        raise LoaderInputError(
            f"fromHour/toHour: a backfill covers at most {MAX_BACKFILL_HOURS} hours; this one covers {count}"
        )
    return LoadPlan("backfill", source, tuple(start + timedelta(hours=i) for i in range(count)))


def _with_lookback(trigger: str, source: Source, hour: datetime, lookback_hours: int) -> LoadPlan:
    hours = tuple(hour - timedelta(hours=back) for back in range(lookback_hours, -1, -1))
    return LoadPlan(trigger, source, hours)
