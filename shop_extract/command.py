"""``clickstream extract-shop``: the shop's database into raw_shop, as the hourly cycle runs it before dbt."""

from __future__ import annotations

import click
from pydantic import ValidationError

from shop_extract.run import EXIT_UNREACHABLE, run_extract
from shop_extract.settings import ShopExtractSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable
from warehouse.run_ledger import LedgerMissing


def _settings() -> tuple[ShopExtractSettings, WarehouseSettings]:
    try:
        return ShopExtractSettings(), WarehouseSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise click.UsageError(f"configuration: {where + ': ' if where else ''}{error['msg']}") from exc


@click.command("extract-shop")
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Drop raw_shop's rows and cursors and read every row again (how rows the shop deleted leave raw_shop).",
)
@click.option("--trigger", default="cli", show_default=True, help="Recorded in ops.shop_extract_runs.")
def extract_shop_command(full_refresh: bool, trigger: str) -> None:
    """Copy the shop's tables changed since the last run (with an overlap) into the warehouse's raw_shop schema.

    Reads SHOP_DATABASE_URL or SHOP_PG_* (password from SHOP_PG_PASSWORD_PARAM in AWS) and writes as DW_PG_*.
    Each run is a row of ops.shop_extract_runs. Exit codes: 0 done, 1 failed, 3 another extract held the lock,
    4 warehouse unreachable.
    """
    settings, warehouse = _settings()
    try:
        outcome = run_extract(settings, warehouse, trigger=trigger, full_refresh=full_refresh)
    except WarehouseUnreachable as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_UNREACHABLE) from exc
    except LedgerMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(outcome.describe(), err=outcome.exit_code != 0)
    if outcome.exit_code:
        raise SystemExit(outcome.exit_code)
