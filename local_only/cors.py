"""CORS for `clickstream serve`: which shop origins a browser may call it from, and the headers that say so.

One policy, the same one the SAM template's ``CorsConfiguration`` gives API Gateway (infra/template.yaml): a list of
exact origins, each echoed back in ``Access-Control-Allow-Origin`` with ``Access-Control-Allow-Credentials: true``
(a page may send cookies or an ``Authorization`` header), never ``*``, which browsers refuse beside credentials.

Every answer carries these headers, refusals included: without them a browser hides a 400, 413 or 503 from the
page's script as a network error, and the tracker could not tell "do not retry" from "retry later". Every answer
also says ``Vary: Origin``, since what it carries depends on the Origin it was asked from. A request from an origin
not in the list is still handled (a ``text/plain`` beacon is a simple request, sent without a preflight): it only
gets no ``Access-Control-Allow-Origin``, so the browser keeps the answer from the page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ORIGINS_ENV = "CORS_ALLOWED_ORIGINS"
# What a page may send beyond the CORS-safelisted headers: JSON bodies, gzip bodies, a Cognito ID token or a
# write key (Basic auth); and what the third-party trackers the ingest understands add (ingest_lambda.dialects):
# analytics-next's retry count, RudderStack's anonymous id, send time and retry headers, Umami's cache token.
ALLOWED_HEADERS = (
    "content-type",
    "content-encoding",
    "authorization",
    "x-retry-count",
    "anonymousid",
    "sentat",
    "rsa-recovered",
    "rsa-retry-attempt",
    "rsa-since-last-attempt",
    "rsa-since-first-attempt",
    "rsa-retry-reason",
    "x-umami-cache",
)
# What a page's script may read beyond the safelisted response headers: the tracker honours Retry-After on 503.
EXPOSED_HEADERS = ("retry-after", "apigw-requestid")
MAX_AGE_SECONDS = 600

# scheme://host[:port], as browsers serialize an Origin header: no path, no query, no user info.
_ORIGIN = re.compile(r"^https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$")
# A whole header line only: a line cut short by the end of what was read could hold half an origin.
_HEAD_ORIGIN = re.compile(rb"^origin[ \t]*:[ \t]*(\S*)[ \t]*\r?\n", re.IGNORECASE | re.MULTILINE)


class InvalidOrigin(ValueError):
    """A configured origin that no browser would ever send, or ``*``."""


def parse_origins(values: Iterable[str]) -> tuple[str, ...]:
    """The origins `values` name (each may hold several, comma or space separated), checked and normalized.

    A trailing ``/`` is dropped and scheme and host are lower-cased, as a browser sends them; ``*`` is refused,
    since credentials are allowed: a wildcard would have to be answered by echoing any origin, which is no list.
    """
    origins: list[str] = []
    for value in values:
        for item in re.split(r"[,\s]+", value.strip()):
            if not item:
                continue
            origin = item.rstrip("/").lower()
            if origin == "*":
                raise InvalidOrigin(
                    "'*' is not an origin: with credentials allowed, CORS needs the shop's origins listed one by one"
                )
            if not _ORIGIN.match(origin):
                raise InvalidOrigin(f"{item!r} is not an origin: scheme://host[:port], e.g. https://shop.example.com")
            if origin not in origins:
                origins.append(origin)
    return tuple(origins)


def origins_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The origins ``CORS_ALLOWED_ORIGINS`` lists (comma separated); none when it is unset."""
    value = (os.environ if environ is None else environ).get(ORIGINS_ENV, "")
    return parse_origins([value])


def origin_in_head(head: bytes) -> str | None:
    """The Origin header of a raw request head, as far as it was read (for answers written before it was parsed)."""
    # The request line is skipped: only header lines count.
    _, _, headers = head.partition(b"\n")
    match = _HEAD_ORIGIN.search(headers)
    if match is None:
        return None
    try:
        return match.group(1).decode("ascii")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class Preflight:
    """The answer to a CORS preflight: its status, its headers, and why it was refused (None when allowed)."""

    status: int
    headers: dict[str, str]
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """The origins allowed to call the server from a browser, and the CORS headers each answer gets."""

    origins: tuple[str, ...] = ()

    @classmethod
    def of(cls, origins: Iterable[str]) -> CorsPolicy:
        return cls(parse_origins(origins))

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    def headers(self, origin: str | None) -> dict[str, str]:
        """The CORS headers of an answer to a request from `origin` (None: no Origin header, or not yet read)."""
        headers = {"Vary": "Origin"}
        if self.allows(origin):
            assert origin is not None
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
            headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
        return headers

    def refusal_headers(self, head: bytes) -> dict[str, str]:
        """The CORS headers of an answer written before the request was parsed, from the raw head read so far."""
        return self.headers(origin_in_head(head))

    def preflight(self, origin: str | None, requested_headers: str | None, methods: Iterable[str]) -> Preflight:
        """The answer to ``OPTIONS`` with ``Access-Control-Request-Method`` on a route that allows `methods`.

        An allowed origin gets ``204`` with the requested headers echoed back, those of them that are allowed:
        the browser then names any other one as the reason it refuses. Any other origin gets ``403`` without
        ``Access-Control-Allow-Origin``, and a body that says why, for whoever looks at it in the developer tools.
        """
        allowed_methods = ", ".join(methods)
        headers = {
            "Allow": allowed_methods,
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        }
        if not self.allows(origin):
            who = f"origin {origin}" if origin else "a request without an Origin header"
            refusal = (
                f"CORS: {who} is not allowed to call this endpoint from a browser "
                f"(clickstream serve --allow-origin ORIGIN, or {ORIGINS_ENV})"
            )
            return Preflight(403, headers, refusal)
        assert origin is not None
        requested = [name.strip().lower() for name in (requested_headers or "").split(",") if name.strip()]
        echoed = [name for name in dict.fromkeys(requested) if name in ALLOWED_HEADERS]
        headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": allowed_methods,
                "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            }
        )
        if echoed:
            headers["Access-Control-Allow-Headers"] = ", ".join(echoed)
        return Preflight(204, headers)
