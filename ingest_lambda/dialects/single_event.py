"""Reading a request that carries one event as a JSON object, as the trackers without batches send it (Plausible's
``/api/event``, Umami's ``/api/send``): JSON or ``text/plain`` (no CORS preflight), the site it names its write key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest_lambda.body import HttpRequest, RequestRejected, check_method_and_type, parse_body, read_body
from ingest_lambda.dialects.seam import Decoded
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import TooDeep

MEDIA_TYPES = ("application/json", "text/plain")


def decode_single_event(
    request: HttpRequest, limits: IngestLimits, refusal: str, site_of: Callable[[dict[str, Any]], Any]
) -> Decoded:
    """The one event of `request`; `refusal` is the message when the body is no JSON object, `site_of` reads the
    site (the write key) from the object."""
    check_method_and_type(request, MEDIA_TYPES)
    text = read_body(request, limits.max_body_bytes)
    payload, may_hold_markers = parse_body(text)
    if isinstance(payload, TooDeep):
        return Decoded([payload], text, True)
    if not isinstance(payload, dict):
        raise RequestRejected(400, refusal)
    site = site_of(payload)
    return Decoded([payload], text, may_hold_markers, site if isinstance(site, str) and site else None)
