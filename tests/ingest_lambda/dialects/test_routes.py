"""Which requests the ingest hands to a dialect, and that no body at any route ever gives a 5xx or an exception."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.dialect_requests import gateway_event
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.dialects.posthog import EVENT_PATHS, FLAGS_PATHS
from ingest_lambda.dialects.segment_spec import CALL_OF_PATH
from ingest_lambda.dialects.snowplow import PIXEL
from ingest_lambda.handler import handler

pytestmark = pytest.mark.unit

V1_EVENT = {"eventName": "page_view", "clientId": "c-1", "pageUrl": "https://shop.example/"}
# Every route a dialect claims, the v1 ones, and some no one claims.
ROUTES = [
    "/clickstream",
    "/clickstream/auth",
    *(f"/clickstream/v1/{name}" for name in CALL_OF_PATH if len(name) > 1),
    *(f"/clickstream/{name}" for name in CALL_OF_PATH if len(name) == 1),
    "/clickstream/beacon/v1/batch",
    *(f"/clickstream{path}" for path in (*EVENT_PATHS, *FLAGS_PATHS)),
    "/clickstream/array/phc_shop/config",
    "/clickstream/array/phc_shop/config.js",
    "/clickstream/api/event",
    "/clickstream/api/send",
    "/clickstream/com.snowplowanalytics.snowplow/tp2",
    "/clickstream/v2/track",
    "/clickstream/nothing/here",
]


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    if response["headers"]["content-type"] == "image/gif":
        # Snowplow's pixel: the GIF whatever happened; what happened is in the store.
        assert base64.b64decode(response["body"]) == PIXEL
        return response["statusCode"], {"pixel": True}
    return response["statusCode"], json.loads(response["body"])


def test_v1_at_the_base_and_at_auth_is_unchanged(memory_store: MemoryStore, lambda_context: Any) -> None:
    for path in ("/clickstream", "/clickstream/auth"):
        status, body = send(gateway_event(path, json.dumps(V1_EVENT)), lambda_context)
        assert (status, body["accepted"]) == (200, 1)
    stored = memory_store.lines("events/")
    assert len(stored) == 2
    assert all("source" not in event for event in stored)


def test_a_path_no_dialect_claims_is_404_and_kept(memory_store: MemoryStore, lambda_context: Any) -> None:
    status, body = send(gateway_event("/clickstream/v2/track", json.dumps(V1_EVENT)), lambda_context)
    assert status == 404
    assert "no route for /clickstream/v2/track" in body["error"]
    # Without a body there is nothing to keep (as for v1's refusals): only the answer.
    assert send(gateway_event("/clickstream/favicon.ico", None, method="GET"), lambda_context)[0] == 404
    (kept,) = memory_store.lines("rejected/")
    assert (kept["status"], kept["path"], kept["method"]) == (404, "/clickstream/v2/track", "POST")
    assert json.loads(kept["body"]) == V1_EVENT
    assert memory_store.lines("events/") == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["Order Completed", "Product Added", "page", "track", "", "$direct", "a@b.example", "\x00", "\ud800"]
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)
CALL_KEYS = [
    "type",
    "event",
    "properties",
    "context",
    "anonymousId",
    "userId",
    "messageId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "writeKey",
    "traits",
    "products",
    "order_id",
    "revenue",
    "product_id",
    "uuid",
    "distinct_id",
    "$device_id",
    "api_key",
    "sent_at",
]
# Calls that get past the first checks (a known type, an id) as often as calls that do not, so the mapping of
# every field is exercised with values of every type.
calls = st.one_of(
    st.dictionaries(st.sampled_from(CALL_KEYS), json_values, max_size=8),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["page", "track", "identify", "screen", "group", "alias"]),
            "anonymousId": st.text(min_size=1, max_size=10),
            "event": st.sampled_from(["Order Completed", "Product Added", "Products Searched", "Clicked"]),
        },
        optional={
            key: json_values | st.dictionaries(st.sampled_from([*CALL_KEYS, "url", "page", "price"]), json_values)
            for key in CALL_KEYS
            if key not in ("type", "anonymousId", "event")
        },
    ),
)
POSTHOG_KEYS = ["$device_id", "distinct_id", "$user_id", "$is_identified", "$session_id", "$current_url", "$host"]
POSTHOG_KEYS += ["$pathname", "$referrer", "title", "$time", "token", "$lib", "order_id", "revenue", "product_id"]
posthog_events = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["$pageview", "Order Completed", "Product Added", "$identify", "$x", "", "1"]),
        "properties": st.dictionaries(st.sampled_from([*POSTHOG_KEYS, "products", "query"]), json_values),
    },
    optional=dict.fromkeys(("uuid", "timestamp", "$set", "$set_once", "sent_at", "distinct_id"), json_values),
)
plausible_events = st.fixed_dictionaries(
    {
        "n": st.sampled_from(["pageview", "Order Completed", "Product Added", "engagement", ""]),
        "u": st.just("https://shop.example/p") | json_values,
    },
    optional={
        "d": json_values,
        "r": json_values,
        "p": st.dictionaries(st.sampled_from(["order_id", "product_id", "price", "quantity", "x"]), json_values),
        "$": st.dictionaries(st.sampled_from(["amount", "currency"]), json_values) | json_values,
        "v": json_values,
    },
)
umami_calls = st.fixed_dictionaries(
    {"type": st.sampled_from(["event", "identify", "x"]) | json_values},
    optional={
        "payload": st.dictionaries(
            st.sampled_from(["website", "hostname", "url", "title", "referrer", "name", "data", "id", "timestamp"]),
            json_values,
        )
        | json_values
    },
)
# Snowplow: flat maps of strings, whose self-describing event and entities are JSON (or base64url JSON) in them.
SNOWPLOW_KEYS = [
    "e",
    "eid",
    "duid",
    "sid",
    "uid",
    "dtm",
    "stm",
    "ttm",
    "url",
    "refr",
    "page",
    "aid",
    "tv",
    "se_ac",
    "tr_id",
]
self_describing = st.fixed_dictionaries(
    {
        "schema": st.just("iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"),
        "data": st.fixed_dictionaries(
            {
                "schema": st.sampled_from(
                    [
                        "iglu:com.snowplowanalytics.snowplow.ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2",
                        "iglu:com.acme/thing/jsonschema/1-0-0",
                        "nonsense",
                    ]
                ),
                "data": json_values
                | st.fixed_dictionaries(
                    {"type": st.sampled_from(["product_view", "add_to_cart", "transaction", "checkout_step", "x"])}
                ),
            }
        ),
    }
)
entity = st.fixed_dictionaries(
    {
        "schema": st.sampled_from(
            [
                "iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0",
                "iglu:com.snowplowanalytics.snowplow.ecommerce/transaction/jsonschema/1-0-0",
                "iglu:com.snowplowanalytics.snowplow.ecommerce/checkout_step/jsonschema/1-0-0",
                "bad",
            ]
        ),
        "data": json_values
        | st.dictionaries(
            st.sampled_from(["id", "price", "quantity", "transaction_id", "revenue", "currency", "step"]), json_values
        ),
    }
)
contexts = st.fixed_dictionaries(
    {"schema": st.just("iglu:c/contexts/jsonschema/1-0-0"), "data": st.lists(entity, max_size=3)}
)


def json_text(value: Any, as_base64: bool) -> str:
    text = json.dumps(value, allow_nan=True)
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode() if as_base64 else text


snowplow_events = st.one_of(
    st.dictionaries(st.sampled_from(SNOWPLOW_KEYS), st.text(max_size=12) | json_values, max_size=8),
    st.fixed_dictionaries(
        {"e": st.sampled_from(["pv", "se", "ue", "tr", "pp", "zz"]), "duid": st.text(min_size=1, max_size=8)},
        optional={
            **{
                key: st.text(max_size=12) | st.sampled_from(["1796310000000", "", "EUR"])
                for key in SNOWPLOW_KEYS
                if key not in ("e", "duid")
            },
            "ue_pr": st.builds(json_text, self_describing, st.just(False)) | st.text(max_size=10),
            "ue_px": st.builds(json_text, self_describing, st.just(True)),
            "co": st.builds(json_text, contexts, st.just(False)),
            "cx": st.builds(json_text, contexts, st.just(True)) | st.text(max_size=10),
        },
    ),
)


def query_of(event: dict[str, Any]) -> str:
    """A Snowplow event as the pixel's query string."""
    fields = {key: value if isinstance(value, str) else json.dumps(value) for key, value in event.items()}
    return urlencode(fields, errors="surrogatepass")


snowplow_envelopes = st.fixed_dictionaries(
    {
        "schema": st.just("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"),
        "data": st.lists(snowplow_events | json_values, max_size=4) | json_values,
    }
)

# AWS Clickstream: an array of events, at the base path with its query.
AWS_QUERY = "platform=Web&appId=wk-shop&event_bundle_sequence_id=1&upload_timestamp=1796310000000&hashCode=x"
aws_events = st.fixed_dictionaries(
    {"event_type": st.sampled_from(["_page_view", "view_item", "add_to_cart", "purchase", "_search", "x"])},
    optional={
        "event_id": json_values,
        "device_id": st.text(min_size=1, max_size=8) | json_values,
        "timestamp": st.sampled_from([1796310000000, "x", -1]),
        "items": st.lists(
            st.dictionaries(st.sampled_from(["id", "price", "quantity", "name"]), json_values), max_size=3
        )
        | json_values,
        "user": json_values | st.fixed_dictionaries({"_user_id": json_values}),
        "attributes": json_values
        | st.dictionaries(
            st.sampled_from(["_session_id", "_page_url", "transaction_id", "value", "currency", "_search_term"]),
            json_values,
        ),
    },
)

bodies = st.one_of(
    calls,
    plausible_events,
    umami_calls,
    snowplow_envelopes,
    st.lists(aws_events | json_values, max_size=4),
    st.fixed_dictionaries(
        {"batch": st.lists(st.one_of(calls, posthog_events, json_values), max_size=4)},
        optional={"sentAt": json_values, "sent_at": json_values, "api_key": json_values},
    ),
    st.lists(posthog_events, max_size=3),
    posthog_events,
    json_values,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(ROUTES),
    method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "OPTIONS"]),
    content_type=st.sampled_from(
        ["text/plain", "application/json;charset=UTF-8", "application/xml", "application/x-www-form-urlencoded", ""]
    ),
    body=st.one_of(
        bodies.map(lambda value: json.dumps(value, allow_nan=True)),
        # sendBeacon's form (PostHog): base64 of the JSON in data=.
        bodies.map(lambda value: "data=" + base64.b64encode(json.dumps(value, allow_nan=True).encode()).decode()),
        st.text(max_size=60),
        st.none(),
    ),
    as_base64=st.booleans(),
    query=st.one_of(st.just(""), st.just(AWS_QUERY), snowplow_events.map(query_of)),
    headers=st.dictionaries(
        st.sampled_from(["anonymousid", "sentat", "authorization"]),
        st.sampled_from(["Basic d2stc2hvcDo=", "Basic !!", "x", ""]),
        max_size=3,
    ),
)
def test_any_body_at_any_route_is_answered_without_a_5xx(
    memory_store: MemoryStore,
    lambda_context: Any,
    path: str,
    method: str,
    content_type: str,
    body: str | None,
    as_base64: bool,
    query: str,
    headers: dict[str, str],
) -> None:
    memory_store.objects.clear()
    event = gateway_event(path, body, method=method, query=query, headers={"content-type": content_type, **headers})
    if as_base64 and body is not None:
        event["body"] = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
        event["isBase64Encoded"] = True
    response = handler(event, lambda_context)
    status = response["statusCode"]
    assert 200 <= status < 500, response
    content_type = response["headers"]["content-type"]
    if content_type == "image/gif":
        # Snowplow's pixel: the GIF whatever happened; what happened is in the store.
        assert base64.b64decode(response["body"]) == PIXEL
        answer: dict[str, Any] = {"pixel": True}
    elif content_type != "application/json":
        # An SDK's script (PostHog's remote config): stores nothing.
        assert (status, memory_store.objects) == (200, {})
        return
    else:
        answer = json.loads(response["body"])
        assert "requestId" in answer
    for stored in memory_store.lines("events/"):
        # What was stored is a valid v1 event, with its dialect named (at the v1 routes: none, unless the body was
        # a dialect's: Snowplow's envelope, a Plausible event, AWS Clickstream's query).
        if path in ("/clickstream", "/clickstream/auth"):
            dialect = stored.get("source", {"dialect": "snowplow"})["dialect"]
            assert dialect in ("snowplow", "plausible", "aws-clickstream"), stored
        else:
            assert "source" in stored
        assert_valid_v1(stored)
    if status == 200 and "pixel" not in answer:
        # PostHog's flags and remote config answers store nothing and accept nothing.
        assert answer.get("accepted", 0) == len(memory_store.lines("events/"))


def assert_valid_v1(stored: dict[str, Any]) -> None:
    client = {k: stored[k] for k in stored if k in ClickstreamEvent.model_json_schema(by_alias=True)["properties"]}
    client.pop("eventTimestamp")
    client.pop("sentAt", None)
    ClickstreamEvent.model_validate(client)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(envelope=snowplow_envelopes, query=snowplow_events.map(query_of))
def test_any_snowplow_envelope_or_pixel_is_answered_without_a_5xx(
    memory_store: MemoryStore, lambda_context: Any, envelope: dict[str, Any], query: str
) -> None:
    # The broad test above rarely builds a whole envelope at the right route: here every example is one.
    for event in (
        gateway_event("/clickstream/com.snowplowanalytics.snowplow/tp2", json.dumps(envelope, allow_nan=True)),
        gateway_event("/clickstream/i", None, method="GET", query=query),
    ):
        memory_store.objects.clear()
        status, answer = send(event, lambda_context)
        assert 200 <= status < 500, answer
        stored = memory_store.lines("events/")
        assert (status == 200) is bool(stored)
        for line in stored:
            assert line["source"]["dialect"] == "snowplow"
            assert_valid_v1(line)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(aws_events | json_values, max_size=4) | json_values)
def test_any_aws_clickstream_body_is_answered_without_a_5xx(
    memory_store: MemoryStore, lambda_context: Any, events: Any
) -> None:
    memory_store.objects.clear()
    status, answer = send(
        gateway_event("/clickstream", json.dumps(events, allow_nan=True), query=AWS_QUERY), lambda_context
    )
    assert 200 <= status < 500, answer
    for line in memory_store.lines("events/"):
        assert line["source"]["dialect"] == "aws-clickstream"
        assert_valid_v1(line)
