"""The depth limit and the markers of values JSON cannot write back (ingest_lambda/nesting.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest_lambda.nesting import (
    MAX_EVENT_DEPTH,
    SAMPLE_CHARS,
    OutOfRange,
    TooDeep,
    body_is_shallow,
    event_problem,
    kept_copy,
)

pytestmark = pytest.mark.unit


def nested(levels: int, leaf: Any = 1) -> Any:
    """An event (level 1) whose ``properties.x`` holds arrays down to `levels` levels in all."""
    value: Any = leaf
    for _ in range(levels - 2):
        value = [value]
    return {"eventName": "click", "properties": {"x": value}}


def depth(value: Any) -> int:
    best, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            best = max(best, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return best


def test_an_event_at_the_limit_passes() -> None:
    event = nested(MAX_EVENT_DEPTH)
    assert depth(event) == MAX_EVENT_DEPTH
    assert event_problem(event) is None


def test_one_level_more_is_refused_with_the_path_of_the_container_past_the_limit() -> None:
    event = nested(MAX_EVENT_DEPTH + 1)
    path, message = event_problem(event)  # type: ignore[misc]
    assert path == "properties.x" + "[0]" * (MAX_EVENT_DEPTH - 2)
    assert f"deeper than {MAX_EVENT_DEPTH} levels" in message


def test_a_very_deep_event_is_walked_without_recursion() -> None:
    assert event_problem(nested(200_000)) is not None


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"properties": {"n": OutOfRange("1e400")}}, "properties.n"),
        ({"order": {"items": [{"price": 1}, {"price": OutOfRange("-1e999")}]}}, "order.items[1].price"),
        (OutOfRange("1e400"), ""),
    ],
)
def test_a_number_out_of_range_is_named_by_its_path(event: Any, path: str) -> None:
    found, message = event_problem(event)  # type: ignore[misc]
    assert found == path
    assert "out of range" in message


def test_a_value_too_deep_for_the_parser_is_refused_as_a_whole() -> None:
    path, message = event_problem(TooDeep("[[[["))  # type: ignore[misc]
    assert path == ""
    assert f"deeper than {MAX_EVENT_DEPTH} levels" in message


def test_plain_events_have_no_problem() -> None:
    assert event_problem({"a": [1, {"b": None}], "c": "text", "d": 1.5}) is None
    assert event_problem(7) is None


def test_the_kept_copy_is_cut_at_the_limit_and_written_by_orjson() -> None:
    copy = kept_copy(nested(100_000))
    assert depth(copy) == MAX_EVENT_DEPTH
    orjson.dumps(copy)


def test_the_kept_copy_keeps_what_is_within_the_limit_as_it_was() -> None:
    event = {"a": [1, {"b": [None, "x"]}], "c": {"d": True}}
    copy = kept_copy(event)
    assert copy == event
    assert copy is not event


def test_the_kept_copy_writes_markers_as_bounded_text() -> None:
    copy = kept_copy({"n": OutOfRange("9" * 500), "deep": TooDeep("[" * 5_000)})
    assert copy["n"] == "9" * 37 + "..."
    assert copy["deep"] == "[" * SAMPLE_CHARS
    assert kept_copy(TooDeep("{}")) == "{}"
    assert kept_copy("text") == "text"


@pytest.mark.parametrize(
    ("body", "shallow"),
    [
        (b'{"a": 1}', True),
        (b"[" * MAX_EVENT_DEPTH + b"]" * MAX_EVENT_DEPTH, True),
        (b"[" * (MAX_EVENT_DEPTH + 1) + b"]" * (MAX_EVENT_DEPTH + 1), False),
        (b"[{" * 16 + b"}]" * 16, True),
        (b"[{" * 17 + b"}]" * 17, False),
        (b'{"s": "' + b"[" * 100 + b'"}', True),
        (b'{"s": "\\\\", "t": "]]\\"[[", "u": [1, {"v": []}]}', True),
        (b'{"events": [' + b", ".join([b'{"p": {"a": [1]}}'] * 50) + b"]}", True),
    ],
)
def test_a_body_is_shown_shallow_by_its_bytes(body: bytes, shallow: bool) -> None:
    assert body_is_shallow(body) is shallow


def test_brackets_inside_strings_cannot_hide_depth() -> None:
    # [["]]", X, "[["]] is two levels around X, but its brackets, strings included, read "[[]]" X "[[]]": counted
    # as structure, the strings would flatten any depth to two.
    body = b"1"
    for _ in range(20):
        body = b'[["]]", ' + body + b', "[["]]'
    assert orjson.loads(body)  # valid JSON, 40 levels deep
    assert not body_is_shallow(body)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _wrapped(kinds: list[bool], siblings: list[Any]) -> Any:
    """A value nested one level per kind (True: an object, False: an array), each level beside a sibling."""
    value: Any = "x"
    for level, is_object in enumerate(kinds):
        sibling = siblings[level % len(siblings)] if siblings else 1
        value = {"v": value, "s": sibling} if is_object else [sibling, value]
    return value


shallow_values = st.recursive(
    st.none() | st.integers(-1000, 1000) | st.text(alphabet='[]{}"\\a\nu/b\x00é', max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=12,
)


@given(
    st.lists(st.booleans(), min_size=MAX_EVENT_DEPTH - 8, max_size=MAX_EVENT_DEPTH + 8),
    st.lists(shallow_values, max_size=4),
)
def test_the_byte_check_says_shallow_exactly_when_the_body_is(kinds: list[bool], siblings: list[Any]) -> None:
    # Around the limit, objects and arrays mixed in any order, brackets and quotes in strings: the byte check
    # agrees with the depth of the parsed value (false "deep" would only cost a walk; false "shallow" would
    # let a deep event reach the recursive steps).
    value = _wrapped(kinds, siblings)
    assert body_is_shallow(orjson.dumps(value)) is (_depth(value) <= MAX_EVENT_DEPTH)
