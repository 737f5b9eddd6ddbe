"""``clickstream serve``: the ingest Lambda behind a local HTTP server, as API Gateway (HTTP API) would call it.

Each real HTTP request becomes an API Gateway HTTP API payload v2 event built the way AWS builds it, and goes to
the same ``ingest_lambda.handler.handler`` the Lambda runs; its statusCode, headers and body are written back. The
server itself only does what API Gateway does in front of the Lambda: routing (``POST /clickstream`` and, as
``ANY /clickstream/{proxy+}`` does, every path below it: the third-party trackers' routes, docs/collector.md), CORS
(``local_only.cors``: the preflight, and the CORS headers on every answer, its own refusals included) and the
limits on what it reads.
Everything about the body (method, media type, JSON, validation) is the handler's answer.

It is a local stand-in, but it may end up reachable from other machines, so it holds its limits
(``local_only.bounded_server``): a fixed pool of workers with a bounded wait (``503`` past it), a deadline for
each whole request (``408``), the request line and headers capped at API Gateway's 10240 bytes (``431``), and a
body over the ingest's own limit (``MAX_BODY_BYTES``, which the handler would refuse anyway) refused with ``413``
from its Content-Length, before a byte of it is read. API Gateway itself lets bodies up to 10 MiB reach the Lambda.
"""

from __future__ import annotations

import base64
import ipaddress
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import click
import orjson

from ingest_lambda.contract import MAX_BODY_BYTES
from local_only.api_gateway import AUTH_ROUTE_PATH, ROUTE_PATH, event_from_http
from local_only.bounded_server import (
    DEFAULT_WORKERS,
    BoundedHTTPServer,
    BoundedRequestHandler,
    ServerLimits,
)
from local_only.cli_options import port_option
from local_only.cors import ORIGINS_ENV, CorsPolicy, InvalidOrigin, origins_from_env, parse_origins
from local_only.jwt_authorizer import Unauthorized, claims_from_authorization
from local_only.lambda_context import LocalLambdaContext
from local_only.paths import default_store_url
from local_only.salt import LOCAL_HASH_SALT, local_salt
from local_only.tracker_script import DEFAULT_TRACKER_SCRIPT, SCRIPT_METHODS, SCRIPT_PATH, TrackerScript

HEALTH_PATH = "/healthz"
DEFAULT_PORT = 8080

# What the ingest routes answer (POST /clickstream, ANY /clickstream/{proxy+}); OPTIONS is their CORS preflight.
ROUTE_METHODS = ("POST", "OPTIONS")


# Headers the server writes itself, whatever the Lambda's response says.
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive", "date", "server"})


class ClickstreamServer(BoundedHTTPServer):
    """A bounded HTTP server that knows which shop origins may call it (its CORS policy)."""

    def __init__(
        self,
        address: tuple[str, int],
        cors: CorsPolicy | None = None,
        *,
        quiet: bool = False,
        log_stream: TextIO | None = None,
        limits: ServerLimits | None = None,
        tracker_script: TrackerScript | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.cors = cors or CorsPolicy()
        self.tracker_script = tracker_script or TrackerScript()
        self.quiet = quiet
        self.log_stream = log_stream
        super().__init__(address, _RequestHandler, limits)

    def refuse_busy(self, request: socket.socket, client_address: Any) -> None:
        super().refuse_busy(request, client_address)
        self.log(f"- - 503 (all {self.limits.workers} workers busy, {self.limits.waiting} connections waiting)")

    def refusal_headers(self, head: bytes) -> dict[str, str]:
        return self.cors.refusal_headers(head)

    @property
    def loopback_only(self) -> bool:
        """Whether the server listens on a loopback address only (127.0.0.0/8, ::1)."""
        try:
            return ipaddress.ip_address(str(self.server_address[0]).split("%", 1)[0]).is_loopback
        except ValueError:
            return False

    def log(self, line: str) -> None:
        """One line of the request log: standard error unless another stream was given; nothing when quiet."""
        if self.quiet:
            return
        stream = self.log_stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    @property
    def host(self) -> str:
        """The address it listens on, as text (typeshed allows bytes too, which only AF_UNIX servers have)."""
        host = self.server_address[0]
        return host.decode() if isinstance(host, bytes | bytearray) else host

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.server_port}"


def make_server(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    allow_origins: Iterable[str] | None = None,
    store_url: str | None = None,
    *,
    quiet: bool = False,
    log_stream: TextIO | None = None,
    limits: ServerLimits | None = None,
    hash_salt: str | None = None,
    tracker_script: Path | None = None,
) -> ClickstreamServer:
    """A server ready for ``serve_forever()``, with the ingest configured for `store_url` (port 0: any free port).

    `allow_origins` are the shop origins CORS allows (default: ``CORS_ALLOWED_ORIGINS``, else none); an invalid
    one, or ``*``, raises ``local_only.cors.InvalidOrigin``. `tracker_script` is the file ``GET /clickstream.js``
    answers (default: the built tracker, ``tracker/dist/clickstream.js``).

    The ingest's services (``ingest_lambda.services``) are built here and installed for the whole process: the
    store `store_url` names (default: ``RAW_STORE_URL``, else ``.data/raw``), opened once so that a bad store URL
    fails here instead of on the first request, and `hash_salt` (default: ``HASH_SALT``, else the public local
    salt, ``local_only.salt``). A server that listens beyond loopback with that public salt says so on standard
    error, whatever `quiet` says.
    """
    from ingest_lambda.services import build_services, set_services
    from ingest_lambda.settings import IngestSettings

    salt = local_salt(hash_salt)
    settings = IngestSettings(raw_store_url=store_url or default_store_url(), hash_salt=salt.value)
    cors = CorsPolicy(origins_from_env() if allow_origins is None else parse_origins(allow_origins))
    set_services(build_services(settings))
    script = TrackerScript(tracker_script or DEFAULT_TRACKER_SCRIPT)
    server = ClickstreamServer(
        (host, port), cors, quiet=quiet, log_stream=log_stream, limits=limits, tracker_script=script
    )
    if salt.public and not server.loopback_only:
        sys.stderr.write(public_salt_warning(server.url))
        sys.stderr.flush()
    return server


def public_salt_warning(url: str) -> str:
    """The warning for a server reachable beyond this machine that hashes IPs with the public local salt."""
    rule = "!" * 100
    return (
        f"{rule}\n"
        f"WARNING: {url} listens beyond loopback, and HASH_SALT is not set: client IPs are hashed with the public\n"
        f"local salt {LOCAL_HASH_SALT!r}, so anyone can reverse an ipHash by hashing candidate addresses.\n"
        "Set HASH_SALT to a long random secret (e.g. `openssl rand -hex 32`) before exposing this server.\n"
        f"{rule}\n"
    )


class _Refused(Exception):
    """A request the server answers itself, as API Gateway would, without calling the Lambda."""

    def __init__(self, status: int, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


class _RequestHandler(BoundedRequestHandler):
    server: ClickstreamServer
    server_version = "clickstream-local"

    def dispatch(self) -> None:
        started = time.perf_counter()
        self._status = 0
        try:
            self._route()
        except TimeoutError:
            # The body did not arrive before the request's deadline.
            self.close_connection = True
            self.linger_on_close = True
            if not self._status:
                self._send_json(HTTPStatus.REQUEST_TIMEOUT, {"error": "the request was not received in time"})
        except ConnectionError:
            self.close_connection = True
        except Exception:
            # A bug in the server or the handler: the traceback goes to the server's log, never to the client.
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            if not self._status:
                self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"})
        finally:
            self._log_request(started)

    def _route(self) -> None:
        path, query = _split_target(self.path)
        try:
            body = self._read_body()
        except _Refused as refused:
            if refused.close:
                self.close_connection = True
                self.linger_on_close = True
            self._send_json(refused.status, {"error": refused.message})
            return
        if path == HEALTH_PATH:
            if self.command in ("GET", "HEAD"):
                self._send_json(HTTPStatus.OK, {"status": "ok"})
            else:
                self._send_json(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    {"error": f"method {self.command} is not allowed on {HEALTH_PATH}: use GET"},
                    {"Allow": "GET, HEAD"},
                )
            return
        if path == SCRIPT_PATH:
            self._script()
            return
        # API Gateway's routes: POST /clickstream, POST /clickstream/auth (with its authorizer) and
        # ANY /clickstream/{proxy+}, where the ingest says which dialect a path is (ingest_lambda.dialects).
        if path != ROUTE_PATH and not path.startswith(ROUTE_PATH + "/"):
            self._send_json(
                HTTPStatus.NOT_FOUND,
                {"error": f"no route for {path}: send events to POST {ROUTE_PATH} (signed in: {AUTH_ROUTE_PATH})"},
            )
            return
        if self.command == "OPTIONS":
            self._options(ROUTE_METHODS)
            return
        if self.command == "POST" and body is None:
            self._send_json(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length is required"})
            return
        claims = None
        if path == AUTH_ROUTE_PATH and self.command == "POST":
            try:
                claims = claims_from_authorization(self.headers.get("authorization"), time.time())
            except Unauthorized as refused:
                # API Gateway's own answer, before the Lambda; why goes to the log as its authorizer error does.
                self.server.log(f"{self.command} {path} 401 ({refused})")
                self._send_json(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"})
                return
        event = event_from_http(
            method=self.command,
            raw_path=path,
            raw_query=query,
            headers=self.headers.items(),
            body=body,
            protocol=self.request_version,
            source_ip=self.client_address[0],
            domain_name=self.headers.get("host") or f"{self.server.host}:{self.server.server_port}",
            port=self.server.server_port,
            jwt_claims=claims,
        )
        self._invoke(event)

    def _body_length(self) -> int | None:
        """The Content-Length of the body, None without one; refused when invalid, chunked or over the limit."""
        if self.headers.get_all("transfer-encoding"):
            message = "chunked bodies are not supported: send Content-Length"
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, message, close=True)
        lengths = self.headers.get_all("content-length") or []
        if not lengths:
            return None
        values = {value.strip() for value in lengths}
        text = values.pop()
        if values or not (text.isascii() and text.isdigit()):
            raise _Refused(HTTPStatus.BAD_REQUEST, "invalid Content-Length", close=True)
        length = int(text)
        if length > MAX_BODY_BYTES:
            # The handler would refuse it too (its limit is at most this), but only after it had all been read.
            raise _Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body of {length} bytes exceeds the {MAX_BODY_BYTES} byte limit",
                close=True,
            )
        return length

    def _read_body(self) -> bytes | None:
        """The body as Content-Length announces it; None when there is none. Nothing is read past the limits."""
        length = self._body_length()
        if length is None:
            return None
        # One allocation of the announced size, read under the request's deadline.
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionError("client closed the connection before sending the whole body")
        return body

    def handle_expect_100(self) -> bool:
        """``Expect: 100-continue`` (curl sends it for larger bodies): refuse a bad length before the body is sent."""
        try:
            self._body_length()
        except _Refused as refused:
            started = time.perf_counter()
            self._status = 0
            self.close_connection = True
            self.linger_on_close = True
            self._send_json(refused.status, {"error": refused.message})
            self._log_request(started)
            return False
        return super().handle_expect_100()

    def _options(self, methods: tuple[str, ...]) -> None:
        """API Gateway's CORS configuration answers preflights itself; the Lambda never sees them.

        An OPTIONS without ``Access-Control-Request-Method`` is no preflight: it is told the route's methods.
        """
        allow = ", ".join(methods)
        if not self.headers.get("access-control-request-method"):
            self._send(HTTPStatus.NO_CONTENT, {"Allow": allow}, b"")
            return
        preflight = self.server.cors.preflight(
            self.headers.get("origin"), self.headers.get("access-control-request-headers"), methods
        )
        if preflight.refusal is None:
            self._send(preflight.status, {}, b"", cors=preflight.headers)
        else:
            self._send_json(preflight.status, {"error": preflight.refusal}, cors=preflight.headers)

    def _script(self) -> None:
        """The tracker for a ``<script>`` tag, with the same CORS headers (a module script is fetched with CORS)."""
        if self.command == "OPTIONS":
            self._options(SCRIPT_METHODS)
        elif self.command in ("GET", "HEAD"):
            answer = self.server.tracker_script.answer(self.headers.get("if-none-match"))
            self._send(answer.status, answer.headers, answer.body)
        else:
            self._send_json(
                HTTPStatus.METHOD_NOT_ALLOWED,
                {"error": f"method {self.command} is not allowed on {SCRIPT_PATH}: use GET"},
                {"Allow": ", ".join(SCRIPT_METHODS)},
            )

    def _invoke(self, event: dict[str, Any]) -> None:
        from ingest_lambda.handler import handler

        request_id = event["requestContext"]["requestId"]
        try:
            result = handler(event, LocalLambdaContext(aws_request_id=request_id))
        except Exception:
            # What API Gateway answers when the Lambda raises: a 500, with the details only in the logs.
            traceback.print_exc(file=sys.stderr)
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"error": "internal error", "requestId": request_id},
                {"apigw-requestid": request_id},
            )
            return
        status, headers, body = _lambda_response(result)
        headers = {**headers, "apigw-requestid": request_id}
        cookies = result.get("cookies") if isinstance(result, dict) else None
        self._send(status, headers, body, [("Set-Cookie", str(cookie)) for cookie in cookies or ()])

    def _send_json(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        *,
        cors: dict[str, str] | None = None,
    ) -> None:
        self._send(status, {"Content-Type": "application/json", **(headers or {})}, orjson.dumps(body), cors=cors)

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        extra: Iterable[tuple[str, str]] = (),
        *,
        cors: dict[str, str] | None = None,
    ) -> None:
        """Write an answer, with the CORS headers for the request's Origin (`cors`: a preflight's own instead).

        As API Gateway does, the CORS policy overrides any CORS header the Lambda's response has.
        """
        if cors is None:
            cors = self.server.cors.headers(self.headers.get("origin"))
        cors = dict(cors)
        kept: dict[str, str] = {}
        for name, value in headers.items():
            if name.lower() == "vary":
                cors["Vary"] = ", ".join(dict.fromkeys([*_tokens(value), *_tokens(cors.get("Vary", ""))]))
            elif not name.lower().startswith("access-control-"):
                kept[name] = value
        headers = kept
        self._status = int(status)
        self.send_response(status)
        for name, value in [*headers.items(), *cors.items(), *extra]:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        if status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        with_body = self.command != "HEAD" and status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
        self._end_headers_with(body if with_body else b"")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, headers too large, ...) as JSON instead of HTML."""
        self.close_connection = True
        self.linger_on_close = True
        self._status = code
        method, path = getattr(self, "command", None) or "-", getattr(self, "path", None) or "-"
        self.server.log(f"{method} {path} {code} (refused by http.server)")
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        reason = message
        if code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            limit = self.server.limits.max_head_bytes
            message = f"request headers too large: at most {limit} bytes of request line and headers, 100 lines"
            reason = None
        body = orjson.dumps({"error": message or phrase})
        self.send_response(code, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        # The headers may not have been parsed: the CORS headers come from those read so far, for their Origin.
        for name, value in self.server.refusal_headers(self.head_read()).items():
            self.send_header(name, value)
        with_body = getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304)
        self._end_headers_with(body if with_body else b"")

    def _end_headers_with(self, body: bytes) -> None:
        """End the headers and write them with the body in one send: one system call, one packet for small ones."""
        buffer: list[bytes] = getattr(self, "_headers_buffer", [])
        if self.request_version != "HTTP/0.9":
            buffer.append(b"\r\n")
        self._headers_buffer = [*buffer, body]
        self.flush_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: one line per request is written by `_log_request` once the response is complete."""

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{self.address_string()} - {format % args}")

    def _log_request(self, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        path, _ = _split_target(self.path)
        self.server.log(f"{self.command} {path} {self._status or '-'} {elapsed_ms:.1f}ms")


def _lambda_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body bytes of a Lambda's payload v2 response (a dict with statusCode)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway's "inferred" format: any other JSON value is a 200 with that value as the body.
        return HTTPStatus.OK, {"content-type": "application/json"}, orjson.dumps(result)
    headers = {str(name): str(value) for name, value in (result.get("headers") or {}).items()}
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else orjson.dumps(body)
    return int(result["statusCode"]), headers, data


def _tokens(value: str) -> list[str]:
    return [token.strip() for token in value.split(",") if token.strip()]


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _origins_option(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """--allow-origin's values, checked; None when none is given, so that CORS_ALLOWED_ORIGINS applies."""
    try:
        return parse_origins(values) if values else None
    except InvalidOrigin as exc:
        raise click.BadParameter(str(exc), param_hint="--allow-origin") from exc


def _split_target(target: str) -> tuple[str, str]:
    """Path and raw query string of a request target (origin-form or absolute-form)."""
    parts = urlsplit(target)
    return parts.path or "/", parts.query


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@port_option("--port", default=DEFAULT_PORT, help="Port to listen on.", any_free=True)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    callback=lambda ctx, param, values: _origins_option(values),
    help="A shop page origin allowed to call the API from a browser (CORS, with credentials), e.g. "
    "http://localhost:3000; exact, never '*'. Repeatable. [default: CORS_ALLOWED_ORIGINS (comma separated), else none]",
)
@click.option(
    "--store",
    default=None,
    metavar="URL",
    help="Raw store: file:///abs/dir or s3://bucket[/prefix]. [default: RAW_STORE_URL, else .data/raw]",
)
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Connections served at once; more wait in a bounded queue, and past it are answered 503.",
)
@click.option(
    "--tracker-script",
    default=DEFAULT_TRACKER_SCRIPT,
    show_default="tracker/dist/clickstream.js",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The built tracker that GET /clickstream.js serves (`make tracker` builds it).",
)
def serve_command(
    host: str,
    port: int,
    allow_origins: tuple[str, ...] | None,
    store: str | None,
    workers: int,
    tracker_script: Path,
) -> None:
    """Serve POST /clickstream with the ingest Lambda's own handler, as API Gateway calls it, and /clickstream.js."""
    store_url = store or default_store_url()
    try:
        server = make_server(
            host, port, allow_origins, store_url, limits=ServerLimits(workers=workers), tracker_script=tracker_script
        )
    except InvalidOrigin as exc:
        raise click.ClickException(f"{ORIGINS_ENV}: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    except Exception as exc:
        raise click.ClickException(f"cannot start the ingest with store {store_url}: {exc}") from exc
    click.echo(f"clickstream ingest listening on {server.url}{ROUTE_PATH} (store: {store_url}); Ctrl-C stops")
    origins = ", ".join(server.cors.origins) or f"none (--allow-origin or {ORIGINS_ENV})"
    click.echo(f"browsers may call it from: {origins}")
    if server.tracker_script.path.is_file():
        click.echo(f'the tracker: <script src="{server.url}{SCRIPT_PATH}" defer></script>')
    else:
        click.echo(f"{SCRIPT_PATH} answers 404 until the tracker is built: make tracker")
    if threading.current_thread() is threading.main_thread():
        # `docker stop` and process managers send SIGTERM: stop as cleanly as on Ctrl-C.
        signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
