"""The one salt local tools hash client IPs with when ``HASH_SALT`` is not set.

`clickstream serve` and `clickstream generate` both feed the real ingest handler, which refuses to start without a
salt. Locally they fall back to this one, so the ``ipHash`` of an address is the same whichever of the two wrote the
event and local data joins across them. It is public (it is in this file), so an ``ipHash`` made with it can be
reversed by hashing candidate addresses: anything reachable from other machines must set its own ``HASH_SALT``.
"""

from __future__ import annotations

import os

HASH_SALT_VARIABLE = "HASH_SALT"
# The value `clickstream generate` always used, so stores made before this module keep joining with new data.
LOCAL_HASH_SALT = "local-dev-salt"


def hash_salt_is_set() -> bool:
    """Whether the environment names a salt of its own (an empty value does not count: the ingest refuses it)."""
    return bool(os.environ.get(HASH_SALT_VARIABLE))


def use_local_salt_if_unset() -> bool:
    """Set ``HASH_SALT`` to the local default when the environment has none; True when it did."""
    if hash_salt_is_set():
        return False
    os.environ[HASH_SALT_VARIABLE] = LOCAL_HASH_SALT
    return True
