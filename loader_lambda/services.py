"""What the loader handler works with, and the one place that builds it: the Lambda's composition seam.

In AWS the services are built from the environment (``LoaderSettings``, ``WarehouseSettings``) on the first
invocation and kept for the life of the execution environment. Tests and local tools build their own with
`build_services` (or assemble a `LoaderServices`, e.g. around a store that fails on purpose) and install it with
`set_services` or, for a bounded stretch, `override_services`: the handler never needs its environment or caches
touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from loader_lambda.settings import LoaderSettings
from raw_store import RawStore
from warehouse.connection import WarehouseSettings


@dataclass(frozen=True, slots=True)
class LoaderServices:
    settings: LoaderSettings
    store: RawStore
    warehouse: WarehouseSettings


def build_services(
    settings: LoaderSettings, warehouse: WarehouseSettings, *, store: RawStore | None = None
) -> LoaderServices:
    """The services `settings` describe; `store`, when given, replaces the one its store URL would open."""
    return LoaderServices(settings=settings, store=store or settings.open_store(), warehouse=warehouse)


_lock = threading.Lock()
_installed: LoaderServices | None = None


def get_services() -> LoaderServices:
    """The installed services, built from the environment on first use when none were installed."""
    global _installed  # noqa: PLW0603 -- one per execution environment, as the Lambda runtime keeps it
    services = _installed
    if services is not None:
        return services
    with _lock:
        if _installed is None:
            _installed = build_services(LoaderSettings(), WarehouseSettings())
        return _installed


def set_services(services: LoaderServices | None) -> None:
    """Install `services` for every later invocation; None goes back to building them from the environment."""
    global _installed  # noqa: PLW0603
    with _lock:
        _installed = services


@contextmanager
def override_services(services: LoaderServices | None) -> Iterator[LoaderServices | None]:
    """`services` for the duration of the block, then whatever was installed before.

    None installs nothing: the services are built from the environment when first needed, and discarded after.
    """
    global _installed  # noqa: PLW0603
    with _lock:
        previous, _installed = _installed, services
    try:
        yield services
    finally:
        with _lock:
            _installed = previous
