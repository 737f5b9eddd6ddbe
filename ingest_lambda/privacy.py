"""Pseudonymise what could identify a person before anything is written.

The client IP is never stored: only a keyed hash of it. Any e-mail address, wherever it appears in a string
(a userId, a search query, ``?email=`` in a URL, URL-encoded or not), is replaced by ``email:<hash>``. The hash is
HMAC-SHA256 keyed with a secret salt, so the same address always maps to the same token (joins still work) but
cannot be reversed by hashing a list of known addresses without the salt. What counts as an address, in which
spellings, and why the search is linear in the text: ingest_lambda/emails.py.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import date
from typing import Any

from ingest_lambda.emails import find_addresses, may_hold_address, normalise_address

# An IPv4 address already in its one spelling (no leading zero, each part at most 255): what API Gateway's
# ``sourceIp`` almost always is, and what ``ipaddress`` would give back, at a tenth of its cost.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def canonical_ip(ip: str) -> str:
    """One spelling per address: ``2001:0db8:0:0::1`` is ``2001:db8::1`` and ``::ffff:192.0.2.1`` is
    ``192.0.2.1``, so that one client gets one ``ipHash``; what does not parse is trimmed and lower-cased."""
    if _CANONICAL_IPV4.fullmatch(ip):
        return ip
    return canonical_by_ipaddress(ip)


def canonical_by_ipaddress(ip: str) -> str:
    """`canonical_ip` without its shortcut: what ``ipaddress`` reads in `ip`."""
    text = ip.strip().lower()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class Pseudonymizer:
    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("the hashing salt must not be empty")
        # Keyed once; each digest copies this state instead of keying a new HMAC (the key schedule is half the cost).
        self._hmac = hmac.new(salt.encode(), digestmod=hashlib.sha256)

    def _digest(self, domain: str, value: str) -> str:
        # surrogatepass: a lone surrogate (an unrepaired JSON escape) must cost nothing but its own hash.
        message = f"{domain}:{value}".encode("utf-8", "surrogatepass")
        digest = self._hmac.copy()
        digest.update(message)
        return digest.hexdigest()[:32]

    def ip_hash(self, ip: str) -> str:
        return self._digest("ip", canonical_ip(ip))

    def daily_visitor_id(self, day: date, site: str, ip: str, user_agent: str) -> str:
        """A visitor id for trackers that send none (Plausible), derived as Plausible derives its own: a keyed hash
        of the day, the site, the address and the user agent. The day is part of what is hashed, so the salt in
        effect rotates daily: the same browser is a new visitor each day, and without the secret salt no id can
        be linked to an address or to another day's id."""
        return "v-" + self._digest("visitor", f"{day.isoformat()}|{site}|{canonical_ip(ip)}|{user_agent}")

    def email_token(self, address: str) -> str:
        """The token of an address in any spelling (see ingest_lambda.emails): one person, one token."""
        return "email:" + self._digest("email", normalise_address(address))

    def scrub_text(self, text: str) -> str:
        # The first test inline: most strings hold none of these, and then no call is made at all.
        plain = "@" not in text and "%" not in text and "&" not in text and "\\" not in text and text.isascii()
        if plain or not may_hold_address(text):
            return text
        parts = []
        done = 0
        for start, end, address in find_addresses(text):
            parts.append(text[done:start])
            parts.append("email:" + self._digest("email", address))
            done = end
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)

    def scrub(self, value: Any) -> Any:
        """`value` with every e-mail address in every string (keys included) replaced by its token.

        Recursive: callers pass only values whose depth is bounded (ingest_lambda.nesting checks it first)."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {self.scrub_text(key): self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value
