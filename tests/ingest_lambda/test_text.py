"""Making JSON text safe for PostgreSQL jsonb (ingest_lambda/text.py): NUL and unpaired surrogates."""

from __future__ import annotations

from typing import Any

import pytest

from ingest_lambda.body import parse_json
from ingest_lambda.text import REPLACEMENT, clean_text, may_need_sanitizing, sanitize

pytestmark = pytest.mark.unit


def sanitized(value: Any) -> tuple[Any, list[str]]:
    touched: list[str] = []
    return sanitize(value, "", touched), touched


# --- the cheap check on the raw body --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(rb'{"note": "a\u0000b"}', id="nul"),
        pytest.param(rb'{"note": "a\ud800"}', id="lone-high-surrogate"),
        pytest.param(rb'{"note": "\uDC00"}', id="lone-low-surrogate-upper-case"),
        pytest.param(rb'{"note": "\uD83D\uDE00"}', id="valid-pair"),
    ],
)
def test_bodies_with_risky_escapes_need_sanitizing(body: bytes) -> None:
    assert may_need_sanitizing(body) is True


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"note": "plain"}', id="plain"),
        pytest.param(rb'{"note": "caf\u00e9 \u20ac"}', id="harmless-escapes"),
        pytest.param('{"note": "phở 😀"}'.encode(), id="raw-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
def test_bodies_without_risky_escapes_skip_the_walk(body: bytes) -> None:
    assert may_need_sanitizing(body) is False


def test_valid_surrogate_pair_triggers_the_check_but_sanitize_changes_nothing() -> None:
    body = rb'{"note": "smile \uD83D\uDE00"}'
    assert may_need_sanitizing(body)
    value, touched = sanitized(parse_json(body))
    assert value == {"note": "smile \U0001f600"}
    assert touched == []


@pytest.mark.parametrize(
    "body",
    [rb'{"a": "\u0000"}', rb'{"a": "\ud800"}', rb'{"a": "x\udfff"}', rb'{"\u0000": 1}'],
)
def test_every_body_with_an_unsafe_string_passes_the_cheap_check(body: bytes) -> None:
    # The check may give false positives but never a false negative: that would store an unsafe value.
    _, touched = sanitized(parse_json(body))
    assert touched
    assert may_need_sanitizing(body)


# --- sanitize -------------------------------------------------------------------------------------------------


def test_clean_text_replaces_nul_and_lone_surrogates() -> None:
    assert clean_text("a\x00b\ud800c\udfff") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}"
    assert REPLACEMENT == "\ufffd"


def test_nul_in_a_property_value_is_replaced_and_its_path_recorded() -> None:
    raw = parse_json(rb'{"eventName": "click", "properties": {"note": "a\u0000b", "ok": "fine"}}')
    value, touched = sanitized(raw)
    assert value == {"eventName": "click", "properties": {"note": "a\ufffdb", "ok": "fine"}}
    assert touched == ["properties.note"]


def test_lone_surrogate_in_an_order_item_is_replaced_with_its_list_path() -> None:
    raw = parse_json(
        rb'{"order": {"id": "o", "items": [{"productId": "p\ud800", "quantity": 1}, {"productId": "ok"}]}}'
    )
    value, touched = sanitized(raw)
    assert value["order"]["items"][0]["productId"] == "p\ufffd"
    assert value["order"]["items"][1]["productId"] == "ok"
    assert touched == ["order.items[0].productId"]


def test_unsafe_key_is_replaced_and_recorded() -> None:
    raw = parse_json(rb'{"properties": {"bad\u0000key": "v"}}')
    value, touched = sanitized(raw)
    assert value == {"properties": {"bad\ufffdkey": "v"}}
    assert touched == ["properties.bad\ufffdkey"]


def test_top_level_string_and_list_paths() -> None:
    assert sanitized("\x00") == ("\ufffd", ["(value)"])
    assert sanitized(["ok", "\ud800"]) == (["ok", "\ufffd"], ["[1]"])


def test_non_strings_are_left_alone() -> None:
    value = {"n": 1, "f": 1.5, "b": True, "z": None, "l": [1, None]}
    assert sanitized(value) == (value, [])


def test_sanitize_does_not_mutate_its_input() -> None:
    raw = {"properties": {"note": "a\x00"}}
    sanitized(raw)
    assert raw == {"properties": {"note": "a\x00"}}


def test_every_touched_path_is_recorded_in_document_order() -> None:
    raw = parse_json(rb'{"pageTitle": "\u0000", "search": {"query": "\udbff"}, "referrer": "fine"}')
    value, touched = sanitized(raw)
    assert touched == ["pageTitle", "search.query"]
    assert value["pageTitle"] == value["search"]["query"] == REPLACEMENT


def test_sanitized_output_is_encodable_as_utf8() -> None:
    raw = parse_json(rb'{"a": "\ud800\u0000\udc00", "b": ["\ud83d"]}')
    value, _ = sanitized(raw)
    assert "\x00" not in str(value)
    str(value).encode("utf-8")  # raises UnicodeEncodeError if a lone surrogate survived
