"""Segment's analytics.js / analytics-next, and any library speaking Segment's HTTP tracking API.

Requests: ``POST /clickstream/v1/{track,page,screen,identify,group,alias,batch}`` (the HTTP API) and analytics-next's
``/clickstream/{t,p,s,i,g,a}`` (one call) and ``/clickstream/b`` (its batching delivery), ``text/plain`` (no CORS
preflight) or JSON. The mapping: ingest_lambda.dialects.segment_spec. The answer: the ingest's JSON, with
``"success"`` as Segment's API says it (segment_spec.spec_answer); analytics-next retries only 408, 410, 429, 460
and 5xx, so a refusal (400) is not sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest_lambda.body import HttpRequest
from ingest_lambda.dialects.seam import Decoded, Mapped
from ingest_lambda.dialects.segment_spec import call_of, decode_spec_request, spec_answer, translate_spec_event
from ingest_lambda.limits import IngestLimits
from ingest_lambda.reply import Reply

_PREFIXES = ("/v1/", "/")


class SegmentDialect:
    name = "segment"

    def claims(self, request: HttpRequest) -> bool:
        return call_of(request.path, _PREFIXES)[0]

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        _, call = call_of(request.path, _PREFIXES)
        return decode_spec_request(request, limits, call, is_batch=call is None)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        return translate_spec_event(original, shared, self.name)

    def answer(self, reply: Reply) -> Reply:
        return spec_answer(reply)
