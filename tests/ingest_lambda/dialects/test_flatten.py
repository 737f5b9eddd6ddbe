"""A dialect's leftovers as v1 properties: flat, valid keys, within the limits, and what does not fit said."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest_lambda.contract import MAX_PROPERTIES, ClickstreamEvent
from ingest_lambda.dialects.flatten import MAX_KEY_CHARS, MAX_VALUE_CHARS, Flattened, property_key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("plan", "plan"),
        ("context.page.path", "context.page.path"),
        ("field 1", "field_1"),
        ("1st", "_1st"),
        (".hidden", "_.hidden"),
        ("", "_"),
        ("prix €", "prix__"),
        ("x" * 100, "x" * MAX_KEY_CHARS),
    ],
)
def test_property_key(name: str, key: str) -> None:
    assert property_key(name) == key


def test_nested_objects_and_arrays_become_dotted_keys() -> None:
    found = Flattened()
    found.add({"a": {"b": 1, "c": [True, {"d": None}]}, "e": []}, "ctx")
    assert found.properties == {"ctx.a.b": 1, "ctx.a.c.0": True, "ctx.a.c.1.d": None, "ctx.e": None}
    assert found.leftover() is None


def test_what_does_not_fit_is_counted() -> None:
    found = Flattened()
    found.add({"long": "x" * (MAX_VALUE_CHARS + 1), "a b": 1, "a_b": 2})
    found.add({str(i): i for i in range(MAX_PROPERTIES)})
    assert len(found.properties) == MAX_PROPERTIES
    assert found.properties["long"] == "x" * MAX_VALUE_CHARS
    leftover = found.leftover()
    assert leftover is not None
    # The cut string, the taken key, and the last two of the fifty numbers.
    assert leftover.startswith("4 value(s) did not fit")
    assert "long (longer than 1024 characters: cut)" in leftover
    assert "a_b (its key a_b is taken)" in leftover


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=80,
)


@given(json_values)
def test_whatever_is_flattened_is_valid_v1_properties(value: object) -> None:
    found = Flattened()
    found.add(value, "p")
    ClickstreamEvent.model_validate({"eventName": "x", "clientId": "c", "properties": found.properties})
