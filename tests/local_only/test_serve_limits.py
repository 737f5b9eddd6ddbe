"""`clickstream serve` holds its limits: bounded workers, early refusals, deadlines, the salt it hashes IPs with."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.serving import RunningServer, running_server
from support.waiting import wait_until

from ingest_lambda.contract import MAX_BODY_BYTES
from local_only.api_gateway import event_from_http
from local_only.bounded_server import MAX_HEAD_BYTES, ServerLimits
from local_only.lambda_context import LocalLambdaContext
from local_only.salt import LOCAL_HASH_SALT
from local_only.serve import make_server
from local_only.simulator.run import ingest_environment

pytestmark = pytest.mark.integration

EVENT = b'{"eventName":"page_view","clientId":"c-1","pageUrl":"https://shop.example/"}'
# Every wait in these tests is bounded by this: a server that does not answer fails the test instead of hanging it.
CLIENT_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("raw"), quiet=True) as running:
        yield running


def connect(running: RunningServer, timeout: float = CLIENT_TIMEOUT) -> socket.socket:
    host, port = running.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def post_head(length: int, extra: str = "", *, keep_alive: bool = False) -> bytes:
    connection = "" if keep_alive else "Connection: close\r\n"
    return (
        f"POST /clickstream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{connection}{extra}\r\n"
    ).encode("latin-1")


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed (or reset) the connection; the socket's timeout bounds the wait."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def healthy(running: RunningServer) -> bool:
    with connect(running) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return read_answer(sock)[0] == 200


def test_a_body_over_the_ingest_limit_is_413_before_it_is_read(served: RunningServer) -> None:
    # Twice the limit: under API Gateway's 10 MiB, so only a server that checks the ingest's limit refuses it.
    with connect(served) as sock:
        started = time.monotonic()
        sock.sendall(post_head(2 * MAX_BODY_BYTES) + b'{"events": [')
        # Only a few bytes of the body were sent: a server that read the body would wait for the rest.
        status, headers, body = read_answer(sock)
        elapsed = time.monotonic() - started
    assert status == 413
    assert str(MAX_BODY_BYTES) in json.loads(body)["error"]
    assert headers["connection"] == "close"
    assert elapsed < CLIENT_TIMEOUT / 2
    assert healthy(served)


def test_a_body_at_the_limit_is_read_and_given_to_the_handler(served: RunningServer) -> None:
    body = b'{"eventName":"click","clientId":"c","properties":{"pad":"' + b"x" * 100 + b'"}}'
    body = body.ljust(MAX_BODY_BYTES)
    with connect(served) as sock:
        sock.sendall(post_head(len(body)) + body)
        status, _, answer = read_answer(sock)
    assert status == 200, answer
    assert json.loads(answer)["accepted"] == 1


def test_headers_over_the_cap_are_431_and_the_server_stays_up(served: RunningServer) -> None:
    # 40 lines of 400 bytes: far under http.server's own limits (100 lines of 64 KiB), over API Gateway's 10240 bytes.
    big = "".join(f"X-Padding-{n}: {'a' * 400}\r\n" for n in range(40))
    with connect(served) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost\r\n{big}\r\n".encode())
        status, headers, body = read_answer(sock)
    assert status == 431
    assert str(MAX_HEAD_BYTES) in json.loads(body)["error"]
    assert headers["connection"] == "close"
    assert healthy(served)


def test_headers_just_under_the_cap_are_served(served: RunningServer) -> None:
    padding = "a" * (MAX_HEAD_BYTES - 200)
    with connect(served) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: {padding}\r\n\r\n".encode())
        assert read_answer(sock)[0] == 200


def test_a_request_line_over_the_cap_is_refused(served: RunningServer) -> None:
    with connect(served) as sock:
        sock.sendall(f"GET /healthz?{'q' * MAX_HEAD_BYTES} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        assert read_answer(sock)[0] == 414
    assert healthy(served)


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[RunningServer]:
    """Two workers, two waiting places, and short deadlines, so that the limits are reached in a test's time."""
    limits = ServerLimits(workers=2, waiting=2, idle_timeout=1.0, request_timeout=1.0, send_timeout=2.0)
    with running_server(tmp_path / "raw", quiet=True, limits=limits) as running:
        yield running


def test_connections_beyond_the_pool_wait_or_get_a_quick_503(tmp_path: Path) -> None:
    limits = ServerLimits(workers=2, waiting=2, request_timeout=3.0)
    workers = len([t for t in threading.enumerate() if t.name.startswith("http-worker-")])
    with running_server(tmp_path / "raw", quiet=True, limits=limits) as running:
        server = running.server
        assert len([t for t in threading.enumerate() if t.name.startswith("http-worker-")]) == workers + 2
        stalled = [connect(running) for _ in range(2)]
        for sock in stalled:
            # A request begun and never finished: it holds its worker until the request deadline.
            sock.sendall(b"POST /clickstream HTTP/1.1\r\n")
        wait_until(lambda: server.active() == 2, "both workers taken")
        queued = [connect(running) for _ in range(2)]
        for sock in queued:
            sock.sendall(post_head(len(EVENT)) + EVENT)
        wait_until(lambda: server.waiting() == 2, "two connections waiting")

        started = time.monotonic()
        with connect(running) as extra:
            extra.sendall(post_head(len(EVENT)) + EVENT)
            status, headers, body = read_answer(extra)
        assert status == 503
        assert time.monotonic() - started < 1.0
        assert headers["retry-after"] == "1"
        assert "busy" in json.loads(body)["error"]

        # The stalled ones get a 408 at their deadline; the waiting ones are then served: none of them hangs.
        for sock in stalled:
            assert read_answer(sock)[0] == 408
        for sock in queued:
            status, _, body = read_answer(sock)
            assert status == 200, body
        assert time.monotonic() - started < 8.0
        for sock in [*stalled, *queued]:
            sock.close()
        # No thread was started for the extra connections.
        assert len([t for t in threading.enumerate() if t.name.startswith("http-worker-")]) == workers + 2


def test_a_kept_alive_connection_gives_its_worker_up_when_others_wait(tmp_path: Path) -> None:
    limits = ServerLimits(workers=1, waiting=4, idle_timeout=5.0)
    with running_server(tmp_path / "raw", quiet=True, limits=limits) as running, connect(running) as first:
        first.sendall(post_head(len(EVENT), keep_alive=True) + EVENT)
        status, headers, _ = read_answer(first)
        assert (status, headers.get("connection")) == (200, None)
        # The next request begins on the kept-alive connection, and another client arrives before it ends.
        first.sendall(post_head(len(EVENT), keep_alive=True))
        with connect(running) as second:
            second.sendall(post_head(len(EVENT)) + EVENT)
            wait_until(running.server.busy, "the second connection waits")
            started = time.monotonic()
            first.sendall(EVENT)
            status, headers, _ = read_answer(first)
            assert (status, headers["connection"]) == (200, "close")
            assert read_answer(second)[0] == 200
            # Well within the 5 s the first connection could otherwise have kept the worker idle.
            assert time.monotonic() - started < 2.0


def test_an_idle_kept_alive_connection_gives_its_worker_up_when_others_wait(tmp_path: Path) -> None:
    limits = ServerLimits(workers=1, waiting=4, idle_timeout=5.0)
    with running_server(tmp_path / "raw", quiet=True, limits=limits) as running, connect(running) as idle:
        idle.sendall(post_head(len(EVENT), keep_alive=True) + EVENT)
        assert read_answer(idle)[0] == 200
        # The only worker now waits for the idle connection's next request, which never comes.
        with connect(running) as other:
            started = time.monotonic()
            other.sendall(post_head(len(EVENT)) + EVENT)
            assert read_answer(other)[0] == 200
            assert time.monotonic() - started < 2.0
        assert closed_by_server(idle)


def test_a_client_trickling_its_headers_is_cut_off_at_the_request_deadline(small_server: RunningServer) -> None:
    with connect(small_server) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /clickstream HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        answer = b""
        # One byte every 0.1 s: each read is quick, only the whole request is late (the deadline is 1 s).
        sock.settimeout(0.1)
        while time.monotonic() - started < 6.0 and b"\r\n\r\n" not in answer:
            try:
                sock.sendall(b"a")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_client_trickling_its_body_is_cut_off_at_the_request_deadline(small_server: RunningServer) -> None:
    with connect(small_server) as sock:
        started = time.monotonic()
        sock.sendall(post_head(1000) + b"{")
        status, _, body = read_answer(sock)
        assert status == 408
        assert "time" in json.loads(body)["error"]
        assert time.monotonic() - started < 3.0


def test_the_pool_serves_more_clients_than_workers(small_server: RunningServer) -> None:
    """Eight clients in a row on two workers: each is answered, none refused (the queue is not full)."""
    answers: list[int] = []

    def client() -> None:
        with connect(small_server) as sock:
            sock.sendall(post_head(len(EVENT)) + EVENT)
            answers.append(read_answer(sock)[0])

    for _ in range(4):
        pair = [threading.Thread(target=client) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(CLIENT_TIMEOUT)
    assert answers == [200] * 8


def test_a_server_beyond_loopback_without_hash_salt_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ingest_lambda.services import override_services

    def warning_for(host: str, salt: str | None) -> str:
        server = make_server(host, 0, (), tmp_path.as_uri(), quiet=True, hash_salt=salt)
        server.server_close()
        return capsys.readouterr().err

    monkeypatch.delenv("HASH_SALT", raising=False)
    # make_server installs the ingest's services for the process; the override puts back what was there.
    with override_services(None):
        exposed = warning_for("0.0.0.0", None)
        assert "WARNING" in exposed
        assert "HASH_SALT is not set" in exposed
        assert LOCAL_HASH_SALT in exposed
        assert warning_for("127.0.0.1", None) == ""
        assert warning_for("localhost", None) == ""
        assert warning_for("0.0.0.0", "a-secret-of-our-own") == ""
        monkeypatch.setenv("HASH_SALT", "a-secret-from-the-environment")
        assert warning_for("0.0.0.0", None) == ""


def stored_ip_hashes(store: Path) -> set[str]:
    return {
        json.loads(line)["ipHash"]
        for path in (store / "events").rglob("*.json")
        for line in path.read_bytes().splitlines()
    }


def test_serve_and_generate_hash_an_ip_alike_without_hash_salt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASH_SALT", raising=False)
    with running_server(tmp_path / "served", quiet=True, hash_salt=None) as running, connect(running) as sock:
        sock.sendall(post_head(len(EVENT)) + EVENT)
        assert read_answer(sock)[0] == 200
    served_hashes = stored_ip_hashes(tmp_path / "served")

    from ingest_lambda.handler import handler

    generated = tmp_path / "generated"
    with ingest_environment(generated.as_uri()):
        event = event_from_http(
            method="POST",
            raw_path="/clickstream",
            raw_query="",
            headers=[("Content-Type", "application/json")],
            body=EVENT,
            protocol="HTTP/1.1",
            source_ip="127.0.0.1",
            domain_name="localhost",
            port=8080,
        )
        assert handler(event, LocalLambdaContext())["statusCode"] == 200
    generated_hashes = stored_ip_hashes(generated)

    assert len(served_hashes) == 1
    assert served_hashes == generated_hashes
