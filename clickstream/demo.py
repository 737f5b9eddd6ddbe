"""``clickstream demo``: the whole pipeline on the embedded default, with the same steps a deployment runs.

A local PostgreSQL under ``.data/pg`` (or the server ``DW_PG_*`` names), ``clickstream db migrate``, synthetic
shop traffic through the real ingest handler into ``.data/raw``, then the loader over every generated hour. Running
it again reuses what is there.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import psycopg2

from clickstream.local_postgres import LocalPostgres, LocalPostgresError
from clickstream.paths import data_dir
from warehouse.connection import WarehouseSettings
from warehouse.migrate import ROLE_NAMES, migrate, set_role_passwords

NOT_YET = (
    "not yet: the dbt build (sessions, funnels, marts) and the dashboard arrive with the dbt and dashboard issues;",
    "         until then the demo stops after landing the raw events.",
)


def _warehouse(data: Path) -> WarehouseSettings:
    """The server DW_PG_* names, or a local one this demo owns."""
    if os.environ.get("DW_PG_HOST"):
        click.echo(f"using the warehouse at {os.environ['DW_PG_HOST']} (DW_PG_*)")
        return WarehouseSettings()
    server = LocalPostgres(data / "pg")
    try:
        connection = server.ensure_running("clickstream_dw")
    except LocalPostgresError as exc:
        raise click.ClickException(str(exc)) from exc
    os.environ.update(connection.env())
    click.echo(f"PostgreSQL on 127.0.0.1:{connection.port} (data in {server.data})")
    return WarehouseSettings()


def _role_passwords(data: Path) -> dict[str, str]:
    """One password per role, made once and kept in .data/warehouse.env (mode 600) for `source`-ing."""
    path = data / "warehouse.env"
    known = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            known[name] = value
    passwords = {role: known.get(f"DW_{role.upper()}_PASSWORD") or secrets.token_urlsafe(18) for role in ROLE_NAMES}
    lines = [f"export DW_{role.upper()}_PASSWORD={password}" for role, password in passwords.items()]
    lines += [f"export {name}={os.environ[name]}" for name in sorted(os.environ) if name.startswith("DW_PG_")]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return passwords


@click.command("demo")
@click.option("--days", default=14, show_default=True, help="Days of traffic to generate.")
@click.option("--events-per-day", default=21_000, show_default=True, help="About 300,000 events over 14 days.")
@click.option("--seed", default=7, show_default=True)
@click.option("--stop", is_flag=True, help="Stop the demo's PostgreSQL and exit (make demo-down).")
def demo_command(days: int, events_per_day: int, seed: int, stop: bool) -> None:
    """Run the pipeline end to end on the embedded default (.data/), reusing what an earlier run left."""
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    if stop:
        server = LocalPostgres(data / "pg")
        server.stop()
        click.echo("demo PostgreSQL stopped")
        return

    warehouse = _warehouse(data)
    conn = warehouse.connect()
    try:
        applied = migrate(conn)
        set_role_passwords(conn, _role_passwords(data))
    finally:
        conn.close()
    click.echo(f"warehouse migrated ({len(applied)} new migrations); role passwords in {data / 'warehouse.env'}")

    store_url = (data / "raw").as_uri()
    start = _generate(data, store_url, days, events_per_day, seed)
    _load(store_url, warehouse, start, days)
    for line in NOT_YET:
        click.echo(line)


def _generate(data: Path, store_url: str, days: int, events_per_day: int, seed: int) -> date:
    from clickstream.generate.run import generate

    marker = data / "generated.json"
    wanted = {"days": days, "events_per_day": events_per_day, "seed": seed}
    if marker.exists():
        done = json.loads(marker.read_text())
        if {key: done.get(key) for key in wanted} == wanted:
            click.echo(f"reusing {done['events_sent']:,} generated events from {done['start']} in {store_url}")
            return date.fromisoformat(done["start"])
    start = datetime.now(UTC).date() - timedelta(days=days)
    click.echo(f"generating {days} days of shop traffic from {start} through the ingest handler ...")
    summary = generate(store_url + "?fsync=false", days=days, start=start, seed=seed, events_per_day=events_per_day)
    if summary.errors:
        raise click.ClickException(f"the ingest handler failed {summary.errors} requests: {summary.error_samples}")
    click.echo(
        f"  {summary.events_sent:,} events in {summary.requests:,} requests ({summary.accepted:,} accepted, "
        f"{summary.rejected:,} rejected and kept), {summary.seconds:.1f} s"
    )
    marker.write_text(json.dumps({**wanted, "start": start.isoformat(), "events_sent": summary.events_sent}))
    return start


def _load(store_url: str, warehouse: WarehouseSettings, start: date, days: int) -> None:
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_from_event
    from raw_store import open_store

    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    # The generator's late events land up to a few hours after the last simulated day.
    last = min(first + timedelta(days=days, hours=6), datetime.now(UTC) - timedelta(hours=1))
    event = {"fromHour": first.isoformat(), "toHour": last.isoformat()}
    settings = LoaderSettings(raw_store_url=store_url)
    plan = plan_from_event(event, datetime.now(UTC), settings.lookback_hours)
    click.echo(f"loading {len(plan.hours)} hours into raw.raw_events ...")
    try:
        summary = run_load(plan, open_store(store_url), settings, warehouse, now=datetime.now(UTC))
    except psycopg2.Error as exc:
        raise click.ClickException(f"loading failed: {exc}") from exc
    click.echo(
        f"  {summary.loaded:,} objects loaded ({summary.rows:,} rows, {summary.rejected} lines rejected), "
        f"{summary.skipped:,} already loaded, {len(summary.compacted)} hours compacted, {summary.seconds:.1f} s"
    )
