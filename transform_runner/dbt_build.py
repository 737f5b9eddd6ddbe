"""``dbt build`` in-process (dbt's ``dbtRunner``), and what its results say: models built, tests failed, rows.

The project is parsed once and the manifest handed to the build, so the incremental marts can be counted before
the build without parsing twice. dbt reads the warehouse from ``DW_PG_*`` in ``dbt_project/profiles.yml``; those
variables are set from the transform's own settings for the duration of the call, so dbt always connects as the
same role as the ledger and the lock, and an SSM-parameter password works for dbt too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from warehouse.connection import WarehouseSettings

_BUILT = {"success"}
_TEST_FAILED = {"fail", "error", "runtime error"}
_NOT_A_PROBLEM = {"success", "pass", "skipped", "warn", "no-op"}
# The mart folder: rows added are reported for the incremental models under models/marts/.
_MARTS_FOLDER = "marts"
_MESSAGE_CHARS = 1000


class DbtFailed(RuntimeError):
    """dbt could not run at all (project does not parse, profile incomplete, warehouse unreachable)."""


@dataclass(frozen=True)
class DbtOptions:
    """What is passed through to dbt; paths default to dbt's own (``target/``, ``logs/`` in the project)."""

    project_dir: Path
    profiles_dir: Path
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    full_refresh: bool = False
    target_path: Path | None = None
    log_path: Path | None = None
    vars: str | None = None
    quiet: bool = False
    # dbt's advice: unit tests check the SQL, not the data, so they belong to CI, not to every hourly build (and
    # those of incremental models cannot run before the model's table exists).
    unit_tests: bool = False

    def _common(self) -> list[str]:
        args = ["--project-dir", str(self.project_dir), "--profiles-dir", str(self.profiles_dir)]
        if self.target_path is not None:
            args += ["--target-path", str(self.target_path)]
        if self.log_path is not None:
            args += ["--log-path", str(self.log_path)]
        if self.vars is not None:
            args += ["--vars", self.vars]
        return args

    def _global(self) -> list[str]:
        # The warehouse EC2 has no route to the internet: no usage pings, no version lookups.
        return ["--no-send-anonymous-usage-stats", "--no-version-check", *(["--quiet"] if self.quiet else [])]

    def parse_args(self) -> list[str]:
        return [*self._global(), "parse", *self._common()]

    def build_args(self) -> list[str]:
        args = [*self._global(), "build", *self._common()]
        if self.select:
            args += ["--select", *self.select]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        if self.full_refresh:
            args.append("--full-refresh")
        if not self.unit_tests:
            args += ["--exclude-resource-type", "unit_test"]
        return args


@dataclass(frozen=True)
class BuildReport:
    success: bool
    models_built: int
    tests_failed: int
    # schema.table of each incremental model built: rows its insert wrote (dbt's adapter_response.rows_affected).
    rows_written: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    error: str | None = None


@contextlib.contextmanager
def dbt_environment(warehouse: WarehouseSettings) -> Iterator[None]:
    """DW_PG_* as dbt's profile reads them, from `warehouse`, restored afterwards."""
    wanted = {
        "DW_PG_HOST": warehouse.host,
        "DW_PG_PORT": str(warehouse.port),
        "DW_PG_USER": warehouse.user,
        "DW_PG_PASSWORD": warehouse.resolve_password(),
        "DW_PG_DATABASE": warehouse.database,
        "DW_PG_SSL": "true" if warehouse.ssl else "false",
    }
    with mock.patch.dict(os.environ, wanted):
        yield


def parse_project(options: DbtOptions) -> Any:
    """The project's manifest (dbt's ``Manifest``), parsing only what changed since the last parse in the target."""
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner().invoke(options.parse_args())
    if not outcome.success or outcome.result is None:
        raise DbtFailed(f"dbt parse failed: {outcome.exception or 'see the dbt log above'}")
    return outcome.result


def _relation(node: Any) -> str:
    return f"{node.schema}.{node.alias}"


def incremental_marts(manifest: Any) -> list[str]:
    """schema.table of every incremental model under models/marts/."""
    return sorted(
        _relation(node)
        for node in manifest.nodes.values()
        if node.resource_type == "model"
        and node.config.materialized == "incremental"
        and len(node.fqn) > 1
        and node.fqn[1] == _MARTS_FOLDER
    )


def model_relation(manifest: Any, name: str) -> str | None:
    """schema.table of the model called `name` (its schema follows vars such as schema_prefix)."""
    for node in manifest.nodes.values():
        if node.resource_type == "model" and node.name == name:
            return _relation(node)
    return None


def run_build(manifest: Any, options: DbtOptions) -> BuildReport:
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner(manifest=manifest).invoke(options.build_args())
    if isinstance(outcome.exception, KeyboardInterrupt):
        # dbtRunner returns every exception, an interrupt too (after cancelling its queries): pass it on.
        raise outcome.exception
    results = list(getattr(outcome.result, "results", None) or [])
    return summarise(results, outcome.success, outcome.exception)


def summarise(results: list[Any], success: bool, exception: BaseException | None) -> BuildReport:
    """Read dbt's RunResults: the counts for the ledger and, when it failed, one line per node that failed."""
    models_built = tests_failed = 0
    rows_written: dict[str, int] = {}
    problems = []
    for result in results:
        node, status = result.node, str(result.status)
        kind = str(node.resource_type)
        if kind == "model" and status in _BUILT:
            models_built += 1
            rows = (result.adapter_response or {}).get("rows_affected")
            if node.config.materialized == "incremental" and isinstance(rows, int) and rows >= 0:
                rows_written[_relation(node)] = rows
        if kind in ("test", "unit_test") and status in _TEST_FAILED:
            tests_failed += 1
        if status not in _NOT_A_PROBLEM:
            # dbt's message is "<kind> Error in model x (path)" then the database's own words: keep them all.
            detail = " ".join(line.strip() for line in (result.message or "").splitlines() if line.strip())
            problems.append(f"{node.unique_id}: {status}: {detail[:_MESSAGE_CHARS]}".rstrip(": "))
    error = None
    if not success:
        parts = ([f"dbt: {str(exception).strip()}"] if exception is not None else []) + problems
        error = "\n".join(parts) or "dbt build failed (no result: see the dbt log)"
    return BuildReport(success, models_built, tests_failed, rows_written, tuple(problems), error)
