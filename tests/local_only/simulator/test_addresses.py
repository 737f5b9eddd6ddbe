"""Visitors' addresses (local_only/simulator/addresses.py): placed by the ingest's own lookup in their country."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace

import pytest

from ingest_lambda.ip_country import country_of
from local_only.simulator.addresses import IPV6_SHARE, address_in_country, country_blocks
from local_only.simulator.geography import COUNTRIES, locate
from local_only.simulator.plan import TrafficOptions, UnitTraffic, unit_traffic

pytestmark = pytest.mark.unit

CODES = [country.code for country in COUNTRIES]


@pytest.mark.parametrize("code", CODES)
def test_every_country_of_the_shop_has_ipv4_and_ipv6_blocks(code: str) -> None:
    blocks = country_blocks()[code]
    assert blocks.ipv4 and blocks.ipv6


@pytest.mark.parametrize("code", CODES)
def test_addresses_are_public_and_the_lookup_places_them_in_their_country(code: str) -> None:
    rng = random.Random(code)
    addresses = [address_in_country(code, rng) for _ in range(300)]

    assert {country_of(address) for address in addresses} == {code}
    parsed = [ipaddress.ip_address(address) for address in addresses]
    assert all(address.is_global for address in parsed)
    assert len(set(addresses)) == len(addresses)
    versions = [address.version for address in parsed]
    assert 0.3 < versions.count(6) / len(versions) < 0.6, versions.count(6)


def test_the_same_seed_gives_the_same_addresses() -> None:
    first = [locate(random.Random(f"7-{i}")) for i in range(200)]
    again = [locate(random.Random(f"7-{i}")) for i in range(200)]
    other = [locate(random.Random(f"8-{i}")) for i in range(200)]

    assert first == again
    assert [location.ip for location in first] != [location.ip for location in other]


def test_an_address_takes_the_same_draws_whatever_it_needed() -> None:
    # 192 bits, the three random() calls the address took before: the rest of a seed's traffic stays as it was.
    for code in CODES:
        for seed in range(50):
            drawn, reference = random.Random(seed), random.Random(seed)
            address_in_country(code, drawn)
            for _ in range(3):
                reference.random()
            assert drawn.getstate() == reference.getstate()


def test_a_country_the_database_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        address_in_country("XX", random.Random(1))


def test_located_visitors_are_where_the_lookup_puts_them() -> None:
    rng = random.Random(12)
    locations = [locate(rng) for _ in range(2_000)]

    assert all(country_of(location.ip) == location.country for location in locations)
    assert {location.country for location in locations} == set(CODES)
    ipv6 = sum(":" in location.ip for location in locations) / len(locations)
    assert abs(ipv6 - IPV6_SHARE) < 0.05


def test_requests_carry_no_cloudfront_country_unless_asked(options: TrafficOptions, traffic: list[UnitTraffic]) -> None:
    unit = traffic[0]
    plain = unit.requests
    with_header = unit_traffic(replace(options, cloudfront_country=True), unit.unit).requests

    assert not [r for r in plain if "cloudfront-viewer-country" in r.event["headers"]]
    visitors = {visit.visitor.location.ip: visit.visitor.location for visit in unit.unit.visits}
    for request in with_header:
        location = visitors[request.event["requestContext"]["http"]["sourceIp"]]
        assert request.event["headers"]["cloudfront-viewer-country"] == location.country
    # Only the header differs: the same requests otherwise.
    assert [r.event["headers"] | {"cloudfront-viewer-country": "-"} for r in with_header] == [
        r.event["headers"] | {"cloudfront-viewer-country": "-"} for r in plain
    ]
