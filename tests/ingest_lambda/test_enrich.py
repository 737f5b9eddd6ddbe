"""Server-side enrichment (ingest_lambda/enrich.py): ids, trusted times, identity, client context."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from ingest_lambda.contract import SCHEMA_VERSION, ClickstreamEvent
from ingest_lambda.enrich import RequestContext, RequestEnrichment
from ingest_lambda.privacy import Pseudonymizer
from raw_store.times import format_time

pytestmark = pytest.mark.unit

RECEIVED_AT = datetime(2025, 12, 6, 5, 12, 34, 567_890, tzinfo=UTC)
RECEIVED_ISO = "2025-12-06T05:12:34.567Z"
SOURCE_IP = "203.0.113.77"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
SEED_EVENT: dict[str, Any] = {
    "eventName": "view_product",
    "userId": "u-123",
    "sessionId": "s-abc",
    "pageUrl": "https://example.com/product/sku-1",
    "referrer": "https://google.com",
    "userLoginState": "guest",
    "product": {"id": "sku-1", "name": "Laptop", "category": "Computers", "brand": "SBW", "price": 1200},
}
SALT = "enrich-test-salt"


def context(**overrides: Any) -> RequestContext:
    fields: dict[str, Any] = {
        "request_id": "req-1",
        "received_at": RECEIVED_AT,
        "user_agent": CHROME,
        "source_ip": SOURCE_IP,
        "country_header": "vn",
        "claims": {},
    }
    fields.update(overrides)
    return RequestContext(**fields)


def enrich(raw: dict[str, Any], ctx: RequestContext | None = None, sanitized: list[str] | None = None) -> dict:
    enrichment = RequestEnrichment(ctx or context(), Pseudonymizer(SALT))
    return enrichment.enrich(raw, ClickstreamEvent.model_validate(raw), sanitized or [])


def minimal(**fields: Any) -> dict[str, Any]:
    return {"eventName": "click", "clientId": "c-1", **fields}


def iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- times ----------------------------------------------------------------------------------------------------


def test_iso_utc_format() -> None:
    assert format_time(RECEIVED_AT) == RECEIVED_ISO
    assert format_time(datetime(2025, 12, 6, 12, 0, tzinfo=UTC)) == "2025-12-06T12:00:00.000Z"


def test_iso_utc_converts_offsets_to_utc() -> None:
    moment = datetime(2025, 12, 6, 12, 12, 34, 567_000, tzinfo=timezone(timedelta(hours=7)))
    assert format_time(moment) == RECEIVED_ISO


def test_received_at_and_request_id() -> None:
    out = enrich(minimal())
    assert out["receivedAt"] == RECEIVED_ISO
    assert out["requestId"] == "req-1"


def test_missing_event_timestamp_becomes_received_at() -> None:
    out = enrich(minimal())
    assert out["eventTimestamp"] == RECEIVED_ISO
    assert "clientEventTimestamp" not in out
    assert "sentAt" not in out


def test_event_timestamp_without_sent_at_is_kept() -> None:
    out = enrich(minimal(eventTimestamp="2025-12-06T05:10:00.000Z"))
    assert out["eventTimestamp"] == "2025-12-06T05:10:00.000Z"
    assert out["clientEventTimestamp"] == "2025-12-06T05:10:00.000Z"


def test_client_clock_two_hours_behind_is_corrected() -> None:
    # The client thinks it is 03:12 when the server receives at 05:12: it clicked 4.567 s before sending.
    sent = RECEIVED_AT - timedelta(hours=2)
    happened = sent - timedelta(seconds=4.567)
    out = enrich(minimal(eventTimestamp=iso_ms(happened), sentAt=iso_ms(sent)))
    assert out["eventTimestamp"] == "2025-12-06T05:12:30.000Z"
    assert out["clientEventTimestamp"] == "2025-12-06T03:12:30.000Z"
    assert out["sentAt"] == "2025-12-06T03:12:34.567Z"


def test_client_clock_ahead_is_corrected_too() -> None:
    sent = RECEIVED_AT + timedelta(days=1)
    out = enrich(minimal(eventTimestamp=iso_ms(sent - timedelta(minutes=1)), sentAt=iso_ms(sent)))
    assert out["eventTimestamp"] == "2025-12-06T05:11:34.567Z"


def test_skew_correction_accepts_epoch_milliseconds() -> None:
    sent_ms = int((RECEIVED_AT - timedelta(hours=2)).timestamp() * 1000)
    out = enrich(minimal(eventTimestamp=sent_ms - 10_000, sentAt=sent_ms))
    assert out["eventTimestamp"] == "2025-12-06T05:12:24.567Z"


def test_event_timestamp_in_the_future_is_clamped_to_received_at() -> None:
    out = enrich(minimal(eventTimestamp="2025-12-06T07:00:00.000Z"))
    assert out["eventTimestamp"] == RECEIVED_ISO
    assert out["clientEventTimestamp"] == "2025-12-06T07:00:00.000Z"


def test_event_after_sent_at_is_clamped_to_received_at() -> None:
    # eventTimestamp later than sentAt is impossible; the correction would land in the future.
    out = enrich(minimal(eventTimestamp="2025-12-06T05:00:10.000Z", sentAt="2025-12-06T05:00:00.000Z"))
    assert out["eventTimestamp"] == RECEIVED_ISO


def test_sent_at_without_event_timestamp_is_recorded() -> None:
    out = enrich(minimal(sentAt="2025-12-06T05:12:30.000Z"))
    assert out["sentAt"] == "2025-12-06T05:12:30.000Z"
    assert out["eventTimestamp"] == RECEIVED_ISO


# --- ids ------------------------------------------------------------------------------------------------------


def test_event_id_is_kept_when_given() -> None:
    assert enrich(minimal(eventId="client-id-42"))["eventId"] == "client-id-42"


def test_event_id_is_a_fresh_uuid4_when_absent() -> None:
    first, second = enrich(minimal())["eventId"], enrich(minimal())["eventId"]
    assert uuid.UUID(first).version == 4
    assert str(uuid.UUID(first)) == first
    assert first != second


def test_client_fields_are_kept_as_sent() -> None:
    out = enrich(dict(SEED_EVENT))
    for key, value in SEED_EVENT.items():
        assert out[key] == value
    assert out["schemaVersion"] == SCHEMA_VERSION


def test_input_dict_is_not_mutated() -> None:
    raw = minimal()
    enrich(raw)
    assert raw == minimal()


def test_sanitized_paths_are_recorded_only_when_present() -> None:
    assert "sanitized" not in enrich(minimal())
    assert enrich(minimal(), sanitized=["properties.note"])["sanitized"] == ["properties.note"]


# --- identity -------------------------------------------------------------------------------------------------


def test_verified_subject_becomes_the_user_id() -> None:
    out = enrich(dict(SEED_EVENT), context(claims={"sub": "cognito-sub-1"}))
    assert out["userId"] == "cognito-sub-1"
    assert out["userLoginState"] == "logged_in"
    assert out["identitySource"] == "cognito"
    assert out["clientUserId"] == "u-123"


def test_client_user_id_is_not_duplicated_when_it_matches() -> None:
    out = enrich(minimal(userId="cognito-sub-1"), context(claims={"sub": "cognito-sub-1"}))
    assert out["userId"] == "cognito-sub-1"
    assert "clientUserId" not in out


def test_subject_without_client_user_id() -> None:
    out = enrich(minimal(), context(claims={"sub": "cognito-sub-1"}))
    assert out["userId"] == "cognito-sub-1"
    assert "clientUserId" not in out


@pytest.mark.parametrize(
    "identities",
    [
        pytest.param(
            json.dumps([{"userId": "1234", "providerName": "Google", "providerType": "Google", "primary": "true"}]),
            id="json-string",
        ),
        pytest.param([{"providerName": "Google", "providerType": "Google"}], id="list"),
    ],
)
def test_federated_identity_provider_is_the_identity_source(identities: Any) -> None:
    out = enrich(minimal(), context(claims={"sub": "s-1", "identities": identities}))
    assert out["identitySource"] == "google"
    assert out["userLoginState"] == "logged_in"


@pytest.mark.parametrize("identities", ["not json", "[]", json.dumps([{"providerType": "Google"}]), 5])
def test_unreadable_identities_fall_back_to_cognito(identities: Any) -> None:
    out = enrich(minimal(), context(claims={"sub": "s-1", "identities": identities}))
    assert out["identitySource"] == "cognito"


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 5}, {"email": "a@b.com"}])
def test_no_verified_subject_and_no_login_state_is_guest(claims: dict[str, Any]) -> None:
    out = enrich(minimal(userId="u-1"), context(claims=claims))
    assert out["userLoginState"] == "guest"
    assert out["userId"] == "u-1"
    assert "identitySource" not in out
    assert "clientUserId" not in out


def test_client_login_state_is_kept_without_claims() -> None:
    assert enrich(dict(SEED_EVENT))["userLoginState"] == "guest"


# --- client context -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "country"), [("vn", "VN"), (" us ", "US"), ("VN", "VN")])
def test_country_header_is_normalised(header: str, country: str) -> None:
    assert enrich(minimal(), context(country_header=header))["country"] == country


@pytest.mark.parametrize("header", ["XXX", "V", "", None, "v1", "ß", "ﬀ"])
def test_invalid_country_header_is_ignored(header: str | None) -> None:
    assert "country" not in enrich(minimal(), context(country_header=header))


def test_ip_is_hashed_and_never_stored() -> None:
    out = enrich(dict(SEED_EVENT))
    assert out["ipHash"] == Pseudonymizer(SALT).ip_hash(SOURCE_IP)
    serialized = orjson.dumps(out).decode()
    assert SOURCE_IP not in serialized
    assert "203.0.113" not in serialized


def test_no_ip_no_ip_hash() -> None:
    assert "ipHash" not in enrich(minimal(), context(source_ip=None))


def test_device_is_parsed_from_the_user_agent() -> None:
    out = enrich(minimal())
    assert out["device"]["type"] == "desktop"
    assert out["device"]["browser"] == "Chrome"
    assert out["device"]["os"] == "Windows"
    assert out["userAgent"] == CHROME


def test_no_user_agent_no_device() -> None:
    out = enrich(minimal(), context(user_agent=None))
    assert "device" not in out
    assert "userAgent" not in out


def test_email_in_the_user_agent_is_scrubbed() -> None:
    out = enrich(minimal(), context(user_agent="MyApp/1.0 (contact: ops@example.com)"))
    assert "ops@example.com" not in out["userAgent"]
    assert Pseudonymizer(SALT).email_token("ops@example.com") in out["userAgent"]


def test_enriched_event_is_serialisable() -> None:
    out = enrich(dict(SEED_EVENT), context(claims={"sub": "s-1"}))
    assert orjson.loads(orjson.dumps(out)) == out
