"""The one salt local tools hash client IPs with when ``HASH_SALT`` is not set.

`clickstream serve` and `clickstream generate` both feed the real ingest handler, which refuses to start without a
salt. Locally they fall back to this one, so the ``ipHash`` of an address is the same whichever of the two wrote the
event and local data joins across them. It is public (it is in this file), so an ``ipHash`` made with it can be
reversed by hashing candidate addresses: anything reachable from other machines must set its own ``HASH_SALT``.
The salt reaches the ingest through its services (``ingest_lambda.services``), never through the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

HASH_SALT_VARIABLE = "HASH_SALT"
# The value `clickstream generate` always used, so stores made before this module keep joining with new data.
LOCAL_HASH_SALT = "local-dev-salt"


@dataclass(frozen=True, slots=True)
class LocalSalt:
    value: str
    # True when nothing named a salt and the public LOCAL_HASH_SALT is in use.
    public: bool


def local_salt(explicit: str | None = None) -> LocalSalt:
    """`explicit`, else ``HASH_SALT`` from the environment, else the public local default.

    An empty value does not count as a salt (the ingest refuses it).
    """
    chosen = explicit or os.environ.get(HASH_SALT_VARIABLE)
    return LocalSalt(chosen, public=False) if chosen else LocalSalt(LOCAL_HASH_SALT, public=True)
