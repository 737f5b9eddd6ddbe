"""What the ingest handler works with, and the one place that builds it: the Lambda's composition seam.

In AWS the services are built from the environment (``IngestSettings``) on the first request and kept for the life
of the execution environment. Everything else that runs the handler (tests, ``clickstream serve``, ``clickstream
generate``, the benchmarks) builds its own with `build_services`, or assembles an `IngestServices` directly, and
installs it with `set_services` or, for a bounded stretch, `override_services`: the handler never needs its
environment or caches touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ingest_lambda.ingest import IngestLimits
from ingest_lambda.privacy import Pseudonymizer
from ingest_lambda.settings import IngestSettings
from raw_store import RawStore


@dataclass(frozen=True, slots=True)
class IngestServices:
    store: RawStore
    pseudonymizer: Pseudonymizer
    limits: IngestLimits
    # The write keys / app ids a dialect's request may name (IngestSettings.write_keys); empty: any.
    write_keys: frozenset[str] = frozenset()


def build_services(settings: IngestSettings, *, store: RawStore | None = None) -> IngestServices:
    """The services `settings` describe; `store`, when given, replaces the one its store URL would open."""
    if store is None:
        store = settings.open_store()
    limits = IngestLimits(settings.max_body_bytes, settings.max_batch_events)
    return IngestServices(
        store=store,
        pseudonymizer=Pseudonymizer(settings.resolve_salt()),
        limits=limits,
        write_keys=settings.write_key_set(),
    )


_lock = threading.Lock()
_installed: IngestServices | None = None


def get_services() -> IngestServices:
    """The installed services, built from the environment on first use when none were installed."""
    global _installed  # noqa: PLW0603 -- one per execution environment, as the Lambda runtime keeps it
    services = _installed
    if services is not None:
        return services
    with _lock:
        if _installed is None:
            _installed = build_services(IngestSettings())
        return _installed


def set_services(services: IngestServices | None) -> None:
    """Install `services` for every later request; None goes back to building them from the environment."""
    global _installed  # noqa: PLW0603
    with _lock:
        _installed = services


@contextmanager
def override_services(services: IngestServices | None) -> Iterator[IngestServices | None]:
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
