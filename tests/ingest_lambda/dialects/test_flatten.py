"""A dialect's leftovers as v1 properties: flat, valid keys, within the limits, and what does not fit said."""

from __future__ import annotations

import math

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


def plain_flattened(parts: list[tuple[object, str]]) -> tuple[dict[str, object], list[str]]:
    """The rules of `Flattened`, written as plainly as they read (the oracle for its fast path): every leaf under
    its dotted name, in order, each through every check."""
    properties: dict[str, object] = {}
    overflow: list[str] = []

    def put(name: str, value: object) -> None:
        key = property_key(name)
        if key in properties:
            overflow.append(f"{name} (its key {key} is taken)")
        elif len(properties) >= MAX_PROPERTIES:
            overflow.append(f"{name} (past the {MAX_PROPERTIES} properties an event may have)")
        elif isinstance(value, str):
            properties[key] = value[:MAX_VALUE_CHARS]
            if len(value) > MAX_VALUE_CHARS:
                overflow.append(f"{name} (longer than {MAX_VALUE_CHARS} characters: cut)")
        elif isinstance(value, float) and not math.isfinite(value):
            overflow.append(f"{name} (not a finite number)")
        else:
            properties[key] = value

    def leaf(value: object, name: str) -> None:
        if isinstance(value, dict | list):
            walk(value, name)
        else:
            put(name, value)

    def walk(value: object, prefix: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                leaf(item, f"{prefix}.{name}" if prefix else str(name))
        elif isinstance(value, list):
            if not value:
                put(prefix, None)
            for index, item in enumerate(value):
                leaf(item, f"{prefix}.{index}" if prefix else str(index))
        else:
            put(prefix, value)

    for value, prefix in parts:
        walk(value, prefix)
    return properties, overflow


# Names that collide once made keys ("a b", "a_b"), leaves of every kind and size, and enough of them to pass the
# limit of properties.
colliding_names = st.sampled_from(["a", "a b", "a_b", "a.b", "1", "_1", "é", "_", "", "k" * 70, "k" * 71])
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats()
    | st.sampled_from(["", "v", "x" * MAX_VALUE_CHARS, "x" * (MAX_VALUE_CHARS + 1)])
)
nested_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(colliding_names | st.text(max_size=4), children, max_size=8)
    ),
    max_leaves=120,
)


@given(st.lists(st.tuples(nested_values, st.sampled_from(["", "p", "a", "context", "a b"])), max_size=4))
def test_the_fast_path_stores_what_the_plain_rules_store(parts: list[tuple[object, str]]) -> None:
    found = Flattened()
    for value, prefix in parts:
        found.add(value, prefix)
    properties, overflow = plain_flattened(parts)
    # Key order too: it is the stored line's.
    assert list(found.properties.items()) == list(properties.items())
    assert found.overflow == overflow


@given(
    st.lists(
        st.tuples(
            st.dictionaries(colliding_names | st.text(max_size=4), nested_values, max_size=8),
            st.sampled_from(["", "p", "context", "a b"]),
            st.booleans(),
        ),
        max_size=4,
    )
)
def test_a_repeated_object_is_stored_as_the_plain_rules_store_it(
    parts: list[tuple[dict[str, object], str, bool]],
) -> None:
    plain = plain_flattened([(value, prefix) for value, prefix, _ in parts])
    # Twice: the second time every repeated object is a known one, copied in one step when it fits.
    for _ in range(2):
        found = Flattened()
        for value, prefix, repeated in parts:
            if repeated:
                found.add_repeated(value, prefix)
            else:
                found.add(value, prefix)
        assert (list(found.properties.items()), found.overflow) == (list(plain[0].items()), plain[1])


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"m": True}, {"m": 1}),  # equal as Python values, not as JSON
        ({"m": 1}, {"m": 1.0}),
        ({"a": "x", "b": "y"}, {"b": "y", "a": "x"}),  # the members' order is the properties' order
        ({"m": None}, {"m": math.nan}),  # both written null by orjson: the NaN must still be refused
    ],
)
def test_a_repeated_object_is_known_by_its_exact_json(first: dict[str, object], then: dict[str, object]) -> None:
    Flattened().add_repeated(first, "context")
    found = Flattened()
    found.add_repeated(then, "context")
    properties, overflow = plain_flattened([(then, "context")])
    assert list(found.properties.items()) == list(properties.items())
    assert [type(v) for v in found.properties.values()] == [type(v) for v in properties.values()]
    assert found.overflow == overflow
