"""Pseudonymise what could identify a person before anything is written.

The client IP is never stored: only a keyed hash of it. Any e-mail address, wherever it appears in a string
(a userId, a search query, ``?email=`` in a URL, URL-encoded or not), is replaced by ``email:<hash>``. The hash is
HMAC-SHA256 keyed with a secret salt, so the same address always maps to the same token (joins still work) but
cannot be reversed by hashing a list of known addresses without the salt.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote

# Every quantifier is bounded (RFC 5321: local part <= 64, labels <= 63): with unbounded runs, one long string
# without an address cost quadratic time (a 64k-character title took 40 s); bounded, the scan stays linear.
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}(?:@|%40)"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,8}"
    r"\.[A-Za-z]{2,24}",
    re.ASCII,
)


class Pseudonymizer:
    def __init__(self, salt: str) -> None:
        if not salt:
            raise ValueError("the hashing salt must not be empty")
        self._key = salt.encode()

    def _digest(self, domain: str, value: str) -> str:
        return hmac.new(self._key, f"{domain}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def ip_hash(self, ip: str) -> str:
        return self._digest("ip", ip.strip().lower())

    def email_token(self, address: str) -> str:
        return "email:" + self._digest("email", unquote(address).strip().lower())

    def scrub_text(self, text: str) -> str:
        if "@" not in text and "%40" not in text:
            return text
        return _EMAIL.sub(lambda match: self.email_token(match.group(0)), text)

    def scrub(self, value: Any) -> Any:
        """`value` with every e-mail address in every string (keys included) replaced by its token."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {self.scrub_text(key): self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value
