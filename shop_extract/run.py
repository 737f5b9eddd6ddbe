"""One extract run: take the extract lock, record the attempt, run the pipeline, record how it ended."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from psycopg2.extras import Json

from shop_extract.pipeline import Loaded, load_shop
from shop_extract.settings import ShopExtractSettings
from warehouse.advisory_lock import EXTRACT_LOCK
from warehouse.connection import WarehouseSettings
from warehouse.run_ledger import Attempt, RunLedger

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCK_TIMEOUT = 3
EXIT_UNREACHABLE = 4

log = logging.getLogger("clickstream.shop_extract")

# One row per extract attempt, as ops.transform_runs has one per build; its own columns: full_refresh,
# rows_extracted ({"order": 120, ...}: rows each table's extract read, the overlap included), load_ids (dlt's).
SHOP_EXTRACT_RUNS = RunLedger("ops.shop_extract_runs", "extract")


@dataclass(frozen=True)
class ExtractOutcome:
    run_id: str
    status: str  # success, failed, lock_timeout
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return {"success": EXIT_OK, "lock_timeout": EXIT_LOCK_TIMEOUT}.get(self.status, EXIT_FAILED)

    def describe(self) -> str:
        read = ", ".join(f"{table} {count:,}" for table, count in sorted(self.rows.items())) or "nothing changed"
        line = f"shop extract {self.status} in {self.seconds:.1f} s (run {self.run_id}): {read}"
        return line + (f"\n  error: {self.error}" if self.error else "")


def _now() -> datetime:
    return datetime.now(UTC)


def run_extract(
    settings: ShopExtractSettings,
    warehouse: WarehouseSettings,
    *,
    trigger: str = "cli",
    full_refresh: bool = False,
) -> ExtractOutcome:
    """Raises WarehouseUnreachable (nothing done) and LedgerMissing (not migrated); any other failure of the
    pipeline is recorded and returned as a failed outcome."""
    attempt = Attempt(str(uuid.uuid4()), trigger, _now(), {"full_refresh": full_refresh})
    conn = warehouse.connect_or_unreachable()
    conn.autocommit = True
    try:
        if not EXTRACT_LOCK.acquire(conn, settings.extract_lock_timeout_seconds):
            gave_up = _now()
            SHOP_EXTRACT_RUNS.record_lock_timeout(conn, attempt, gave_up, "another extract held the lock")
            seconds = (gave_up - attempt.started_at).total_seconds()
            waited = f"another extract held the lock for {settings.extract_lock_timeout_seconds:g} s"
            return ExtractOutcome(attempt.run_id, "lock_timeout", seconds, error=waited)
        try:
            SHOP_EXTRACT_RUNS.record_start(conn, attempt, _now())
            SHOP_EXTRACT_RUNS.close_abandoned(conn, attempt.run_id, _now())
            error: str | None = None
            try:
                loaded = load_shop(settings, warehouse, full_refresh=full_refresh)
                status = "success"
            except Exception as exc:  # dlt wraps every step's failure in its own exceptions; all are recorded
                log.exception("shop extract failed")
                loaded, status, error = Loaded({}, []), "failed", f"{type(exc).__name__}: {exc}"[:4000]
            finished = _now()
            SHOP_EXTRACT_RUNS.record_end(
                conn,
                attempt.run_id,
                status=status,
                finished_at=finished,
                error=error,
                details={"rows_extracted": Json(loaded.rows), "load_ids": loaded.load_ids},
            )
            seconds = (finished - attempt.started_at).total_seconds()
            return ExtractOutcome(attempt.run_id, status, seconds, loaded.rows, loaded.load_ids, error)
        finally:
            EXTRACT_LOCK.release(conn)
    finally:
        conn.close()
