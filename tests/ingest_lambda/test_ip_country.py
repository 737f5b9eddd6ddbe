"""The country of a client address (ingest_lambda/ip_country.py), from the offline registry data in iptocc."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest_lambda.ip_country import country_of

pytestmark = pytest.mark.unit

# Long-standing delegations (an ISP's or a registry's own block), so a refreshed database still places them.
PLACED = [
    ("8.8.8.8", "US"),
    ("1.0.16.1", "JP"),
    ("81.2.69.160", "GB"),
    ("200.160.2.3", "BR"),
    ("14.161.1.1", "VN"),
    ("49.36.1.1", "IN"),
    ("2001:4860:4860::8888", "US"),
    ("2a00:1450:4001::1", "IE"),
    ("2001:12ff::1", "BR"),
    ("2402:800::1", "VN"),
    ("2409:4040::1", "IN"),
    ("2001:4860:4860:0000:0000:0000:0000:8888", "US"),
    ("::ffff:8.8.8.8", "US"),
    ("::FFFF:81.2.69.160", "GB"),
]

# Private, loopback, link-local, shared, documentation, multicast, unspecified and broadcast: no country.
UNPLACED = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "100.64.0.1",
    "169.254.1.1",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
]

MALFORMED = ["", " ", "8.8.8", "8.8.8.8 ", " 8.8.8.8", "08.8.8.8", "256.1.1.1", "8.8.8.8/32", "fe80::1%eth0",
             "unknown", "::ffff:", "2001:4860::8888::1", "\x00", "ü.ü.ü.ü", "8" * 46,
             "2a00:1450:4001::1" * 3]  # fmt: skip


@pytest.mark.parametrize(("address", "country"), PLACED)
def test_public_addresses_are_placed_in_their_country(address: str, country: str) -> None:
    assert country_of(address) == country


@pytest.mark.parametrize("address", UNPLACED)
def test_reserved_and_private_addresses_have_no_country(address: str) -> None:
    assert country_of(address) is None


@pytest.mark.parametrize("address", MALFORMED)
def test_what_is_no_address_has_no_country(address: str) -> None:
    assert country_of(address) is None


@pytest.mark.parametrize("value", [None, 134744072, b"8.8.8.8", ["8.8.8.8"], {"ip": "8.8.8.8"}])
def test_a_value_that_is_not_text_has_no_country(value: object) -> None:
    # A malformed API Gateway event may carry anything as sourceIp.
    assert country_of(value) is None


@given(st.text(max_size=60))
def test_any_text_gives_a_country_code_or_none(text: str) -> None:
    country = country_of(text)
    assert country is None or (len(country) == 2 and country.isascii() and country.isupper())


# Never delegated to anyone (RFC 1918, 6598, 5737, 3849, 4193, 6666, 4291 and the loopback, link-local, multicast
# ranges). Not Python's is_global: that also counts anycast services such as AS112 (2001:4:112::/48) as not global,
# and the registries place those in the country of their operator.
NOWHERE = [
    ipaddress.ip_network(net)
    for net in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                "192.0.2.0/24", "192.168.0.0/16", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3", "::/127",
                "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8")
]  # fmt: skip


@given(st.one_of(st.ip_addresses(), st.sampled_from(NOWHERE).flatmap(lambda net: st.ip_addresses(network=net))))
def test_any_address_gives_a_country_code_or_none_and_reserved_ones_none(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    country = country_of(str(address))
    assert country is None or (len(country) == 2 and country.isascii() and country.isupper())
    if any(address in net for net in NOWHERE):
        assert country is None, address
