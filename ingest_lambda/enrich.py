"""Server-side enrichment: ids, trusted times, client context and identity."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from ingest_lambda.contract import SCHEMA_VERSION, ClickstreamEvent
from ingest_lambda.ip_country import country_of
from ingest_lambda.privacy import Pseudonymizer
from ingest_lambda.useragent import parse_user_agent
from raw_store.times import RECEIVED_AT_FIELD, format_epoch_ms, format_time, has_stored_shape

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PROVIDER_IN_TEXT = re.compile(r"providerName\W{1,3}([A-Za-z0-9_-]{1,64})")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What the server knows about a request, independent of its body."""

    request_id: str
    received_at: datetime
    user_agent: str | None = None
    source_ip: str | None = None
    country_header: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


class RequestEnrichment:
    """The enrichment shared by every event of one request, worked out once."""

    def __init__(self, ctx: RequestContext, pseudonymizer: Pseudonymizer) -> None:
        self.ctx = ctx
        self.pseudonymizer = pseudonymizer
        self.received_at = format_time(ctx.received_at)
        self.shared: dict[str, Any] = {RECEIVED_AT_FIELD: self.received_at, "requestId": ctx.request_id}
        if ctx.user_agent:
            # Scrubbed before it is parsed: the parser copies parts of it (device.model) into the event.
            user_agent = pseudonymizer.scrub_text(ctx.user_agent[:1024])
            self.shared["userAgent"] = user_agent
            self.shared["device"] = parse_user_agent(user_agent)
        # CloudFront's answer wins when a distribution stands in front; else the client address's own, looked up
        # here because the address itself is never kept (only its keyed hash, below).
        header = (ctx.country_header or "").strip()
        # ASCII first: upper() turns "ß" into "SS", a code the header never meant.
        header = header.upper() if header.isascii() else ""
        country = header if _COUNTRY.match(header) else country_of(ctx.source_ip)
        if country is not None:
            self.shared["country"] = country
        if ctx.source_ip:
            self.shared["ipHash"] = pseudonymizer.ip_hash(ctx.source_ip)
        self.shared["schemaVersion"] = SCHEMA_VERSION
        # A token's subject or provider can be an address too (some identity providers use the e-mail as `sub`).
        subject = _verified_subject(ctx.claims)
        self.subject = pseudonymizer.scrub_text(subject) if subject is not None else None
        self.identity_source = pseudonymizer.scrub_text(_identity_provider(ctx.claims)) if self.subject else None

    def daily_visitor_id(self, site: str) -> str:
        """This request's visitor on `site` today, for trackers that send no visitor id (ingest_lambda.privacy)."""
        ctx = self.ctx
        return self.pseudonymizer.daily_visitor_id(
            ctx.received_at.date(), site, ctx.source_ip or "", (ctx.user_agent or "")[:1024]
        )

    def enrich(self, raw: dict[str, Any], event: ClickstreamEvent, sanitized: list[str]) -> dict[str, Any]:
        """The stored form of one valid event: the client's fields as sent, plus the server's."""
        out = dict(raw)
        out["eventId"] = event.event_id or str(uuid.uuid4())
        out["eventTimestamp"] = self._event_time(event, out)
        out.update(self.shared)
        if self.subject is not None:
            if event.user_id is not None and event.user_id != self.subject:
                out["clientUserId"] = event.user_id
            out["userId"] = self.subject
            out["userLoginState"] = "logged_in"
            out["identitySource"] = self.identity_source
        elif event.user_login_state is None:
            out["userLoginState"] = "guest"
        if sanitized:
            out["sanitized"] = sanitized
        return out

    def _event_time(self, event: ClickstreamEvent, out: dict[str, Any]) -> str:
        """Client time corrected for clock skew: receivedAt - (sentAt - eventTimestamp), never in the future."""
        received = self.ctx.received_at
        if event.sent_at is not None:
            out["sentAt"] = _canonical(out.get("sentAt"), event.sent_at)
        if event.event_timestamp is None:
            return self.received_at
        out["clientEventTimestamp"] = _canonical(out.get("eventTimestamp"), event.event_timestamp)
        moment = event.event_timestamp
        if event.sent_at is not None:
            moment = received - (event.sent_at - event.event_timestamp)
        return format_time(min(moment, received))


def _canonical(sent: Any, parsed: datetime) -> str:
    """The client's time in the stored format. ``Date.toISOString()`` already writes it (24 characters, UTC, ms),
    so such a string is kept as sent instead of being formatted again; ``Date.now()``'s milliseconds are written
    without a datetime."""
    if isinstance(sent, str) and has_stored_shape(sent):
        return sent
    if type(sent) is int:
        # Epoch milliseconds (validated: `parsed` is their moment), as trackers using Date.now() send them.
        return format_epoch_ms(sent)
    return format_time(parsed)


def _verified_subject(claims: dict[str, Any]) -> str | None:
    sub = claims.get("sub")
    return sub if isinstance(sub, str) and sub else None


def _identity_provider(claims: dict[str, Any]) -> str:
    """``cognito`` for a user-pool login, or the federated provider (``google``, ``facebook``...)."""
    identities = claims.get("identities")
    if isinstance(identities, str):
        try:
            identities = orjson.loads(identities)
        except orjson.JSONDecodeError:
            # HTTP API JWT authorizers may flatten array claims to "[map[providerName:Google ...]]".
            match = _PROVIDER_IN_TEXT.search(identities)
            return match.group(1).lower() if match else "cognito"
    if isinstance(identities, list) and identities and isinstance(identities[0], dict):
        provider = identities[0].get("providerName")
        if isinstance(provider, str) and provider:
            return provider.lower()[:64]
    return "cognito"
