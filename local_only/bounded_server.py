"""An HTTP/1.1 server with limits: a fixed pool of worker threads, a bounded wait for one, deadlines, a head cap.

http.server's ThreadingHTTPServer starts a thread for every connection, listens with a backlog of 5 (connections
beyond it wait for SYN retransmits: up to a minute), gives a client 30 s for every single read (a client that
trickles one byte at a time holds its thread for ever) and reads up to 100 header lines of 64 KiB each. Here:

- a fixed number of worker threads serve connections; an accepted connection waits for one in a bounded queue,
  and when that queue is full it is answered ``503`` with ``Retry-After`` at once, by the accepting thread;
- while connections wait, a worker closes its keep-alive connection after the answer it is writing, or within
  a quarter of a second when that connection is idle, so a few clients cannot keep every worker to themselves;
- a connection has `idle_timeout` seconds to start a request and, from its first byte, `request_timeout` seconds
  to deliver all of it (request line, headers and body): a deadline for the whole request, not for each read;
- the request line and headers together are capped at `max_head_bytes` (``431`` past that);
- answers written before the request was parsed (``503``, ``408``, ``431``, ...) carry the headers the subclass's
  ``refusal_headers`` derives from the raw head read so far (``clickstream serve``'s CORS headers, from its
  Origin): the ``503`` waits up to `REFUSAL_WAIT_SECONDS` for the client's head to arrive, peeked at, never read;
- a connection refused with unread input is half-closed and only closed later by the accepting thread, after
  draining what arrived, so the client reads the refusal instead of a reset, and no worker waits for that.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import io
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import orjson

# Connections the kernel holds before they are accepted (http.server's default of 5 stalls bursts of clients).
LISTEN_BACKLOG = 128
# As many as the load benchmark's clients: fewer make kept-alive connections take turns, reconnecting each time.
DEFAULT_WORKERS = 64
DEFAULT_WAITING = 128
# From the accept, or from the previous answer on a kept-alive connection, to the first byte of a request.
IDLE_TIMEOUT_SECONDS = 5.0
# From the first byte of a request to its last: request line, headers and body.
REQUEST_TIMEOUT_SECONDS = 10.0
# An idle connection checks this often whether others wait for its worker, and then gives it up.
IDLE_POLL_SECONDS = 0.25
# For writing one answer to a client that does not read it.
SEND_TIMEOUT_SECONDS = 10.0
# API Gateway (HTTP API) caps the request line and headers together at 10240 bytes.
MAX_HEAD_BYTES = 10240
# A refused connection is closed this long after its refusal, time for the client to read it.
LINGER_SECONDS = 1.0
# How long a connection refused as busy may take to send its head (peeked at for its headers) before the 503.
REFUSAL_WAIT_SECONDS = 0.5
MAX_LINGERING = 256
_DRAIN_CHUNK = 65536
_READ_BUFFER = 8192


@dataclass(frozen=True, slots=True)
class ServerLimits:
    workers: int = DEFAULT_WORKERS
    waiting: int = DEFAULT_WAITING
    idle_timeout: float = IDLE_TIMEOUT_SECONDS
    request_timeout: float = REQUEST_TIMEOUT_SECONDS
    send_timeout: float = SEND_TIMEOUT_SECONDS
    max_head_bytes: int = MAX_HEAD_BYTES

    def __post_init__(self) -> None:
        if self.workers < 1 or self.waiting < 1:
            raise ValueError("a server needs at least one worker and room for one waiting connection")


class BoundedHTTPServer(HTTPServer):
    """An HTTPServer whose connections are served by `limits.workers` threads, never more."""

    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        handler_class: type[BoundedRequestHandler],
        limits: ServerLimits | None = None,
    ) -> None:
        self.limits = limits or ServerLimits()
        # Unbounded as a queue, so that server_close can always post one stop for each worker; process_request,
        # the only producer, keeps connections within limits.waiting.
        self._waiting: queue.Queue[tuple[socket.socket, Any] | None] = queue.Queue()
        self._lingering: collections.deque[tuple[float, socket.socket]] = collections.deque()
        self._linger_lock = threading.Lock()
        # Connections refused as busy, waiting for their head to arrive: only the accepting thread touches it.
        self._refusing: collections.deque[tuple[float, socket.socket]] = collections.deque()
        self._stopping = threading.Event()
        self._active = 0
        self._active_lock = threading.Lock()
        self._handler_class = handler_class
        super().__init__(address, handler_class)
        self._workers = [
            threading.Thread(target=self._work, name=f"http-worker-{n}", daemon=True)
            for n in range(self.limits.workers)
        ]
        for worker in self._workers:
            worker.start()

    def busy(self) -> bool:
        """Whether accepted connections are waiting for a worker."""
        return not self._waiting.empty()

    def active(self) -> int:
        """How many connections workers are serving now."""
        return self._active

    def waiting(self) -> int:
        """How many accepted connections wait for a worker (approximately: workers take them meanwhile)."""
        return self._waiting.qsize()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Called by the accepting thread: queue the connection for a worker, or refuse it at once."""
        if self._waiting.qsize() >= self.limits.waiting:
            self.refuse_busy(request, client_address)
        else:
            self._waiting.put((request, client_address))

    def refuse_busy(self, request: socket.socket, client_address: Any) -> None:
        """Answer 503 without reading the request, as soon as its head has arrived (or was not sent in time).

        The accepting thread never waits on a client: the connection is set aside, and looked at again now and
        whenever the accepting thread comes round (``service_actions``), at least every poll interval.
        """
        with contextlib.suppress(OSError):
            request.setblocking(False)
        self._refusing.append((time.monotonic() + REFUSAL_WAIT_SECONDS, request))
        if len(self._refusing) > MAX_LINGERING:
            _, oldest = self._refusing.popleft()
            self._send_busy(oldest, self._peek_head(oldest) or b"")
        self._answer_refusals()

    def _answer_refusals(self) -> None:
        now = time.monotonic()
        for item in list(self._refusing):
            deadline, request = item
            head = self._peek_head(request)
            if head is None and now < deadline:
                continue
            self._refusing.remove(item)
            self._send_busy(request, head or b"")

    def _peek_head(self, request: socket.socket) -> bytes | None:
        """What the client sent, left unread, once it holds the whole head (or as much as the cap); else None."""
        try:
            data = request.recv(self.limits.max_head_bytes + 1, socket.MSG_PEEK)
        except BlockingIOError:
            return None
        except OSError:
            return b""
        if not data or b"\r\n\r\n" in data or b"\n\n" in data or len(data) > self.limits.max_head_bytes:
            return data
        return None

    def _send_busy(self, request: socket.socket, head: bytes) -> None:
        """The 503: small enough for the socket buffer, so the send cannot block."""
        body = orjson.dumps({"error": "the server is busy: retry in a moment"})
        lines = [
            "HTTP/1.1 503 Service Unavailable",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Retry-After: 1",
            "Connection: close",
            *(f"{name}: {value}" for name, value in self.refusal_headers(head).items()),
        ]
        with contextlib.suppress(OSError):
            request.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.linger(request)

    def refusal_headers(self, head: bytes) -> dict[str, str]:
        """Headers for answers written before the request was parsed, from its raw head as far as it was read.

        `head` is the request line and the header lines read so far (possibly none, or cut short); subclasses
        add what depends on it, e.g. CORS headers for its Origin.
        """
        return {}

    def finish_request(self, request: Any, client_address: Any) -> BoundedRequestHandler:  # type: ignore[override]
        return self._handler_class(request, client_address, self)

    def _work(self) -> None:
        while not self._stopping.is_set():
            item = self._waiting.get()
            if item is None:
                return
            request, client_address = item
            linger = False
            with self._active_lock:
                self._active += 1
            try:
                linger = self.finish_request(request, client_address).linger_on_close
            except Exception:
                self.handle_error(request, client_address)
            finally:
                with self._active_lock:
                    self._active -= 1
                if linger:
                    self.linger(request)
                else:
                    self.shutdown_request(request)

    def linger(self, request: socket.socket) -> None:
        """Half-close now; drain and close a little later from the accepting thread (see ``service_actions``)."""
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
        with self._linger_lock:
            self._lingering.append((time.monotonic() + LINGER_SECONDS, request))
            overflow = len(self._lingering) > MAX_LINGERING
        if overflow:
            self._close_lingering(force=True)

    def service_actions(self) -> None:
        """Runs in the accepting thread between requests and at least every poll interval."""
        self._answer_refusals()
        self._close_lingering()

    def _close_lingering(self, *, force: bool = False) -> None:
        now = time.monotonic()
        while True:
            with self._linger_lock:
                if not self._lingering or not (force or self._lingering[0][0] <= now):
                    return
                _, request = self._lingering.popleft()
                force = False
            _drain(request)
            self.close_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._stopping.set()
        while True:
            try:
                item = self._waiting.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for _ in self._workers:
            self._waiting.put(None)
        while self._refusing:
            self.close_request(self._refusing.popleft()[1])
        with self._linger_lock:
            lingering, self._lingering = list(self._lingering), collections.deque()
        for _, request in lingering:
            self.close_request(request)


def _drain(request: socket.socket) -> None:
    """Read what the client already sent, without waiting: closing with unread input would send a reset."""
    try:
        request.setblocking(False)
        for _ in range(16):
            if not request.recv(_DRAIN_CHUNK):
                return
    except OSError:
        return


class HeadTooLarge(http.client.LineTooLong):
    """The request line and headers together are over the cap (http.server answers a LineTooLong with 431)."""


class _DeadlineSocketReader(io.RawIOBase):
    """Reads from a socket, every read bounded by one deadline for the whole request rather than per read."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the client took too long to send its request")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _HeadReader:
    """What http.client.parse_headers reads the headers through: counts them against the cap of the whole head."""

    def __init__(self, rfile: io.BufferedReader[_DeadlineSocketReader], budget: int) -> None:
        self._rfile = rfile
        self.remaining = budget
        # The lines read, kept for an answer written before they were parsed (BoundedHTTPServer.refusal_headers).
        self.lines: list[bytes] = []

    def readline(self, limit: int = -1) -> bytes:
        cap = self.remaining + 1 if limit < 0 else min(limit, self.remaining + 1)
        line = self._rfile.readline(cap)
        self.lines.append(line)
        self.remaining -= len(line)
        if self.remaining < 0:
            raise HeadTooLarge("request line and headers")
        return line


class BoundedRequestHandler(BaseHTTPRequestHandler):
    """One connection, served by one of the server's workers, with the server's deadlines and head cap."""

    server: BoundedHTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms a response.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        # The server's name alone in the Server header, without http.server's Python version.
        return self.server_version

    def dispatch(self) -> None:
        """Answer the parsed request, whatever its method: every method goes through here, so none is answered
        by http.server's 501 (a 5xx) for want of a `do_` method."""
        raise NotImplementedError

    def setup(self) -> None:
        super().setup()
        # Replace the file the base class made with one that reads under the request's deadline.
        self.rfile.close()
        self._reader = _DeadlineSocketReader(self.connection)
        self._buffered = io.BufferedReader(self._reader, _READ_BUFFER)
        self.rfile = self._buffered
        # Set when the connection is closed after a refusal that left input unread (see BoundedHTTPServer.linger).
        self.linger_on_close = False

    def handle_one_request(self) -> None:
        limits = self.server.limits
        self._answered = False
        self.raw_requestline = b""
        self._head_reader: _HeadReader | None = None
        if not self._request_started(limits):
            # Closed by the client, or idle: closed without an answer, as HTTP allows between requests.
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + limits.request_timeout
        try:
            self._handle_request(limits)
        except ConnectionError:
            # The client reset or closed its side mid-request: nothing to answer, nothing to report.
            self.close_connection = True
        except TimeoutError:
            self.close_connection = True
            if not self._answered:
                self.linger_on_close = True
                with contextlib.suppress(OSError):
                    self.send_error(HTTPStatus.REQUEST_TIMEOUT, "the request was not received in time")

    def _request_started(self, limits: ServerLimits) -> bool:
        """Wait for the first byte of a request: False at the idle deadline, or sooner when others wait."""
        idle_until = time.monotonic() + limits.idle_timeout
        while True:
            self._reader.deadline = min(idle_until, time.monotonic() + IDLE_POLL_SECONDS)
            try:
                return bool(self._buffered.peek(1))
            except TimeoutError:
                if self.server.busy() or time.monotonic() >= idle_until:
                    return False
            except ConnectionError:
                return False

    def _handle_request(self, limits: ServerLimits) -> None:
        self.raw_requestline = self.rfile.readline(limits.max_head_bytes + 1)
        if len(self.raw_requestline) > limits.max_head_bytes:
            self.requestline = self.request_version = self.command = ""
            self.linger_on_close = True
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        self._head_reader = _HeadReader(self._buffered, limits.max_head_bytes - len(self.raw_requestline))
        self.rfile = self._head_reader  # type: ignore[assignment]
        try:
            parsed = self.parse_request()
        finally:
            self.rfile = self._buffered
        if not parsed:
            self.linger_on_close = True
            return
        self.dispatch()
        self.wfile.flush()

    def head_read(self) -> bytes:
        """The request line and the header lines read so far (for ``BoundedHTTPServer.refusal_headers``)."""
        lines = self._head_reader.lines if self._head_reader is not None else []
        return b"".join([self.raw_requestline, *lines])

    def send_response_only(self, code: int, message: str | None = None) -> None:
        self._answered = True
        self.connection.settimeout(self.server.limits.send_timeout)
        # Connections are waiting for a worker: this one gives its worker up after this answer.
        if self.server.busy():
            self.close_connection = True
        super().send_response_only(code, message)


@contextmanager
def serving_in_background(server: BoundedHTTPServer, name: str) -> Iterator[BoundedHTTPServer]:
    """`server` answering from a daemon thread until the block ends, then shut down and closed (the demo runs
    the collector and the shop beside the dashboard this way)."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
