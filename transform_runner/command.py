"""``clickstream transform``: the command the warehouse EC2 runs from EventBridge through SSM Run Command."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

import click
from pydantic import ValidationError

from transform_runner.dbt_build import DbtOptions
from transform_runner.run import EXIT_INTERRUPTED, EXIT_UNREACHABLE, run_transform
from transform_runner.settings import TransformSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable
from warehouse.run_ledger import LedgerMissing


def configure_logging() -> None:
    """Timestamped lines on stderr (SSM Run Command sends them to CloudWatch Logs); dbt prints its own."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def interrupt_on_sigterm() -> None:
    """SIGTERM (SSM Run Command's timeout, systemd's stop) unwinds like Ctrl+C, so the ledger row is closed."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def load_settings() -> tuple[WarehouseSettings, TransformSettings]:
    try:
        return WarehouseSettings(), TransformSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise click.UsageError(f"configuration: {where + ': ' if where else ''}{error['msg']}") from exc


def dbt_options_from(
    settings: TransformSettings,
    select: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    full_refresh: bool = False,
    target_path: Path | None = None,
    dbt_vars: str | None = None,
    quiet: bool = False,
    unit_tests: bool = False,
) -> DbtOptions:
    project = settings.dbt_project_dir
    if not (project / "dbt_project.yml").is_file():
        raise click.UsageError(f"no dbt_project.yml in {project}: set DBT_PROJECT_DIR to the project's checkout")
    return DbtOptions(
        project_dir=project,
        profiles_dir=settings.profiles_dir,
        select=select,
        exclude=exclude,
        full_refresh=full_refresh,
        target_path=target_path,
        log_path=None if target_path is None else target_path / "logs",
        vars=dbt_vars,
        quiet=quiet,
        unit_tests=unit_tests,
    )


def dbt_pass_through(function: click.decorators.FC) -> click.decorators.FC:
    """The dbt options `transform` and `hourly` both pass on."""
    for decorator in reversed(
        (
            click.option("--select", "-s", multiple=True, help="dbt selection (repeatable), e.g. sessions+."),
            click.option("--exclude", multiple=True, help="dbt nodes to leave out (repeatable)."),
            click.option("--full-refresh", is_flag=True, help="Rebuild the incremental models from scratch."),
            click.option(
                "--target-path",
                type=click.Path(file_okay=False, path_type=Path),
                help="dbt's target directory (default: target/ in the project); logs go to its logs/.",
            ),
            click.option("--vars", "dbt_vars", help="dbt --vars, as YAML, e.g. '{include_bots: true}'."),
            click.option("--quiet", is_flag=True, help="Only dbt's errors, and the summary."),
            click.option("--unit-tests", is_flag=True, help="Run dbt's unit tests too (CI's job, off by default)."),
        )
    ):
        function = decorator(function)
    return function


@click.command("transform")
@dbt_pass_through
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    help="Seconds to wait for a build already running (default: TRANSFORM_LOCK_TIMEOUT_SECONDS or 900).",
)
@click.option("--trigger", default="cli", show_default=True, help="What started this run, for ops.transform_runs.")
def transform_command(
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    full_refresh: bool,
    target_path: Path | None,
    dbt_vars: str | None,
    quiet: bool,
    unit_tests: bool,
    lock_timeout: float | None,
    trigger: str,
) -> None:
    """Run `dbt build` for the project, one build at a time, recorded in ops.transform_runs.

    Needs only environment variables: DW_PG_* (on AWS as the transformer role), and optionally
    FRESHNESS_METRIC_NAMESPACE to publish the data-freshness metric to CloudWatch. Exit codes: 0 built, 1 the
    build failed (the ledger row says why), 2 bad usage or configuration, 3 another build held the lock too long,
    4 the warehouse is unreachable.
    """
    configure_logging()
    warehouse, settings = load_settings()
    options = dbt_options_from(settings, select, exclude, full_refresh, target_path, dbt_vars, quiet, unit_tests)
    interrupt_on_sigterm()
    try:
        outcome = run_transform(options, warehouse, settings, trigger=trigger, lock_timeout_seconds=lock_timeout)
    except KeyboardInterrupt:
        click.echo("transform interrupted; its ops.transform_runs row says so", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except WarehouseUnreachable as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_UNREACHABLE) from exc
    except LedgerMissing as exc:
        raise click.ClickException(str(exc)) from exc
    # run_transform has logged the outcome (stderr, CloudWatch Logs on AWS); the exit code is what SSM reports.
    if outcome.exit_code:
        raise SystemExit(outcome.exit_code)
