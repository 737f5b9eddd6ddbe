"""docs/openapi.yaml documents every third-party dialect's route, and what the real SDKs sent and were answered fits it.

Every path a dialect claims (the constants in ingest_lambda/dialects/) is a documented path, or, for the shapes taken
at ``/clickstream`` itself (AWS Clickstream's upload, a Snowplow envelope, a Plausible event), one of that
operation's ``x-dialects``. Then each recorded SDK request (tests/ingest_lambda/dialects/fixtures/) goes through the
handler: its body fits the documented request schema, and the answer's status is a documented one whose schema (or
media type) the answer fits; and so does a refusal at every route. The schemathesis run leaves these routes out
(tests/local_only/schemathesis.toml says why).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from support.dialect_requests import FIXTURES, gateway_event, recorded, wire_event
from support.fakes import MemoryStore
from support.openapi_doc import load_openapi

from ingest_lambda.dialects import plausible, posthog, rudderstack, snowplow, umami
from ingest_lambda.dialects.segment_spec import CALL_OF_PATH
from ingest_lambda.handler import handler

pytestmark = pytest.mark.unit

DOC = load_openapi()
DOC_URI = "urn:clickstream:openapi"
REGISTRY = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(DOC))
BASE = "/clickstream"
# The shapes at the base path, by the dialect that reads them there.
BASE_DIALECTS = {"aws": "aws-clickstream", "snowplow": "snowplow", "plausible": "plausible"}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A node of the document, its ``$ref`` (into this document) followed."""
    while "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _valid(schema: dict[str, Any], value: Any) -> None:
    """`value` fits `schema`, a schema of the document (its references resolved in the document)."""
    absolute = json.loads(json.dumps(schema).replace('"#/', f'"{DOC_URI}#/'))
    jsonschema.Draft202012Validator(absolute, registry=REGISTRY).validate(value)


def _route(path: str, method: str) -> dict[str, Any]:
    """The documented operation for a request's path (concrete paths before templated ones, as OpenAPI says)."""
    paths = DOC["paths"]
    if path in paths and method in paths[path]:
        return dict(paths[path][method])
    for template, item in paths.items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(template)) + "$"
        if method in item and re.match(pattern, path):
            return dict(item[method])
    raise AssertionError(f"{method.upper()} {path} is not documented in docs/openapi.yaml")


def test_every_route_a_dialect_claims_is_documented() -> None:
    paths = DOC["paths"]
    long_calls = [call for call in CALL_OF_PATH if len(call) > 1]
    short_calls = [call for call in CALL_OF_PATH if len(call) == 1]
    assert paths[f"{BASE}/v1/{{call}}"]["post"]["parameters"][0]["schema"]["enum"] == long_calls
    assert paths[f"{BASE}/{{call}}"]["post"]["parameters"][0]["schema"]["enum"] == short_calls
    claimed = [
        ("post", rudderstack.BEACON_PATH),
        *(("post", path) for path in posthog.EVENT_PATHS if path.endswith("/")),
        ("post", "/flags/"),
        ("get", "/array/{token}/config"),
        ("get", "/array/{token}/config.js"),
        ("post", plausible.EVENT_PATH),
        ("post", umami.SEND_PATH),
        ("post", snowplow.POST_PATH),
        ("get", snowplow.PIXEL_PATH),
    ]
    for method, path in claimed:
        assert method in paths.get(BASE + path, {}), f"{method.upper()} {BASE}{path} is not documented"
    # The forms PostHog also takes (without the slash, /decide) are named by the documented operations.
    for path in posthog.EVENT_PATHS:
        assert BASE + path.rstrip("/") + "/" in paths
    assert "without the slash" in paths[f"{BASE}/e/"]["post"]["summary"]
    assert "`/decide/`" in paths[f"{BASE}/flags/"]["post"]["summary"]
    assert set(paths[BASE]["post"]["x-dialects"]) == set(BASE_DIALECTS.values())


def _request_body(request: dict[str, Any]) -> Any:
    """The JSON a recorded request carried, however it went over the wire."""
    event = wire_event(request)
    body = event.get("body")
    if body is None:
        return None
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw.startswith(b"data="):
        return {"data": parse_qs(raw.decode())["data"][0]}
    return json.loads(raw)


def _check_answer(operation: dict[str, Any], response: dict[str, Any], where: str) -> None:
    status = str(response["statusCode"])
    documented = operation["responses"]
    assert status in documented, f"{where}: {status} is not a documented answer"
    answer = _resolve(documented[status])
    media = response["headers"]["content-type"].split(";")[0]
    content = answer.get("content", {})
    assert media in content, f"{where}: {status} answered {media}, documented {sorted(content)}"
    if media == "application/json":
        _valid(content[media]["schema"], json.loads(response["body"]))


def _check_base_answer(dialect: str, response: dict[str, Any], where: str) -> None:
    documented = DOC["paths"][BASE]["post"]["x-dialects"][dialect]["responses"]
    status = str(response["statusCode"])
    assert status in documented, f"{where}: {status} is not a documented answer"
    _valid(documented[status], json.loads(response["body"]))


SDKS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())


@pytest.mark.parametrize("sdk", SDKS)
def test_recorded_requests_and_their_answers_fit_the_document(
    sdk: str, memory_store: MemoryStore, lambda_context: Any
) -> None:
    for request in recorded(sdk):
        path, method = request["path"], request["method"].lower()
        where = f"{sdk} {method.upper()} {path}"
        body = _request_body(request)
        response = handler(wire_event(request), lambda_context)
        if path == BASE:
            dialect = BASE_DIALECTS[sdk]
            _valid(DOC["paths"][BASE]["post"]["x-dialects"][dialect]["requestBody"], body)
            _check_base_answer(dialect, response, where)
            continue
        operation = _route(path, method)
        if body is not None:
            content = _resolve(operation["requestBody"])["content"]
            media = request["headers"].get("content-type", "application/json").split(";")[0]
            _valid(content[media]["schema"], body)
        _check_answer(operation, response, where)


@pytest.mark.parametrize(("sdk", "dialect"), [("snowplow", "snowplow"), ("plausible", "plausible")])
def test_the_shapes_taken_at_the_base_path_are_answered_as_documented(
    sdk: str, dialect: str, memory_store: MemoryStore, lambda_context: Any
) -> None:
    spec = DOC["paths"][BASE]["post"]["x-dialects"][dialect]
    for request in recorded(sdk):
        _valid(spec["requestBody"], request["body"])
        event = gateway_event(BASE, json.dumps(request["body"]), headers=request["headers"])
        _check_base_answer(dialect, handler(event, lambda_context), f"{sdk} at {BASE}")


REFUSED = [
    ("post", "/v1/track", "application/json", "[1]"),
    ("post", "/t", "text/plain", "not json"),
    ("post", rudderstack.BEACON_PATH, "text/plain", '{"batch": []}'),
    ("post", "/e/", "application/json", '{"api_key": "k", "batch": [{"event": 1}]}'),
    ("post", "/e/", "image/png", "x"),
    ("post", "/batch/", "application/json", "not json"),
    ("get", "/i/v0/e/", None, None),
    ("post", plausible.EVENT_PATH, "text/plain", '{"n": 1, "u": "x", "d": "s"}'),
    ("post", umami.SEND_PATH, "application/json", '{"type": "other", "payload": {}}'),
    ("post", snowplow.POST_PATH, "application/json", '{"schema": "iglu:x", "data": "no"}'),
    ("get", snowplow.PIXEL_PATH, None, None),
    ("post", "", "application/json", '[{"event_type": 1}]'),
]


@pytest.mark.parametrize(("method", "path", "media", "body"), REFUSED)
def test_refusals_are_answered_as_documented(
    method: str, path: str, media: str | None, body: str | None, memory_store: MemoryStore, lambda_context: Any
) -> None:
    query = "platform=Web&appId=shop" if path == "" else ""
    headers = {"content-type": media} if media else {}
    event = gateway_event(BASE + path, body, method=method.upper(), query=query, headers=headers)
    response = handler(event, lambda_context)
    assert response["statusCode"] >= 400 or path in ("", snowplow.PIXEL_PATH), response
    if path == "":
        _check_base_answer("aws-clickstream", response, "AWS at the base path")
        return
    # A method a route does not document is answered as the route's POST documents it (405).
    operation = _route(BASE + path, method) if method == "get" and path == snowplow.PIXEL_PATH else None
    _check_answer(operation or _route(BASE + path, "post"), response, f"{method.upper()} {path}")
