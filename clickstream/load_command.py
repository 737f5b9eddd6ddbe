"""``clickstream load``: the loader Lambda's code, run locally with the same inputs and a progress bar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import psycopg2
from pydantic import ValidationError

from loader_lambda.ledger import HourBusy
from loader_lambda.loader import Progress, run_load
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import LoaderInputError, plan_from_event
from local_only.paths import default_store_url
from raw_store import open_store
from warehouse.connection import WarehouseSettings, WarehouseUnreachable


@click.command("load")
@click.option(
    "--hours-back", type=int, help="Load the hour N hours back (1 = the previous hour) and the lookback before it."
)
@click.option("--target-hour", help="Load one UTC hour, e.g. 2025-12-06T05:00:00Z.")
@click.option("--prefix", "override_prefix", help="Load one hour's prefix, e.g. events/2025/12/06/05/.")
@click.option("--from-hour", help="Backfill from this UTC hour ...")
@click.option("--to-hour", help="... to this one, inclusive.")
@click.option("--source", type=click.Choice(["events", "compacted"]), default="events", show_default=True)
@click.option("--store", "store_url", help="Raw store URL (default: RAW_STORE_URL or the embedded .data/raw).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load_command(
    hours_back: int | None,
    target_hour: str | None,
    override_prefix: str | None,
    from_hour: str | None,
    to_hour: str | None,
    source: str,
    store_url: str | None,
    quiet: bool,
) -> None:
    """Land raw objects in raw.raw_events exactly once (with no option: the previous full UTC hour + lookback).

    The warehouse comes from DW_PG_*; exits 1 when it is unreachable or fails mid-run (what committed stays
    recorded), when an object changed after it was loaded, and when an object could not be read (run `partial`;
    recorded in raw.load_failures and retried by later runs).
    """
    event: dict[str, Any] = {"source": source}
    for name, value in (
        ("hoursBack", hours_back),
        ("targetUtcHour", target_hour),
        ("overridePrefix", override_prefix),
        ("fromHour", from_hour),
        ("toHour", to_hour),
    ):
        if value is not None:
            event[name] = value
    url = store_url or default_store_url()
    try:
        settings = LoaderSettings(raw_store_url=url)
        warehouse = WarehouseSettings()
        plan = plan_from_event(event, datetime.now(UTC), settings.lookback_hours)
        store = open_store(url)
    except (ValidationError, LoaderInputError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc

    bar: Any = None

    def hour_listed(hour: datetime, count: int) -> None:
        nonlocal bar
        if bar is not None:
            bar.render_finish()
        bar = click.progressbar(length=count, label=f"{hour:%Y-%m-%d %H}:00", file=click.get_text_stream("stderr"))
        bar.render_progress()

    def objects_done(count: int) -> None:
        bar.update(count)

    progress = Progress() if quiet else Progress(hour_listed=hour_listed, objects_done=objects_done)
    try:
        summary = run_load(plan, store, settings, warehouse, now=datetime.now(UTC), progress=progress)
    except (WarehouseUnreachable, HourBusy) as exc:
        raise click.ClickException(str(exc)) from exc
    except psycopg2.Error as exc:
        # A restarted or unreachable server mid-run: what committed is complete and recorded, the rest is
        # loaded by the next run (which also closes this run's row). One line, not a traceback.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise click.ClickException(
            f"the warehouse failed mid-run ({type(exc).__name__}: {detail}); what committed is recorded, "
            "run again to load the rest"
        ) from exc
    finally:
        if bar is not None:
            bar.render_finish()
    click.echo(
        f"{summary.status}: {summary.loaded} objects loaded ({summary.rows} rows, {summary.refusals} ingest "
        f"refusals, {summary.rejected} lines rejected), {summary.skipped} already loaded, {summary.failed} failed, "
        f"of {summary.objects} listed in {len(summary.hours)} hour(s), {summary.seconds:.1f} s"
    )
    for key in summary.compacted:
        click.echo(f"compacted {key}")
    for problem in summary.problems:
        click.echo(f"problem: {problem}", err=True)
    if summary.status != "succeeded":
        raise SystemExit(1)
