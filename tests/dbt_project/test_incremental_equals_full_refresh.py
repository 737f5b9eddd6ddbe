"""Hour-by-hour incremental builds give exactly what one full refresh gives.

Generated shop traffic (late offline flushes, SDK retries, reloaded thank-you pages and all) goes through the real
ingest handler into a file store. The loader lands it an hour at a time, as the schedule does, and an incremental
`dbt build` follows each hour (the data tests run once, on the last hour's state; the 48-hour variant runs them
in every build). A `--full-refresh` build into a second copy of the schemas (`schema_prefix: fr_`) then reads the
same raw rows in one go, and every model relation must hold the same rows in both copies, bar `staged_at` (when
a row was staged) and the per-build work lists (`int_*_touched`). The test also proves the hourly builds were
incremental: each rewrote only part of the event and session tables, and never replaced a table.

The generated traffic comes with the shop's own database (a fifth of the orders untracked, refunds, cancellations),
extracted into raw_shop before the first build as the hourly cycle does, so the shop's marts (shop_orders,
order_reconciliation, tracking_coverage_daily, product_margin_daily) are compared too, non-empty. Half way through,
the shop refunds an early order and raises a product's cost, and the extract runs again: the next builds must
change the refunded order's day and record the product's second version in the snapshot shop_product_history.
A snapshot is history, not a function of the raw rows: a full refresh cannot rebuild it (and dbt's `--full-refresh`
leaves snapshots alone), so the full-refresh copy starts from the incremental copy's history (copied into its
schema before it builds) and what is compared is what the marts make of the same history.

dbt connects as the `transformer` role (the loader as `loader`), so the grants of migration 0002 are part of what
is proved; the only extra is CREATE on the test's database, which the second copy's schemas need.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg2
import pytest
from psycopg2 import sql
from support.dbt_invoke import Dbt, prepare_warehouse
from support.loader_kit import iso_ms, ndjson
from support.shop_databases import fresh_database
from support.warehouse_copies import FULL_REFRESH_PREFIX, Warehouse, assert_copies_equal, loader_run

from local_only.postgres import Connection, LocalPostgres
from local_only.shop_database.schema import apply_schema
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.integration

# Tables of event or session grain: an hourly build must write only a small part of them.
GRAIN_TABLES = ("staging.stg_clickstream__events", "intermediate.int_events_sessionized", "marts.sessions")


@dataclass(frozen=True)
class Scenario:
    """`hourly` hours loaded and built one at a time, after one backfill of every hour before them."""

    start: date
    days: int
    events_per_day: int
    first_hour: datetime
    hourly: int
    # Run the data tests in every hourly build (as a deployment does), or once on the last hour's state.
    data_tests_hourly: bool = False
    seed: int = 11

    @property
    def hours(self) -> list[datetime]:
        return [self.first_hour + timedelta(hours=n) for n in range(self.hourly)]


# Friday 18:00 UTC to Saturday 06:00 UTC: the evening peak, midnight, and the quiet night after it.
# Seed 12's traffic has sessions over midnight (not every seed's does at this volume), which the test needs.
TWELVE_HOURS = Scenario(
    start=date(2025, 3, 7),
    days=2,
    events_per_day=10_000,
    first_hour=datetime(2025, 3, 7, 18, tzinfo=UTC),
    hourly=13,
    seed=12,
)
# Two whole days of hourly builds, two midnights.
FORTY_EIGHT_HOURS = Scenario(
    start=date(2025, 3, 7),
    days=3,
    events_per_day=8_000,
    first_hour=datetime(2025, 3, 7, 12, tzinfo=UTC),
    hourly=48,
    data_tests_hourly=True,
)


@dataclass
class BuildStats:
    """What one hourly build did, read back from the incremental copy right after it."""

    hour: datetime
    seconds: float
    rows_loaded: int
    staged_now: int
    late_events: int
    touched_visitors: int
    reopened_visitors: int
    all_visitors: int
    # schema.table: (rows this build wrote, rows in the table)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Proof:
    builds: list[BuildStats] = field(default_factory=list)
    oids: list[dict[str, int]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    shop_change: ShopChange | None = None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _hour_stats(dw: Warehouse, hour: datetime, seconds: float, rows_loaded: int, xid: int) -> BuildStats:
    staged_now, late = dw.rows(
        """
        select count(*), count(*) filter (where event_timestamp < %s - interval '30 minutes')
        from staging.stg_clickstream__events
        where staged_at = (select max(staged_at) from staging.stg_clickstream__events)
        """,
        (hour,),
    )[0]
    touched, reopened = dw.rows(
        """
        with newest as (
            select visitor_id, min(event_timestamp) as first_new_event_at
            from staging.stg_clickstream__events
            where staged_at = (select max(staged_at) from staging.stg_clickstream__events)
            group by visitor_id
        )
        select count(*), count(*) filter (where touched.window_start < newest.first_new_event_at)
        from intermediate.int_visitors_touched as touched
        left join newest on touched.visitor_id = newest.visitor_id
        """
    )[0]
    return BuildStats(
        hour=hour,
        seconds=seconds,
        rows_loaded=rows_loaded,
        staged_now=staged_now,
        late_events=late,
        touched_visitors=touched,
        reopened_visitors=reopened,
        all_visitors=dw.scalar("select count(distinct visitor_id) from staging.stg_clickstream__events"),
        written={relation: dw.written_since(relation, xid) for relation in GRAIN_TABLES},
    )


@dataclass
class Bench:
    """The test's database migrated; dbt connects as `transformer`, the loader as `loader`; the shop's database
    beside it, with its schema and no rows."""

    dw: Warehouse
    dbt: Dbt
    loader: WarehouseSettings
    raw_root: Path
    shop: Connection
    work: Path

    def extract_shop(self) -> None:
        """`clickstream extract-shop` as the hourly cycle runs it, into raw_shop as `transformer`."""
        from shop_extract.run import run_extract
        from shop_extract.settings import ShopExtractSettings

        shop = self.shop
        settings = ShopExtractSettings(
            database_url=f"postgresql://{shop.user}:{shop.password}@{shop.host}:{shop.port}/{shop.database}",
            extract_workdir=self.work / "shop-extract",
        )
        transformer = WarehouseSettings(
            host=self.loader.host,
            port=self.loader.port,
            user="transformer",
            password=os.environ["DW_PG_PASSWORD"],
            database=self.loader.database,
        )
        outcome = run_extract(settings, transformer, trigger="test")
        assert outcome.status == "success", outcome.error


@pytest.fixture
def bench(
    warehouse: Connection, postgres_server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bench]:
    loader_settings = prepare_warehouse(warehouse, monkeypatch)
    dw = Warehouse(warehouse)
    with fresh_database(postgres_server, "equality_shop") as shop:
        apply_schema(shop.dsn())
        yield Bench(dw, Dbt(tmp_path / "dbt"), loader_settings, tmp_path / "raw", shop, tmp_path)
    dw.close()


@dataclass(frozen=True)
class ShopChange:
    """What the shop changed half way through the hourly builds (`_change_the_shop`)."""

    refunded_order: str
    order_date: date
    refund: Decimal
    product_id: str
    # product_margin_daily's net revenue of the refunded order's day before the change
    net_revenue_before: Decimal
    cancelled_order: str
    # what the cancellation takes from the refunded order's day (reporting_currency)
    cancelled_same_day: Decimal


def _one(cursor: Any) -> tuple[Any, ...]:
    row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def _change_the_shop(bench: Bench) -> ShopChange:
    """The shop refunds half of its earliest order (not cancelled), cancels the next one and raises the cost of a
    product it sold, all stamped after every row extracted so far (as a real later change would be), then the
    extract runs again."""
    dw = bench.dw
    (order_id, order_date, _), (cancelled_id, cancelled_date, cancelled_net) = dw.rows(
        "select order_id, order_date, net_revenue from marts.shop_orders where not is_cancelled and not is_refunded "
        "order by ordered_at, order_id limit 2"
    )
    net_before = dw.scalar(
        "select sum(net_revenue) from marts.product_margin_daily where order_date = %s", (order_date,)
    )
    conn = psycopg2.connect(bench.shop.dsn())
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(
                """
                select greatest(
                    (select max("updatedAt") from "Order"), (select max("updatedAt") from "Refund"),
                    (select max("updatedAt") from "Product"), (select max("updatedAt") from "OrderItem")
                ) + interval '1 minute'
                """
            )
            (stamp,) = _one(cursor)
            cursor.execute('select round(total / 2, 2) from "Order" where id = %s', (order_id,))
            (refund,) = _one(cursor)
            cursor.execute(
                'insert into "Refund" (id, "orderId", amount, reason, status, "createdAt", "updatedAt") '
                "values ('equality-refund', %s, %s, 'damaged', 'COMPLETED', %s, %s)",
                (order_id, refund, stamp, stamp),
            )
            cursor.execute(
                'select "productId" from "OrderItem" where "orderId" = %s order by "productId" limit 1', (order_id,)
            )
            (product_id,) = _one(cursor)
            cursor.execute(
                'update "Product" set cost = round(cost * 1.1, 2), "updatedAt" = %s where id = %s', (stamp, product_id)
            )
            cursor.execute(
                """update "Order" set status = 'CANCELLED', "cancelledAt" = %s, "paidAt" = null, "updatedAt" = %s """
                "where id = %s",
                (stamp, stamp, cancelled_id),
            )
    finally:
        conn.close()
    bench.extract_shop()
    # (the cancelled order's revenue leaves the day too when it is the same day)
    lost = cancelled_net if cancelled_date == order_date else Decimal(0)
    return ShopChange(order_id, order_date, refund, product_id, net_before, cancelled_id, lost)


def _assert_the_shop_change_was_built(dw: Warehouse, change: ShopChange) -> None:
    """The refund lowered its order's day (placed days before the build that saw it) by its amount, the cancelled
    order keeps nothing, and the product's raised cost is a second version in the snapshot, the first closed where
    the second starts."""
    assert dw.rows(
        "select refunded_amount, is_refunded from marts.shop_orders where order_id = %s", (change.refunded_order,)
    ) == [(change.refund, True)]
    assert dw.rows(
        "select is_cancelled, net_amount from marts.shop_orders where order_id = %s", (change.cancelled_order,)
    ) == [(True, 0)]
    net_after = dw.scalar(
        "select sum(net_revenue) from marts.product_margin_daily where order_date = %s", (change.order_date,)
    )
    # (converted at the order's rate: the refund is in the order's currency)
    rate = dw.scalar("select exchange_rate from marts.shop_orders where order_id = %s", (change.refunded_order,))
    expected_drop = change.refund * rate + change.cancelled_same_day
    assert abs(change.net_revenue_before - net_after - expected_drop) < Decimal("0.0001")
    versions = dw.rows(
        "select dbt_valid_from, dbt_valid_to from intermediate.shop_product_history where product_id = %s "
        "order by dbt_valid_from",
        (change.product_id,),
    )
    assert len(versions) == 2 and versions[0][1] == versions[1][0] and versions[1][1] is None, versions


def _share_the_history(dw: Warehouse) -> None:
    """The full-refresh copy's schema gets the incremental copy's snapshot (history cannot be rebuilt)."""
    schema = FULL_REFRESH_PREFIX + "intermediate"
    with dw.conn.cursor() as cursor:
        cursor.execute(
            sql.SQL("create schema if not exists {} authorization transformer").format(sql.Identifier(schema))
        )
        cursor.execute(
            sql.SQL(
                "create table {copy} as select * from intermediate.shop_product_history; "
                "alter table {copy} owner to transformer"
            ).format(copy=sql.Identifier(schema, "shop_product_history"))
        )


def _assert_the_shop_marts_are_full(dw: Warehouse) -> None:
    """The shop's marts hold what the generated shop made: untracked and tracked orders, refunds, cancellations,
    margins."""
    classes = dict(
        dw.rows("select reconciliation_class, count(*) from marts.order_reconciliation group by reconciliation_class")
    )
    assert classes.get("matched", 0) > 0 and classes.get("backend_only", 0) > 0, classes
    cancelled, refunded, orders = dw.rows(
        "select count(*) filter (where is_cancelled), count(*) filter (where is_refunded), count(*) "
        "from marts.shop_orders"
    )[0]
    assert orders == sum(classes.get(name, 0) for name in ("matched", "backend_only"))
    assert cancelled > 0 and refunded > 0, (cancelled, refunded, orders)
    assert dw.scalar("select count(*) from marts.tracking_coverage_daily") > 0
    assert dw.scalar("select count(*) from marts.product_margin_daily where margin is not null") > 0


def _load_and_build(
    bench: Bench, store_url: str, hour: datetime, *, plan: dict[str, str] | None = None, data_tests: bool = False
) -> BuildStats:
    """Land `hour` (or what `plan` names) as the hourly schedule does, then one incremental build."""
    started = time.perf_counter()
    rows = loader_run(store_url, bench.loader, plan or {"targetUtcHour": _iso(hour)})
    xid = bench.dw.xid()
    bench.dbt.build(data_tests=data_tests)
    return _hour_stats(bench.dw, hour, time.perf_counter() - started, rows, xid)


def _prove(scenario: Scenario, bench: Bench) -> Proof:
    from local_only.simulator.run import generate

    proof = Proof()
    started = time.perf_counter()
    store_url = bench.raw_root.as_uri() + "?fsync=false"
    summary = generate(
        store_url,
        days=scenario.days,
        start=scenario.start,
        seed=scenario.seed,
        events_per_day=scenario.events_per_day,
        workers=min(2, os.cpu_count() or 1),
        shop_database=bench.shop.dsn(),
    )
    assert summary.errors == 0, summary.error_samples
    proof.seconds["generate"] = time.perf_counter() - started
    # The shop's whole database at once (its rows are the generated period's): the hourly cycle extracts before
    # it builds.
    bench.extract_shop()

    # Everything before the first hourly step: one backfill, and the first (so full) build.
    started = time.perf_counter()
    first_day = datetime(scenario.start.year, scenario.start.month, scenario.start.day, tzinfo=UTC)
    backfill = {"fromHour": _iso(first_day), "toHour": _iso(scenario.first_hour - timedelta(hours=1))}
    loader_run(store_url, bench.loader, backfill)
    bench.dbt.build()
    proof.seconds["first build"] = time.perf_counter() - started
    incremental = bench.dbt.incremental_relations()
    proof.oids.append(bench.dw.oids(incremental))

    for number, hour in enumerate(scenario.hours):
        if number == len(scenario.hours) // 2:
            proof.shop_change = _change_the_shop(bench)
        proof.builds.append(_load_and_build(bench, store_url, hour, data_tests=scenario.data_tests_hourly))
        proof.oids.append(bench.dw.oids(incremental))
    _assert_no_subplan_reads_a_growing_table(bench)

    if not scenario.data_tests_hourly:
        started = time.perf_counter()
        bench.dbt.invoke("test", "--exclude-resource-type", "unit_test")
        proof.seconds["data tests"] = time.perf_counter() - started

    started = time.perf_counter()
    _share_the_history(bench.dw)
    bench.dbt.build("--full-refresh", "--vars", f"{{schema_prefix: {FULL_REFRESH_PREFIX}}}")
    proof.seconds["full refresh"] = time.perf_counter() - started
    return proof


def _plan_nodes(node: dict[str, Any], in_subplan: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan, with whether it runs inside a SubPlan (once per outer row)."""
    in_subplan = in_subplan or node.get("Parent Relationship") == "SubPlan"
    yield node, in_subplan
    for child in node.get("Plans", []):
        yield from _plan_nodes(child, in_subplan)


def _assert_no_subplan_reads_a_growing_table(bench: Bench) -> None:
    """No incremental model, as the last hourly build compiled it, reads a model's table inside a SubPlan: a SubPlan
    runs per outer row, and its list of a build's touched keys stops being hashed once it outgrows work_mem, so
    the plan compares every row with every key (`users` took 20 minutes at 138,000 touched people in the capacity
    benchmark, docs/benchmarks.md). Small lookup tables (the seeds) may be read so."""
    nodes = bench.dbt.manifest_nodes()
    seeds = {node["alias"] for node in nodes if node["resource_type"] == "seed"}
    offenders: dict[str, list[str]] = {}
    for node in nodes:
        if node["resource_type"] != "model" or node["config"]["materialized"] != "incremental":
            continue
        compiled = bench.dbt.target_path / "compiled" / node["package_name"] / node["original_file_path"]
        with bench.dw.conn.cursor() as cursor:
            cursor.execute("explain (format json) " + compiled.read_text(encoding="utf-8"))
            plan = cursor.fetchall()[0][0]
        read = {
            plan_node["Relation Name"]
            for plan_node, in_subplan in _plan_nodes(plan[0]["Plan"])
            if in_subplan and "Relation Name" in plan_node
        }
        if read - seeds:
            offenders[node["name"]] = sorted(read - seeds)
    assert not offenders, offenders


def _assert_work_was_incremental(dw: Warehouse, proof: Proof) -> None:
    builds = proof.builds
    # Traffic arrived every hour, and each hourly build worked out again only the visitors it touched.
    assert all(build.rows_loaded > 0 and build.touched_visitors > 0 for build in builds), builds
    assert all(build.touched_visitors < build.all_visitors for build in builds), builds
    # Some visitors' windows reached back into a session an earlier build had made (sessions continued across
    # builds), and events from well before their hour arrived late.
    assert sum(build.reopened_visitors for build in builds) > 0, builds
    assert sum(build.late_events for build in builds) > 0, builds
    # Each build wrote a part of the event and session tables, never all of them, and each wrote some.
    for relation in GRAIN_TABLES:
        assert all(0 < build.written[relation][0] < build.written[relation][1] for build in builds), [
            (f"{build.hour:%d %H}h", build.written[relation]) for build in builds
        ]
    # The incremental tables were added to, never replaced: the same relation from the first build to the last.
    assert len(proof.oids[0]) >= 4, proof.oids[0]
    assert all(oids == proof.oids[0] for oids in proof.oids), proof.oids
    # The traffic had what the models must cope with: duplicates, sessions over midnight, purchases sent twice.
    assert dw.scalar("select count(*) - count(distinct payload ->> 'eventId') from raw.raw_events") > 0
    assert dw.scalar("select count(*) from marts.sessions where session_start::date <> session_end::date") > 0
    assert dw.scalar("select count(*) from intermediate.int_orders_deduplicated where times_sent > 1") > 0


def _run(scenario: Scenario, bench: Bench) -> None:
    started = time.perf_counter()
    proof = _prove(scenario, bench)
    compared = assert_copies_equal(bench.dw)
    _assert_work_was_incremental(bench.dw, proof)
    _assert_the_shop_marts_are_full(bench.dw)
    assert proof.shop_change is not None
    _assert_the_shop_change_was_built(bench.dw, proof.shop_change)
    hourly = [build.seconds for build in proof.builds]
    print(
        f"\n{len(hourly)} hourly builds staged {sum(build.staged_now for build in proof.builds)} events "
        f"({sum(build.late_events for build in proof.builds)} late); load + build per hour "
        f"{min(hourly):.1f}-{max(hourly):.1f} s; "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in proof.seconds.items())
        + f"; total {time.perf_counter() - started:.1f} s\nrows written per hourly build: "
        + "; ".join(
            f"{relation} {min(b.written[relation][0] for b in proof.builds)}-"
            f"{max(b.written[relation][0] for b in proof.builds)} of {proof.builds[-1].written[relation][1]}"
            for relation in GRAIN_TABLES
        )
        + f"\ncompared {len(compared)}: {', '.join(compared)}"
    )


def test_twelve_hourly_builds_across_midnight_equal_a_full_refresh(bench: Bench) -> None:
    """13 hourly loads and builds, Friday 18:00 to Saturday 06:00 UTC, equal one full refresh."""
    _run(TWELVE_HOURS, bench)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(os.environ.get("CLICKSTREAM_SLOW") != "1", reason="48 hourly builds: set CLICKSTREAM_SLOW=1")
def test_forty_eight_hourly_builds_equal_a_full_refresh(bench: Bench) -> None:
    """48 hourly loads and builds, data tests in each, equal one full refresh."""
    _run(FORTY_EIGHT_HOURS, bench)


# ---------- the same proof on a few hand-made visitors, each one case the hourly builds must get right


def _event(
    event_id: str, visitor: str, at: datetime, received: datetime | None = None, **fields: Any
) -> dict[str, Any]:
    """One enriched event as the ingest writes it (event contract v1), for visitor (clientId) `visitor`."""
    received = received or at + timedelta(seconds=1)
    return {
        "eventName": "page_view",
        "eventId": event_id,
        "schemaVersion": "1.0",
        "eventTimestamp": iso_ms(at),
        "clientId": visitor,
        "sessionId": f"sid-{visitor}",
        "userLoginState": "logged_in" if "userId" in fields else "guest",
        "pageUrl": "https://shop.example.com/",
        "receivedAt": iso_ms(received),
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36",
        "device": {"type": "desktop", "browser": "Chrome", "os": "Windows"},
        **fields,
    }


def _purchase(
    event_id: str, visitor: str, at: datetime, received: datetime | None = None, order_id: str = "order-1"
) -> dict[str, Any]:
    order = {"id": order_id, "revenue": 50.0, "currency": "EUR", "items": [{"productId": "p-1", "quantity": 1}]}
    return _event(event_id, visitor, at, received, eventName="purchase", order=order)


def _put(store: Any, name: str, events: list[dict[str, Any]]) -> None:
    """One raw object in the hour of its first line's receivedAt, as the ingest names them."""
    hour = datetime.fromisoformat(events[0]["receivedAt"]).astimezone(UTC)
    store.put(f"events/{hour:%Y/%m/%d/%H}/event-{name}.json", ndjson([orjson.dumps(event) for event in events]))


EVENING = datetime(2025, 3, 7, 23, tzinfo=UTC)
MIDNIGHT = EVENING + timedelta(hours=1)


def _at(minutes: float, base: datetime = EVENING) -> datetime:
    return base + timedelta(minutes=minutes)


def _first_hour_objects(store: Any) -> None:
    # A: two sessions, 23:00-23:10 and 23:50 (40 minutes apart).
    _put(store, "a", [_event(f"a{n}", "visitor-a", _at(m)) for n, m in ((1, 0), (2, 10), (4, 50))])
    # B: a product view and a purchase of order-1 (in fact the thank-you page's reload; the first send is late).
    _put(
        store,
        "b",
        [_event("b-view", "visitor-b", _at(15), eventName="view_product"), _purchase("b-p2", "visitor-b", _at(20))],
    )
    # C: anonymous so far.
    _put(store, "c", [_event("c1", "visitor-c", _at(5)), _event("c2", "visitor-c", _at(6))])
    # D: signed in as u-d1.
    _put(store, "d", [_event("d1", "visitor-d", _at(30), userId="u-d1")])
    # E: 20 events in the minute 23:59, so far no bot.
    _put(store, "e1", [_event(f"e{n:02d}", "visitor-e", _at(59 + (10 + 2 * n) / 60)) for n in range(20)])
    # X: a copy received at 23:45 (the copy received first is in an object that lands later).
    _put(store, "x2", [_event("x1", "visitor-x", _at(40), received=_at(45))])
    # G: a session from 23:50 that will buy after midnight.
    _put(store, "g", [_event("g1", "visitor-g", _at(50))])


def _second_hour_objects(store: Any) -> None:
    # A late object of the first hour: X's copy received first.
    _put(store, "x1", [_event("x1", "visitor-x", _at(40), received=_at(41))])
    # A: a late event at 23:30 bridges its two sessions; a2 again (an SDK retry); a5 carries the session over
    # midnight.
    a2 = _event("a2", "visitor-a", _at(10), received=_at(2, MIDNIGHT))
    _put(store, "a-late", [_event("a3", "visitor-a", _at(30), received=_at(5, MIDNIGHT)), a2])
    _put(store, "a-next", [_event("a5", "visitor-a", _at(10, MIDNIGHT))])
    # B: the purchase's first send, a minute before the reload, after an offline spell.
    _put(store, "b-late", [_purchase("b-p1", "visitor-b", _at(19), received=_at(10, MIDNIGHT))])
    # C: signs in, in a new session: every session of C is C's now.
    _put(store, "c-login", [_event("c3", "visitor-c", _at(20, MIDNIGHT), eventName="login", userId="u-c")])
    # D: signed in as another user.
    _put(store, "d-new", [_event("d2", "visitor-d", _at(30, MIDNIGHT), userId="u-d2")])
    # E: 15 more events in 23:59, flushed at 00:00:01: 35 in one minute is a bot.
    last = [_event(f"e{n:02d}", "visitor-e", _at(59 + (50 + 0.6 * (n - 20)) / 60)) for n in range(20, 35)]
    for event in last:
        event["receivedAt"] = iso_ms(MIDNIGHT + timedelta(seconds=1))
    _put(store, "e2", last)
    # G buys order-2 at 00:05: its session, dated by its start, is on the first day.
    _put(store, "g-buy", [_purchase("g-p2", "visitor-g", _at(5, MIDNIGHT), order_id="order-2")])


def _third_hour_objects(store: Any) -> None:
    # D: a late event with an older user id changes nothing.
    _put(store, "d-old", [_event("d0", "visitor-d", _at(25), received=_at(65, MIDNIGHT), userId="u-d0")])
    # B: the thank-you page reloaded once more, in a later session.
    _put(store, "b-again", [_purchase("b-p3", "visitor-b", _at(40, MIDNIGHT), received=_at(62, MIDNIGHT))])
    # F: someone new.
    _put(store, "f", [_event("f1", "visitor-f", _at(70, MIDNIGHT))])


def _fourth_hour_objects(store: Any) -> None:
    # H: order-2's first send, at 00:03 from another device, arrives two hours late and alone: the order moves from
    # G's session (untouched by this build, and dated the day before its purchase) to H's.
    late_first_send = _purchase("h-p1", "visitor-h", _at(3, MIDNIGHT), received=_at(125, MIDNIGHT), order_id="order-2")
    _put(store, "h", [late_first_send])


def _sessions(dw: Warehouse, visitor: str) -> list[tuple[Any, ...]]:
    return dw.rows(
        "select events, user_id, stitched_user_id, is_bot, orders from marts.sessions "
        "where visitor_id = %s order by session_start",
        (visitor,),
    )


def test_hand_made_cases_across_hourly_builds_equal_a_full_refresh(bench: Bench) -> None:
    """Each case the generator makes rarely, across four hourly builds: equal to a full refresh, and right."""
    from raw_store import open_store

    store_url = bench.raw_root.as_uri() + "?fsync=false"
    store = open_store(store_url)
    dw = bench.dw

    _first_hour_objects(store)
    _load_and_build(bench, store_url, EVENING, data_tests=True)
    assert [row[0] for row in _sessions(dw, "visitor-a")] == [2, 1]
    assert _sessions(dw, "visitor-e") == [(20, None, None, False, 0)]

    _second_hour_objects(store)
    plan = {"fromHour": _iso(EVENING), "toHour": _iso(MIDNIGHT)}
    _load_and_build(bench, store_url, MIDNIGHT, plan=plan, data_tests=True)
    _third_hour_objects(store)
    _load_and_build(bench, store_url, MIDNIGHT + timedelta(hours=1), data_tests=True)
    _fourth_hour_objects(store)
    _load_and_build(bench, store_url, MIDNIGHT + timedelta(hours=2), data_tests=True)
    bench.dbt.build("--full-refresh", "--vars", f"{{schema_prefix: {FULL_REFRESH_PREFIX}}}")

    assert_copies_equal(dw)
    # A's late event merged its two sessions into one, which runs on past midnight and is dated by its start.
    assert _sessions(dw, "visitor-a") == [(5, None, None, False, 0)]
    assert dw.rows("select session_date from marts.sessions where visitor_id = 'visitor-a'") == [(date(2025, 3, 7),)]
    # B's order counts once, at its first send, in the first session.
    assert dw.rows(
        "select first_event_id, times_sent from intermediate.int_orders_deduplicated where order_id = 'order-1'"
    ) == [("b-p1", 3)]
    assert [row[4] for row in _sessions(dw, "visitor-b")] == [1, 0]
    # C's anonymous session carries the user it signed in as later; D's sessions the latest user, not the late one.
    assert _sessions(dw, "visitor-c") == [(2, None, "u-c", False, 0), (1, "u-c", "u-c", False, 0)]
    assert [row[2] for row in _sessions(dw, "visitor-d")] == ["u-d2", "u-d2"]
    # order-2 counts in H's session; G's session, dated 7 March, lost it, and so did that day's figures.
    assert [row[4] for row in _sessions(dw, "visitor-g")] == [0]
    assert [row[4] for row in _sessions(dw, "visitor-h")] == [1]
    assert dw.rows("select session_date from marts.sessions where visitor_id = 'visitor-g'") == [(date(2025, 3, 7),)]
    assert dw.rows("select orders from marts.users where user_key = 'visitor:visitor-g'") == [(0,)]
    # E is a bot once its last 15 events of 23:59 arrived.
    assert _sessions(dw, "visitor-e") == [(35, None, None, True, 0)]
    # X is staged from the copy received first, which landed last.
    assert dw.rows(
        "select received_at, s3_key like '%%event-x1.json' from staging.stg_clickstream__events where event_id = 'x1'"
    ) == [(_at(41), True)]
