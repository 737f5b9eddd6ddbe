"""The CORS policy of `clickstream serve`: which origins, and the headers every answer and preflight gets."""

from __future__ import annotations

import pytest

from local_only.cors import (
    ALLOWED_HEADERS,
    ORIGINS_ENV,
    CorsPolicy,
    InvalidOrigin,
    origin_in_head,
    origins_from_env,
    parse_origins,
)

pytestmark = pytest.mark.unit

SHOP = "https://shop.example.com"
LOCAL = "http://localhost:3000"
POLICY = CorsPolicy.of([SHOP, LOCAL])


def test_origins_are_split_normalized_and_deduplicated() -> None:
    assert parse_origins(["https://Shop.Example.com/, http://localhost:3000", "https://shop.example.com"]) == (
        SHOP,
        LOCAL,
    )
    assert parse_origins(["http://[::1]:8080", "http://127.0.0.1:8080"]) == (
        "http://[::1]:8080",
        "http://127.0.0.1:8080",
    )
    assert parse_origins(["", " , "]) == ()


@pytest.mark.parametrize(
    "value", ["*", "shop.example.com", "https://shop.example.com/path", "ftp://shop.example.com", "null", "https://"]
)
def test_a_wildcard_or_anything_but_an_origin_is_refused(value: str) -> None:
    with pytest.raises(InvalidOrigin, match="not an origin"):
        parse_origins([value])


def test_origins_from_the_environment_are_comma_separated() -> None:
    assert origins_from_env({ORIGINS_ENV: f"{SHOP},{LOCAL}"}) == (SHOP, LOCAL)
    assert origins_from_env({}) == ()
    with pytest.raises(InvalidOrigin):
        origins_from_env({ORIGINS_ENV: "*"})


def test_an_allowed_origin_is_echoed_with_credentials_never_a_wildcard() -> None:
    headers = POLICY.headers(LOCAL)
    assert headers["Access-Control-Allow-Origin"] == LOCAL
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "retry-after" in headers["Access-Control-Expose-Headers"]
    assert headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", [None, "", "https://evil.example", "https://shop.example.com.evil.example", "null"])
def test_any_other_origin_gets_only_vary(origin: str | None) -> None:
    assert POLICY.headers(origin) == {"Vary": "Origin"}


def test_matching_is_exact_not_a_prefix_nor_case_folded() -> None:
    # Browsers send an origin serialized in lower case without a slash: anything else is not that origin.
    assert not POLICY.allows(SHOP + "/")
    assert not POLICY.allows("https://shop.example.com:8443")
    assert not POLICY.allows("http://shop.example.com")


def test_no_origins_allows_none() -> None:
    assert CorsPolicy().headers(SHOP) == {"Vary": "Origin"}


def test_preflight_from_an_allowed_origin_echoes_the_allowed_requested_headers() -> None:
    answer = POLICY.preflight(SHOP, "Content-Type, Authorization, X-Custom", ("POST", "OPTIONS"))
    assert answer.status == 204
    assert answer.refusal is None
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    # x-custom is not allowed: left out, so that the browser names it as the reason it refuses.
    assert answer.headers["Access-Control-Allow-Headers"] == "content-type, authorization"
    assert int(answer.headers["Access-Control-Max-Age"]) > 0
    assert answer.headers["Vary"].startswith("Origin")


def test_preflight_echoes_every_allowed_header_and_none_when_none_is_requested() -> None:
    every = POLICY.preflight(SHOP, ", ".join(ALLOWED_HEADERS), ("POST",))
    assert every.headers["Access-Control-Allow-Headers"] == ", ".join(ALLOWED_HEADERS)
    assert "Access-Control-Allow-Headers" not in POLICY.preflight(SHOP, None, ("POST",)).headers


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_preflight_from_another_origin_is_refused_and_says_why(origin: str | None) -> None:
    answer = POLICY.preflight(origin, "content-type", ("POST", "OPTIONS"))
    assert answer.status == 403
    assert answer.refusal is not None
    assert "not allowed" in answer.refusal and "--allow-origin" in answer.refusal
    assert not any(name.startswith("Access-Control-") for name in answer.headers)
    assert "Origin" in answer.headers["Vary"]


def test_the_origin_of_a_raw_head_read_so_far() -> None:
    head = b"POST /clickstream HTTP/1.1\r\nHost: x\r\norigin:  https://shop.example.com \r\nCookie: a=b"
    assert origin_in_head(head) == SHOP
    assert POLICY.refusal_headers(head)["Access-Control-Allow-Origin"] == SHOP
    # Cut short inside the Origin line: half an origin is no origin.
    assert origin_in_head(b"POST / HTTP/1.1\r\nOrigin: https://shop.exa") is None
    # The request line is not a header, whatever it holds.
    assert origin_in_head(b"GET /Origin: https://shop.example.com\r\n") is None
    assert origin_in_head(b"") is None
    assert POLICY.refusal_headers(b"") == {"Vary": "Origin"}
