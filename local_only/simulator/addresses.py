"""Client addresses that the ingest's own lookup (``ingest_lambda.ip_country``) places in a given country.

The blocks come from the lookup's database itself, probed once per process (a few tenths of a second): each IPv4
/16 and each IPv6 /32 at the start of a /24, inside the /16s the registries delegate from, kept when the lookup
places both its first and its last address in the same country. A visitor's address is drawn inside a block of its
country and checked with the lookup, so the ingest stores the visitor's own country whatever release of the
database is installed; the same seed and the same database give the same addresses.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from iptocc import country_code

from ingest_lambda.ip_country import country_of

# About the share of visitors who reach sites over IPv6 (Google's measurement, 2025: 45-50 %).
IPV6_SHARE = 0.45
# Further draws, from an RNG of the address's own, when the first lands outside the country (a block split
# between countries below the probes' resolution); then a probe address, which the lookup placed already.
_RETRIES = 8
_IPV4_FIRST_OCTETS = range(1, 224)  # unicast; 0/8 and the multicast and reserved ranges above have no country
_IPV6_FIRST_HEXTETS = range(0x2000, 0x3000)  # 2000::/4, all the registries delegate from
_HOST_BITS = 128
_WORD = 2**32
_Spelling = Callable[[int], str]


@dataclass(frozen=True, slots=True)
class CountryBlocks:
    """A country's blocks: IPv4 /16s as their top 16 bits, IPv6 /32s as their top 32 bits."""

    ipv4: tuple[int, ...]
    ipv6: tuple[int, ...]


@cache
def country_blocks() -> dict[str, CountryBlocks]:
    """Every country the database knows, with the blocks the probes found wholly there."""
    ipv4 = _whole_blocks(
        [first << 8 | second for first in _IPV4_FIRST_OCTETS for second in range(256)],
        lambda p: f"{p >> 8}.{p & 0xFF}.0.1",
        lambda p: f"{p >> 8}.{p & 0xFF}.255.254",
    )
    # Which /16s hold delegations at all (16 probes each), then a /32 at the start of every /24 inside those.
    coarse = [hextet << 16 | low for hextet in _IPV6_FIRST_HEXTETS for low in range(0, 0x10000, 0x1000)]
    found = country_code([_ipv6_first(p) for p in coarse])
    delegated = sorted({prefix >> 16 for prefix, country in zip(coarse, found, strict=True) if country is not None})
    ipv6 = _whole_blocks(
        [hextet << 16 | low for hextet in delegated for low in range(0, 0x10000, 0x100)],
        _ipv6_first,
        lambda p: f"{p >> 16:x}:{p & 0xFFFF:x}:ffff:ffff:ffff:ffff:ffff:fffe",
    )
    return {
        country: CountryBlocks(tuple(ipv4.get(country, ())), tuple(ipv6.get(country, ())))
        for country in sorted(ipv4.keys() | ipv6.keys())
    }


def _ipv6_first(prefix: int) -> str:
    return f"{prefix >> 16:x}:{prefix & 0xFFFF:x}::1"


def _whole_blocks(prefixes: list[int], first: _Spelling, last: _Spelling) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = {}
    starts = country_code([first(p) for p in prefixes])
    ends = country_code([last(p) for p in prefixes])
    for prefix, start, end in zip(prefixes, starts, ends, strict=True):
        if start is not None and start == end:
            blocks.setdefault(start, []).append(prefix)
    return blocks


def address_in_country(country: str, rng: random.Random) -> str:
    """An IPv4 or IPv6 address the lookup places in `country`.

    Takes 192 bits from `rng`, the six 32-bit words of the three ``random()`` draws an address took before the
    lookup existed, so the rest of a seed's traffic is unchanged by it and by how many tries an address needs.
    """
    bits = rng.getrandbits(192)
    blocks = country_blocks().get(country)
    if blocks is None or not (blocks.ipv4 or blocks.ipv6):
        raise ValueError(f"the country database has no whole block in {country!r}")
    use_ipv6 = bool(blocks.ipv6) and ((bits >> 160) / _WORD < IPV6_SHARE or not blocks.ipv4)
    pool = blocks.ipv6 if use_ipv6 else blocks.ipv4
    spell = _ipv6_in if use_ipv6 else _ipv4_in
    pick = (bits >> _HOST_BITS & 0xFFFFFFFF) * len(pool) // _WORD
    host = bits & (2**_HOST_BITS - 1)
    address = spell(pool[pick], host)
    if country_of(address) == country:
        return address
    own = random.Random(host)
    for _ in range(_RETRIES):
        address = spell(pool[int(own.random() * len(pool))], own.getrandbits(_HOST_BITS))
        if country_of(address) == country:
            return address
    return _ipv6_first(pool[pick]) if use_ipv6 else f"{pool[pick] >> 8}.{pool[pick] & 0xFF}.0.1"


def _ipv4_in(prefix: int, host: int) -> str:
    # A host address: neither the .0 nor the .255 of its /24, which some networks still treat as special.
    return f"{prefix >> 8}.{prefix & 0xFF}.{host & 0xFF}.{1 + (host >> 8) % 254}"


def _ipv6_in(prefix: int, host: int) -> str:
    # A customer's /48 and /64 in the ISP's /32 and a random interface id (RFC 8981 temporary addresses), written
    # out in full: every hextet, no "::" (the ingest hashes the canonical form, whatever the spelling).
    return f"{prefix >> 16:x}:{prefix & 0xFFFF:x}:" + ":".join(
        f"{host >> shift & 0xFFFF:x}" for shift in range(80, -1, -16)
    )
