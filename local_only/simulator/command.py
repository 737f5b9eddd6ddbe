"""``clickstream generate``: seeded synthetic shop traffic, sent through the real ingest handler into a store."""

from __future__ import annotations

import sys
from datetime import date, datetime
from urllib.parse import urlparse

import click

from local_only.paths import default_store_url
from local_only.simulator.orders import DEFAULT_UNTRACKED_SHARE
from local_only.simulator.plan import DEFAULT_INVALID_RATE
from local_only.simulator.run import GenerationSummary, UnitResult, generate

DEFAULT_EVENTS_PER_DAY = 20_000


def bulk_store_url(url: str) -> str:
    """A local file store without per-object fsync: bulk generation gains nothing from it."""
    parsed = urlparse(url)
    if parsed.scheme == "file" and not parsed.query:
        return f"{url}?fsync=false"
    return url


def render_summary(summary: GenerationSummary) -> str:
    rows: tuple[tuple[str, str], ...] = (
        ("days", f"{summary.days} from {summary.start:%Y-%m-%d} (seed {summary.seed})"),
        ("visitors", f"{summary.visitors:,}"),
        ("sessions", f"{summary.sessions:,}"),
        ("requests", f"{summary.requests:,}"),
        ("events sent", f"{summary.events_sent:,} ({summary.invalid_sent:,} deliberately invalid)"),
        ("accepted", f"{summary.accepted:,}"),
        ("rejected", f"{summary.rejected:,}"),
        ("objects written", f"{summary.objects_written:,}"),
        ("errors", f"{summary.errors:,}"),
        ("seconds", f"{summary.seconds:.1f}"),
        ("events/s", f"{summary.events_per_second:,.0f}"),
        ("fingerprint", summary.fingerprint[:16]),
    )
    lines = [f"generated traffic into {summary.store_url}"]
    if summary.shop_database is not None:
        untracked = f"{summary.untracked_orders:,} with no purchase event"
        rows += (("shop orders", f"{summary.orders:,} ({untracked})"),)
    lines += [f"  {name:<16} {value}" for name, value in rows]
    lines += [f"  error: {sample}" for sample in summary.error_samples]
    return "\n".join(lines)


class _Progress:
    """A one-line running count on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.events = 0

    def __call__(self, result: UnitResult) -> None:
        self.events += result.events_sent
        if self.enabled:
            click.echo(f"\r  {self.events:,} events sent", nl=False, err=True)

    def close(self) -> None:
        if self.enabled and self.events:
            click.echo(err=True)


@click.command("generate")
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True, help="Days of traffic.")
@click.option(
    "--events-per-day",
    type=click.IntRange(min=1),
    default=None,
    help=f"Approximate events a day  [default: {DEFAULT_EVENTS_PER_DAY}]",
)
@click.option(
    "--visitors-per-day",
    type=click.IntRange(min=1),
    default=None,
    help="Visits a day, instead of --events-per-day.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day, UTC (YYYY-MM-DD)  [default: today minus --days]",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed and options, same requests.")
@click.option(
    "--store",
    default=None,
    help="Raw store URL (file:///dir or s3://bucket[/prefix])  [default: the local data directory, without fsync]",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 500),
    default=10,
    show_default=True,
    help="Most events the SDK puts in one request.",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes  [default: CPU count]")
@click.option(
    "--invalid-rate",
    type=click.FloatRange(0, 1, max_open=True),
    default=DEFAULT_INVALID_RATE,
    show_default=True,
    help="Share of events deliberately made invalid (the ingest rejects them).",
)
@click.option(
    "--cloudfront-country",
    is_flag=True,
    help="Send cloudfront-viewer-country too, as a CloudFront distribution in front of the API would; "
    "without it the ingest finds the country from each visitor's address.",
)
@click.option(
    "--shop-database",
    default=None,
    metavar="URL",
    help="Also write the shop's own database (postgresql://...): every order, refunds, cancellations, stock.",
)
@click.option(
    "--untracked-share",
    type=click.FloatRange(0, 1),
    default=None,
    help=f"With --shop-database: share of orders whose browser sends no purchase event  "
    f"[default: {DEFAULT_UNTRACKED_SHARE}]",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
def generate_command(
    days: int,
    events_per_day: int | None,
    visitors_per_day: int | None,
    start: datetime | None,
    seed: int,
    store: str | None,
    batch_size: int,
    workers: int | None,
    invalid_rate: float,
    cloudfront_country: bool,
    shop_database: str | None,
    untracked_share: float | None,
    quiet: bool,
) -> None:
    """Simulate shop traffic and send it through the real ingest Lambda handler, in-process.

    Visitors (new and returning, some signed in, a few bots and a scraper) browse a computer-and-accessories
    shop; their browsers' SDK sends the events as API Gateway would deliver them, and the handler stores them.
    """
    if events_per_day is not None and visitors_per_day is not None:
        raise click.UsageError("give --events-per-day or --visitors-per-day, not both")
    if untracked_share is not None and shop_database is None:
        raise click.UsageError("--untracked-share needs --shop-database: without it every order is tracked")
    store_url = store if store is not None else bulk_store_url(default_store_url())
    first_day: date | None = start.date() if start is not None else None
    progress = _Progress(not quiet)
    try:
        summary = generate(
            store_url,
            days=days,
            start=first_day,
            seed=seed,
            events_per_day=events_per_day or DEFAULT_EVENTS_PER_DAY,
            visitors_per_day=visitors_per_day,
            batch_size=batch_size,
            workers=workers,
            invalid_rate=invalid_rate,
            on_unit=progress,
            cloudfront_country=cloudfront_country,
            shop_database=shop_database,
            untracked_share=DEFAULT_UNTRACKED_SHARE if untracked_share is None else untracked_share,
        )
    finally:
        progress.close()
    click.echo(render_summary(summary))
    if summary.errors:
        raise click.ClickException(f"{summary.errors} requests failed in the ingest handler")
