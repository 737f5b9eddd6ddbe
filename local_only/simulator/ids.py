"""Identifiers drawn from a seeded RNG, shaped like the real ones (uuid4, API Gateway request ids, trace ids).

``uuid.uuid4()`` reads the OS entropy pool, which would make output differ between runs; these take the random
bits from the caller's RNG instead. One is minted for nearly every event, hence the string slicing rather than
``uuid.UUID``.
"""

from __future__ import annotations

import base64
import random

_VERSION_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


def uuid4_from(bits: int) -> str:
    """A version-4, RFC 4122 variant UUID string made from 128 random bits (equal to ``uuid.UUID(int=bits,
    version=4)``)."""
    h = f"{(bits & _VERSION_MASK) | _VERSION_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def api_request_id(rng: random.Random) -> str:
    """An HTTP API request id, e.g. ``JY2Q0iRvIAMEVwg=``: 11 random bytes in base64."""
    return base64.b64encode(rng.getrandbits(88).to_bytes(11, "big")).decode()


def trace_id(epoch_ms: int, rng: random.Random) -> str:
    """An X-Ray trace header value: the request's epoch seconds in hex and 96 random bits."""
    return f"Root=1-{epoch_ms // 1000:08x}-{rng.getrandbits(96):024x}"
