"""Where visitors are: country, time zone and a public IP address (IPv4 or IPv6) that the ingest's offline lookup
places in that country (local_only/simulator/addresses.py)."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate

from local_only.simulator.addresses import address_in_country


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    share: float
    # Whole-hour UTC offsets of the zones most of its people live in; the shop's daily rhythm follows local time.
    utc_offsets: tuple[int, ...]


# A US-centred online shop with a long international tail.
COUNTRIES: tuple[Country, ...] = (
    Country("US", 58.0, (-5, -5, -6, -7, -8, -8)),
    Country("CA", 8.0, (-5, -5, -8)),
    Country("GB", 7.0, (0,)),
    Country("DE", 4.0, (1,)),
    Country("FR", 2.5, (1,)),
    Country("AU", 4.0, (10, 10, 8)),
    Country("IN", 4.5, (5,)),
    Country("VN", 3.5, (7,)),
    Country("JP", 2.0, (9,)),
    Country("BR", 2.5, (-3,)),
    Country("NL", 2.0, (1,)),
    Country("MX", 2.0, (-6,)),
)
_CUMULATIVE = tuple(accumulate(c.share for c in COUNTRIES))


@dataclass(frozen=True, slots=True)
class Location:
    country: str
    utc_offset: int
    ip: str


def locate(rng: random.Random) -> Location:
    country = COUNTRIES[bisect(_CUMULATIVE, rng.random() * _CUMULATIVE[-1])]
    offset = country.utc_offsets[int(rng.random() * len(country.utc_offsets))]
    return Location(country.code, offset, address_in_country(country.code, rng))


def address_in(prefixes: tuple[str, ...], rng: random.Random) -> str:
    """A host address under one of `prefixes` (two or three octets), never a network or broadcast address: a
    crawler's or a cloud host's published ranges."""
    prefix = prefixes[int(rng.random() * len(prefixes))]
    missing = 4 - prefix.count(".") - 1
    octets = [str(int(rng.random() * 256)) for _ in range(missing - 1)] + [str(1 + int(rng.random() * 254))]
    return ".".join([prefix, *octets])
