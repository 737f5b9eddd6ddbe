"""RudderStack's JavaScript SDK v3 (@rudderstack/analytics-js): the Segment spec (ingest_lambda.dialects.segment_spec)
on RudderStack's own routes and headers.

Requests: ``POST /clickstream/v1/{track,page,screen,identify,group,alias,batch}`` from its XHR queue, JSON, with
Basic auth (the write key), and the ``AnonymousId`` (base64) and ``SentAt`` headers that tell it from Segment's
library on the same paths; ``POST /clickstream/beacon/v1/batch?writeKey=`` from its beacon queue (``text/plain``,
no headers at all). Its events add ``channel``, ``originalTimestamp``, ``rudderId`` and ``context.sessionId`` (the
session's start, in milliseconds: the v1 ``sessionId``) and ``context.sessionStart``. The SDK retries 429 and 5xx
and logs any other 4xx as an error with the events dropped; the answer is Segment's (segment_spec.spec_answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest_lambda.body import HttpRequest
from ingest_lambda.dialects.seam import Decoded, Mapped
from ingest_lambda.dialects.segment_spec import call_of, decode_spec_request, spec_answer, translate_spec_event
from ingest_lambda.limits import IngestLimits
from ingest_lambda.reply import Reply

BEACON_PATH = "/beacon/v1/batch"


class RudderStackDialect:
    name = "rudderstack"

    def claims(self, request: HttpRequest) -> bool:
        if request.path == BEACON_PATH:
            return True
        headers = request.headers
        return ("anonymousid" in headers or "sentat" in headers) and call_of(request.path, ("/v1/",))[0]

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        if request.path == BEACON_PATH:
            return decode_spec_request(request, limits, None, is_batch=True)
        _, call = call_of(request.path, ("/v1/",))
        return decode_spec_request(request, limits, call, is_batch=call is None)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        return translate_spec_event(original, shared, self.name)

    def answer(self, reply: Reply) -> Reply:
        return spec_answer(reply)
