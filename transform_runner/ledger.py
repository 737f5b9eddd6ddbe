"""``ops.transform_runs``: the transform's run ledger (the row's life is warehouse/run_ledger.py's) and its columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.extensions
from psycopg2.extras import Json

from warehouse.run_ledger import RunLedger

TRANSFORM_RUNS = RunLedger("ops.transform_runs", "build")


@dataclass(frozen=True)
class Ending:
    status: str
    finished_at: datetime
    models_built: int = 0
    tests_failed: int = 0
    rows_added: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    freshness_minutes: float | None = None
    newest_event_at: datetime | None = None
    error: str | None = None

    def details(self) -> dict[str, Any]:
        """The transform's own columns of its row."""
        return {
            "models_built": self.models_built,
            "tests_failed": self.tests_failed,
            "rows_added": Json(self.rows_added),
            "rows_written": Json(self.rows_written),
            "freshness_minutes": self.freshness_minutes,
            "newest_event_at": self.newest_event_at,
        }


def record_end(conn: psycopg2.extensions.connection, run_id: str, ending: Ending) -> None:
    TRANSFORM_RUNS.record_end(
        conn, run_id, status=ending.status, finished_at=ending.finished_at, error=ending.error, details=ending.details()
    )
