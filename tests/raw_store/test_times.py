"""The stored time format (raw_store/times.py): the ingest writes it, the loader reads it, dbt's macro accepts it."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raw_store.times import (
    STORED_TIME_LENGTH,
    STORED_TIME_PATTERN,
    format_epoch_ms,
    format_time,
    has_stored_shape,
    parse_time,
)

pytestmark = pytest.mark.unit

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "cross_db" / "json.sql"


def dbt_timestamp_regex() -> re.Pattern[str]:
    """The regular expression dbt's ``json_timestamp`` macro matches a JSON string against before the cast (its
    ``stored_time_pattern`` macro, which every engine's implementation reads)."""
    text = MACROS.read_text(encoding="utf-8")
    macro = text[text.index("macro stored_time_pattern()") :]
    [pattern] = re.findall(r"%\}\s*(\S+)\s*\{%-? endmacro", macro[: macro.index("endmacro") + len("endmacro")])
    # PostgreSQL's ARE and Python's re read this pattern alike (\d, classes, anchors, groups).
    return re.compile(pattern)


def moments(count: int) -> list[datetime]:
    rng = random.Random(13)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
    start = datetime(1971, 1, 1, tzinfo=UTC)
    return [
        (start + timedelta(microseconds=rng.randrange(0, 10**17))).astimezone(rng.choice(zones)) for _ in range(count)
    ]


def test_every_formatted_time_has_the_stored_format_and_dbt_accepts_it() -> None:
    stored, dbt = re.compile(STORED_TIME_PATTERN), dbt_timestamp_regex()
    for moment in [*moments(2000), datetime(2025, 12, 6, 5, tzinfo=UTC)]:
        text = format_time(moment)
        assert len(text) == STORED_TIME_LENGTH
        assert stored.match(text), text
        assert dbt.match(text), text
        assert has_stored_shape(text) and has_stored_shape(text.encode())


def test_a_formatted_time_reads_back_as_the_same_millisecond() -> None:
    for moment in moments(2000):
        parsed = parse_time(format_time(moment))
        assert parsed is not None
        assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# Epoch milliseconds from 1970 to 2100 (the ingest takes 2000 to 2100), ends of seconds and days included.
_EPOCH_MS = st.one_of(
    st.integers(0, 4_102_444_800_000),
    st.tuples(st.integers(0, 4_102_444_800), st.sampled_from([0, 1, 499, 500, 501, 998, 999])).map(
        lambda pair: pair[0] * 1000 + pair[1]
    ),
)


@given(_EPOCH_MS)
def test_epoch_milliseconds_are_written_as_format_time_writes_their_moment(epoch_ms: int) -> None:
    # What the ingest did before: the moment as the contract parses it (ingest_lambda.contract), formatted.
    assert format_epoch_ms(epoch_ms) == format_time(datetime.fromtimestamp(epoch_ms / 1000, UTC))


@pytest.mark.parametrize(
    "text",
    [
        "2025-12-06T05:00:00Z",
        "2025-12-06T05:00:00.1+0530",
        "2025-12-06T05:00:00.123456-05:00",
        "2025-12-06T05:12:34.567Z",
    ],
)
def test_what_dbt_casts_the_loader_reads_as_a_time_too(text: str) -> None:
    assert dbt_timestamp_regex().match(text)
    assert parse_time(text) is not None


@pytest.mark.parametrize("text", ["2025-12-06 05:00:00Z", "2025-12-06T05:00:00", "yesterday", "2025-12-06"])
def test_what_dbt_refuses_is_not_the_stored_format(text: str) -> None:
    assert not dbt_timestamp_regex().match(text)
    assert not re.match(STORED_TIME_PATTERN, text)
    assert not has_stored_shape(text)
