"""The local stand-in for API Gateway's JWT authorizer: claims passed on as strings, bad tokens refused."""

from __future__ import annotations

import base64

import orjson
import pytest

from local_only.jwt_authorizer import Unauthorized, claims_from_authorization

pytestmark = pytest.mark.unit

NOW = 1_800_000_000


def bearer(payload: bytes) -> str:
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"Bearer eyJhbGciOiJSUzI1NiJ9.{encoded}.sig"


def test_claims_are_passed_on_as_strings_as_the_http_api_does() -> None:
    claims = {
        "sub": "abc",
        "exp": NOW + 60,
        "email_verified": True,
        "identities": [{"providerName": "Google"}],
    }
    assert claims_from_authorization(bearer(orjson.dumps(claims)), NOW) == {
        "sub": "abc",
        "exp": str(NOW + 60),
        "email_verified": "true",
        "identities": '[{"providerName":"Google"}]',
    }


def test_an_expiry_written_as_a_string_counts() -> None:
    assert claims_from_authorization(bearer(orjson.dumps({"sub": "a", "exp": str(NOW + 1)})), NOW)["sub"] == "a"


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "no Authorization"),
        ("", "no Authorization"),
        ("Token abc", "not 'Bearer"),
        ("Bearer ", "not 'Bearer"),
        ("Bearer a.b", "not a JWT"),
        ("Bearer a.!!!.c", "not base64url JSON"),
        (bearer(b"[1, 2]"), "not a JSON object"),
        (bearer(b"\xff\xfe"), "not base64url JSON"),
        (bearer(orjson.dumps({"sub": "a", "exp": NOW})), "expired"),
        (bearer(orjson.dumps({"sub": "a", "exp": True})), "expired"),
        (bearer(orjson.dumps({"sub": "a"})), "no numeric exp"),
    ],
)
def test_unusable_tokens_are_refused_with_the_reason(header: str | None, why: str) -> None:
    with pytest.raises(Unauthorized, match=why):
        claims_from_authorization(header, NOW)
