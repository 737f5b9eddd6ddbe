"""Products' data: per product views, carts, purchases and revenue, and the lists of what does not sell."""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg2 import sql

from dashboard.filters import Filters, filter_params, mart_conditions
from dashboard.rate_sql import rate_sql
from dashboard.rates import PRODUCT_LIST_MIN_VIEWS
from dashboard.warehouse import Row, Warehouse


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
    conditions = mart_conditions(filters, "event_date", sliced=False)
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
    ).format(add_to_cart_rate=rate_sql("add_to_cart_rate"), purchase_rate=rate_sql("purchase_rate"))
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
        filter_params(filters, min_views=PRODUCT_LIST_MIN_VIEWS),
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
        filter_params(filters, min_views=PRODUCT_LIST_MIN_VIEWS),
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


@dataclass(frozen=True)
class ProductMargins:
    """Per product, from the shop's own orders in the range (marts.product_margin_daily, docs/metrics.md "Margin"):
    units sold, net revenue, cost and margin in reporting_currency."""

    # False when the warehouse has no shop order at all (no shop database extracted): the page says so.
    connected: bool
    by_product: dict[str, Row] = field(default_factory=dict)


def product_margins(warehouse: Warehouse, filters: Filters) -> ProductMargins:
    """marts.product_margin_daily over the range (by the day the orders were placed; no device nor channel). A
    product's cost and margin are unknown (None) when one of its days' is."""
    rows = warehouse.fetch(
        "products.margins",
        sql.SQL(
            """
            select
                product_id,
                sum(units)::bigint as shop_units,
                sum(net_revenue) as net_revenue,
                case when count(*) = count(cost) then sum(cost) end as cost,
                case when count(*) = count(margin) then sum(margin) end as margin,
                case when count(*) = count(margin) then round(sum(margin) / nullif(sum(net_revenue), 0), 4) end
                    as margin_percent
            from marts.product_margin_daily
            where {conditions}
            group by product_id
            """
        ).format(conditions=mart_conditions(filters, "order_date", sliced=False)),
        filter_params(filters),
    )
    # No margin in the range: the shop may have sold nothing then, or there is no shop database at all.
    connected = bool(rows) or bool(
        warehouse.fetch("products.shop_connected", "select exists (select from marts.shop_orders) as any_order", {})[0][
            "any_order"
        ]
    )
    return ProductMargins(connected, {row["product_id"]: row for row in rows})
