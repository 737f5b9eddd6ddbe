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
