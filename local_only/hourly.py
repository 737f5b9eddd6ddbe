"""``clickstream hourly``: one scheduled cycle as the two EventBridge rules run it in AWS, on one machine.

First the loader's scheduled input (the previous full UTC hour, plus its lookback hours), with the loader's own
code; then, when SHOP_DATABASE_URL or SHOP_PG_HOST names the shop's database, the shop extract into raw_shop
(shop_extract); then one transform. ``--at HOUR`` replays the cycle that ran just after HOUR: it loads HOUR (and its
lookback) and builds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from pydantic import ValidationError

from loader_lambda.loader import LoadSummary, run_load
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import LoaderInputError, floor_hour, plan_scheduled
from local_only.paths import default_store_url
from raw_store import open_store
from shop_extract.run import ExtractOutcome, run_extract
from shop_extract.settings import ShopExtractSettings, shop_configured
from transform_runner.command import configure_logging, dbt_options_from, dbt_pass_through, load_settings
from transform_runner.dbt_build import DbtOptions
from transform_runner.run import (
    EXIT_FAILED,
    EXIT_UNREACHABLE,
    TransformOutcome,
    run_transform,
)
from transform_runner.settings import TransformSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable
from warehouse.run_ledger import LedgerMissing

# EventBridge's cron(5 * * * ? *): the cycle for hour H runs at H+1:05.
SCHEDULE_MINUTE = 5


@dataclass(frozen=True)
class HourlyOutcome:
    hour: datetime
    load: LoadSummary | None
    transform: TransformOutcome | None
    error: str | None = None
    # None: no shop database configured (or the cycle stopped before it)
    extract: ExtractOutcome | None = None

    @property
    def exit_code(self) -> int:
        if self.load is None:
            return EXIT_UNREACHABLE
        if self.transform is not None and self.transform.exit_code:
            return self.transform.exit_code
        if self.extract is not None and self.extract.exit_code:
            return self.extract.exit_code
        return EXIT_FAILED if self.load.status != "succeeded" else 0

    def describe(self) -> str:
        lines = [f"hourly cycle for {self.hour:%Y-%m-%d %H}:00 UTC"]
        if self.load is not None:
            load = self.load
            lines.append(
                f"  load: {load.status}: {load.loaded:,} objects ({load.rows:,} rows, {load.rejected} lines "
                f"rejected), {load.skipped:,} already loaded, over {len(load.hours)} hour(s), {load.seconds:.1f} s"
            )
            lines += [f"  load problem: {problem}" for problem in load.problems]
        if self.extract is not None:
            lines.append("  " + self.extract.describe().replace("\n", "\n  "))
        if self.transform is not None:
            lines.append("  " + self.transform.describe().replace("\n", "\n  "))
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


def warehouse_for(role: str, base: WarehouseSettings) -> WarehouseSettings:
    """`role` with its password from DW_<ROLE>_PASSWORD when set (the names `.data/warehouse.env` and `clickstream
    db migrate` use), so one machine loads as `loader` and builds as `transformer`; otherwise DW_PG_* as given."""
    password = os.environ.get(f"DW_{role.upper()}_PASSWORD")
    if not password:
        return base
    return base.model_copy(update={"user": role, "password": password, "password_param": None})


def previous_hour(now: datetime) -> datetime:
    return floor_hour(now) - timedelta(hours=1)


def run_hourly(
    hour: datetime,
    *,
    store_url: str,
    loader_warehouse: WarehouseSettings,
    transform_warehouse: WarehouseSettings,
    dbt_options: DbtOptions,
    transform_settings: TransformSettings,
    trigger: str = "hourly",
    loader_settings: LoaderSettings | None = None,
    shop_settings: ShopExtractSettings | None = None,
) -> HourlyOutcome:
    """Load `hour` (with the lookback), extract the shop's database when `shop_settings` names one (as the
    transformer), then transform. A partly failed load or a failed extract still transforms what did land; an
    unreachable warehouse stops the cycle (the transform could not run either)."""
    settings = loader_settings or LoaderSettings(raw_store_url=store_url)
    now = datetime.now(UTC)
    # What the Lambda plans when EventBridge fires at the hour after `hour`: `hour` and its lookback.
    plan = plan_scheduled(hour, settings.lookback_hours)
    try:
        load = run_load(plan, open_store(store_url), settings, loader_warehouse, now=now)
    except WarehouseUnreachable as exc:
        return HourlyOutcome(hour, None, None, str(exc))
    extract = None
    if shop_settings is not None:
        try:
            extract = run_extract(shop_settings, transform_warehouse, trigger=trigger)
        except (WarehouseUnreachable, LedgerMissing) as exc:
            return HourlyOutcome(hour, load, None, str(exc))
    try:
        transform = run_transform(dbt_options, transform_warehouse, transform_settings, trigger=trigger)
    except (WarehouseUnreachable, LedgerMissing) as exc:
        return HourlyOutcome(hour, load, None, str(exc), extract)
    return HourlyOutcome(hour, load, transform, extract=extract)


def parse_hour(value: str) -> datetime:
    """`2025-12-06T05:00:00Z`, `2025-12-06T05`, `2025-12-06 05:00`: the UTC hour it falls in."""
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 hour, e.g. 2025-12-06T05:00:00Z") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_hour(moment)


@click.command("hourly")
@click.option("--at", "at", help="Replay the cycle for this UTC hour (load it, then build), e.g. 2025-12-06T05:00Z.")
@click.option("--store", "store_url", help="Raw store URL (default: RAW_STORE_URL or the embedded .data/raw).")
@dbt_pass_through
def hourly_command(
    at: str | None,
    store_url: str | None,
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    full_refresh: bool,
    target_path: Path | None,
    dbt_vars: str | None,
    quiet: bool,
    unit_tests: bool,
) -> None:
    """One scheduled cycle: load the previous full UTC hour (plus lookback), then `clickstream extract-shop` when
    SHOP_DATABASE_URL or SHOP_PG_HOST is set, then `clickstream transform`.

    Reads DW_PG_*; loads as `loader` when DW_LOADER_PASSWORD is set and builds as `transformer` when
    DW_TRANSFORMER_PASSWORD is (`source .data/warehouse.env` sets both). Exit codes as `clickstream transform`; 1
    also when the load was partial or failed.
    """
    configure_logging()
    hour = parse_hour(at) if at else previous_hour(datetime.now(UTC))
    warehouse, settings = load_settings()
    url = store_url or default_store_url()
    try:
        loader_settings = LoaderSettings(raw_store_url=url)
        shop_settings = ShopExtractSettings() if shop_configured() else None
    except ValidationError as exc:
        raise click.UsageError(str(exc)) from exc
    options = dbt_options_from(settings, select, exclude, full_refresh, target_path, dbt_vars, quiet, unit_tests)
    try:
        outcome = run_hourly(
            hour,
            store_url=url,
            loader_warehouse=warehouse_for("loader", warehouse),
            transform_warehouse=warehouse_for("transformer", warehouse),
            dbt_options=options,
            transform_settings=settings,
            loader_settings=loader_settings,
            shop_settings=shop_settings,
        )
    except LoaderInputError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(outcome.describe(), err=outcome.exit_code != 0)
    if outcome.exit_code:
        raise SystemExit(outcome.exit_code)
