"""Everything the dashboard reads, and the only place it reads from: the marts (and ``ops.transform_runs``).

SQL is parameterised throughout: values travel as psycopg2 parameters, and the few identifiers that vary (the
column a funnel is split by) come from a fixed list through ``psycopg2.sql``. Connections come from a small pool,
read-only with a statement timeout, and results are cached per query and filters for a short while (the marts
change once an hour), so several sessions looking at the same range cost one query.

Each page has one loader (``overview``, ``funnel`` …): what the page shows for given filters, all of its queries.
The benchmark times exactly these.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

import psycopg2
import psycopg2.errors
import psycopg2.pool
from cachetools import TTLCache
from psycopg2 import sql

from dashboard.periods import Period, compared_period
from dashboard.rates import PRODUCT_LIST_MIN_VIEWS, RATES
from dashboard.settings import DashboardSettings
from warehouse.connection import WarehouseSettings, WarehouseUnreachable

Row = dict[str, Any]
SplitBy = Literal["device_type", "channel"]
SPLITS: dict[SplitBy, str] = {"device_type": "Device type", "channel": "Channel"}
NOT_SET = "(not set)"


class MartsMissing(RuntimeError):
    """The warehouse answers but the marts are not built yet."""


@dataclass(frozen=True)
class Filters:
    """The shared filters: a date range (days in reporting_timezone, both ends included), device type, channel,
    and the period Overview compares the range with (dashboard/periods.py; None: no comparison)."""

    start: date
    end: date
    device_type: str | None = None
    channel: str | None = None
    # On the last day, only the sessions that started before this hour: a comparison with "today so far".
    end_before_hour: int | None = None
    comparison: Period | None = None

    def __post_init__(self) -> None:
        Period(self.start, self.end, self.end_before_hour)  # refuses a range that ends before it starts

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, self.end_before_hour)

    def compared(self) -> Filters | None:
        """The comparison period with the same device type and channel, when there is one."""
        if self.comparison is None:
            return None
        return replace(
            self,
            start=self.comparison.start,
            end=self.comparison.end,
            end_before_hour=self.comparison.end_before_hour,
            comparison=None,
        )


@dataclass(frozen=True)
class WarehouseStatus:
    state: Literal["ready", "empty", "no_marts", "down"]
    message: str = ""
    first_day: date | None = None
    last_day: date | None = None
    device_types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


class Warehouse:
    """The dashboard's connection to the warehouse: a pool, a result cache, and error translation."""

    def __init__(self, connection: WarehouseSettings, settings: DashboardSettings) -> None:
        self.connection = connection
        self.settings = settings
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._cache: TTLCache[tuple[Any, ...], tuple[Mapping[str, Any], ...]] | None = (
            TTLCache(maxsize=settings.cache_max_entries, ttl=settings.cache_ttl_seconds)
            if settings.cache_ttl_seconds > 0
            else None
        )
        self._cache_lock = threading.Lock()
        self.queries_run = 0

    def _where(self) -> str:
        return f"{self.connection.host}:{self.connection.port}/{self.connection.database}"

    def _pool_or_new(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._pool_lock:
            if self._pool is None:
                kwargs = self.connection.connect_kwargs()
                kwargs["application_name"] = "clickstream-dashboard"
                # Read-only and bounded: a dashboard query must never write nor hold the server for long. JIT off:
                # compiling took longer than it saved on these sub-second scans (docs/benchmarks.md).
                kwargs["options"] = (
                    "-c default_transaction_read_only=on -c statement_timeout=30000 -c jit=off"
                    f" -c work_mem={self.settings.work_mem_mb}MB"
                )
                # minconn 0: creating the pool never connects, so a warehouse that is down fails the first query.
                self._pool = psycopg2.pool.ThreadedConnectionPool(0, self.settings.pool_max_connections, **kwargs)
            return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg2.extensions.connection]:
        try:
            pool = self._pool_or_new()
            conn = pool.getconn()
        except psycopg2.OperationalError as error:
            raise WarehouseUnreachable(
                f"The warehouse at {self._where()} is not answering: {_first_line(error)}"
            ) from error
        except psycopg2.pool.PoolError as error:
            raise WarehouseUnreachable(f"The warehouse is busy: {error}") from error
        broken = False
        try:
            conn.autocommit = True
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            broken = True
            raise WarehouseUnreachable(
                f"The warehouse at {self._where()} stopped answering: {_first_line(error)}"
            ) from error
        finally:
            pool.putconn(conn, close=broken or conn.closed != 0)

    def fetch(self, name: str, query: sql.Composable | str, params: Mapping[str, Any]) -> list[Row]:
        """Rows of `query` as dicts of their own: the caller may change them, the cache keeps its rows.

        The same query text (with its identifiers: a funnel split by channel is another query than one by device
        type) and the same `params` within the TTL answer from the cache; `name` says which query it is in the key.
        """
        key = (name, query if isinstance(query, str) else repr(query), tuple(sorted(params.items())))
        if self._cache is not None:
            with self._cache_lock:
                cached = self._cache.get(key)
            if cached is not None:
                return [dict(row) for row in cached]
        rows = self._run(query, params)
        if self._cache is not None:
            # Read-only rows (arrays arrive as tuples): a page that changed one would change every later answer.
            frozen = tuple(MappingProxyType(row) for row in rows)
            with self._cache_lock:
                self._cache[key] = frozen
            return [dict(row) for row in frozen]
        return rows

    def _run(self, query: sql.Composable | str, params: Mapping[str, Any]) -> list[Row]:
        with self._connection() as conn, conn.cursor() as cursor:
            try:
                cursor.execute(query, params)
            except psycopg2.errors.UndefinedTable as error:
                raise MartsMissing(_first_line(error)) from error
            except psycopg2.errors.InsufficientPrivilege as error:
                raise WarehouseUnreachable(
                    f"The dashboard's database user {self.connection.user!r} may not read this: "
                    f"{_first_line(error)}. It should be the dashboard role, and dbt should build as transformer."
                ) from error
            self.queries_run += 1
            names = [column.name for column in cursor.description or ()]  # None only for a statement without rows
            return [dict(zip(names, (_plain(value) for value in row), strict=True)) for row in cursor.fetchall()]

    def clear_cache(self) -> None:
        if self._cache is not None:
            with self._cache_lock:
                self._cache.clear()

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _plain(value: Any) -> Any:
    # numeric arrives as Decimal; the pages format and plot floats. Arrays as tuples: a cached row stays as it was.
    if isinstance(value, Decimal):
        return float(value)
    return tuple(value) if isinstance(value, list) else value


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not denominator else (numerator or 0) / denominator


def _rate(name: str) -> sql.Composable:
    """A rate of dbt_project.yml's var rates over the rows in scope, as the dbt macro rate() writes it.

    The expressions come from the generated dashboard/rates.py (checked there to be plain aggregates), never from
    a request. Not rounded: the page rounds once, as it shows the rate (a rate rounded here to 4 places and then
    to a tenth of a percent could show 38.4% for 38.349%).
    """
    rate = RATES[name]
    return sql.SQL("({})::numeric / nullif({}, 0)").format(sql.SQL(rate.numerator), sql.SQL(rate.denominator))


# ---------- what the warehouse holds


def status(warehouse: Warehouse) -> WarehouseStatus:
    """Whether there is anything to show, and the filters' choices when there is."""
    try:
        present = warehouse.fetch(
            "status.marts",
            "select to_regclass('marts.sessions_daily') is not null as traffic,"
            " to_regclass('marts.funnel_steps_daily') is not null as funnel",
            {},
        )[0]
        if not (present["traffic"] and present["funnel"]):
            return WarehouseStatus("no_marts", "The marts are not built yet: run the transform (dbt build).")
        days = warehouse.fetch(
            "status.days", "select min(session_date) as first, max(session_date) as last from marts.sessions_daily", {}
        )[0]
        if days["last"] is None:
            return WarehouseStatus("empty", "No data yet: the marts are built but hold no sessions.")
        choices = warehouse.fetch(
            "status.choices",
            "select array_agg(distinct device_type order by device_type) as devices,"
            " array_agg(distinct channel order by channel) as channels from marts.funnel_steps_daily",
            {},
        )[0]
    except MartsMissing as error:
        return WarehouseStatus("no_marts", f"The marts are not built yet: {error}")
    except WarehouseUnreachable as error:
        return WarehouseStatus("down", str(error))
    return WarehouseStatus(
        "ready",
        first_day=days["first"],
        last_day=days["last"],
        device_types=tuple(choices["devices"] or ()),
        channels=tuple(choices["channels"] or ()),
    )


def last_days_with_data(found: WarehouseStatus, days: int) -> Filters:
    """`days` days up to the newest day with data (within what exists), compared with the weeks before them: a
    range over data generated in the past (benchmarks, tests). The dashboard's default is periods.default_period."""
    if found.last_day is None or found.first_day is None:
        raise ValueError("no data: there is no range of days with data")
    period = Period(max(found.first_day, found.last_day - timedelta(days=days - 1)), found.last_day)
    after = datetime.combine(found.last_day + timedelta(days=1), time())
    return Filters(period.start, period.end, comparison=compared_period(period, "previous_period", after))


# ---------- shared WHERE clauses


def _session_conditions(filters: Filters, include_bots: bool, day_column: str = "session_date") -> sql.Composable:
    """Filters on marts.sessions (or a mart with the same columns); values are the named parameters of `_params`."""
    parts: list[sql.Composable] = [sql.SQL("{} between %(start)s and %(end)s").format(sql.Identifier(day_column))]
    if filters.device_type is not None:
        parts.append(sql.SQL("coalesce(device_type, '(not set)') = %(device_type)s"))
    if filters.channel is not None:
        parts.append(sql.SQL("channel = %(channel)s"))
    if not include_bots:
        parts.append(sql.SQL("not is_bot"))
    return sql.SQL(" and ").join(parts)


def _mart_conditions(filters: Filters, day_column: str, sliced: bool) -> sql.Composable:
    """Filters on a daily mart: the range, and device type and channel when the mart has them (`sliced`)."""
    parts: list[sql.Composable] = [sql.SQL("{} between %(start)s and %(end)s").format(sql.Identifier(day_column))]
    if sliced and filters.device_type is not None:
        parts.append(sql.SQL("device_type = %(device_type)s"))
    if sliced and filters.channel is not None:
        parts.append(sql.SQL("channel = %(channel)s"))
    return sql.SQL(" and ").join(parts)


def _params(filters: Filters, **extra: Any) -> dict[str, Any]:
    return {
        "start": filters.start,
        "end": filters.end,
        "device_type": filters.device_type,
        "channel": filters.channel,
        **extra,
    }


# ---------- Overview

KPI_NAMES = (
    "sessions",
    "users",
    "new_users",
    "returning_users",
    "page_views",
    "bounce_rate",
    "average_session_duration_seconds",
    "conversion_rate",
    "orders",
    "revenue",
    "average_order_value",
    "returning_customer_rate",
)


@dataclass(frozen=True)
class OverviewData:
    current: dict[str, float | None]
    # The comparison period's KPIs, None when the range is compared with nothing.
    previous: dict[str, float | None] | None
    daily: list[Row]
    hourly: list[Row]
    # The currency of every revenue (the build's reporting_currency), None before the first order.
    currency: str | None = None


def _kpis(row: Row | None) -> dict[str, float | None]:
    row = row or {}
    sessions = row.get("sessions") or 0
    users = row.get("users") or 0
    new_users = row.get("new_users") or 0
    return {
        "sessions": sessions,
        "users": users,
        "new_users": new_users,
        "returning_users": users - new_users,
        "page_views": row.get("page_views") or 0,
        "bounce_rate": row.get("bounce_rate"),
        "average_session_duration_seconds": row.get("average_session_duration_seconds"),
        "conversion_rate": row.get("conversion_rate"),
        "orders": row.get("orders") or 0,
        "revenue": row.get("revenue") or 0.0,
        "average_order_value": row.get("average_order_value"),
        "returning_customer_rate": row.get("returning_customer_rate"),
        # Orders in a currency without a rate (currency_rates): counted in orders, left out of revenue.
        "orders_without_rate": row.get("orders_without_rate") or 0,
    }


def _visitors_by_hour(include_bots: bool) -> sql.Composable:
    """marts.sessions in the shape of marts.visitors_daily, with the hour the session started: visitors_daily has
    no hour, and a comparison with "today so far" counts the visitors of its last day's first hours only."""
    return sql.SQL(
        """
        (
            select
                session_date,
                extract(hour from session_start at time zone %(timezone)s)::integer as session_hour,
                visitor_id as visitor_number,
                is_first_visit as is_new,
                coalesce(device_type, '(not set)') as device_type,
                channel
            from marts.sessions
            where {bots}
        ) as visitors_by_hour
        """
    ).format(bots=sql.SQL("true" if include_bots else "not is_bot"))


def _period_row(warehouse: Warehouse, filters: Filters) -> Row:
    """The KPIs of one period, as a row: additive measures summed over marts.sessions_daily; users counted distinct
    over marts.visitors_daily (a visitor back on another day, or in another slice, is one user); orders, revenue (in
    reporting_currency), average order value and returning customers from marts.orders. Rates are the var rates'
    (dashboard/rates.py)."""
    conditions = _mart_conditions(filters, "session_date", sliced=True)
    order_conditions = conditions
    visitors: sql.Composable = sql.SQL("marts.visitors_daily")
    if filters.end_before_hour is not None:
        cut = sql.SQL(" and not (session_date = %(end)s and session_hour >= %(end_before_hour)s)")
        # An order counts with its session: marts.orders has no session hour, marts.sessions has its start.
        order_cut = sql.SQL(
            " and session_key not in (select session_key from marts.sessions where session_date = %(end)s"
            " and extract(hour from session_start at time zone %(timezone)s) >= %(end_before_hour)s)"
        )
        order_conditions = sql.Composed([conditions, order_cut])
        conditions = sql.Composed([conditions, cut])
        visitors = _visitors_by_hour(warehouse.settings.include_bots)
    rows = warehouse.fetch(
        "overview.kpis",
        sql.SQL(
            """
            with measures as (
                select
                    sum(sessions)::bigint as sessions,
                    sum(page_views)::bigint as page_views,
                    sum(bounces)::bigint as bounces,
                    {bounce_rate} as bounce_rate,
                    round(sum(duration_seconds)::numeric / nullif(sum(sessions), 0), 1)
                        as average_session_duration_seconds,
                    sum(converted_sessions)::bigint as converted_sessions,
                    {conversion_rate} as conversion_rate
                from marts.sessions_daily
                where {conditions}
            ),
            orders as (
                select
                    count(*) as orders,
                    count(*) filter (where revenue is null) as orders_without_rate,
                    sum(revenue) as revenue,
                    {average_order_value} as average_order_value,
                    {returning_customer_rate} as returning_customer_rate,
                    min(reporting_currency) as currency
                from marts.orders
                where {order_conditions}
            ),
            visitors as (
                select
                    count(distinct visitor_number) as users,
                    count(distinct visitor_number) filter (where is_new) as new_users
                from {visitors}
                where {conditions}
            )
            select
                measures.*,
                visitors.users,
                visitors.new_users,
                orders.orders,
                orders.orders_without_rate,
                orders.revenue,
                orders.average_order_value,
                orders.returning_customer_rate,
                orders.currency
            from measures
            cross join visitors
            cross join orders
            """
        ).format(
            conditions=conditions,
            order_conditions=order_conditions,
            visitors=visitors,
            bounce_rate=_rate("bounce_rate"),
            conversion_rate=_rate("conversion_rate"),
            average_order_value=_rate("average_order_value"),
            returning_customer_rate=_rate("returning_customer_rate"),
        ),
        _params(filters, end_before_hour=filters.end_before_hour, timezone=warehouse.settings.reporting_timezone),
    )
    return rows[0] if rows else {}


def overview(warehouse: Warehouse, filters: Filters) -> OverviewData:
    """KPIs for the range and its comparison period (one query each, so either is cached on its own), daily and
    hour-of-day trends."""
    compared = filters.compared()
    current = _period_row(warehouse, filters)
    previous = _period_row(warehouse, compared) if compared is not None else None
    conditions = _mart_conditions(filters, "session_date", sliced=True)
    daily = warehouse.fetch(
        "overview.daily",
        sql.SQL(
            """
            with measures as (
                select
                    session_date as day,
                    sum(sessions)::bigint as sessions,
                    sum(page_views)::bigint as page_views,
                    sum(converted_sessions)::bigint as converted_sessions,
                    sum(revenue) as revenue
                from marts.sessions_daily
                where {conditions}
                group by session_date
            ),
            visitors as (
                select session_date as day, count(distinct visitor_number) as users
                from marts.visitors_daily
                where {conditions}
                group by session_date
            )
            select measures.day, measures.sessions, visitors.users, measures.page_views,
                measures.converted_sessions, measures.revenue
            from measures
            left join visitors on measures.day = visitors.day
            order by measures.day
            """
        ).format(conditions=conditions),
        _params(filters),
    )
    # session_hour is in the build's reporting_timezone (the dashboard's setting must agree with it).
    hourly = warehouse.fetch(
        "overview.hourly",
        sql.SQL(
            """
            select
                session_hour as hour,
                sum(sessions)::bigint as sessions,
                sum(converted_sessions)::bigint as converted_sessions
            from marts.sessions_daily
            where {conditions}
            group by session_hour
            order by session_hour
            """
        ).format(conditions=conditions),
        _params(filters),
    )
    currencies = [row.get("currency") for row in (current, previous or {}) if row.get("currency") is not None]
    return OverviewData(
        current=_kpis(current),
        previous=_kpis(previous) if previous is not None else None,
        daily=daily,
        hourly=hourly,
        currency=currencies[0] if currencies else None,
    )


# ---------- Funnel


@dataclass(frozen=True)
class FunnelStep:
    number: int
    name: str
    sessions: int
    # Of the previous step's sessions (of all sessions for the first step).
    step_conversion: float | None
    dropped: int


@dataclass(frozen=True)
class FunnelData:
    sessions: int
    steps: list[FunnelStep]
    split_by: SplitBy
    # segment -> sessions reaching each step, in step order
    segments: dict[str, list[int]] = field(default_factory=dict)


def funnel_steps(sessions: int, counts: Sequence[tuple[int, str, int]]) -> list[FunnelStep]:
    """Step conversion and drop-off from the sessions reaching each step (in step order)."""
    steps = []
    before = sessions
    for number, name, reached in counts:
        steps.append(FunnelStep(number, name, reached, _ratio(reached, before), before - reached))
        before = reached
    return steps


def funnel(warehouse: Warehouse, filters: Filters, split_by: SplitBy = "device_type") -> FunnelData:
    """The funnel of marts.funnel_steps_daily for the filters, overall and split by device type or channel."""
    if split_by not in SPLITS:
        raise ValueError(f"the funnel splits by one of {sorted(SPLITS)}, not {split_by!r}")
    conditions = _mart_conditions(filters, "session_date", sliced=True)
    rows = warehouse.fetch(
        "funnel.steps",
        sql.SQL(
            """
            select
                step_number,
                step_name,
                {split} as segment,
                sum(sessions) as sessions,
                sum(slice_sessions) as slice_sessions
            from marts.funnel_steps_daily
            where {conditions}
            group by step_number, step_name, {split}
            order by step_number, {split}
            """
        ).format(split=sql.Identifier(split_by), conditions=conditions),
        _params(filters),
    )
    totals: dict[tuple[int, str], int] = {}
    segments: dict[str, list[int]] = {}
    all_sessions = 0
    for row in rows:
        step = (row["step_number"], row["step_name"])
        totals[step] = totals.get(step, 0) + int(row["sessions"])
        segments.setdefault(row["segment"], []).append(int(row["sessions"]))
        if row["step_number"] == 1:
            all_sessions += int(row["slice_sessions"])
    counts = [(number, name, reached) for (number, name), reached in sorted(totals.items())]
    return FunnelData(all_sessions, funnel_steps(all_sessions, counts), split_by, segments)


# ---------- Products


@dataclass(frozen=True)
class ProductsData:
    products: list[Row]
    categories: list[Row]
    # Products with at least PRODUCT_LIST_MIN_VIEWS views (the dbt var product_list_min_views) and no purchase
    # in the range, most viewed first; and those of them added to a cart, most carted first.
    viewed_not_bought: list[Row] = field(default_factory=list)
    carted_not_bought: list[Row] = field(default_factory=list)


def products(warehouse: Warehouse, filters: Filters) -> ProductsData:
    """Every product and category of marts.product_performance_daily in the range (it has no device or channel)."""
    conditions = _mart_conditions(filters, "event_date", sliced=False)
    measures = sql.SQL(
        """
        sum(views) as views,
        sum(add_to_carts) as add_to_carts,
        {add_to_cart_rate} as add_to_cart_rate,
        sum(purchases) as purchases,
        {purchase_rate} as purchase_rate,
        sum(units) as units,
        sum(revenue) as revenue,
        sum(views) >= %(min_views)s and sum(purchases) = 0 as is_viewed_not_bought,
        sum(views) >= %(min_views)s and sum(purchases) = 0 and sum(add_to_carts) > 0 as is_carted_not_bought
        """
    ).format(add_to_cart_rate=_rate("add_to_cart_rate"), purchase_rate=_rate("purchase_rate"))
    product_rows = warehouse.fetch(
        "products.products",
        sql.SQL(
            """
            select
                product_id,
                (array_agg(product_name order by event_date desc) filter (where product_name is not null))[1]
                    as product_name,
                (array_agg(product_category order by event_date desc) filter (where product_category is not null))[1]
                    as category,
                (array_agg(product_brand order by event_date desc) filter (where product_brand is not null))[1]
                    as brand,
                {measures}
            from marts.product_performance_daily
            where {conditions}
            group by product_id
            order by views desc, product_id
            """
        ).format(measures=measures, conditions=conditions),
        _params(filters, min_views=PRODUCT_LIST_MIN_VIEWS),
    )
    categories = warehouse.fetch(
        "products.categories",
        sql.SQL(
            """
            select coalesce(product_category, '(not set)') as category, {measures}
            from marts.product_performance_daily
            where {conditions}
            group by 1
            order by views desc, category
            """
        ).format(measures=measures, conditions=conditions),
        _params(filters, min_views=PRODUCT_LIST_MIN_VIEWS),
    )
    return ProductsData(
        product_rows,
        categories,
        viewed_not_bought=[row for row in product_rows if row["is_viewed_not_bought"]],
        carted_not_bought=sorted(
            (row for row in product_rows if row["is_carted_not_bought"]),
            key=lambda row: (-row["add_to_carts"], row["product_id"]),
        ),
    )


# ---------- Acquisition

# Which grouping set a row of the Acquisition queries belongs to (the others' columns are null in it).
_GROUPED_DIMENSION = sql.SQL(
    """
    case
        when grouping(channel) = 0 then 'channel'
        when grouping(referrer_host) = 0 then 'referrer_host'
        when grouping(campaign) = 0 then 'campaign'
        when grouping(device_type) = 0 then 'device_type'
        else 'country'
    end
    """
)
# The value of that dimension in the row, and the grouping sets themselves.
_GROUPED_VALUE = sql.SQL("coalesce(channel, referrer_host, campaign, device_type, country)")
_ACQUISITION_GROUPING_SETS = sql.SQL("grouping sets ((channel), (referrer_host), (campaign), (device_type), (country))")
ACQUISITION_DIMENSIONS = ("channel", "referrer_host", "campaign", "device_type", "country")


def acquisition(warehouse: Warehouse, filters: Filters) -> dict[str, list[Row]]:
    """Sessions, users, conversion and revenue by channel, referrer host, UTM campaign, device type and country.

    Sums over marts.sessions_daily and distinct users over marts.visitors_daily, each with grouping sets (one scan
    each); both have device type and channel, so the shared filters apply to every table of the page.
    """
    rows = warehouse.fetch(
        "acquisition.breakdowns",
        sql.SQL(
            """
            with measures as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    sum(sessions)::bigint as sessions,
                    sum(converted_sessions)::bigint as converted_sessions,
                    {conversion_rate} as conversion_rate,
                    sum(revenue) as revenue
                from marts.sessions_daily
                where {conditions}
                group by {grouping_sets}
            ),
            visitors as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    count(distinct visitor_number) as users
                from marts.visitors_daily
                where {conditions}
                group by {grouping_sets}
            )
            select
                measures.dimension,
                measures.value,
                measures.sessions,
                visitors.users,
                measures.converted_sessions,
                measures.conversion_rate,
                measures.revenue
            from measures
            left join visitors on measures.dimension = visitors.dimension and measures.value = visitors.value
            order by measures.dimension, measures.sessions desc, measures.value
            """
        ).format(
            dimension=_GROUPED_DIMENSION,
            value=_GROUPED_VALUE,
            grouping_sets=_ACQUISITION_GROUPING_SETS,
            conditions=_mart_conditions(filters, "session_date", sliced=True),
            conversion_rate=_rate("conversion_rate"),
        ),
        _params(filters),
    )
    breakdowns: dict[str, list[Row]] = {dimension: [] for dimension in ACQUISITION_DIMENSIONS}
    for row in rows:
        breakdowns[row.pop("dimension")].append(row)
    return breakdowns


# ---------- Journeys


@dataclass(frozen=True)
class JourneysData:
    landing_pages: list[Row]
    exit_pages: list[Row]
    transitions: list[Row]


def journeys(warehouse: Warehouse, filters: Filters, top: int = 15, links: int = 200) -> JourneysData:
    """Top landing and exit pages (marts.sessions) and the most common page-to-page steps (page_transitions_daily).

    page_transitions_daily has no device type nor channel: the transitions follow the date range only.
    """
    pages = warehouse.fetch(
        "journeys.pages",
        sql.SQL(
            """
            with filtered as (
                select
                    coalesce(landing_page_path, '(not set)') as landing_page,
                    coalesce(exit_page_path, '(not set)') as exit_page,
                    -- sessions_daily's measures, one session a row, so the var rates' bounce_rate applies as is.
                    1 as sessions,
                    is_bounce::integer as bounces
                from marts.sessions
                where {conditions}
            ),
            counted as (
                select
                    case when grouping(landing_page) = 0 then 'landing' else 'exit' end as kind,
                    coalesce(landing_page, exit_page) as page_path,
                    sum(sessions)::bigint as sessions,
                    sum(bounces)::bigint as bounces,
                    {bounce_rate} as bounce_rate,
                    row_number() over (
                        partition by grouping(landing_page) order by count(*) desc, coalesce(landing_page, exit_page)
                    ) as place
                from filtered
                group by grouping sets ((landing_page), (exit_page))
            )
            select kind, page_path, sessions, bounces, bounce_rate
            from counted
            where place <= %(top)s
            order by kind, place
            """
        ).format(
            conditions=_session_conditions(filters, warehouse.settings.include_bots), bounce_rate=_rate("bounce_rate")
        ),
        _params(filters, top=top),
    )
    transitions = warehouse.fetch(
        "journeys.transitions",
        sql.SQL(
            """
            select from_page_path, to_page_path, sum(transitions) as transitions
            from marts.page_transitions_daily
            where {conditions}
            group by from_page_path, to_page_path
            order by transitions desc, from_page_path, to_page_path
            limit %(links)s
            """
        ).format(conditions=_mart_conditions(filters, "session_date", sliced=False)),
        _params(filters, links=links),
    )
    return JourneysData(
        landing_pages=[row for row in pages if row["kind"] == "landing"],
        exit_pages=[row for row in pages if row["kind"] == "exit"],
        transitions=transitions,
    )


# ---------- Retention


def retention(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """marts.retention_weekly for the cohorts first seen in the range's weeks (it has no device type nor channel)."""
    return warehouse.fetch(
        "retention.cohorts",
        """
        select cohort_week, weeks_since_first_seen, cohort_size, retained_visitors, retention_rate
        from marts.retention_weekly
        where cohort_week between date_trunc('week', %(start)s::date)::date and %(end)s
        order by cohort_week, weeks_since_first_seen
        """,
        _params(filters),
    )


# ---------- Data health


@dataclass(frozen=True)
class TransformRuns:
    last_success_at: datetime | None
    last_status: str | None
    last_started_at: datetime | None
    last_error: str | None
    # Why there is nothing to say (ops.transform_runs missing or unreadable), else None.
    unavailable: str | None = None


@dataclass(frozen=True)
class Freshness:
    """How far the data reaches, as of the last build: the newest event modelled ("data up to") and loaded (both
    by when the ingest received it), and when the loader last landed anything. The age of the data, not of the
    last run: a loader that runs every hour over an empty bucket does not make the data fresh."""

    newest_modelled_at: datetime | None
    newest_loaded_at: datetime | None
    last_loaded_at: datetime | None


@dataclass(frozen=True)
class HealthData:
    freshness: Freshness
    hours: list[Row]
    totals: Row
    transforms: TransformRuns
    # marts.ingest_refusals_hourly in the range: one row per hour, kind and reason.
    refusals: list[Row]
    # The same summed per kind and reason, most first.
    refusal_reasons: list[Row]


def transform_runs(warehouse: Warehouse) -> TransformRuns:
    """The last successful and the last attempted build, from ops.transform_runs when it exists."""
    try:
        rows = warehouse.fetch(
            "health.transforms",
            """
            select
                (select max(finished_at) from ops.transform_runs where status = 'success') as last_success_at,
                latest.status as last_status,
                latest.started_at as last_started_at,
                latest.error as last_error
            from (select 1) as one
            left join lateral (
                select status, started_at, error from ops.transform_runs order by started_at desc limit 1
            ) as latest on true
            """,
            {},
        )
    except MartsMissing:
        return TransformRuns(None, None, None, None, unavailable="no transform is recorded yet (ops.transform_runs)")
    except WarehouseUnreachable as error:
        if "may not read" not in str(error):
            raise
        return TransformRuns(None, None, None, None, unavailable="the dashboard may not read ops.transform_runs")
    row = rows[0]
    return TransformRuns(row["last_success_at"], row["last_status"], row["last_started_at"], row["last_error"])


def freshness(warehouse: Warehouse) -> Freshness:
    """The newest event modelled and loaded, and the last load, from marts.pipeline_health_hourly."""
    row = warehouse.fetch(
        "health.freshness",
        """
        select
            max(newest_modelled_at) as newest_modelled_at,
            max(newest_received_at) as newest_loaded_at,
            max(last_loaded_at) as last_loaded_at
        from marts.pipeline_health_hourly
        """,
        {},
    )[0]
    return Freshness(row["newest_modelled_at"], row["newest_loaded_at"], row["last_loaded_at"])


def refusals(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """marts.ingest_refusals_hourly for the range's UTC days."""
    return warehouse.fetch(
        "health.refusals",
        """
        select received_hour, refusal_kind, refusal_reason, refusals, requests
        from marts.ingest_refusals_hourly
        where received_hour >= %(start)s::timestamp at time zone 'UTC'
            and received_hour < (%(end)s::date + 1)::timestamp at time zone 'UTC'
        order by received_hour, refusal_kind, refusal_reason
        """,
        _params(filters),
    )


def refusal_reasons(rows: list[Row]) -> list[Row]:
    """The range's refusals by kind and reason, most first: new rows, so the cached hourly rows stay as they are."""
    totals: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row["refusal_kind"], row["refusal_reason"])
        total = totals.setdefault(key, {"refusal_kind": key[0], "refusal_reason": key[1], "refusals": 0, "requests": 0})
        total["refusals"] += row["refusals"]
        total["requests"] += row["requests"]
    return sorted(
        totals.values(), key=lambda total: (-total["refusals"], total["refusal_kind"], total["refusal_reason"])
    )


def health(warehouse: Warehouse, filters: Filters) -> HealthData:
    """marts.pipeline_health_hourly and marts.ingest_refusals_hourly for the range's UTC days, the data's freshness
    and the last transform's."""
    hours = warehouse.fetch(
        "health.hours",
        """
        select
            received_hour,
            objects_loaded,
            raw_rows,
            rejected_lines,
            rejected_objects,
            modelled_events,
            bot_events,
            median_load_lag_seconds,
            max_load_lag_seconds,
            median_load_lag_minutes
        from marts.pipeline_health_hourly
        where received_hour >= %(start)s::timestamp at time zone 'UTC'
            and received_hour < (%(end)s::date + 1)::timestamp at time zone 'UTC'
        order by received_hour
        """,
        _params(filters),
    )
    totals: Row = {
        name: sum(row[name] or 0 for row in hours)
        for name in ("objects_loaded", "raw_rows", "rejected_lines", "rejected_objects", "modelled_events")
    }
    totals["bot_events"] = sum(row["bot_events"] or 0 for row in hours)
    totals["bot_share"] = _ratio(totals["bot_events"], totals["modelled_events"])
    lags = [row["max_load_lag_seconds"] for row in hours if row["max_load_lag_seconds"] is not None]
    totals["max_load_lag_seconds"] = max(lags) if lags else None
    # The lag of the newest hour with raw rows: what the loader does now, not a day's average.
    latest = [row["median_load_lag_minutes"] for row in hours if row["median_load_lag_minutes"] is not None]
    totals["latest_load_lag_minutes"] = latest[-1] if latest else None
    refused = refusals(warehouse, filters)
    totals["refusals"] = sum(row["refusals"] for row in refused)
    return HealthData(freshness(warehouse), hours, totals, transform_runs(warehouse), refused, refusal_reasons(refused))


# What each page reads, by its name (bench/bench_dashboard.py times each).
PAGE_LOADERS: dict[str, Callable[[Warehouse, Filters], object]] = {
    "overview": overview,
    "funnel": funnel,
    "products": products,
    "acquisition": acquisition,
    "journeys": journeys,
    "retention": retention,
    "health": health,
}
