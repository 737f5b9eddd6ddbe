"""The trackers the ingest understands beside its own v1 events: one module per dialect, one line each below.

A request to ``/clickstream`` itself (or ``/clickstream/auth``) is v1 unless a dialect claims it; any other path
below ``/clickstream`` belongs to the first dialect that claims it, in this order, and is 404 when none does. How to
add one: ingest_lambda/dialects/seam.py (the protocol) and docs/collector.md.
"""

from __future__ import annotations

from typing import Any

from ingest_lambda.body import HttpRequest
from ingest_lambda.dialects.aws_clickstream import AwsClickstreamDialect
from ingest_lambda.dialects.plausible import PlausibleDialect
from ingest_lambda.dialects.posthog import PostHogDialect
from ingest_lambda.dialects.rudderstack import RudderStackDialect
from ingest_lambda.dialects.seam import Dialect
from ingest_lambda.dialects.segment import SegmentDialect
from ingest_lambda.dialects.snowplow import SnowplowDialect, SnowplowPixelDialect
from ingest_lambda.dialects.umami import UmamiDialect

# Order matters where two claim the same path: RudderStack's headers tell its calls from Segment's on /v1/...;
# PostHog's /batch/ (with its slash) is PostHog's; a GET to /i is Snowplow's pixel, where analytics-next posts its
# identify calls.
DIALECTS: tuple[Dialect, ...] = (
    RudderStackDialect(),
    PostHogDialect(),
    SnowplowPixelDialect(),
    SegmentDialect(),
    SnowplowDialect(),
    PlausibleDialect(),
    UmamiDialect(),
    AwsClickstreamDialect(),
)


def dialect_of(request: HttpRequest) -> Dialect | None:
    """The dialect that claims `request`, or None."""
    for dialect in DIALECTS:
        if dialect.claims(request):
            return dialect
    return None


def dialect_of_payload(payload: dict[str, Any]) -> Dialect | None:
    """The dialect whose shape a JSON object posted to ``/clickstream`` itself has, or None (then it is v1)."""
    for dialect in DIALECTS:
        if dialect.claims_payload(payload):
            return dialect
    return None
