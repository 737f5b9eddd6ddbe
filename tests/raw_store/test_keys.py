"""Key layout of the raw bucket (raw_store/keys.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from raw_store.keys import KeyKind, hour_prefix, new_object_key, parse_object_hour

pytestmark = pytest.mark.unit

HANOI = timezone(timedelta(hours=7))
OBJECT_ID = uuid.UUID("12345678-1234-4234-8234-123456789abc")


def test_event_key_layout_in_utc_for_a_non_utc_time() -> None:
    # 12:12 in Hanoi (UTC+7) is 05:12 UTC: the key names the UTC hour.
    received = datetime(2025, 12, 6, 12, 12, 34, tzinfo=HANOI)
    assert new_object_key(KeyKind.EVENTS, received, OBJECT_ID) == (
        "events/2025/12/06/05/event-12345678-1234-4234-8234-123456789abc.json"
    )


def test_utc_conversion_can_change_the_day() -> None:
    received = datetime(2025, 12, 6, 3, 0, tzinfo=HANOI)  # 2025-12-05T20:00Z
    assert new_object_key(KeyKind.EVENTS, received, OBJECT_ID).startswith("events/2025/12/05/20/")


def test_rejected_key_layout() -> None:
    received = datetime(2025, 1, 2, 3, 59, 59, tzinfo=UTC)
    assert new_object_key(KeyKind.REJECTED, received, OBJECT_ID) == (
        "rejected/2025/01/02/03/rejected-12345678-1234-4234-8234-123456789abc.json"
    )


def test_fresh_keys_use_a_random_uuid4() -> None:
    received = datetime(2025, 12, 6, 5, tzinfo=UTC)
    first, second = new_object_key(KeyKind.EVENTS, received), new_object_key(KeyKind.EVENTS, received)
    assert first != second
    match = re.fullmatch(r"events/2025/12/06/05/event-([0-9a-f-]{36})\.json", first)
    assert match is not None
    assert uuid.UUID(match.group(1)).version == 4


def test_hour_prefix() -> None:
    assert hour_prefix(KeyKind.EVENTS, datetime(2025, 12, 6, 12, 59, tzinfo=HANOI)) == "events/2025/12/06/05/"
    assert hour_prefix(KeyKind.COMPACTED, datetime(2025, 12, 6, 5, tzinfo=UTC)) == "compacted/2025/12/06/05/"


@pytest.mark.parametrize("kind", [KeyKind.EVENTS, KeyKind.REJECTED])
def test_parse_object_hour_round_trip(kind: KeyKind) -> None:
    received = datetime(2025, 12, 6, 12, 12, 34, 567_000, tzinfo=HANOI)
    hour = parse_object_hour(new_object_key(kind, received))
    assert hour == datetime(2025, 12, 6, 5, tzinfo=UTC)
    assert hour is not None
    assert hour.tzinfo == UTC


def test_parse_object_hour_of_a_compacted_key() -> None:
    assert parse_object_hour("compacted/2024/02/29/23/part-0.parquet") == datetime(2024, 2, 29, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("events/", id="kind-only"),
        pytest.param("other/2025/12/06/05/event-x.json", id="unknown-kind"),
        pytest.param("events/2025/12/06/event-x.json", id="no-hour"),
        pytest.param("events/2025/12/06/05", id="no-trailing-slash"),
        pytest.param("events/2025/13/06/05/event-x.json", id="month-13"),
        pytest.param("events/2025/02/30/05/event-x.json", id="february-30"),
        pytest.param("events/2025/12/06/24/event-x.json", id="hour-24"),
        pytest.param("events/25/12/06/05/event-x.json", id="two-digit-year"),
        pytest.param("events/2025/1/06/05/event-x.json", id="one-digit-month"),
        pytest.param("prefix/events/2025/12/06/05/event-x.json", id="not-at-start"),
        pytest.param("EVENTS/2025/12/06/05/event-x.json", id="upper-case-kind"),
    ],
)
def test_parse_object_hour_rejects_junk(key: str) -> None:
    assert parse_object_hour(key) is None


def test_parse_object_hour_rejects_non_ascii_digits() -> None:
    fullwidth_2025 = "\uff12\uff10\uff12\uff15"  # "2025" in FULLWIDTH DIGITs
    assert parse_object_hour(f"events/{fullwidth_2025}/12/06/05/event-x.json") is None
