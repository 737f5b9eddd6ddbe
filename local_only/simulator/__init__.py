"""Seeded, deterministic synthetic shop traffic, sent through the real ingest Lambda handler.

``generate`` runs it into a store; ``iter_requests`` is the pure generator of API Gateway events (no I/O);
``scripted_run`` is what the tracker's emulation sends for one scripted visit (scripted.py).
"""

from local_only.simulator.plan import TrafficOptions, iter_requests
from local_only.simulator.run import GenerationSummary, generate
from local_only.simulator.scripted import scripted_run

__all__ = ["GenerationSummary", "TrafficOptions", "generate", "iter_requests", "scripted_run"]
