"""``clickstream demo``: the whole pipeline on the embedded default, with the same steps a deployment runs.

A local PostgreSQL under ``.data/pg`` (or the server ``DW_PG_*`` names), ``clickstream db migrate``, synthetic shop
traffic through the real ingest handler into ``.data/raw`` and, from the same run, the shop's own database (a
database ``<warehouse>_shop`` on the same server: Prisma's tables, a fifth of the orders untracked, refunds and
cancellations; docs/shop-database.md), then the hourly cycle replayed: the loader backfills every hour but the last
few, the shop extract lands the shop's tables in raw_shop (as the read-only ``shop_reader``), the first transform
builds everything, and the last few hours each get their own cycle (load the hour, extract, then an incremental
build), as EventBridge would have run them. Then the dashboard. Running
it again reuses what is there: nothing is generated twice, the loader skips what it loaded, the builds are
incremental. Beside the dashboard, the demo shop (``local_only.shop_server``) and the collector it posts to
(``clickstream serve``, writing into the same ``.data/raw``): a visit there reaches the dashboard after one more
hourly cycle (``make hourly``), as a shop's visitors would.

Each step is a method of ``Demo`` so a test can run them one by one on a tiny dataset.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from local_only.cli_options import port_option
from local_only.paths import data_dir
from local_only.postgres import LocalPostgres, LocalPostgresError, create_database
from local_only.roles import RoleWarehouse
from local_only.serve import DEFAULT_PORT as COLLECTOR_PORT
from local_only.shop_server import DEFAULT_PORT as SHOP_PORT
from warehouse.connection import WarehouseSettings, WarehouseUnreachable
from warehouse.migrate import ROLE_NAMES, migrate, set_role_passwords

if TYPE_CHECKING:
    from loader_lambda.loader import LoadSummary
    from local_only.hourly import HourlyOutcome
    from shop_extract.run import ExtractOutcome
    from shop_extract.settings import ShopExtractSettings
    from transform_runner.dbt_build import DbtOptions
    from transform_runner.run import TransformOutcome


@dataclass(frozen=True)
class DemoSize:
    days: int
    events_per_day: int

    @property
    def events(self) -> int:
        return self.days * self.events_per_day


SIZES = {
    "tiny": DemoSize(days=2, events_per_day=2_000),
    "default": DemoSize(days=14, events_per_day=21_000),
    "1m": DemoSize(days=14, events_per_day=72_000),
    "5m": DemoSize(days=28, events_per_day=180_000),
}
# The generator's late events (offline flushes) land up to a few hours after the last simulated day.
LATE_HOURS = 6
DASHBOARD_HOST = "127.0.0.1"
DASHBOARD_PORT = 3838
# The admin's login, which warehouse.env never carries: it names the transformer instead.
_ADMIN_LOGIN = frozenset({"DW_PG_USER", "DW_PG_PASSWORD", "DW_PG_PASSWORD_PARAM"})


def backfill_windows(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """`first` to `last` (hours, both included) as consecutive loader backfills of at most MAX_BACKFILL_HOURS
    each: the loader refuses a longer one, and a demo of more than 62 days (--days) holds more hours."""
    from loader_lambda.window import MAX_BACKFILL_HOURS

    windows = []
    while first <= last:
        end = min(last, first + timedelta(hours=MAX_BACKFILL_HOURS - 1))
        windows.append((first, end))
        first = end + timedelta(hours=1)
    return windows


class Demo:
    """The demo's steps over one data folder; `echo` says what each did."""

    def __init__(self, data: Path, echo: Callable[[str], None] = click.echo) -> None:
        self.data = data
        self.echo = echo
        self.store_url = (data / "raw").as_uri()
        self.timings: dict[str, float] = {}
        data.mkdir(parents=True, exist_ok=True)

    def _timed(self, step: str, started: float) -> float:
        seconds = time.perf_counter() - started
        self.timings[step] = self.timings.get(step, 0.0) + seconds
        return seconds

    # ---------- 1. the warehouse: a server, migrations, a login per role

    def prepare_warehouse(self) -> RoleWarehouse:
        started = time.perf_counter()
        admin = self._server()
        conn = admin.connect()
        try:
            applied = migrate(conn)
            passwords = self._role_passwords()
            set_role_passwords(conn, passwords)
        finally:
            conn.close()
        self.echo(
            f"warehouse migrated ({len(applied)} new migrations); role passwords in {self.data / 'warehouse.env'}, "
            f"whose DW_PG_* connect as transformer ({self._timed('warehouse', started):.1f} s)"
        )
        return RoleWarehouse.from_settings(admin, passwords)

    def _server(self) -> WarehouseSettings:
        """The server DW_PG_* names, or a local one this demo owns."""
        if os.environ.get("DW_PG_HOST"):
            user = os.environ.get("DW_PG_USER", "")
            if user in ROLE_NAMES:
                # Most likely a shell that sourced warehouse.env: its DW_PG_* are the transformer's, which may
                # build but not migrate.
                raise click.ClickException(
                    f"DW_PG_USER is {user}, but the demo migrates the warehouse and needs its owner (an admin such "
                    "as postgres); in a shell that sourced .data/warehouse.env, `unset DW_PG_HOST` and the demo "
                    "uses its own server again"
                )
            self.echo(f"using the warehouse at {os.environ['DW_PG_HOST']} (DW_PG_*)")
            return WarehouseSettings()
        server = LocalPostgres(self.data / "pg")
        try:
            connection = server.ensure_running("clickstream_dw")
        except LocalPostgresError as exc:
            raise click.ClickException(str(exc)) from exc
        os.environ.update(connection.env())
        self.echo(f"PostgreSQL on 127.0.0.1:{connection.port} (data in {server.data})")
        return WarehouseSettings()

    def _role_passwords(self) -> dict[str, str]:
        """One password per role, made once and kept in warehouse.env (mode 600) for `source`-ing.

        Its DW_PG_* name the transformer, never the admin: `dbt build`, `clickstream transform` and `make lint-sql`
        run by hand after `source`-ing it then work as the scheduled builds do (docs/operations.md lists the
        variables)."""
        path = self.data / "warehouse.env"
        known = {}
        if path.exists():
            for line in path.read_text().splitlines():
                name, _, value = line.removeprefix("export ").partition("=")
                known[name] = value
        passwords = {role: known.get(f"DW_{role.upper()}_PASSWORD") or secrets.token_urlsafe(18) for role in ROLE_NAMES}
        lines = [f"export DW_{role.upper()}_PASSWORD={password}" for role, password in passwords.items()]
        lines += [
            f"export {name}={os.environ[name]}"
            for name in sorted(os.environ)
            if name.startswith("DW_PG_") and name not in _ADMIN_LOGIN
        ]
        lines += ["export DW_PG_USER=transformer", f"export DW_PG_PASSWORD={passwords['transformer']}"]
        # The shop's (prepare_shop): kept, so its reader's password stays what the role has.
        lines += [f"export {name}={value}" for name, value in known.items() if name.startswith("SHOP_")]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        return passwords

    # ---------- 2. traffic through the real ingest handler, once

    def generate(self, size: DemoSize, seed: int, shop_database: str | None = None) -> date:
        """The traffic, once; with `shop_database` (a DSN with write access) the shop's own database from the same
        run (local_only.shop_database)."""
        from local_only.simulator.run import generate

        started = time.perf_counter()
        marker = self.data / "generated.json"
        wanted = {"days": size.days, "events_per_day": size.events_per_day, "seed": seed}
        if marker.exists():
            done = json.loads(marker.read_text())
            if {key: done.get(key) for key in wanted} != wanted:
                raise click.ClickException(
                    f"{self.data} already holds another dataset ({done}); to make {wanted}, use another folder "
                    "(CLICKSTREAM_DATA_DIR) or `make demo-down` and remove it"
                )
            self.echo(f"reusing {done['events_sent']:,} generated events from {done['start']} in {self.store_url}")
            return date.fromisoformat(done["start"])
        start = datetime.now(UTC).date() - timedelta(days=size.days)
        self.echo(f"generating {size.days} days of shop traffic from {start} through the ingest handler ...")
        summary = generate(
            self.store_url + "?fsync=false",
            days=size.days,
            start=start,
            seed=seed,
            events_per_day=size.events_per_day,
            shop_database=shop_database,
        )
        if summary.errors:
            raise click.ClickException(f"the ingest handler failed {summary.errors} requests: {summary.error_samples}")
        self.echo(
            f"  {summary.events_sent:,} events in {summary.requests:,} requests ({summary.accepted:,} accepted, "
            f"{summary.rejected:,} rejected and kept), {self._timed('generate', started):.1f} s"
            + (f"; the shop's database holds {summary.orders:,} orders" if shop_database else "")
        )
        marker.write_text(json.dumps({**wanted, "start": start.isoformat(), "events_sent": summary.events_sent}))
        return start

    def last_hour(self, start: date, days: int, now: datetime | None = None) -> datetime:
        """The newest hour holding raw objects: the end of the traffic (late flushes included), never the
        current hour (still being written in a real deployment)."""
        from raw_store import KeyKind, hour_prefix, open_store

        store = open_store(self.store_url)
        first = datetime(start.year, start.month, start.day, tzinfo=UTC)
        current = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        hour = min(first + timedelta(days=days, hours=LATE_HOURS), current - timedelta(hours=1))
        while hour > first and next(iter(store.list(hour_prefix(KeyKind.EVENTS, hour))), None) is None:
            hour -= timedelta(hours=1)
        return hour

    # ---------- 2b. the shop's own database, beside the warehouse

    def prepare_shop(self, warehouse: RoleWarehouse) -> tuple[str, ShopExtractSettings]:
        """The shop's database on the warehouse's server (``<warehouse>_shop``): Prisma's tables and the read-only
        role the extract reads as (reader_role.sql, its password made once). Returns the admin's DSN (the generator
        writes the shop as the shop's backend would) and the extract's settings, which warehouse.env gets as
        SHOP_DATABASE_URL so `make hourly` extracts too."""
        from local_only.shop_database.schema import apply_schema, grant_reader
        from shop_extract.settings import ShopExtractSettings

        admin = warehouse.admin
        name = f"{admin.database}_shop"
        create_database(admin, name)
        shop_dsn = admin.dsn(name)
        apply_schema(shop_dsn)
        password = self._remembered("SHOP_READER_PASSWORD") or secrets.token_urlsafe(18)
        grant_reader(shop_dsn, password)
        url = f"postgresql://shop_reader:{password}@{admin.host}:{admin.port}/{name}"
        workdir = self.data / "shop-extract"
        self._remember(
            {"SHOP_READER_PASSWORD": password, "SHOP_DATABASE_URL": url, "SHOP_EXTRACT_WORKDIR": str(workdir)}
        )
        self.echo(f"shop database {name} on the same server; the extract reads it as shop_reader (SHOP_DATABASE_URL)")
        return shop_dsn, ShopExtractSettings(database_url=url, extract_workdir=workdir)

    def _remembered(self, name: str) -> str | None:
        path = self.data / "warehouse.env"
        if not path.exists():
            return None
        for line in path.read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            if key == name:
                return value
        return None

    def _remember(self, values: dict[str, str]) -> None:
        """Set `values` in warehouse.env (mode 600), keeping its other lines."""
        path = self.data / "warehouse.env"
        kept = [
            line
            for line in (path.read_text().splitlines() if path.exists() else [])
            if line.removeprefix("export ").partition("=")[0] not in values
        ]
        path.write_text(
            "\n".join(kept + [f"export {key}={shlex.quote(value)}" for key, value in values.items()]) + "\n"
        )
        path.chmod(0o600)

    def extract_shop(self, warehouse: RoleWarehouse, shop: ShopExtractSettings) -> ExtractOutcome:
        """`clickstream extract-shop` into raw_shop as the transformer, before the first build."""
        from shop_extract.run import run_extract

        started = time.perf_counter()
        outcome = run_extract(shop, warehouse.settings("transformer"), trigger="demo")
        self.echo(f"shop extract: {outcome.status}, {self._timed('shop extract', started):.1f} s")
        if outcome.status != "success":
            raise click.ClickException(f"the shop extract did not succeed: {outcome.error}")
        return outcome

    # ---------- 3. the hourly cycle, replayed

    def dbt_options(self) -> DbtOptions:
        from transform_runner.dbt_build import DbtOptions
        from transform_runner.settings import TransformSettings

        settings = TransformSettings()
        target = self.data / "dbt-target"
        return DbtOptions(
            project_dir=settings.dbt_project_dir,
            profiles_dir=settings.profiles_dir,
            target_path=target,
            log_path=target / "logs",
            quiet=True,
        )

    def backfill(self, warehouse: RoleWarehouse, first: datetime, last: datetime) -> LoadSummary:
        """Every hour from `first` to `last` in one loader run (as the `loader` role), as a backfill input does."""
        from loader_lambda.loader import run_load
        from loader_lambda.settings import LoaderSettings
        from loader_lambda.window import plan_backfill
        from raw_store import open_store

        started = time.perf_counter()
        settings = LoaderSettings(raw_store_url=self.store_url)
        now = datetime.now(UTC)
        plan = plan_backfill(first, last)
        self.echo(f"backfill: loading {len(plan.hours)} hours ({first:%Y-%m-%d %H}:00 to {last:%Y-%m-%d %H}:00) ...")
        try:
            summary = run_load(plan, open_store(self.store_url), settings, warehouse.settings("loader"), now=now)
        except WarehouseUnreachable as exc:
            raise click.ClickException(f"loading failed: {exc}") from exc
        self.echo(
            f"  {summary.status}: {summary.loaded:,} objects loaded ({summary.rows:,} rows, {summary.rejected} "
            f"lines rejected), {summary.skipped:,} already loaded, {len(summary.compacted)} hours compacted, "
            f"{self._timed('backfill', started):.1f} s"
        )
        return summary

    def first_transform(self, warehouse: RoleWarehouse) -> TransformOutcome:
        """The build after the backfill: everything from scratch the first time, incremental on a rerun."""
        from transform_runner.run import run_transform
        from transform_runner.settings import TransformSettings

        started = time.perf_counter()
        self.echo("transform: dbt build of every model (as the transformer role) ...")
        outcome = run_transform(
            self.dbt_options(), warehouse.settings("transformer"), TransformSettings(), trigger="demo"
        )
        self.echo("  " + outcome.describe().replace("\n", "\n  "))
        self._timed("first transform", started)
        if outcome.status != "success":
            raise click.ClickException(f"the first transform did not succeed ({outcome.status}); see above")
        return outcome

    def replay(
        self, warehouse: RoleWarehouse, hours: list[datetime], shop: ShopExtractSettings | None = None
    ) -> list[HourlyOutcome]:
        """One cycle per hour, as `clickstream hourly --at HOUR`: load the hour (and its lookback), extract the
        shop's database (with `shop`), then build."""
        from local_only.hourly import run_hourly
        from transform_runner.settings import TransformSettings

        outcomes = []
        for hour in hours:
            started = time.perf_counter()
            outcome = run_hourly(
                hour,
                store_url=self.store_url,
                loader_warehouse=warehouse.settings("loader"),
                transform_warehouse=warehouse.settings("transformer"),
                dbt_options=self.dbt_options(),
                transform_settings=TransformSettings(),
                trigger="demo",
                shop_settings=shop,
            )
            seconds = self._timed("hourly replays", started)
            self.echo(outcome.describe() + f"\n  cycle {seconds:.1f} s")
            if outcome.exit_code:
                raise click.ClickException(f"the hourly cycle for {hour:%Y-%m-%d %H}:00 failed; see above")
            outcomes.append(outcome)
        return outcomes

    def run_pipeline(self, size: DemoSize, seed: int, replay_hours: int) -> RoleWarehouse:
        """Every step but the dashboard."""
        warehouse = self.prepare_warehouse()
        shop_dsn, shop = self.prepare_shop(warehouse)
        start = self.generate(size, seed, shop_database=shop_dsn)
        first = datetime(start.year, start.month, start.day, tzinfo=UTC)
        last = self.last_hour(start, size.days)
        replayed = [last - timedelta(hours=back) for back in range(replay_hours - 1, -1, -1)]
        replayed = [hour for hour in replayed if hour >= first]
        backfilled = replayed[0] - timedelta(hours=1) if replayed else last
        for window_first, window_last in backfill_windows(first, backfilled):
            self.backfill(warehouse, window_first, window_last)
        self.extract_shop(warehouse, shop)
        self.first_transform(warehouse)
        self.replay(warehouse, replayed, shop)
        self.echo(
            "pipeline ready in "
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in self.timings.items())
            + f"; total {sum(self.timings.values()):.1f} s"
        )
        return warehouse

    # ---------- 4. the demo shop and its collector

    @contextmanager
    def serving_shop(self, host: str, collector_port: int, shop_port: int) -> Iterator[str]:
        """The shop and `clickstream serve` (allowing the shop's origins, writing into this demo's raw store)
        answering from background threads until the block ends; yields the shop's address."""
        from local_only.api_gateway import ROUTE_PATH
        from local_only.bounded_server import serving_in_background
        from local_only.serve import make_server
        from local_only.shop_server import ShopSettings, make_shop_server, shop_origins
        from local_only.tracker_script import DEFAULT_TRACKER_SCRIPT

        endpoint = f"http://{host}:{collector_port}{ROUTE_PATH}"
        with ExitStack() as running:
            try:
                shop = make_shop_server(ShopSettings(endpoint=endpoint), host, shop_port, quiet=True)
            except OSError as exc:
                raise click.ClickException(f"cannot serve the shop on {host}:{shop_port} ({exc}): --shop-port") from exc
            running.enter_context(serving_in_background(shop, "demo-shop"))
            try:
                collector = make_server(host, collector_port, shop_origins(shop), self.store_url, quiet=True)
            except OSError as exc:
                raise click.ClickException(
                    f"cannot serve the collector on {host}:{collector_port} ({exc}): --collector-port"
                ) from exc
            running.enter_context(serving_in_background(collector, "demo-collector"))
            if not DEFAULT_TRACKER_SCRIPT.exists():
                self.echo(
                    f"warning: {DEFAULT_TRACKER_SCRIPT} is missing, so the shop sends no events: `make tracker` builds "
                    "it (Node.js and npm), which the collector then serves as /clickstream.js"
                )
            self.echo(
                f"demo shop on {shop.url}/ (its tracker, from {shop.site.settings.script_src}, posts to {endpoint}, "
                f"stored in {self.store_url})"
            )
            self.echo(
                "  to see your own visit: click through a purchase in the shop, then in another shell run "
                f"`make hourly` (or: {self.hourly_command()}) and reload the dashboard"
            )
            yield shop.url

    def hourly_command(self) -> str:
        """The shell command for the hourly cycle that loads this hour (the shop's visits) into this demo."""
        clickstream = Path(sys.executable).with_name("clickstream")
        return (
            f"source {shlex.quote(str(self.data / 'warehouse.env'))} && {shlex.quote(str(clickstream))} hourly "
            f"--store {shlex.quote(self.store_url)} --target-path {shlex.quote(str(self.data / 'dbt-target'))} "
            '--at "$(date -u +%Y-%m-%dT%H:00Z)"'
        )

    # ---------- 5. the owner's summary e-mail, written to a folder (clickstream report; docs/operations.md)

    def write_report(self, warehouse: RoleWarehouse) -> Path:
        """Yesterday's summary as `clickstream report` writes it without SES, read as the `dashboard` role."""
        from dashboard.settings import DashboardSettings
        from dashboard.warehouse import Warehouse
        from owner_report.job import run_report
        from owner_report.settings import ReportSettings

        dashboard = DashboardSettings(cache_ttl_seconds=0)
        reading = Warehouse(warehouse.settings("dashboard"), dashboard)
        # Never e-mailed nor alerted from the demo, whatever REPORT_* the shell has.
        local = ReportSettings(from_address="", to_addresses=(), alert_topic_arn="", output_dir=self.data / "reports")
        try:
            outcome = run_report(reading, local, "day", dashboard.current_time())
        finally:
            reading.close()
        self.echo(f"owner's summary of yesterday (clickstream report): {outcome.written[0]}")
        return outcome.written[0]

    # ---------- 5. the dashboard

    def start_dashboard(self, warehouse: RoleWarehouse, host: str, port: int) -> None:
        """Serve the dashboard as the `dashboard` role (blocks until stopped)."""
        from dashboard.server import serve_dashboard

        dashboard = warehouse.settings("dashboard")
        os.environ.update({"DW_PG_USER": dashboard.user, "DW_PG_PASSWORD": warehouse.passwords["dashboard"]})
        # The demo's marts change whenever `make hourly` runs after a visit to the shop, not once an hour: a reload
        # shows them within seconds rather than after the production cache's five minutes.
        os.environ.setdefault("DASHBOARD_CACHE_TTL_SECONDS", "10")
        self.echo(f"dashboard on http://{host}:{port}/ (Ctrl+C to stop; `make demo-down` stops the database)")
        serve_dashboard(host=host, port=port)


@click.command("demo")
@click.option(
    "--size",
    type=click.Choice(sorted(SIZES)),
    default="default",
    show_default=True,
    help="tiny: ~7k events over 2 days; default: ~300k over 14 days; 1m: ~1M over 14; 5m: ~5M over 28.",
)
@click.option("--days", type=click.IntRange(min=1), help="Days of traffic (overrides --size).")
@click.option("--events-per-day", type=click.IntRange(min=1), help="Events a day (overrides --size).")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--replay-hours", default=3, show_default=True, type=click.IntRange(min=0), help="Last hours built one by one."
)
@click.option("--no-dashboard", is_flag=True, help="Stop once the marts are built (tests, CI).")
@port_option("--port", default=DASHBOARD_PORT, help="The dashboard's port (on 127.0.0.1).")
@port_option("--shop-port", default=SHOP_PORT, help="The demo shop's port.")
@port_option(
    "--collector-port", default=COLLECTOR_PORT, help="The port of the collector the shop posts to (clickstream serve)."
)
@click.option("--no-shop", is_flag=True, help="Serve the dashboard alone, without the demo shop and its collector.")
@click.option("--stop", is_flag=True, help="Stop the demo's PostgreSQL and exit (make demo-down).")
def demo_command(
    size: str,
    days: int | None,
    events_per_day: int | None,
    seed: int,
    replay_hours: int,
    no_dashboard: bool,
    port: int,
    shop_port: int,
    collector_port: int,
    no_shop: bool,
    stop: bool,
) -> None:
    """Run the pipeline end to end on the embedded default (.data/), reusing what an earlier run left."""
    data = data_dir()
    if stop:
        LocalPostgres(data / "pg").stop()
        click.echo("demo PostgreSQL stopped")
        return
    preset = SIZES[size]
    chosen = DemoSize(days or preset.days, events_per_day or preset.events_per_day)
    demo = Demo(data)
    warehouse = demo.run_pipeline(chosen, seed, replay_hours)
    demo.write_report(warehouse)
    if no_dashboard:
        return
    with ExitStack() as shop:
        if not no_shop:
            shop.enter_context(demo.serving_shop(DASHBOARD_HOST, collector_port, shop_port))
        demo.start_dashboard(warehouse, DASHBOARD_HOST, port)
