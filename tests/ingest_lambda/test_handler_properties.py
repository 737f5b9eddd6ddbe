"""Property tests: whatever arrives, the handler answers, stores each valid event once and keeps every refusal.

Bodies include events nested up to 2,000 levels deep and numbers beyond a double's range, alone or mixed with
valid events in one batch: each bad event is refused on its own and its neighbours are stored.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fakes import MemoryStore

from ingest_lambda.contract import STANDARD_EVENT_NAMES
from ingest_lambda.handler import handler
from local_only.api_gateway import http_api_event

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The long run: 2,000 mixed batches, in the integration tier (a few minutes on a loaded machine).
LONG_SETTINGS = settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Characters that stress the text path: NUL and lone surrogates (jsonb refuses them), e-mail signs, non-ASCII.
tricky_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(["\x00", "\ud800", "\udfff", "@", "%", "4", "0"])),
    max_size=40,
)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=30)
money = st.one_of(st.integers(0, 10_000), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
timestamps = st.one_of(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.isoformat(timespec="milliseconds") + "Z"
    ),
    st.integers(1_600_000_000_000, 1_900_000_000_000),
)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(
        st.one_of(st.sampled_from(STANDARD_EVENT_NAMES), st.from_regex(r"\A[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,8}){0,3}\Z"))
    )
    event: dict[str, Any] = {"eventName": name, "clientId": draw(ids)}
    optional = {
        "sessionId": ids,
        "userId": ids,
        "eventTimestamp": timestamps,
        "sentAt": timestamps,
        "pageTitle": tricky_text,
        "referrer": st.just("https://www.google.com/"),
        "userLoginState": st.sampled_from(["guest", "logged_in"]),
        "isFirstVisit": st.booleans(),
        "properties": st.dictionaries(
            st.from_regex(r"\A[a-z_][a-z0-9_]{0,15}\Z"),
            st.one_of(tricky_text, st.integers(-1000, 1000), st.booleans(), st.none()),
            max_size=5,
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            event[key] = draw(strategy)
    if name in ("view_product", "add_to_cart", "remove_from_cart") or draw(st.booleans()):
        event["product"] = {"id": draw(ids), "price": draw(money), "name": draw(tricky_text)}
    if name == "purchase":
        event["order"] = {"id": draw(ids), "revenue": draw(money), "currency": "USD"}
    if name == "search":
        event["search"] = {"query": draw(tricky_text)}
    if name == "page_view" or draw(st.booleans()):
        event["pageUrl"] = "https://shop.example.com/" + draw(ids)
    return event


CORRUPTIONS = {
    "unknown field": lambda e: {**e, "color": "red"},
    "bad name": lambda e: {**e, "eventName": "Add To Cart"},
    "no visitor": lambda e: {k: v for k, v in e.items() if k not in ("clientId", "userId", "sessionId")},
    "bad time": lambda e: {**e, "eventTimestamp": "yesterday"},
    "negative price": lambda e: {**e, "product": {"id": "p", "price": -1}},
    "wrong type": lambda e: {**e, "isFirstVisit": "yes"},
    "not an object": lambda e: [e],
}


@st.composite
def labelled_batches(draw: st.DrawFn) -> list[tuple[bool, Any]]:
    """Events each labelled valid (True) or deliberately broken (False); valid ones carry unique ids."""
    size = draw(st.integers(1, 12))
    out: list[tuple[bool, Any]] = []
    for i in range(size):
        event = draw(valid_events())
        if draw(st.integers(0, 3)) == 0:
            out.append((False, CORRUPTIONS[draw(st.sampled_from(sorted(CORRUPTIONS)))](event)))
        else:
            out.append((True, {**event, "eventId": f"valid-{i}"}))
    return out


# Around the limits that matter: the ingest's own (32), orjson's writer (254) and reader (1,024), the standard
# library's recursion (about 1,000), and far past them all.
depths = st.one_of(
    st.integers(1, 2_000),
    st.sampled_from([31, 32, 33, 34, 253, 254, 255, 256, 990, 999, 1_000, 1_023, 1_024, 1_025, 2_000]),
)
huge_numbers = st.one_of(
    st.sampled_from(["1e400", "-1e400", "1E309", "-1.7976931348623159e308", "1e999999999", "0.1e310"]),
    st.integers(309, 5_000).map(lambda digits: "9" * digits),
    st.integers(310, 1_000).map(lambda exponent: f"1.5e{exponent}"),
)


@st.composite
def nested_text(draw: st.DrawFn) -> str:
    """A JSON value nested `depth` levels deep as text (json.dumps itself would recurse), arrays and objects."""
    depth = draw(depths)
    kinds = (
        draw(st.lists(st.booleans(), min_size=depth, max_size=depth)) if depth <= 64 else [draw(st.booleans())] * depth
    )
    leaf = draw(st.sampled_from(["1", '"leaf"', "null", "[]", "{}"]))
    opening = "".join('{"k": ' if is_object else "[" for is_object in kinds)
    closing = "".join("}" if is_object else "]" for is_object in reversed(kinds))
    return opening + leaf + closing


@st.composite
def bad_event_texts(draw: st.DrawFn) -> str:
    """One event, as JSON text, refused for its shape: nested too deep, or a number beyond a double."""
    base = json.dumps(draw(valid_events()))[:-1]  # without its closing brace
    if draw(st.booleans()):
        field = draw(st.sampled_from(["properties", "product", "order", "unknownField", "properties2"]))
        return f'{base}, "{field}": {{"x": {draw(nested_text())}}}}}'
    where = draw(
        st.sampled_from(['"properties": {"n": %s}', '"product": {"id": "p", "price": %s}', '"isFirstVisit": %s'])
    )
    return base + ", " + where % draw(huge_numbers) + "}"


@st.composite
def mixed_batches(draw: st.DrawFn) -> tuple[str, list[str], list[int]]:
    """(batch body text, ids of its valid events in order, indexes of its refused events)."""
    texts: list[str] = []
    valid_ids: list[str] = []
    refused: list[int] = []
    for i in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["valid", "valid", "bad shape", "corrupt"]))
        if kind == "valid":
            valid_ids.append(f"valid-{i}")
            texts.append(json.dumps({**draw(valid_events()), "eventId": f"valid-{i}"}))
        elif kind == "bad shape":
            refused.append(i)
            texts.append(draw(bad_event_texts()))
        else:
            refused.append(i)
            texts.append(json.dumps(CORRUPTIONS[draw(st.sampled_from(sorted(CORRUPTIONS)))](draw(valid_events()))))
    return '{"events": [' + ", ".join(texts) + "]}", valid_ids, refused


def gateway_event(body: bytes | str | None, headers: dict[str, str], method: str = "POST") -> dict[str, Any]:
    return http_api_event(
        headers=headers,
        body=base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        is_base64_encoded=isinstance(body, bytes),
        source_ip="198.51.100.7",
        request_id="prop-req",
        time_epoch_ms=1_765_000_000_000,
        method=method,
        user_agent="x",
    )


def encode(payload: Any, how: str) -> tuple[bytes | str, dict[str, str]]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    if how == "json":
        return text, {"content-type": "application/json"}
    if how == "beacon":
        return text, {"content-type": "text/plain;charset=UTF-8"}
    if how == "base64":
        return text.encode(), {"content-type": "application/json"}
    return gzip.compress(text.encode()), {"content-type": "application/json", "content-encoding": "gzip"}


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def check_stored_bytes(store: MemoryStore) -> None:
    """Every stored line is strict UTF-8 JSON whose text jsonb can hold: no NUL, no lone surrogate."""
    for data in store.objects.values():
        data.decode("utf-8")
        assert data.endswith(b"\n")
        for line in data.splitlines():
            record = json.loads(line)
            assert isinstance(record, dict)
            for text in strings_in(record):
                assert "\x00" not in text
                assert not any("\ud800" <= ch <= "\udfff" for ch in text)


@pytest.mark.unit
@PROPERTY_SETTINGS
@given(batch=labelled_batches(), how=st.sampled_from(["json", "beacon", "base64", "gzip"]), as_batch=st.booleans())
def test_every_valid_event_is_stored_exactly_once_and_every_invalid_one_kept(
    memory_store: MemoryStore, lambda_context: Any, batch: list[tuple[bool, Any]], how: str, as_batch: bool
) -> None:
    memory_store.objects.clear()
    events = [event for _, event in batch]
    single = len(events) == 1 and not as_batch and isinstance(events[0], dict)
    body, headers = encode(events[0] if single else {"events": events}, how)

    response = handler(gateway_event(body, headers), lambda_context)

    valid_ids = [event["eventId"] for ok, event in batch if ok]
    broken = [i for i, (ok, _) in enumerate(batch) if not ok]
    reply = json.loads(response["body"])
    assert response["statusCode"] == (200 if valid_ids else 400), reply
    assert [line["eventId"] for line in memory_store.lines("events/")] == valid_ids
    assert reply.get("accepted", 0) == len(valid_ids)
    assert [r["index"] for r in reply["rejected"]] == broken
    kept = memory_store.lines("rejected/")
    assert [k["index"] for k in kept] == broken
    assert all(k["errors"] and all(e["message"] for e in k["errors"]) for k in kept)
    check_stored_bytes(memory_store)


def check_mixed_batch(store: MemoryStore, context: Any, case: tuple[str, list[str], list[int]], how: str) -> None:
    store.objects.clear()
    text, valid_ids, refused = case
    body, headers = encode(text, how)

    response = handler(gateway_event(body, headers), context)

    reply = json.loads(response["body"])
    assert response["statusCode"] == (200 if valid_ids else 400), reply
    assert [line["eventId"] for line in store.lines("events/")] == valid_ids
    assert reply.get("accepted", 0) == len(valid_ids)
    assert [r["index"] for r in reply["rejected"]] == refused
    kept = store.lines("rejected/")
    assert [k["index"] for k in kept] == refused
    assert all(k["errors"] and all(e["message"] for e in k["errors"]) for k in kept)
    check_stored_bytes(store)


@pytest.mark.unit
@PROPERTY_SETTINGS
@given(case=mixed_batches(), how=st.sampled_from(["json", "beacon", "base64", "gzip"]))
def test_deep_and_out_of_range_events_fail_alone(
    memory_store: MemoryStore, lambda_context: Any, case: tuple[str, list[str], list[int]], how: str
) -> None:
    check_mixed_batch(memory_store, lambda_context, case, how)


@pytest.mark.integration
@LONG_SETTINGS
@given(case=mixed_batches(), how=st.sampled_from(["json", "beacon", "base64", "gzip"]))
def test_deep_and_out_of_range_events_fail_alone_over_2000_batches(
    memory_store: MemoryStore, lambda_context: Any, case: tuple[str, list[str], list[int]], how: str
) -> None:
    check_mixed_batch(memory_store, lambda_context, case, how)


header_values = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/xml",
            "",
            "text/plain; charset=latin-1",
        ]
    ),
    st.text(max_size=30),
)


@pytest.mark.unit
@PROPERTY_SETTINGS
@given(
    body=st.one_of(
        nested_text(),
        mixed_batches().map(lambda case: case[0]),
        bad_event_texts(),
        st.none(),
        st.text(max_size=300),
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=20,
        ).map(json.dumps),
        st.binary(max_size=300).map(gzip.compress),
    ),
    content_type=header_values,
    content_encoding=st.one_of(st.none(), st.sampled_from(["gzip", "identity", "br", "GZIP"]), st.text(max_size=10)),
    method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS"]),
    fail_writes=st.booleans(),
)
def test_any_request_gets_an_answer_and_nothing_is_lost(
    memory_store: MemoryStore,
    lambda_context: Any,
    body: bytes | str | None,
    content_type: str,
    content_encoding: str | None,
    method: str,
    fail_writes: bool,
) -> None:
    memory_store.objects.clear()
    memory_store.fail_writes = fail_writes
    headers = {"content-type": content_type}
    if content_encoding is not None:
        headers["content-encoding"] = content_encoding

    response = handler(gateway_event(body, headers, method), lambda_context)

    status = response["statusCode"]
    reply = json.loads(response["body"])
    assert "Traceback" not in response["body"]
    assert reply["requestId"] == "prop-req"
    if fail_writes:
        # Nothing could be stored, so nothing may be acknowledged as accepted.
        assert status in (405, 503) or (status >= 400 and not body)
        assert not memory_store.objects
        return
    assert status in (200, 400, 405, 413, 415)
    accepted = memory_store.lines("events/")
    kept = memory_store.lines("rejected/")
    if status == 200:
        assert reply["accepted"] == len(accepted) > 0
        assert len(reply["rejected"]) == len(kept)
    else:
        assert not accepted
        if body:
            assert kept and all(k["errors"] for k in kept)
    check_stored_bytes(memory_store)


@pytest.mark.unit
@PROPERTY_SETTINGS
@given(
    source_ip=st.one_of(st.text(max_size=80), st.ip_addresses().map(str)),
    country_header=st.none() | st.text(max_size=4),
)
def test_any_source_ip_is_stored_with_a_country_or_none_never_an_error(
    memory_store: MemoryStore, lambda_context: Any, source_ip: str, country_header: str | None
) -> None:
    memory_store.objects.clear()
    headers = {"content-type": "application/json"}
    if country_header is not None:
        headers["cloudfront-viewer-country"] = country_header
    event = gateway_event(json.dumps({"eventName": "click", "clientId": "c-1"}), headers)
    event["requestContext"]["http"]["sourceIp"] = source_ip

    response = handler(event, lambda_context)

    assert response["statusCode"] == 200, response
    [line] = memory_store.lines("events/")
    country = line.get("country")
    assert country is None or (len(country) == 2 and country.isascii() and country.isupper())
