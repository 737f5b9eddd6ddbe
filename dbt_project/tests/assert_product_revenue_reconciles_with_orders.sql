-- Per day, product_performance_daily's units and revenue equal the items (quantity × price) of the deduplicated
-- orders (int_orders_deduplicated) whose first purchase event fell on that day (reporting_timezone), bots left out
-- exactly when the marts leave them out (include_bots).

with

orders as (

    select
        {{ reporting_date('orders.ordered_at') }} as order_date,
        orders.items
    from {{ ref('int_orders_deduplicated') }} as orders
    inner join {{ ref('sessions') }} as sessions on orders.session_key = sessions.session_key
    where
        orders.items is not null
        {% if not var('include_bots') %}
            and not sessions.is_bot
        {% endif %}

),

items as (

    select
        orders.order_date,
        sum(coalesce({{ json_number('order_items.item', 'quantity') }}, 0)) as units,
        sum(
            coalesce({{ json_number('order_items.item', 'quantity') }}, 0)
            * coalesce({{ json_number('order_items.item', 'price') }}, 0)
        ) as revenue
    from orders
    {{ join_json_array_elements('orders.items', 'order_items', 'item') }}
    group by orders.order_date

),

products as (

    select
        event_date,
        sum(units) as units,
        sum(revenue) as revenue
    from {{ ref('product_performance_daily') }}
    group by event_date
    having sum(units) > 0 or sum(revenue) <> 0

)

select
    coalesce(items.order_date, products.event_date) as day,
    items.units as units_in_int_orders_deduplicated,
    products.units as units_in_product_performance_daily,
    items.revenue as revenue_in_int_orders_deduplicated,
    products.revenue as revenue_in_product_performance_daily
from items
full outer join products on items.order_date = products.event_date
where
    items.units is distinct from products.units
    or items.revenue is distinct from products.revenue
