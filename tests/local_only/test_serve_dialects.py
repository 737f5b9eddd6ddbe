"""`clickstream serve` routes every path below /clickstream to the ingest handler, as API Gateway's
``ANY /clickstream/{proxy+}`` does, with CORS (credentials allowed) on every answer and the third-party SDKs'
headers allowed in preflights."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from support.dialect_requests import recorded
from support.serving import SHOP_ORIGIN, RunningServer, running_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("raw"), quiet=True) as running:
        yield running


def request(
    served: RunningServer, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = served.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Origin": SHOP_ORIGIN, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_cors(headers: dict[str, str]) -> None:
    assert headers["access-control-allow-origin"] == SHOP_ORIGIN
    assert headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("sdk", ["segment", "rudderstack", "segment-batch", "rudderstack-beacon"])
def test_each_recorded_sdk_request_is_handled_at_its_path(served: RunningServer, sdk: str) -> None:
    before = len(served.objects("events/"))
    sent = recorded(sdk)
    for call in sent:
        path = call["path"] + (f"?{call['query']}" if call["query"] else "")
        status, headers, body = request(served, "POST", path, json.dumps(call["body"]).encode(), call["headers"])
        assert status == 200, body
        assert_cors(headers)
        assert "apigw-requestid" in headers
    assert len(served.objects("events/")) == before + len(sent)


def test_snowplows_envelope_and_pixel_are_handled_with_cors(served: RunningServer) -> None:
    from ingest_lambda.dialects.snowplow import PIXEL

    before = len(served.objects("events/"))
    (envelope,) = recorded("snowplow")
    status, headers, body = request(
        served, "POST", envelope["path"], json.dumps(envelope["body"]).encode(), envelope["headers"]
    )
    assert (status, json.loads(body)["accepted"]) == (200, 8)
    assert_cors(headers)
    for pixel in recorded("snowplow-get"):
        status, headers, body = request(served, "GET", f"{pixel['path']}?{pixel['query']}")
        assert (status, headers["content-type"], body) == (200, "image/gif", PIXEL)
        assert_cors(headers)
    # One object per request that stored something.
    assert len(served.objects("events/")) == before + 3


def test_aws_clickstreams_query_at_the_base_path_is_handled_with_cors(served: RunningServer) -> None:
    request_ = recorded("aws")[-1]
    path = f"{request_['path']}?{request_['query']}"
    status, headers, body = request(served, "POST", path, json.dumps(request_["body"]).encode(), request_["headers"])
    assert (status, json.loads(body)["accepted"]) == (200, 1)
    assert_cors(headers)


def test_a_path_no_dialect_claims_is_the_handlers_404_with_cors(served: RunningServer) -> None:
    status, headers, body = request(served, "GET", "/clickstream/v9/nothing")
    assert status == 404
    assert_cors(headers)
    assert "no route for /clickstream/v9/nothing" in json.loads(body)["error"]
    # Beside /clickstream, serve's own 404 as before.
    assert request(served, "POST", "/elsewhere", b"{}")[0] == 404


@pytest.mark.parametrize(
    ("path", "requested"),
    [
        ("/clickstream/t", "authorization, content-type, x-retry-count"),
        ("/clickstream/v1/batch", "anonymousid, authorization, content-type, sentat, rsa-retry-attempt"),
        ("/clickstream/api/send", "content-type, x-umami-cache"),
    ],
)
def test_the_sdks_preflights_are_allowed(served: RunningServer, path: str, requested: str) -> None:
    status, headers, _ = request(
        served,
        "OPTIONS",
        path,
        headers={"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": requested},
    )
    assert status == 204
    assert_cors(headers)
    allowed = {name.strip() for name in headers["access-control-allow-headers"].split(",")}
    assert allowed == {name.strip() for name in requested.split(",")}


def test_get_at_auth_is_no_signed_in_request(served: RunningServer) -> None:
    # Only POST /clickstream/auth has the authorizer; any other method reaches the handler as the proxy route.
    status, headers, _ = request(served, "GET", "/clickstream/auth")
    assert status == 405
    assert headers["allow"] == "POST"
    assert_cors(headers)
