"""Where visitors are: country (as CloudFront reports it), time zone and a plausible public IP address."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    share: float
    # Whole-hour UTC offsets of the zones most of its people live in; the shop's daily rhythm follows local time.
    utc_offsets: tuple[int, ...]
    # First two octets of address blocks allocated to the country's large ISPs.
    ip_prefixes: tuple[str, ...]


# A US-centred online shop with a long international tail.
COUNTRIES: tuple[Country, ...] = (
    Country("US", 58.0, (-5, -5, -6, -7, -8, -8), ("73.12", "98.207", "24.5", "67.180", "174.63", "71.198", "108.28")),
    Country("CA", 8.0, (-5, -5, -8), ("142.116", "99.231", "24.114")),
    Country("GB", 7.0, (0,), ("81.107", "86.14", "90.217")),
    Country("DE", 4.0, (1,), ("84.150", "87.123", "91.64")),
    Country("FR", 2.5, (1,), ("90.3", "86.246", "78.192")),
    Country("AU", 4.0, (10, 10, 8), ("101.160", "110.174", "124.168")),
    Country("IN", 4.5, (5,), ("49.36", "106.51", "117.96")),
    Country("VN", 3.5, (7,), ("14.161", "113.161", "27.72")),
    Country("JP", 2.0, (9,), ("126.77", "153.242")),
    Country("BR", 2.5, (-3,), ("177.9", "179.218", "187.64")),
    Country("NL", 2.0, (1,), ("84.26", "145.53")),
    Country("MX", 2.0, (-6,), ("187.188", "189.203")),
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
    return Location(country.code, offset, address_in(country.ip_prefixes, rng))


def address_in(prefixes: tuple[str, ...], rng: random.Random) -> str:
    """A host address under one of `prefixes` (two or three octets), never a network or broadcast address."""
    prefix = prefixes[int(rng.random() * len(prefixes))]
    missing = 4 - prefix.count(".") - 1
    octets = [str(int(rng.random() * 256)) for _ in range(missing - 1)] + [str(1 + int(rng.random() * 254))]
    return ".".join([prefix, *octets])
