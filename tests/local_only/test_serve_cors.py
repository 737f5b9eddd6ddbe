"""CORS on every answer of `clickstream serve`, over real HTTP: the handler's, serve's own, the bounded server's.

A browser hides an answer without ``Access-Control-Allow-Origin`` from the page's script (it sees a network error),
so each status path is asked from the allowed shop origin and must echo it, with credentials allowed; from any
other origin it must not; and every answer says ``Vary: Origin``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.serving import SHOP_ORIGIN, RunningServer, running_server
from support.waiting import wait_until

from ingest_lambda.contract import MAX_BODY_BYTES
from local_only.bounded_server import MAX_HEAD_BYTES, ServerLimits
from local_only.cors import ORIGINS_ENV
from local_only.serve import make_server, serve_command

pytestmark = pytest.mark.integration

OTHER_ORIGIN = "https://evil.example"
EVENT = b'{"eventName":"page_view","clientId":"c-1","pageUrl":"https://shop.example/"}'
CLIENT_TIMEOUT = 10.0

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("raw"), quiet=True) as running:
        yield running


def connect(running: RunningServer) -> socket.socket:
    host, port = running.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=CLIENT_TIMEOUT)


def read_answer(sock: socket.socket, method: str = "POST") -> Answer:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    names = [name.lower() for name, _ in response.getheaders()]
    # Each header once: a repeated one would be joined by a browser (or refused, for the CORS ones).
    assert len(names) == len(set(names)), response.getheaders()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def exchange(running: RunningServer, data: bytes, method: str = "POST") -> Answer:
    """Send `data` as it is on a new connection, and read the one answer."""
    with connect(running) as sock:
        sock.sendall(data)
        return read_answer(sock, method)


def head(method: str, path: str, origin: str | None, *lines: str) -> bytes:
    origin_line = [f"Origin: {origin}"] if origin else []
    return ("\r\n".join([f"{method} {path} HTTP/1.1", "Host: localhost", *origin_line, *lines]) + "\r\n\r\n").encode(
        "latin-1"
    )


def post(origin: str | None, body: bytes, *lines: str, content_type: str = "application/json") -> bytes:
    return (
        head(
            "POST",
            "/clickstream",
            origin,
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *lines,
        )
        + body
    )


def assert_cors_for(headers: dict[str, str], origin: str | None) -> None:
    assert "Origin" in [token.strip() for token in headers["vary"].split(",")], headers
    if origin == SHOP_ORIGIN:
        assert headers["access-control-allow-origin"] == SHOP_ORIGIN, headers
        assert headers["access-control-allow-credentials"] == "true", headers
    else:
        assert "access-control-allow-origin" not in headers, headers
        assert "access-control-allow-credentials" not in headers, headers


def batch_of(count: int) -> bytes:
    return json.dumps({"events": [json.loads(EVENT)] * count}).encode()


# Requests that each end in one status, from serve's route, its limits, or the ingest handler.
STATUS_PATHS: dict[str, tuple[int, Any]] = {
    "200 accepted": (200, lambda origin: post(origin, EVENT)),
    "200 beacon (text/plain)": (200, lambda origin: post(origin, EVENT, content_type="text/plain;charset=UTF-8")),
    "400 invalid JSON (handler)": (400, lambda origin: post(origin, b"{not json")),
    "413 too many events (handler)": (413, lambda origin: post(origin, batch_of(501))),
    "415 media type (handler)": (415, lambda origin: post(origin, EVENT, content_type="application/xml")),
    "405 GET on the route (handler)": (405, lambda origin: head("GET", "/clickstream", origin, "Connection: close")),
    "404 unknown path (serve)": (404, lambda origin: head("POST", "/nope", origin, "Content-Length: 0")),
    "405 POST on /healthz (serve)": (405, lambda origin: head("POST", "/healthz", origin, "Content-Length: 0")),
    "411 no Content-Length (serve)": (411, lambda origin: head("POST", "/clickstream", origin, "Connection: close")),
    "411 chunked (serve)": (
        411,
        lambda origin: head("POST", "/clickstream", origin, "Transfer-Encoding: chunked") + b"0\r\n\r\n",
    ),
    "413 over the body limit (serve)": (
        413,
        lambda origin: head("POST", "/clickstream", origin, f"Content-Length: {MAX_BODY_BYTES + 1}"),
    ),
    "400 invalid Content-Length (serve)": (
        400,
        lambda origin: head("POST", "/clickstream", origin, "Content-Length: ten"),
    ),
    # The Origin is read, then the headers go over the cap (cookies come last in a browser's request).
    "431 headers over the cap (http.server)": (
        431,
        lambda origin: head("POST", "/clickstream", origin, "Cookie: " + "c" * MAX_HEAD_BYTES),
    ),
    "431 too many header lines (http.server)": (
        431,
        lambda origin: head("POST", "/clickstream", origin, *(f"X-{n}: {n}" for n in range(101))),
    ),
}


@pytest.mark.parametrize("origin", [SHOP_ORIGIN, OTHER_ORIGIN, None], ids=["allowed", "other", "no-origin"])
@pytest.mark.parametrize("path", list(STATUS_PATHS))
def test_every_status_carries_cors_for_an_allowed_origin_only(
    served: RunningServer, path: str, origin: str | None
) -> None:
    status, request = STATUS_PATHS[path]
    got, headers, body = exchange(served, request(origin))
    assert got == status, body
    assert_cors_for(headers, origin)
    if origin == SHOP_ORIGIN:
        # The page's script can read why: a JSON body with an error, or the ingest's reply.
        assert json.loads(body)


def test_the_ingest_reply_headers_are_exposed_to_the_page(served: RunningServer) -> None:
    _, headers, _ = exchange(served, post(SHOP_ORIGIN, EVENT))
    exposed = {name.strip() for name in headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "apigw-requestid"} <= exposed


def test_health_answers_carry_vary_too(served: RunningServer) -> None:
    status, headers, _ = exchange(served, head("GET", "/healthz", SHOP_ORIGIN, "Connection: close"))
    assert status == 200
    assert_cors_for(headers, SHOP_ORIGIN)


def preflight(running: RunningServer, origin: str | None, requested_headers: str | None) -> Answer:
    lines = ["Access-Control-Request-Method: POST", "Connection: close"]
    if requested_headers is not None:
        lines.append(f"Access-Control-Request-Headers: {requested_headers}")
    return exchange(running, head("OPTIONS", "/clickstream", origin, *lines), "OPTIONS")


def test_preflight_from_an_allowed_origin_echoes_the_requested_headers(served: RunningServer) -> None:
    status, headers, body = preflight(served, SHOP_ORIGIN, "content-type,authorization")
    assert status == 204
    assert body == b""
    assert_cors_for(headers, SHOP_ORIGIN)
    assert headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert headers["access-control-allow-headers"] == "content-type, authorization"
    assert int(headers["access-control-max-age"]) > 0
    assert "*" not in headers["access-control-allow-origin"]


def test_preflight_leaves_out_a_requested_header_that_is_not_allowed(served: RunningServer) -> None:
    status, headers, _ = preflight(served, SHOP_ORIGIN, "content-encoding, x-secret")
    assert status == 204
    assert headers["access-control-allow-headers"] == "content-encoding"


@pytest.mark.parametrize("origin", [OTHER_ORIGIN, None])
def test_preflight_from_another_origin_is_403_and_says_why(served: RunningServer, origin: str | None) -> None:
    status, headers, body = preflight(served, origin, "content-type")
    assert status == 403
    assert_cors_for(headers, origin)
    assert "access-control-allow-methods" not in headers
    assert "not allowed" in json.loads(body)["error"]


def test_options_without_a_request_method_is_not_a_preflight(served: RunningServer) -> None:
    status, headers, _ = exchange(served, head("OPTIONS", "/clickstream", SHOP_ORIGIN, "Connection: close"), "OPTIONS")
    assert status == 204
    assert headers["allow"] == "POST, OPTIONS"
    assert_cors_for(headers, SHOP_ORIGIN)


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[RunningServer]:
    """One worker, one waiting place and a 1 s request deadline: the bounded server's refusals in a test's time."""
    limits = ServerLimits(workers=1, waiting=1, idle_timeout=1.0, request_timeout=1.0, send_timeout=2.0)
    with running_server(tmp_path / "raw", quiet=True, limits=limits) as running:
        yield running


@pytest.mark.parametrize("origin", [SHOP_ORIGIN, OTHER_ORIGIN])
def test_408_for_a_body_that_never_comes_carries_cors(small_server: RunningServer, origin: str) -> None:
    with connect(small_server) as sock:
        sock.sendall(head("POST", "/clickstream", origin, "Content-Type: application/json", "Content-Length: 10"))
        status, headers, _ = read_answer(sock)
    assert status == 408
    assert_cors_for(headers, origin)


@pytest.mark.parametrize("origin", [SHOP_ORIGIN, OTHER_ORIGIN])
def test_408_for_headers_that_never_end_carries_cors(small_server: RunningServer, origin: str) -> None:
    with connect(small_server) as sock:
        # The Origin line arrives; the end of the head never does.
        sock.sendall(f"POST /clickstream HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\n".encode())
        status, headers, _ = read_answer(sock)
    assert status == 408
    assert_cors_for(headers, origin)


@contextlib.contextmanager
def busy(running: RunningServer) -> Iterator[None]:
    """The only worker on a request that never ends (408 at its deadline), the only waiting place taken (200)."""
    server = running.server
    with connect(running) as stalled:
        stalled.sendall(b"POST /clickstream HTTP/1.1\r\n")
        wait_until(lambda: server.active() == 1, "the worker taken")
        with connect(running) as queued:
            queued.sendall(post(SHOP_ORIGIN, EVENT))
            wait_until(lambda: server.waiting() == 1, "a connection waiting")
            yield
            assert read_answer(stalled)[0] == 408
            assert read_answer(queued)[0] == 200


@pytest.mark.parametrize("origin", [SHOP_ORIGIN, OTHER_ORIGIN])
def test_503_when_busy_carries_cors(small_server: RunningServer, origin: str) -> None:
    with busy(small_server), connect(small_server) as extra:
        extra.sendall(post(origin, EVENT))
        status, headers, body = read_answer(extra)
        assert status == 503, body
        assert headers["retry-after"] == "1"
        assert_cors_for(headers, origin)


def test_503_to_a_client_that_sends_nothing_comes_without_an_origin(small_server: RunningServer) -> None:
    with busy(small_server), connect(small_server) as silent:
        started = time.monotonic()
        status, headers, _ = read_answer(silent)
        # Its head is waited for a moment only: the accepting thread never blocks on it.
        assert time.monotonic() - started < 3.0
        assert status == 503
        assert_cors_for(headers, None)


def test_allow_origin_refuses_a_wildcard_and_a_non_origin() -> None:
    runner = CliRunner()
    for value in ("*", "shop.example.com"):
        result = runner.invoke(serve_command, ["--port", "0", "--allow-origin", value])
        assert result.exit_code == 2, result.output
        assert "--allow-origin" in result.output and "not an origin" in result.output


def test_a_wildcard_in_the_environment_is_refused_before_listening() -> None:
    result = CliRunner().invoke(serve_command, ["--port", "0"], env={ORIGINS_ENV: "https://a.example,*"})
    assert result.exit_code == 1
    assert ORIGINS_ENV in result.output and "not an origin" in result.output


def test_origins_come_from_the_environment_unless_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest_lambda.services import override_services

    monkeypatch.setenv(ORIGINS_ENV, "https://a.example, https://b.example/")
    with override_services(None):
        for given, expected in [
            (None, ("https://a.example", "https://b.example")),
            ([SHOP_ORIGIN], (SHOP_ORIGIN,)),
        ]:
            server = make_server("127.0.0.1", 0, given, tmp_path.as_uri(), quiet=True, hash_salt="s")
            try:
                assert server.cors.origins == expected
            finally:
                server.server_close()


def test_many_clients_all_get_their_own_origin_back(served: RunningServer) -> None:
    # The echo is per request: concurrent requests from two origins never get each other's.
    results: list[tuple[str | None, dict[str, str]]] = []
    lock = threading.Lock()

    def client(origin: str) -> None:
        for _ in range(10):
            _, headers, _ = exchange(served, post(origin, EVENT))
            with lock:
                results.append((origin, headers))

    threads = [threading.Thread(target=client, args=(o,)) for o in (SHOP_ORIGIN, OTHER_ORIGIN) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 60
    for origin, headers in results:
        assert_cors_for(headers, origin)


SCRIPT = b"(()=>{window.Clickstream={init(){}}})();\n"


@pytest.fixture
def script_server(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    script = tmp_path / "dist" / "clickstream.js"
    script.parent.mkdir()
    script.write_bytes(SCRIPT)
    with running_server(tmp_path / "raw", quiet=True, tracker_script=script) as running:
        yield running, script


def get_script(running: RunningServer, method: str = "GET", *lines: str, origin: str | None = SHOP_ORIGIN) -> Answer:
    return exchange(running, head(method, "/clickstream.js", origin, "Connection: close", *lines), method)


def test_the_tracker_script_is_served_with_a_content_hash_etag(script_server: tuple[RunningServer, Path]) -> None:
    running, _ = script_server
    status, headers, body = get_script(running)
    assert status == 200
    assert body == SCRIPT
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=300"
    assert headers["etag"] == '"' + hashlib.sha256(SCRIPT).hexdigest()[:32] + '"'
    assert_cors_for(headers, SHOP_ORIGIN)
    # The tag is cacheable by any page, allowed origin or not.
    other_status, other_headers, other_body = get_script(running, origin=None)
    assert (other_status, other_body, other_headers["etag"]) == (200, SCRIPT, headers["etag"])
    assert_cors_for(other_headers, None)


def test_the_tracker_script_revalidates_with_304(script_server: tuple[RunningServer, Path]) -> None:
    running, _ = script_server
    etag = get_script(running)[1]["etag"]
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, headers, body = get_script(running, "GET", f"If-None-Match: {condition}")
        assert (status, body) == (304, b""), condition
        assert headers["etag"] == etag
        assert headers["cache-control"] == "public, max-age=300"
        assert_cors_for(headers, SHOP_ORIGIN)
    assert get_script(running, "GET", 'If-None-Match: "stale"')[0] == 200


def test_head_of_the_tracker_script_has_its_length_and_no_body(script_server: tuple[RunningServer, Path]) -> None:
    running, _ = script_server
    status, headers, body = get_script(running, "HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) == len(SCRIPT)
    assert headers["etag"] == get_script(running)[1]["etag"]


def test_a_rebuilt_tracker_is_served_with_its_new_etag(script_server: tuple[RunningServer, Path]) -> None:
    running, script = script_server
    before = get_script(running)[1]["etag"]
    script.write_bytes(SCRIPT + b"// rebuilt, longer\n")
    status, headers, body = get_script(running, "GET", f"If-None-Match: {before}")
    assert status == 200
    assert body.endswith(b"// rebuilt, longer\n")
    assert headers["etag"] != before


def test_a_missing_tracker_is_a_404_that_says_how_to_build_it(script_server: tuple[RunningServer, Path]) -> None:
    running, script = script_server
    script.unlink()
    status, headers, body = get_script(running)
    assert status == 404
    assert "make tracker" in json.loads(body)["error"]
    assert headers["cache-control"] == "no-store"
    assert_cors_for(headers, SHOP_ORIGIN)


def test_other_methods_on_the_tracker_script(script_server: tuple[RunningServer, Path]) -> None:
    running, _ = script_server
    status, headers, body = exchange(running, head("POST", "/clickstream.js", SHOP_ORIGIN, "Content-Length: 0"))
    assert status == 405
    assert headers["allow"] == "GET, HEAD, OPTIONS"
    assert "use GET" in json.loads(body)["error"]
    assert_cors_for(headers, SHOP_ORIGIN)
    status, headers, _ = get_script(running, "OPTIONS", "Access-Control-Request-Method: GET")
    assert status == 204
    assert headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert_cors_for(headers, SHOP_ORIGIN)
