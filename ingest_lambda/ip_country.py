"""The country a client address is in, looked up offline in the iptocc wheel (docs/event-contract.md, "Country").

iptocc compiles the five Regional Internet Registries' delegation files into its extension module: no file to
open, nothing to download, IPv4 and IPv6 in one call. The data sits in the module's read-only pages, so importing
it is the whole load (under 1 ms, once per Lambda container, at init); a lookup is 50-150 ns
(docs/benchmarks.md, "Ingest: the country of an address"). It answers None, never raises, for anything that is
not an address in a block a registry delegated to a country: private, loopback, link-local, documentation and
shared ranges, unallocated space, and text that is no address at all.
"""

from __future__ import annotations

from iptocc import country_code

# The longest spelling of an address: an IPv6 one ending in an IPv4 (RFC 4291, 2.2), 45 characters.
_LONGEST_ADDRESS = 45
# An IPv4 client reaching a dual-stack socket; API Gateway gives the plain IPv4, other front ends may not.
_MAPPED_IPV4 = "::ffff:"


def country_of(address: object) -> str | None:
    """The ISO 3166-1 alpha-2 code of the country `address`'s block is delegated to, or None."""
    if not isinstance(address, str) or len(address) > _LONGEST_ADDRESS:
        return None
    if address[:7].lower() == _MAPPED_IPV4 and "." in address:
        address = address[7:]
    return country_code(address)
