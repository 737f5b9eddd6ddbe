"""docs/openapi.yaml stays in step with the event contract the ingest enforces."""

from __future__ import annotations

import os
import textwrap
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from support.openapi_doc import GENERATED_MARKER, OPENAPI_PATH, load_openapi, model_components, regenerate

from ingest_lambda.contract import ClickstreamEvent, request_json_schema

pytestmark = pytest.mark.unit

UPDATE_ENV = "CLICKSTREAM_UPDATE_OPENAPI"
DOC_URI = "urn:clickstream:openapi"


def request_body_validator(doc: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for ClickstreamRequest with the document's components resolvable."""
    registry = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(doc))
    schema = {"$ref": f"{DOC_URI}#/components/schemas/ClickstreamRequest"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_generated_components_match_the_model() -> None:
    if os.environ.get(UPDATE_ENV):
        regenerate()
    schemas = load_openapi()["components"]["schemas"]
    expected = model_components()
    stale = sorted(name for name, schema in expected.items() if schemas.get(name) != schema)
    assert not stale, (
        f"{OPENAPI_PATH} is out of date with ingest_lambda.contract for {', '.join(stale)}: run "
        f"`{UPDATE_ENV}=1 .venv/bin/pytest tests/local_only/test_openapi_contract.py`"
    )


def test_the_generated_section_is_last_and_marked() -> None:
    text = OPENAPI_PATH.read_text()
    assert text.count(GENERATED_MARKER) == 1
    after_marker = yaml.safe_load(textwrap.dedent(text.split(GENERATED_MARKER)[1]))
    assert list(after_marker) == list(model_components())


def test_request_body_is_the_contracts_one_event_or_batch() -> None:
    doc = load_openapi()
    post = doc["paths"]["/clickstream"]["post"]
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "text/plain"}
    for media in content.values():
        assert media["schema"] == {"$ref": "#/components/schemas/ClickstreamRequest"}
    branches = doc["components"]["schemas"]["ClickstreamRequest"]["oneOf"]
    refs = [part["$ref"] for branch in branches for part in branch["allOf"] if "$ref" in part]
    model_refs = [ref["$ref"].replace("#/$defs/", "#/components/schemas/") for ref in request_json_schema()["oneOf"]]
    assert [ref for ref in refs if "Rules" not in ref] == model_refs


def test_documented_examples_are_valid_and_accepted_by_the_model() -> None:
    doc = load_openapi()
    validator = request_body_validator(doc)
    content = doc["paths"]["/clickstream"]["post"]["requestBody"]["content"]
    examples = [example["value"] for media in content.values() for example in media["examples"].values()]
    assert examples
    for body in examples:
        validator.validate(body)
        for event in body.get("events", [body]):
            ClickstreamEvent.model_validate(event)


@pytest.mark.parametrize(
    "body",
    [
        {"eventName": "click"},
        {"eventName": "click", "clientId": None},
        {"eventName": "click", "clientId": "c", "eventTimestamp": 0},
        {"eventName": "click", "clientId": "c", "sentAt": "1999-12-31T23:59:59Z"},
        {"eventName": "click", "clientId": "c", "properties": {"no spaces": 1}},
        {"eventName": "view_product", "clientId": "c"},
        {"events": [{"eventName": "click"}]},
    ],
)
def test_bodies_the_model_refuses_are_outside_the_documented_schema(body: dict[str, Any]) -> None:
    errors = list(request_body_validator(load_openapi()).iter_errors(body))
    assert errors, f"the documented schema admits {body}, which the ingest refuses"
